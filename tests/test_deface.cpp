// Defacing of real heads: verification passes (brain unchanged, face empty) for Colin27 and a
// chronic T2 in other on-disk orientations and tilted; the skull-stripped FLAIR and the GE "T1"
// (an object phantom, not a head) are refused in every orientation; bad input refused.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "deface_support.hpp"
#include "head_dicom_support.hpp"
#include "ingest_support.hpp"
#include "strokefair/core/error.hpp"
#include "strokefair/core/resample.hpp"
#include "strokefair/deface/deface.hpp"
#include "strokefair/deid/nifti_deid.hpp"
#include "strokefair/io/image_io.hpp"

using namespace strokefair;
using namespace strokefair::test;
namespace fs = std::filesystem;

namespace {

const fs::path kColin27 = "/usr/share/mricron/templates/ch2.nii.gz";

// Face masks found in two storage orders of one head may differ only where registration on a
// differently sampled 3 mm copy moves the mask edge by a voxel or so: the 3 mm template's
// mask edge sweeps a shell of about one voxel, which is under 10% of a mask of this size.
constexpr double kMinimumFaceDice = 0.80;
// The same faces placed by two registrations: no template face voxel moves further than this.
constexpr double kMaximumFaceShiftMm = 6.0;
const std::array<double, 9> kTilt = rotation(0, 15);  // the head nodded by 15 degrees

double dice(const Mask& a, const Mask& b) {
  std::size_t both = 0, total = 0;
  for (std::size_t n = 0; n < a.size(); ++n) {
    both += a[n] && b[n];
    total += a[n] + b[n];
  }
  return total ? 2.0 * both / total : 1.0;
}

struct Defaced {
  DefaceResult result;
  double seconds = 0;
};

// Reads the image from disk, defaces it in memory and verifies the result.
Defaced deface_file(const HeadTemplate& head_template, const fs::path& path) {
  const auto start = std::chrono::steady_clock::now();
  const Image original = read_image(path);
  Defaced out{find_face(head_template, original, path.string()), 0};
  verify_defacing(original, clear_face(original, out.result.face), out.result);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

// Largest distance (mm) between where two template-to-image maps put the template's face voxels
// that land inside the stored image (those outside clear nothing); `back` takes the second
// map's image space back into the first's.
double face_shift_mm(const HeadTemplate& t, const Geometry& image, const Affine& first,
                     const Affine& second, const Affine& back) {
  const Affine to_index = image.physical_to_voxel();
  const Affine to_physical = t.face.geometry.voxel_to_physical();
  const Affine second_in_first = back * second;
  double largest = 0;
  const auto& s = t.face.geometry.size;
  for (std::size_t k = 0; k < s[2]; ++k)
    for (std::size_t j = 0; j < s[1]; ++j)
      for (std::size_t i = 0; i < s[0]; ++i) {
        if (!t.face.at(i, j, k)) continue;
        const Vec3 p = to_physical.apply({double(i), double(j), double(k)});
        const Vec3 a = first.apply(p), b = second_in_first.apply(p);
        const Vec3 v = to_index.apply(a);
        bool inside = true;
        for (int axis = 0; axis < 3; ++axis)
          inside = inside && v[axis] >= -0.5 && v[axis] <= image.size[axis] - 0.5;
        if (!inside) continue;
        largest = std::max(largest, std::hypot(std::hypot(a[0] - b[0], a[1] - b[1]), a[2] - b[2]));
      }
  return largest;
}

// The rigid map that undoes `tilted(image, r)`: tilted space back to the stored image's space.
Affine untilt(const Geometry& stored, const std::array<double, 9>& r) {
  const Vec3 c = stored.voxel_to_physical().apply(
      {(stored.size[0] - 1) / 2.0, (stored.size[1] - 1) / 2.0, (stored.size[2] - 1) / 2.0});
  Affine a;
  for (int row = 0; row < 3; ++row) {
    double shift = c[row];
    for (int col = 0; col < 3; ++col) {
      a.m[row * 4 + col] = r[col * 3 + row];  // the transpose is the inverse rotation
      shift -= r[col * 3 + row] * c[col];
    }
    a.m[row * 4 + 3] = shift;
  }
  return a;
}

void report(const std::string& image, const std::string& variant, const Defaced& d,
            double face_dice, double shift_mm = 0) {
  const DefaceVerification& v = d.result.verification;
  // One line per image and orientation; bench/deface_results.md records these.
  std::cout << "deface\t" << image << '\t' << variant << "\tpassed " << v.passed << "\thead_dice "
            << v.registration.brain_dice << "\tbrain_voxels " << v.brain_voxels
            << "\tbrain_changed " << v.brain_voxels_changed << "\tface_voxels " << v.face_voxels
            << "\tface_left " << v.face_voxels_left << "\tface_dice_vs_stored " << face_dice
            << "\tseconds " << d.seconds << "\tface_shift_mm " << shift_mm << std::endl;
}

class DefaceRealHeads : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (fs::exists(data_dir() / "deface/mridefacer/head_tmpl.nii.gz"))
      head_template_ = std::make_unique<HeadTemplate>(load_head_template(DataStore()));
  }
  static void TearDownTestSuite() { head_template_.reset(); }
  void SetUp() override {
    if (!head_template_) GTEST_SKIP() << "mridefacer template not in the data directory";
    dir_ = temp_dir("deface");
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // Defaces `path` as stored, with axes permuted and flipped, with one axis flipped (the
  // handedness of the grid changes), and tilted by 15 degrees: every variant must pass
  // verification and clear the same physical voxels as the stored one.
  void expect_same_defacing_in_every_orientation(const fs::path& path, const std::string& name) {
    const Defaced stored = deface_file(*head_template_, path);
    report(name, "as-stored", stored, 1.0);
    EXPECT_TRUE(stored.result.verification.passed) << stored.result.verification.failure;
    EXPECT_EQ(stored.result.verification.brain_voxels_changed, 0u);
    EXPECT_EQ(stored.result.verification.face_voxels_left, 0u);
    EXPECT_GT(stored.result.verification.face_voxels, 10000u);

    const Image original = read_image(path);
    for (const auto& variant : variants_of(original)) {
      const fs::path file = dir_ / (variant.name + ".nii");
      write_image(variant.image, file);
      const Defaced d = deface_file(*head_template_, file);
      // Reoriented grids hold the same points: the mask is taken back onto the stored grid.
      // The tilted grid carries the same voxels rotated: its mask compares voxel by voxel.
      Mask face = d.result.face;
      if (variant.tilted)
        face.geometry = original.geometry;
      else
        face = resample_mask(d.result.face, original.geometry);
      const double face_dice = dice(face, stored.result.face);
      const Affine back = variant.tilted ? untilt(original.geometry, kTilt) : Affine::identity();
      const double shift =
          face_shift_mm(*head_template_, original.geometry, stored.result.template_to_image,
                        d.result.template_to_image, back);
      report(name, variant.name, d, face_dice, shift);
      EXPECT_TRUE(d.result.verification.passed)
          << variant.name << ": " << d.result.verification.failure;
      EXPECT_EQ(d.result.verification.brain_voxels_changed, 0u) << variant.name;
      EXPECT_EQ(d.result.verification.face_voxels_left, 0u) << variant.name;
      EXPECT_GE(face_dice, kMinimumFaceDice) << variant.name;
      EXPECT_LE(shift, kMaximumFaceShiftMm) << variant.name;
    }
  }

  // Images that are not whole heads must fail the registration check however stored
  // (`variants` limits the storage orders tried, to keep large images within the test budget).
  void expect_refused_in_every_orientation(const fs::path& path, const std::string& name,
                                           std::size_t variants = 3) {
    const Defaced stored = deface_file(*head_template_, path);
    report(name, "as-stored", stored, -1.0);  // no mask to compare
    EXPECT_FALSE(stored.result.verification.passed);
    EXPECT_NE(stored.result.verification.failure.find("registration check failed"),
              std::string::npos)
        << stored.result.verification.failure;
    auto all = variants_of(read_image(path));
    all.erase(all.begin(), all.begin() + (all.size() - std::min(variants, all.size())));
    for (const auto& variant : all) {
      const fs::path file = dir_ / (variant.name + ".nii");
      write_image(variant.image, file);
      const Defaced d = deface_file(*head_template_, file);
      report(name, variant.name, d, -1.0);
      EXPECT_FALSE(d.result.verification.passed) << variant.name;
      EXPECT_FALSE(d.result.verification.registration.passed) << variant.name;
    }
  }

  struct Variant {
    std::string name;
    Image image;
    bool tilted;
  };
  // Axes permuted and two flipped; one axis flipped (the grid's handedness changes); the head
  // tilted by 15 degrees about the left-right axis.
  static std::vector<Variant> variants_of(const Image& original) {
    std::vector<Variant> variants;
    variants.push_back(
        {"permuted-flipped", reoriented(original, {2, 0, 1}, {true, false, true}), false});
    variants.push_back({"x-flipped", reoriented(original, {0, 1, 2}, {true, false, false}), false});
    variants.push_back({"tilted-15deg", tilted(original, kTilt), true});
    return variants;
  }

  static std::unique_ptr<HeadTemplate> head_template_;
  fs::path dir_;
};

std::unique_ptr<HeadTemplate> DefaceRealHeads::head_template_;

TEST_F(DefaceRealHeads, Colin27HeadPassesInEveryOrientation) {
  if (!fs::exists(kColin27)) GTEST_SKIP() << "mricron-data not installed";
  expect_same_defacing_in_every_orientation(kColin27, "colin27");
}

TEST_F(DefaceRealHeads, ChronicStrokeT2PassesInEveryOrientation) {
  STROKEFAIR_REQUIRE_DATA("cases/chronic-t2/T2.nii");
  expect_same_defacing_in_every_orientation(case_dir("chronic-t2") / "T2.nii", "chronic-t2");
}

// The shared FLAIR is skull-stripped: no face, no skull, and the head template cannot fit it.
TEST_F(DefaceRealHeads, SkullStrippedFlairIsRefusedInEveryOrientation) {
  STROKEFAIR_REQUIRE_DATA("cases/flair-lesion/FLAIR.nii.gz");
  expect_refused_in_every_orientation(case_dir("flair-lesion") / "FLAIR.nii.gz", "flair-lesion");
}

// The GE IR-SPGR series of dcm_qa_deident images an object (round, with seed-like inclusions),
// not a human head: defacing cannot be verified on it and must refuse it.
TEST_F(DefaceRealHeads, GeT1ObjectPhantomFromDicomIsRefusedAsStoredFlippedAndTilted) {
  STROKEFAIR_REQUIRE_DATA("dicom/dcm_qa_deident/In");
  STROKEFAIR_REQUIRE_PROGRAM("dcm2niix");
  const fs::path in = data_dir() / "dicom/dcm_qa_deident/In";
  ASSERT_EQ(shell("dcm2niix -z n -b n -f ge_t1 -o " + dir_.string() + " " + in.string()), 0);
  const fs::path converted = dir_ / "converted.nii";
  fs::rename(dir_ / "ge_t1.nii", converted);
  // 12.8 million voxels: the stored order, one axis flipped and the tilt are tried.
  expect_refused_in_every_orientation(converted, "ge-t1", 2);
}

TEST(DefaceCoverage, SlabsAndSmallBoxesAreNotWholeHeads) {
  Geometry slab;
  slab.size = {256, 256, 20};
  slab.spacing = {0.9, 0.9, 3.0};  // 60 mm: a thin slab
  EXPECT_NE(head_coverage_problem(slab).find("axis 3"), std::string::npos);
  Geometry head;
  head.size = {176, 256, 256};
  EXPECT_EQ(head_coverage_problem(head), "");
}

TEST(DefaceNifti, ClearingKeepsHeaderAndDataTypeAndZeroesOnlyTheMask) {
  const fs::path dir = temp_dir("deface-nifti");
  Geometry g;
  g.size = {4, 3, 2};
  Volume<std::uint8_t> image(g, 7);
  write_mask(image, dir / "m.nii");  // uint8 on disk
  std::vector<char> bytes = read_nifti_bytes(dir / "m.nii");
  Mask face(g);
  face[5] = face[23] = 1;
  const std::vector<char> cleared = clear_nifti_voxels(bytes, face, "m.nii");
  ASSERT_EQ(cleared.size(), bytes.size());
  EXPECT_TRUE(std::equal(bytes.begin(), bytes.begin() + 352, cleared.begin()));
  write_anonymous_gzip(cleared, dir / "c.nii.gz");
  const Image back = read_image(dir / "c.nii.gz");
  for (std::size_t n = 0; n < back.size(); ++n) EXPECT_EQ(back[n], face[n] ? 0.f : 7.f) << n;
  Mask wrong(Geometry{{4, 3, 3}});
  EXPECT_THROW(clear_nifti_voxels(bytes, wrong, "m.nii"), Error);
  fs::remove_all(dir);
}

// The command: outputs, sidecar code, no overwrite without --force, refusals with exit codes.
class DefaceCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(data_dir() / "deface/mridefacer/head_tmpl.nii.gz"))
      GTEST_SKIP() << "mridefacer template not in the data directory";
    dir_ = temp_dir("deface-cli");
    fs::create_directories(dir_ / "in");
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  int deface(const fs::path& image, const fs::path& out, const std::string& extra = "") {
    return run_strokefair("deface " + image.string() + " -o " + out.string() + " " + extra,
                          (dir_ / "stdout.txt").string(), (dir_ / "stderr.txt").string());
  }
  std::string stderr_text() const { return file_bytes(dir_ / "stderr.txt"); }
  fs::path dir_;
};

