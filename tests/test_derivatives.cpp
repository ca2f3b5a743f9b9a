// derivatives: template-space images with invertible transforms, analyze outputs of every DWI,
// manual masks in both spaces, the dataset table, and resuming after a killed run.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <thread>

#include "head_dicom_support.hpp"
#include "ingest_support.hpp"
#include "strokefair/bids/validate.hpp"
#include "strokefair/core/resample.hpp"
#include "strokefair/derivatives/derivatives.hpp"
#include "strokefair/evaluate/segmentation_metrics.hpp"
#include "strokefair/io/image_io.hpp"
#include "strokefair/registration/affine_registration.hpp"

using namespace strokefair;
using namespace strokefair::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kSchema = "bids/schema-1.11.1.json";
const char* kSpace = "MNI152NLin2009cSym";

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

json read_json(const fs::path& path) { return json::parse(file_bytes(path)); }

// Rows of a TSV as column -> value maps.
std::vector<std::map<std::string, std::string>> read_tsv(const fs::path& path) {
  std::istringstream lines(file_bytes(path));
  std::string line;
  std::getline(lines, line);
  std::vector<std::string> header;
  std::stringstream split(line);
  for (std::string cell; std::getline(split, cell, '\t');) header.push_back(cell);
  std::vector<std::map<std::string, std::string>> rows;
  while (std::getline(lines, line)) {
    std::map<std::string, std::string> row;
    std::stringstream cells(line);
    std::string cell;
    for (std::size_t c = 0; std::getline(cells, cell, '\t'); ++c) row[header.at(c)] = cell;
    EXPECT_EQ(row.size(), header.size()) << line;
    rows.push_back(row);
  }
  return rows;
}

fs::path only_file(const fs::path& folder, const std::string& ending) {
  fs::path found;
  for (const auto& e : fs::recursive_directory_iterator(folder)) {
    const std::string name = e.path().filename().string();
    if (name.size() >= ending.size() &&
        name.compare(name.size() - ending.size(), ending.size(), ending) == 0) {
      EXPECT_TRUE(found.empty()) << "two files end in " << ending;
      found = e.path();
    }
  }
  return found;
}

// The transform pair maps both ways: composing them is the identity to 1e-6 (mm and matrix).
void expect_inverse_pair(const fs::path& to_template, const fs::path& from_template) {
  const Affine forward = read_itk_transform(to_template);
  const Affine backward = read_itk_transform(from_template);
  const Affine product = forward * backward;
  for (int n = 0; n < 16; ++n)
    EXPECT_NEAR(product.m[n], Affine::identity().m[n], 1e-6) << to_template;
}

// The native brain mask mapped to the template and back with the stored transforms: the
// round trip through a 1 mm grid blurs edges only, so Dice stays above 0.9.
void expect_mask_round_trip(const fs::path& native_mask, const fs::path& to_template,
                            const fs::path& from_template, const Geometry& template_grid) {
  const Mask brain = read_mask(native_mask);
  const Mask in_template = resample_mask(brain, template_grid, read_itk_transform(to_template));
  const Mask back = resample_mask(in_template, brain.geometry, read_itk_transform(from_template));
  EXPECT_GT(compare_masks(back, brain).dice, 0.9) << native_mask;
}

int run_in_background(const std::string& arguments) {
  const std::string command =
      std::string("exec ") + STROKEFAIR_BINARY + " " + arguments + " >/dev/null 2>/dev/null";
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ) != 0)
    return -1;
  return pid;
}

}  // namespace

// A shared DICOM ingest: a GE T1 subject (Colin27 in the GE series, defaced by ingest), a
// Philips DWI subject and an EPI-only subject.
class DerivativesOfIngestedDicom : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string missing = missing_for_example_ingest(); !missing.empty()) {
      GTEST_SKIP() << missing;
    }
    dir_ = temp_dir("derivatives-dicom");
    dataset_ = dir_ / "bids";
    ASSERT_EQ(ingest_example(dir_, dataset_), 0);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  fs::path dir_, dataset_;
};

