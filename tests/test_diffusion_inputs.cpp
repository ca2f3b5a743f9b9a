// Diffusion inputs: ADC unit detection on real scanner maps, ADC computation, b-values,
// grid matching and refusal of unusable images.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>

#include "strokefair/core/error.hpp"
#include "strokefair/core/resample.hpp"
#include "strokefair/io/image_io.hpp"
#include "strokefair/preprocess/diffusion_inputs.hpp"
#include "strokefair/preprocess/normalise.hpp"
#include "test_support.hpp"

using namespace strokefair;
namespace fs = std::filesystem;

namespace {

fs::path isles(const std::string& what) {
  return test::case_dir("isles22-strokecase0001") /
         ("sub-strokecase0001_ses-0001_" + what + ".nii.gz");
}
fs::path raw_mha(const std::string& folder, const std::string& name) {
  return test::case_dir("isles22-raw-mha") / "images" / folder / name;
}
const char* kMhaDwi = "33f8cf8d-ea3b-45ec-ac0d-6965fcd3093c.mha";
const char* kMhaAdc = "06de5518-fde4-4d29-90fa-4cacf066b590.mha";

}  // namespace

TEST(AdcUnit, DetectedOnEveryRealScannerMap) {
  STROKEFAIR_REQUIRE_DATA("cases/ads-subject02");
  // The data README documents each map's unit.
  EXPECT_EQ(detect_adc_unit(read_image(isles("adc")), read_image(isles("dwi")), "isles"),
            AdcUnit::milli_mm2_per_s);
  EXPECT_EQ(detect_adc_unit(read_image(raw_mha("adc-brain-mri", kMhaAdc)),
                            read_image(raw_mha("dwi-brain-mri", kMhaDwi)), "mha"),
            AdcUnit::micro_mm2_per_s);
  const fs::path ads = test::case_dir("ads-subject02");
  EXPECT_EQ(detect_adc_unit(read_image(ads / "Subject02_ADC.nii.gz"),
                            read_image(ads / "Subject02_DWI.nii.gz"), "ads"),
            AdcUnit::mm2_per_s);
}

TEST(AdcUnit, RescaledMapsAreDetectedInTheirNewUnit) {
  STROKEFAIR_REQUIRE_DATA("cases/isles22-strokecase0001");
  const Image dwi = read_image(isles("dwi"));
  Image adc = read_image(isles("adc"));  // 10^-3 mm²/s
  for (float& v : adc.voxels) v *= 1000;
  EXPECT_EQ(detect_adc_unit(adc, dwi, "x"), AdcUnit::micro_mm2_per_s);
  for (float& v : adc.voxels) v *= 1e-6f;
  EXPECT_EQ(detect_adc_unit(adc, dwi, "x"), AdcUnit::mm2_per_s);
  for (float& v : adc.voxels) v *= 30;  // tissue median ~0.02: no unit fits
  try {
    detect_adc_unit(adc, dwi, "odd_adc.nii.gz");
    FAIL() << "an ADC between units must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(std::string(e.what()).find("odd_adc.nii.gz: cannot determine the ADC unit"),
              std::string::npos);
  }
}

TEST(ComputeAdc, RecoversKnownDiffusivities) {
  Geometry g;
  g.size = {4, 1, 1};
  Image b0(g, 1000.f), dwi(g);
  const double truth[] = {300, 800, 1500, 3000};  // x10^-6 mm²/s
  for (int n = 0; n < 4; ++n) dwi[n] = static_cast<float>(1000 * std::exp(-1000 * truth[n] * 1e-6));
  const Image adc = compute_adc(b0, dwi, 1000);
  for (int n = 0; n < 4; ++n) EXPECT_NEAR(adc[n], truth[n], 0.5) << n;
  const Image at_b800 = compute_adc(b0, dwi, 800);  // wrong b inflates ADC by 1000/800
  EXPECT_NEAR(at_b800[1], 1000, 0.5);
}

TEST(ComputeAdc, DwiAtOrAboveB0IsFullyRestrictedNotMissing) {
  // Noise in a strongly restricted voxel can put DWI at or above b0: that is the floor of the
  // ADC range (1), which the segmentation reads as tissue; 0 stays for voxels without signal.
  Geometry g;
  g.size = {3, 1, 1};
  Image b0(g, 1000.f), dwi(g, 1000.f);
  dwi[1] = 1100.f;
  b0[2] = 0.f;
  const Image adc = compute_adc(b0, dwi, 1000);
  EXPECT_EQ(adc[0], 1.f);
  EXPECT_EQ(adc[1], 1.f);
  EXPECT_EQ(adc[2], 0.f);
}