TEST_F(DefaceCommand, WritesVerifiedImageMaskAndSidecarAndRefusesToOverwrite) {
  if (!fs::exists(kColin27)) GTEST_SKIP() << "mricron-data not installed";
  const fs::path out = dir_ / "out/colin_T1w.nii.gz";
  ASSERT_EQ(deface(kColin27, out), 0) << stderr_text();
  const auto summary = nlohmann::json::parse(file_bytes(dir_ / "stdout.txt"));
  EXPECT_EQ(summary["BrainVoxelsChanged"], 0);
  EXPECT_EQ(summary["FaceVoxelsLeft"], 0);

  const auto sidecar = nlohmann::json::parse(file_bytes(dir_ / "out/colin_T1w.json"));
  EXPECT_EQ(sidecar["DeidentificationMethodCodeSequence"][0]["CodeValue"], "113102");
  EXPECT_TRUE(sidecar["Defacing"]["Verified"].get<bool>());

  // On disk: brain voxels identical to the input, face voxels zero, data type kept.
  const Image original = read_image(kColin27);
  const Image defaced = read_image(out);
  const Mask face = read_mask(dir_ / "out/colin_T1w_label-face_mask.nii.gz");
  ASSERT_TRUE(face.geometry.same_grid(original.geometry));
  std::size_t cleared = 0, changed_outside = 0;
  for (std::size_t n = 0; n < original.size(); ++n) {
    if (face[n])
      cleared += defaced[n] == 0.f;
    else
      changed_outside += defaced[n] != original[n];
  }
  EXPECT_EQ(cleared, count_nonzero(face));
  EXPECT_EQ(changed_outside, 0u);
  EXPECT_EQ(gunzip_bytes(out).substr(70, 2), gunzip_bytes(kColin27).substr(70, 2));

  const std::string before = sha256_file(out);
  EXPECT_EQ(deface(kColin27, out), 5);
  EXPECT_EQ(sha256_file(out), before);
  EXPECT_EQ(deface(kColin27, out, "--force"), 0) << stderr_text();
}

