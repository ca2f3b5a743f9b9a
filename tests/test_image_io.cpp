// Image I/O: round trips keep voxels and geometry, gzip headers carry nothing identifying,
// and unreadable files fail with a message naming the file.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <fstream>

#include "strokefair/core/error.hpp"
#include "strokefair/io/image_io.hpp"
#include "test_support.hpp"

using namespace strokefair;
namespace fs = std::filesystem;

namespace {

Image oblique_phantom() {
  Geometry g;
  g.size = {12, 10, 7};
  g.spacing = {0.9, 1.1, 5.0};
  g.origin = {-50.5, 20.25, -30.0};
  // A rotation of about 20 degrees around z, then a flip of the third axis.
  const double c = std::cos(0.35), s = std::sin(0.35);
  g.direction = {c, -s, 0, s, c, 0, 0, 0, -1};
  Image image(g);
  for (std::size_t n = 0; n < image.size(); ++n) image[n] = static_cast<float>(n % 97) - 3.5f;
  return image;
}

void expect_same_geometry(const Geometry& a, const Geometry& b) {
  EXPECT_EQ(a.size, b.size);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(a.spacing[i], b.spacing[i], 1e-5);
    EXPECT_NEAR(a.origin[i], b.origin[i], 1e-4);
  }
  for (int i = 0; i < 9; ++i) EXPECT_NEAR(a.direction[i], b.direction[i], 1e-5);
}

}  // namespace

class RoundTrip : public ::testing::TestWithParam<std::string> {};

TEST_P(RoundTrip, VoxelsAndObliqueGeometrySurvive) {
  const fs::path dir = test::temp_dir("io-roundtrip");
  const fs::path path = dir / ("phantom" + GetParam());
  const Image original = oblique_phantom();
  write_image(original, path);
  const Image read = read_image(path);
  expect_same_geometry(original.geometry, read.geometry);
  ASSERT_EQ(read.size(), original.size());
  for (std::size_t n = 0; n < read.size(); ++n) ASSERT_FLOAT_EQ(read[n], original[n]);
}

INSTANTIATE_TEST_SUITE_P(Formats, RoundTrip, ::testing::Values(".nii.gz", ".nii", ".mha"));

TEST(ImageIo, MaskRoundTripKeepsBinaryValues) {
  const fs::path path = test::temp_dir("io-mask") / "mask.nii.gz";
  Mask mask(oblique_phantom().geometry);
  for (std::size_t n = 0; n < mask.size(); n += 3) mask[n] = 1;
  write_mask(mask, path);
  const Mask read = read_mask(path);
  EXPECT_EQ(read.voxels, mask.voxels);
}

TEST(ImageIo, GzipHeaderHasNoFileNameAndZeroTime) {
  const fs::path path = test::temp_dir("io-gzip") / "sub-01_dwi.nii.gz";
  write_image(oblique_phantom(), path);
  std::ifstream in(path, std::ios::binary);
  unsigned char header[10];
  in.read(reinterpret_cast<char*>(header), 10);
  ASSERT_EQ(header[0], 0x1f);
  ASSERT_EQ(header[1], 0x8b);
  EXPECT_EQ(header[3] & 0x08, 0) << "FNAME flag set";
  EXPECT_EQ(header[3] & 0x10, 0) << "FCOMMENT flag set";
  EXPECT_EQ(header[4] | header[5] | header[6] | header[7], 0) << "non-zero MTIME";
}

TEST(ImageIo, FourDSeriesRoundTrip) {
  const fs::path path = test::temp_dir("io-4d") / "series.nii.gz";
  const Image first = oblique_phantom();
  Image second = first;
  for (float& v : second.voxels) v *= 2;
  write_series({first, second}, path);
  EXPECT_EQ(read_image_info(path).dimensions, 4);
  const auto series = read_series(path);
  ASSERT_EQ(series.size(), 2u);
  EXPECT_FLOAT_EQ(series[1][5], 2 * first[5]);
  EXPECT_THROW(read_image(path), Error);  // a 3D reader refuses a 4D file
}

TEST(ImageIo, RealCasesReadWithExpectedGrids) {
  STROKEFAIR_REQUIRE_DATA("cases/isles22-raw-mha");
  const Image mha = read_image(test::case_dir("isles22-raw-mha") / "images/dwi-brain-mri" /
                               "33f8cf8d-ea3b-45ec-ac0d-6965fcd3093c.mha");
  EXPECT_EQ(mha.geometry.size, (std::array<std::size_t, 3>{128, 128, 25}));
  EXPECT_NEAR(mha.geometry.spacing[2], 4.8, 0.05);
  const Image dwi = read_image(test::case_dir("ads-subject01") / "Subject01_DWI.nii.gz");
  EXPECT_EQ(dwi.geometry.size, (std::array<std::size_t, 3>{256, 256, 30}));
  // NIfTI stores RAS; ITK's LPS origin is the RAS origin with x and y negated.
  EXPECT_NEAR(dwi.geometry.origin[0], 119.531, 0.01);
  EXPECT_NEAR(dwi.geometry.origin[1], 119.531, 0.01);
  EXPECT_NEAR(dwi.geometry.origin[2], -72.5, 0.01);
}

namespace {

std::string error_of(const fs::path& path) {
  try {
    read_image(path);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ImageIo, BadFilesGiveOneClearErrorNamingTheFile) {
  const fs::path dir = test::temp_dir("io-bad");
  const fs::path missing = dir / "missing.nii.gz";
  EXPECT_NE(error_of(missing).find("missing.nii.gz: file does not exist"), std::string::npos);

  const fs::path full = dir / "full.nii.gz";
  write_image(oblique_phantom(), full);
  std::ifstream in(full, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const fs::path truncated = dir / "truncated.nii.gz";
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 3);
  EXPECT_NE(error_of(truncated).find("truncated.nii.gz"), std::string::npos);

  const fs::path garbage = dir / "garbage.nii";
  std::ofstream(garbage, std::ios::binary) << std::string(1000, 'x');
  EXPECT_NE(error_of(garbage).find("garbage.nii"), std::string::npos);

  const fs::path text = dir / "notes.txt";
  std::ofstream(text) << "hello";
  EXPECT_NE(error_of(text).find("not a NIfTI"), std::string::npos);
}