// A brain of normal tissue (ADC 800), an infarct (400) and CSF (3000), as b0 and DWI.
struct ScaledExam {
  Image b0, dwi;
  Mask brain;
  std::size_t lesion_end, csf_begin;  // voxel index ranges of infarct [0, end), CSF [begin, n)
};

ScaledExam scaled_exam(float b0_scale) {
  Geometry g;
  g.size = {20, 20, 20};
  ScaledExam e{Image(g), Image(g), Mask(g, 1), g.voxel_count() / 10, g.voxel_count() * 95 / 100};
  std::mt19937 random(3);
  std::normal_distribution<double> noise(0, 15);
  for (std::size_t n = 0; n < g.voxel_count(); ++n) {
    const double adc = (n < e.lesion_end ? 400 : n >= e.csf_begin ? 3000 : 800) + noise(random);
    e.b0[n] = 1000.f * b0_scale;
    e.dwi[n] = static_cast<float>(1000 * std::exp(-1000 * adc * 1e-6));
  }
  return e;
}

TEST(CalibrateComputedAdc, RemovesTheOffsetOfDifferentlyScaledB0AndDwi) {
  // b0 exported at half or twice the DWI's scale adds -693 or +693 x10^-6 mm²/s. At half,
  // the infarct's computed ADC falls below zero, to the floor, where it must stay (it is
  // restricted); at twice, normal tissue (1493) lies above the parenchyma window of 1500.
  for (const float scale : {0.5f, 1.0f, 2.0f}) {
    ScaledExam e = scaled_exam(scale);
    Image adc = compute_adc(e.b0, e.dwi, 1000);
    std::vector<std::string> warnings;
    calibrate_computed_adc(adc, e.brain, warnings);
    EXPECT_EQ(warnings.size(), scale == 1.0f ? 0u : 1u) << scale;
    Mask normal(e.brain.geometry);
    for (std::size_t n = e.lesion_end; n < e.csf_begin; ++n) normal[n] = 1;
    EXPECT_NEAR(histogram_mode(adc, normal), 800, 25) << scale;
    for (std::size_t n = 0; n < e.lesion_end; ++n) ASSERT_LE(adc[n], 500) << scale;
  }
}

TEST(CalibrateComputedAdc, DwiAsBrightAsB0IsRefused) {
  ScaledExam e = scaled_exam(1.0f);
  Image adc = compute_adc(e.b0, e.b0, 1000);  // the b0 given twice
  std::vector<std::string> warnings;
  try {
    calibrate_computed_adc(adc, e.brain, warnings);
    FAIL() << "a DWI equal to its b0 must be refused";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ExitCode::bad_input);
    EXPECT_NE(std::string(error.what()).find("swapped, or the same image"), std::string::npos);
  }
}

TEST(DiffusionInputs, FourDSeriesGivesTraceB0AndAdc) {
  // Philips-style series: b0 stored with b = 0.002, three directions at b = 1000.
  const fs::path dir = test::temp_dir("inputs-4d");
  Geometry g;
  g.size = {8, 8, 4};
  g.spacing = {2, 2, 2};
  const double adc_truth = 700e-6;
  std::vector<Image> series{Image(g, 1200.f)};
  for (const double scale : {0.9, 1.0, 1.1}) {
    series.emplace_back(g, static_cast<float>(1200 * std::exp(-1000 * adc_truth * scale)));
  }
  write_series(series, dir / "dwi.nii.gz");
  std::ofstream(dir / "dwi.bval") << "0.002 1000 1000 1000\n";

  DiffusionInputOptions options;
  options.dwi = dir / "dwi.nii.gz";
  const DiffusionInputs in = load_diffusion_inputs(options);  // finds dwi.bval beside it
  ASSERT_TRUE(in.b0.has_value());
  EXPECT_FLOAT_EQ((*in.b0)[0], 1200.f);
  EXPECT_TRUE(in.adc_computed);
  EXPECT_NEAR(in.adc[10], 700.0, 1.0);  // geometric mean of the directions: mean ADC
  EXPECT_DOUBLE_EQ(*in.b_value, 1000.0);

  fs::remove(dir / "dwi.bval");
  try {
    load_diffusion_inputs(options);
    FAIL() << "a 4D DWI without b-values must be refused";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(std::string(e.what()).find("without b-values"), std::string::npos);
  }
}