TEST_F(DefaceCommand, NotAHeadIsRefusedWithExitCode4AndNoOutput) {
  Geometry g;
  g.size = {60, 60, 60};
  g.spacing = {3, 3, 3};
  Image blobs(g);  // two bright balls in a 180 mm box: no head shape
  for (std::size_t k = 0; k < 60; ++k)
    for (std::size_t j = 0; j < 60; ++j)
      for (std::size_t i = 0; i < 60; ++i) {
        const double a = std::hypot(std::hypot(i - 15.0, j - 30.0), k - 30.0);
        const double b = std::hypot(std::hypot(i - 45.0, j - 30.0), k - 30.0);
        blobs.at(i, j, k) = (a < 6 || b < 6) ? 100.f : 0.f;
      }
  write_image(blobs, dir_ / "in/blobs.nii.gz");
  EXPECT_EQ(deface(dir_ / "in/blobs.nii.gz", dir_ / "out/blobs.nii.gz"), 4);
  EXPECT_NE(stderr_text().find("blobs.nii.gz: defacing refused"), std::string::npos)
      << stderr_text();
  EXPECT_FALSE(fs::exists(dir_ / "out/blobs.nii.gz"));
}

TEST_F(DefaceCommand, TwoDimensionalNanAndSlabImagesAreRefusedWithExitCode3) {
  Geometry flat;
  flat.size = {100, 100, 1};
  write_image(Image(flat, 1.f), dir_ / "in/flat.nii.gz");
  EXPECT_EQ(deface(dir_ / "in/flat.nii.gz", dir_ / "out/a.nii.gz"), 3);
  EXPECT_NE(stderr_text().find("flat.nii.gz: is a 2D image"), std::string::npos) << stderr_text();

  Geometry cube;
  cube.size = {60, 60, 60};
  cube.spacing = {3, 3, 3};
  write_image(Image(cube, std::nanf("")), dir_ / "in/nan.nii.gz");
  EXPECT_EQ(deface(dir_ / "in/nan.nii.gz", dir_ / "out/b.nii.gz"), 3);
  EXPECT_NE(stderr_text().find("nan.nii.gz: has no signal"), std::string::npos) << stderr_text();

  Geometry slab = cube;
  slab.size[2] = 10;  // 30 mm
  write_image(Image(slab, 1.f), dir_ / "in/slab.nii.gz");
  EXPECT_EQ(deface(dir_ / "in/slab.nii.gz", dir_ / "out/c.nii.gz"), 3);
  EXPECT_NE(stderr_text().find("slab.nii.gz: not a whole-head 3D image"), std::string::npos)
      << stderr_text();
  EXPECT_FALSE(fs::exists(dir_ / "out"));
}