TEST_F(DerivativesOfIngestedDicom, EverySubjectGetsDerivativesThatPassBothValidators) {
  const fs::path err = dir_ / "stderr.txt";
  ASSERT_EQ(
      run_strokefair("derivatives " + dataset_.string() + " --jobs 2", "/dev/null", err.string()),
      0)
      << file_bytes(err);
  const fs::path root = dataset_ / "derivatives/strokefair";
  std::size_t subjects = 0;
  for (const auto& e : fs::directory_iterator(dataset_)) {
    const std::string name = e.path().filename().string();
    if (name.rfind("sub-", 0) != 0) continue;
    ++subjects;
    EXPECT_TRUE(fs::exists(root / name / (name + "_desc-derivatives_summary.json"))) << name;
  }
  EXPECT_EQ(subjects, 3u);

  // The T1: skull-stripped, normalised, on the template grid, transforms both ways.
  const fs::path t1 = only_file(root, "_space-MNI152NLin2009cSym_desc-norm_T1w.nii.gz");
  ASSERT_FALSE(t1.empty());
  const json t1_sidecar = read_json(fs::path(t1).replace_extension("").replace_extension(".json"));
  EXPECT_EQ(t1_sidecar["SkullStripped"], true);
  EXPECT_EQ(t1_sidecar["SpatialReference"], kSpace);
  const Geometry grid = read_geometry(t1);
  EXPECT_EQ(grid.size, (std::array<std::size_t, 3>{193, 229, 193}));
  const fs::path anat = t1.parent_path();
  const fs::path to = only_file(anat, "_from-T1w_to-MNI152NLin2009cSym_mode-image_xfm.txt");
  const fs::path from = only_file(anat, "_from-MNI152NLin2009cSym_to-T1w_mode-image_xfm.txt");
  expect_inverse_pair(to, from);
  expect_mask_round_trip(only_file(anat, "_space-T1w_desc-brain_mask.nii.gz"), to, from, grid);

  // The Philips DWI: analyze outputs plus the DWI in template space.
  const fs::path dwi = only_file(root, "_space-MNI152NLin2009cSym_desc-norm_dwi.nii.gz");
  ASSERT_FALSE(dwi.empty());
  EXPECT_FALSE(only_file(root, "_space-orig_label-L_desc-auto_mask.nii.gz").empty());
  expect_inverse_pair(only_file(root, "_from-orig_to-MNI152NLin2009cSym_mode-image_xfm.txt"),
                      only_file(root, "_from-MNI152NLin2009cSym_to-orig_mode-image_xfm.txt"));

  // One row per session; the EPI-only session has nothing to analyse.
  const auto rows = read_tsv(root / "strokefair_sessions.tsv");
  ASSERT_EQ(rows.size(), 3u);
  std::size_t analysed = 0, with_anat = 0;
  for (const auto& row : rows) {
    if (row.at("dwi") != "n/a") {
      ++analysed;
      EXPECT_EQ(row.at("qc_dwi_registration"), "passed");
      EXPECT_NE(row.at("lesion_volume_ml"), "n/a");
    }
    if (row.at("anatomical_images") != "0") {
      ++with_anat;
      EXPECT_EQ(row.at("qc_anat_registration"), "passed");
      EXPECT_GE(std::stod(row.at("anat_min_brain_dice")), 0.75);
    }
  }
  EXPECT_EQ(analysed, 1u);
  EXPECT_EQ(with_anat, 1u);
  EXPECT_TRUE(fs::exists(root / "strokefair_sessions.json"));

  // Raw and derivatives valid: our validator (derivatives included) and bids-validator.
  for (const auto& issue : validate_dataset(dataset_, data_dir() / kSchema)) {
    if (!issue.warning) ADD_FAILURE() << issue.file << ": " << issue.message;
  }
  EXPECT_EQ(run_strokefair("validate " + dataset_.string()), 0);
  // Shareable as it stands: no dates (the analysis date is not recorded in derivatives) and
  // nothing the audit takes for an identifier, the viewer pages included.
  const fs::path findings = dir_ / "audit.txt";
  EXPECT_EQ(run_strokefair("audit " + dataset_.string(), findings.string()), 0)
      << file_bytes(findings);
  const fs::path validator =
      fs::path(STROKEFAIR_BINARY).parent_path() / "bids-validator/node_modules/.bin/bids-validator";
  if (!fs::exists(validator)) {
    std::cout << "bids-validator not installed (scripts/install-bids-validator.sh): skipped\n";
    return;
  }
  const fs::path report = dir_ / "validator.json";
  shell(validator.string() + " " + dataset_.string() + " --json > " + report.string());
  const auto doc = json::parse(file_bytes(report), nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << file_bytes(report).substr(0, 500);
  for (const auto& error : doc["issues"]["errors"]) ADD_FAILURE() << error.dump();
}

// A small BIDS dataset from real cases: the ADS example DWI and b0, and the chronic T2 with
// its hand-drawn lesion as the curator's manual mask.
class DerivativesOfRealCases : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path chronic = case_dir("chronic-t2");
    if (!fs::exists(case_dir("ads-subject01") / "Subject01_b0.nii.gz") ||
        !fs::exists(chronic / "lesionT2.nii"))
      GTEST_SKIP() << "shared cases absent";
    dir_ = temp_dir("derivatives-cases");
    dataset_ = dir_ / "bids";
    write(dataset_ / "dataset_description.json",
          R"({"Name": "cases", "BIDSVersion": "1.11.1", "DatasetType": "raw"})");
    write(dataset_ / "participants.tsv", "participant_id\nsub-01\nsub-02\n");

    // The ADS example exam: its b0 and b=1000 trace as one 4D series, as a scanner exports.
    const fs::path ads = case_dir("ads-subject01");
    const fs::path dwi_folder = dataset_ / "sub-01/ses-1/dwi";
    fs::create_directories(dwi_folder);
    write_series(
        {read_image(ads / "Subject01_b0.nii.gz"), read_image(ads / "Subject01_DWI.nii.gz")},
        dwi_folder / "sub-01_ses-1_dwi.nii.gz");
    write(dwi_folder / "sub-01_ses-1_dwi.bval", "0 1000\n");
    write(dwi_folder / "sub-01_ses-1_dwi.bvec", "0 1\n0 0\n0 0\n");
    write(dwi_folder / "sub-01_ses-1_dwi.json", R"({"RepetitionTime": 5.0})");

    const fs::path anat_folder = dataset_ / "sub-02/ses-1/anat";
    fs::create_directories(anat_folder);
    write_image(read_image(chronic / "T2.nii"), anat_folder / "sub-02_ses-1_T2w.nii.gz");
    write(anat_folder / "sub-02_ses-1_T2w.json", "{}");
    manual_ = dir_ / "manual";
    fs::create_directories(manual_);
    write_mask(read_mask(chronic / "lesionT2.nii"), manual_ / "sub-02_ses-1_T2w_lesion.nii.gz");
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  fs::path dir_, dataset_, manual_;
};