TEST(DiffusionInputs, BValueComesFromNumberSidecarOrDefault) {
  const fs::path dir = test::temp_dir("inputs-bval");
  Geometry g;
  g.size = {6, 6, 6};
  write_image(Image(g, 1000.f), dir / "b0.nii.gz");
  write_image(Image(g, static_cast<float>(1000 * std::exp(-0.8))), dir / "dwi.nii.gz");
  DiffusionInputOptions options;
  options.dwi = dir / "dwi.nii.gz";
  options.b0 = dir / "b0.nii.gz";

  DiffusionInputs in = load_diffusion_inputs(options);
  EXPECT_EQ(in.b_value_source, "default");
  EXPECT_EQ(in.warnings.size(), 1u);
  EXPECT_NEAR(in.adc[0], 800, 0.5);

  std::ofstream(dir / "dwi.json") << R"({"DiffusionBValue": 800})";
  in = load_diffusion_inputs(options);
  EXPECT_NEAR(in.adc[0], 1000, 0.5);

  options.bval = "2000";
  in = load_diffusion_inputs(options);
  EXPECT_NEAR(in.adc[0], 400, 0.5);
}

TEST(DiffusionInputs, AdcOnAnotherGridOfTheSameSpaceIsResampled) {
  STROKEFAIR_REQUIRE_DATA("cases/isles22-strokecase0001");
  const fs::path dir = test::temp_dir("inputs-grids");
  const Image adc = read_image(isles("adc"));
  Geometry half = adc.geometry;  // same box, voxels twice as large
  for (int a = 0; a < 3; ++a) {
    half.size[a] /= 2;
    half.spacing[a] = adc.geometry.spacing[a] * adc.geometry.size[a] / half.size[a];
  }
  Vec3 shift;
  for (int a = 0; a < 3; ++a) shift[a] = (half.spacing[a] / adc.geometry.spacing[a] - 1) / 2;
  half.origin = adc.geometry.voxel_to_physical().apply(shift);
  write_image(resample_linear(adc, half), dir / "adc_coarse.nii.gz");

  DiffusionInputOptions options;
  options.dwi = isles("dwi");
  options.adc = dir / "adc_coarse.nii.gz";
  const DiffusionInputs in = load_diffusion_inputs(options);
  EXPECT_TRUE(in.adc.geometry.same_grid(in.dwi.geometry));
  const bool warned = std::any_of(in.warnings.begin(), in.warnings.end(), [](const auto& w) {
    return w.find("adc_coarse.nii.gz: not on the DWI's voxel grid") != std::string::npos;
  });
  EXPECT_TRUE(warned) << "resampling blurs small lesions: the user must be told";

  Image moved = adc;
  moved.geometry.origin[2] += 60;  // 6 cm away: another physical space
  write_image(moved, dir / "adc_moved.nii.gz");
  options.adc = dir / "adc_moved.nii.gz";
  try {
    load_diffusion_inputs(options);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(std::string(e.what()).find("different physical space"), std::string::npos);
  }
}

TEST(DiffusionInputs, EmptyAndNanImagesAreRefused) {
  const fs::path dir = test::temp_dir("inputs-empty");
  Geometry g;
  g.size = {6, 6, 6};
  write_image(Image(g, 0.f), dir / "zero.nii.gz");
  write_image(Image(g, std::nanf("")), dir / "nan.nii.gz");
  DiffusionInputOptions options;
  for (const char* name : {"zero.nii.gz", "nan.nii.gz"}) {
    options.dwi = dir / name;
    try {
      load_diffusion_inputs(options);
      FAIL() << name;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::bad_input);
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos);
    }
  }
}

TEST(SubjectLabel, FromBidsNameElseFirstWordOfTheFileName) {
  EXPECT_EQ(subject_label_from_path("/x/sub-strokecase0001_ses-0001_dwi.nii.gz"), "strokecase0001");
  EXPECT_EQ(subject_label_from_path("/x/Subject01_DWI.nii.gz"), "Subject01");
  // The first word ends at the first character that is not a letter or digit.
  EXPECT_EQ(subject_label_from_path("/x/33f8cf8d-ea3b-45ec.mha"), "33f8cf8d");
  EXPECT_EQ(subject_label_from_path("/x/patient dwi scan.nii.gz"), "patient");
}

TEST(SessionLabel, FromBidsNameOnly) {
  EXPECT_EQ(session_label_from_path("/x/sub-strokecase0001_ses-0001_dwi.nii.gz"), "0001");
  EXPECT_EQ(session_label_from_path("/x/sub-01_dwi.nii.gz"), "");
  EXPECT_EQ(session_label_from_path("/x/Subject01_ses_DWI.nii.gz"), "");
}