// Ingest of the GE "T1" (an object, not a head): defacing cannot be verified, so the image does
// not enter the dataset, the report says why, and what is written stays valid and clean.
TEST(DefaceIngest, UnverifiableT1IsLeftOutWithTheReasonAndTheDatasetStaysValidAndClean) {
  if (!fs::exists(data_dir() / "deface/mridefacer/head_tmpl.nii.gz"))
    GTEST_SKIP() << "mridefacer template not in the data directory";
  STROKEFAIR_REQUIRE_DATA("dicom/dcm_qa_deident/In");
  STROKEFAIR_REQUIRE_PROGRAM("dcm2niix");
  const fs::path dir = temp_dir("deface-ingest");
  const fs::path dataset = dir / "bids";
  const fs::path out = dir / "stdout.txt", log = dir / "stderr.txt";
  const std::string inputs = (shared_dicom() / "dcm_qa_deident/In").string() + " " +
                             (shared_dicom() / "dcm_qa_philips_dwi/In").string();
  ASSERT_EQ(run_strokefair("ingest " + inputs + " --bids " + dataset.string() + " --config " +
                               example("site-mapping.json"),
                           out.string(), log.string()),
            0)
      << file_bytes(log);
  EXPECT_NE(file_bytes(out).find("series_defaced\t0"), std::string::npos) << file_bytes(out);
  EXPECT_NE(file_bytes(out).find("series_left_out\t1"), std::string::npos) << file_bytes(out);
  EXPECT_NE(file_bytes(log).find("left out: defacing failed verification: registration check "
                                 "failed: head overlap"),
            std::string::npos)
      << file_bytes(log);

  std::size_t t1w = 0, dwi_sidecars = 0;
  for (const auto& e : fs::recursive_directory_iterator(dataset)) {
    const std::string name = e.path().filename().string();
    t1w += name.find("_T1w") != std::string::npos;
    if (name.size() > 9 && name.substr(name.size() - 9) == "_dwi.json") {
      ++dwi_sidecars;
      const auto sidecar = nlohmann::json::parse(file_bytes(e.path()));
      EXPECT_NE(sidecar["DeidentificationMethod"].get<std::string>().find("not removed"),
                std::string::npos);
    }
  }
  EXPECT_EQ(t1w, 0u) << "the unverified T1 must not enter the dataset";
  EXPECT_EQ(dwi_sidecars, 1u);

  EXPECT_EQ(run_strokefair("validate " + dataset.string(), out.string()), 0) << file_bytes(out);
  EXPECT_EQ(run_strokefair("audit " + dataset.string(), out.string()), 0) << file_bytes(out);
  fs::remove_all(dir);
}