TEST_F(DerivativesOfRealCases, KilledRunResumesWithoutRedoingFinishedSubjects) {
  const fs::path root = dataset_ / "derivatives/strokefair";
  const std::string args =
      "derivatives " + dataset_.string() + " --manual-masks " + manual_.string();

  // Killed (SIGKILL: no clean-up possible) as soon as the first subject is finished.
  const pid_t pid = run_in_background(args + " --jobs 1");
  ASSERT_GT(pid, 0);
  const fs::path first = root / "sub-01/sub-01_desc-derivatives_summary.json";
  int status = 0;
  bool exited = false;
  // Up to 3 minutes: the first subject takes 10-40 s on a loaded 2-core machine.
  for (int tick = 0; tick < 7200 && !fs::exists(first); ++tick) {
    if (waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  if (!exited) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  ASSERT_TRUE(fs::exists(first));
  // Whatever the moment of the kill, a subject folder is complete or absent.
  for (const std::string subject : {"sub-01", "sub-02"}) {
    if (fs::exists(root / subject))
      EXPECT_TRUE(fs::exists(root / subject / (subject + "_desc-derivatives_summary.json")));
  }
  const auto first_written = fs::last_write_time(first);

  const fs::path err = dir_ / "resume.txt";
  ASSERT_EQ(run_strokefair("-v " + args + " --jobs 2", "/dev/null", err.string()), 0)
      << file_bytes(err);
  EXPECT_NE(file_bytes(err).find("sub-01: already finished, skipped"), std::string::npos)
      << file_bytes(err);
  EXPECT_EQ(fs::last_write_time(first), first_written);
  for (const auto& e : fs::directory_iterator(root))
    EXPECT_NE(e.path().filename().string().rfind(".partial", 0), 0u) << e.path();

  // The DWI session: analyze's outputs and its figures in the table.
  const fs::path dwi = root / "sub-01/ses-1/dwi";
  const json summary = read_json(dwi / "sub-01_ses-1_summary.json");
  EXPECT_TRUE(fs::exists(dwi / "sub-01_ses-1_space-orig_label-L_desc-auto_mask.nii.gz"));
  EXPECT_TRUE(fs::exists(dwi / "sub-01_ses-1_space-MNI152NLin2009cSym_desc-norm_dwi.nii.gz"));
  EXPECT_TRUE(fs::exists(root / "sub-01_ses-1.html"));
  const auto rows = read_tsv(root / "strokefair_sessions.tsv");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].at("participant_id"), "sub-01");
  EXPECT_NEAR(std::stod(rows[0].at("lesion_volume_ml")), summary["lesion_volume_ml"].get<double>(),
              1e-9);
  EXPECT_EQ(rows[0].at("lesion_count"), std::to_string(summary["lesion_count"].get<int>()));
  EXPECT_EQ(rows[0].at("qc_dwi_registration"), "passed");

  // The T2 session: the manual mask copied exactly in native space, mapped to the template.
  const fs::path anat = root / "sub-02/ses-1/anat";
  const Mask drawn = read_mask(case_dir("chronic-t2") / "lesionT2.nii");
  const Mask native = read_mask(anat / "sub-02_ses-1_space-T2w_label-L_desc-manual_mask.nii.gz");
  EXPECT_EQ(native.voxels, drawn.voxels);
  const Mask mapped =
      read_mask(anat / "sub-02_ses-1_space-MNI152NLin2009cSym_label-L_desc-manual_mask.nii.gz");
  const Affine to_template =
      read_itk_transform(anat / "sub-02_ses-1_from-T2w_to-MNI152NLin2009cSym_mode-image_xfm.txt");
  // Template volume = native volume / det(template-to-subject); 10% covers interpolation.
  EXPECT_NEAR(volume_ml(mapped), volume_ml(drawn) / to_template.determinant3(),
              0.10 * volume_ml(drawn) / to_template.determinant3());
  EXPECT_EQ(rows[1].at("qc_anat_registration"), "passed");
  EXPECT_NEAR(std::stod(rows[1].at("manual_lesion_volume_ml")), volume_ml(drawn), 0.01);
  const json sidecar =
      read_json(anat / "sub-02_ses-1_space-MNI152NLin2009cSym_label-L_desc-manual_mask.json");
  EXPECT_EQ(sidecar["Manual"], true);

  if (fs::exists(data_dir() / kSchema)) {
    for (const auto& issue : validate_dataset(dataset_, data_dir() / kSchema)) {
      if (!issue.warning) ADD_FAILURE() << issue.file << ": " << issue.message;
    }
  }
}