TEST(DefaceIngest, HeadInDicomIsDefacedRecordedWithItsMaskAndTheDatasetStaysValidAndClean) {
  if (!fs::exists(data_dir() / "deface/mridefacer/head_tmpl.nii.gz"))
    GTEST_SKIP() << "mridefacer template not in the data directory";
  if (!fs::exists(kColin27)) GTEST_SKIP() << "mricron-data not installed";
  STROKEFAIR_REQUIRE_DATA("dicom/dcm_qa_deident/In");
  STROKEFAIR_REQUIRE_PROGRAM("dcm2niix");
  STROKEFAIR_REQUIRE_PROGRAM("dcmdump");
  const fs::path dir = temp_dir("deface-ingest-head");
  const fs::path input = colin27_dicom_series(dir / "dicom");
  const fs::path dataset = dir / "bids";
  const fs::path out = dir / "stdout.txt", log = dir / "stderr.txt";
  ASSERT_EQ(run_strokefair("ingest " + input.string() + " --bids " + dataset.string() +
                               " --config " + example("site-mapping.json"),
                           out.string(), log.string()),
            0)
      << file_bytes(log);
  EXPECT_NE(file_bytes(out).find("series_defaced\t1"), std::string::npos) << file_bytes(out);

  fs::path t1w, mask;
  for (const auto& e : fs::recursive_directory_iterator(dataset)) {
    const std::string name = e.path().filename().string();
    if (name.size() > 11 && name.substr(name.size() - 11) == "_T1w.nii.gz") t1w = e.path();
    if (name.find("_label-face_desc-T1w_mask.nii.gz") != std::string::npos) mask = e.path();
  }
  ASSERT_FALSE(t1w.empty()) << file_bytes(log);
  ASSERT_FALSE(mask.empty()) << "face mask derivative";
  EXPECT_NE(mask.string().find("derivatives/strokefair-deface/sub-"), std::string::npos);

  fs::path sidecar_path = t1w;
  sidecar_path.replace_extension().replace_extension(".json");
  const auto sidecar = nlohmann::json::parse(file_bytes(sidecar_path));
  const auto& codes = sidecar["DeidentificationMethodCodeSequence"];
  EXPECT_TRUE(std::any_of(codes.begin(), codes.end(),
                          [](const auto& c) { return c["CodeValue"] == "113102"; }));
  EXPECT_TRUE(sidecar["Defacing"]["Verified"].get<bool>());
  EXPECT_EQ(sidecar["Defacing"]["BrainVoxelsChanged"], 0);

  const Image defaced = read_image(t1w);
  const Mask face = read_mask(mask);
  ASSERT_TRUE(face.geometry.same_grid(defaced.geometry));
  std::size_t left = 0;
  for (std::size_t n = 0; n < face.size(); ++n) left += face[n] && defaced[n] != 0.f;
  EXPECT_GT(count_nonzero(face), 10000u);
  EXPECT_EQ(left, 0u);

  EXPECT_EQ(run_strokefair("validate " + dataset.string(), out.string()), 0) << file_bytes(out);
  EXPECT_EQ(run_strokefair("audit " + dataset.string(), out.string()), 0) << file_bytes(out);
  fs::remove_all(dir);
}

// A slab (40 of the GE series' 196 sagittal slices, 48 mm) cannot hold a head: ingest writes
// it as it is, says so, and its sidecar does not claim defacing.
TEST(DefaceIngest, SlabIsWrittenAsItIsAndReportedAsNotDefaced) {
  if (!fs::exists(data_dir() / "deface/mridefacer/head_tmpl.nii.gz"))
    GTEST_SKIP() << "mridefacer template not in the data directory";
  STROKEFAIR_REQUIRE_DATA("dicom/dcm_qa_deident/In");
  STROKEFAIR_REQUIRE_PROGRAM("dcm2niix");
  const fs::path dir = temp_dir("deface-ingest-slab");
  fs::create_directories(dir / "dicom");
  for (int slice = 80; slice < 120; ++slice) {
    const std::string name =
        std::string(5 - std::to_string(slice).size(), '0') + std::to_string(slice) + ".dcm";
    fs::copy_file(shared_dicom() / "dcm_qa_deident/In" / name, dir / "dicom" / name);
  }
  const fs::path dataset = dir / "bids";
  const fs::path out = dir / "stdout.txt", log = dir / "stderr.txt";
  ASSERT_EQ(run_strokefair("ingest " + (dir / "dicom").string() + " --bids " + dataset.string() +
                               " --config " + example("site-mapping.json"),
                           out.string(), log.string()),
            0)
      << file_bytes(log);
  EXPECT_NE(file_bytes(out).find("series_written\t1"), std::string::npos) << file_bytes(out);
  EXPECT_NE(file_bytes(out).find("series_not_defaced\t1"), std::string::npos) << file_bytes(out);
  EXPECT_NE(file_bytes(log).find("not defaced (written as it is): axis 1 covers 48"),
            std::string::npos)
      << file_bytes(log);
  EXPECT_FALSE(fs::exists(dataset / "derivatives"));
  for (const auto& e : fs::recursive_directory_iterator(dataset)) {
    const std::string name = e.path().filename().string();
    if (name.size() < 9 || name.substr(name.size() - 9) != "_T1w.json") continue;
    const auto sidecar = nlohmann::json::parse(file_bytes(e.path()));
    EXPECT_FALSE(sidecar.contains("Defacing"));
    EXPECT_NE(sidecar["DeidentificationMethod"].get<std::string>().find("not removed"),
              std::string::npos);
  }
  fs::remove_all(dir);
}

}  // namespace