TEST_F(DerivativesOfRealCases, MaskOffTheImageGridIsRefusedAndLeavesNoSubject) {
  // The T2's lesion drawn "on the DWI" of sub-01: a different grid.
  fs::copy_file(manual_ / "sub-02_ses-1_T2w_lesion.nii.gz",
                manual_ / "sub-01_ses-1_dwi_lesion.nii.gz");
  fs::remove(manual_ / "sub-02_ses-1_T2w_lesion.nii.gz");
  const fs::path err = dir_ / "stderr.txt";
  EXPECT_EQ(run_strokefair("derivatives " + dataset_.string() + " --subject 01 --manual-masks " +
                               manual_.string(),
                           "/dev/null", err.string()),
            3);
  EXPECT_NE(file_bytes(err).find("sub-01_ses-1_dwi_lesion.nii.gz: is not on the grid"),
            std::string::npos)
      << file_bytes(err);
  const fs::path root = dataset_ / "derivatives/strokefair";
  EXPECT_FALSE(fs::exists(root / "sub-01"));
  for (const auto& e : fs::directory_iterator(root)) {
    const std::string name = e.path().filename().string();
    EXPECT_TRUE(name[0] != '.' || name == ".bidsignore") << "left behind: " << name;
  }
  EXPECT_EQ(run_strokefair("derivatives " + dataset_.string() + " --subject 99"), 2);
}
