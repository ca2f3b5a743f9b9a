// Segmentation on real images: a real lesion shape transplanted into healthy tissue of a
// real case is found again, and a case whose infarcted hemisphere is replaced by the mirrored
// healthy one comes out (nearly) empty.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>

#include "strokefair/core/resample.hpp"
#include "strokefair/evaluate/segmentation_metrics.hpp"
#include "strokefair/io/image_io.hpp"
#include "strokefair/pipeline/analysis.hpp"
#include "test_support.hpp"

using namespace strokefair;
namespace fs = std::filesystem;

namespace {

const fs::path kCase = "cases/isles22-raw-mha";

AnalysisOptions raw_mha_options() {
  AnalysisOptions options;
  const fs::path images = test::case_dir("isles22-raw-mha") / "images";
  options.inputs.dwi = images / "dwi-brain-mri/33f8cf8d-ea3b-45ec-ac0d-6965fcd3093c.mha";
  options.inputs.adc = images / "adc-brain-mri/06de5518-fde4-4d29-90fa-4cacf066b590.mha";
  options.subject = "rawmha";
  return options;
}

// A SOOP lesion (MNI space) of 3-30 mL in the left hemisphere, mapped into the subject.
Mask left_soop_lesion_in_subject(const AnalysisResult& analysis) {
  const fs::path folder = test::data_dir() / "cohorts/soop/lesions";
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(folder)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const fs::path& file : files) {
    const Mask soop = read_mask(file);
    const double ml = volume_ml(soop);
    if (ml < 3 || ml > 30) continue;
    // Keep lesions wholly on the left (LPS x > 0) of the template.
    const Affine to_physical = soop.geometry.voxel_to_physical();
    bool left_only = true;
    for (std::size_t n = 0; n < soop.size() && left_only; ++n) {
      if (!soop[n]) continue;
      const auto& s = soop.geometry.size;
      const Vec3 p = to_physical.apply(
          {double(n % s[0]), double((n / s[0]) % s[1]), double(n / (s[0] * s[1]))});
      left_only = p[0] > 5;
    }
    if (!left_only) continue;
    Mask native = resample_mask(soop, analysis.inputs.dwi.geometry,
                                analysis.alignment.template_to_subject.inverse());
    for (std::size_t n = 0; n < native.size(); ++n) {
      // Infarcts live in parenchyma: not in CSF, not outside the brain.
      native[n] = native[n] && analysis.brain[n] && analysis.inputs.adc[n] < 1500;
    }
    if (volume_ml(native) > 0.8 * ml) return native;  // wholly inside the field of view
  }
  return Mask();
}

}  // namespace

TEST(Segmentation, TransplantedSoopLesionIsFoundAgain) {
  STROKEFAIR_REQUIRE_DATA(kCase);
  STROKEFAIR_REQUIRE_DATA("cohorts/soop/lesions");
  const DataStore store;
  AnalysisOptions options = raw_mha_options();
  const AnalysisResult original = analyse(options, store);
  const Mask planted = left_soop_lesion_in_subject(original);
  ASSERT_GT(planted.size(), 0u) << "no suitable SOOP lesion found";

  // Acute lesion contrast as measured in the shared cases: DWI about 1.8 times and ADC about
  // 0.6 times normal tissue.
  Image dwi = read_image(options.inputs.dwi);
  Image adc = read_image(options.inputs.adc);
  for (std::size_t n = 0; n < dwi.size(); ++n) {
    if (!planted[n]) continue;
    dwi[n] *= 1.8f;
    adc[n] *= 0.6f;
  }
  const fs::path dir = test::temp_dir("segmentation-transplant");
  write_image(dwi, dir / "dwi.nii.gz");
  write_image(adc, dir / "adc.nii.gz");
  options.inputs.dwi = dir / "dwi.nii.gz";
  options.inputs.adc = dir / "adc.nii.gz";
  options.inputs.adc_unit = "1e-6";
  const AnalysisResult result = analyse(options, store);

  // Only what is new: the case's own right-sided infarct is there in both runs.
  Mask found(planted.geometry);
  for (std::size_t n = 0; n < found.size(); ++n) {
    found[n] = result.segmentation.lesion[n] && !original.segmentation.lesion[n];
  }
  const SegmentationAgreement agreement = compare_masks(found, planted);
  std::cout << "transplanted lesion " << agreement.reference_ml << " mL, found "
            << agreement.predicted_ml << " mL, Dice " << agreement.dice << std::endl;
  RecordProperty("dice", std::to_string(agreement.dice));
  EXPECT_GE(agreement.dice, 0.7);
  EXPECT_EQ(result.alignment.check.passed, true);
}

TEST(Segmentation, MirroredHealthyHemisphereComesOutEmpty) {
  STROKEFAIR_REQUIRE_DATA(kCase);
  const DataStore store;
  AnalysisOptions options = raw_mha_options();
  const AnalysisResult original = analyse(options, store);
  ASSERT_GT(volume_ml(original.segmentation.lesion), 20.0);  // the right MCA infarct

  // Replace the right hemisphere (LPS x < 0 in the template) by the mirrored left one.
  const Affine mirror = mirror_in_subject(original.alignment.template_to_subject);
  Image dwi = read_image(options.inputs.dwi);
  Image adc = read_image(options.inputs.adc);
  const Image mirrored_dwi = resample_linear(dwi, dwi.geometry, mirror);
  const Image mirrored_adc = resample_linear(adc, adc.geometry, mirror);
  const Affine to_template =
      original.alignment.template_to_subject.inverse() * dwi.geometry.voxel_to_physical();
  const auto& s = dwi.geometry.size;
  for (std::size_t n = 0; n < dwi.size(); ++n) {
    const Vec3 p =
        to_template.apply({double(n % s[0]), double((n / s[0]) % s[1]), double(n / (s[0] * s[1]))});
    if (p[0] < 0) {
      dwi[n] = mirrored_dwi[n];
      adc[n] = mirrored_adc[n];
    }
  }
  const fs::path dir = test::temp_dir("segmentation-mirror");
  write_image(dwi, dir / "dwi.nii.gz");
  write_image(adc, dir / "adc.nii.gz");
  options.inputs.dwi = dir / "dwi.nii.gz";
  options.inputs.adc = dir / "adc.nii.gz";
  options.inputs.adc_unit = "1e-6";
  const AnalysisResult result = analyse(options, store);
  const double false_positive_ml = volume_ml(result.segmentation.lesion);
  std::cout << "false-positive volume after mirroring: " << false_positive_ml << " mL" << std::endl;
  RecordProperty("false_positive_ml", std::to_string(false_positive_ml));
  EXPECT_LT(false_positive_ml, 1.0);
}

TEST(Segmentation, B0ExportedAtAnotherScaleGivesTheSameInfarct) {
  // ads-subject01 has no ADC map: ADC comes from b0 and DWI. A b0 stored at half or twice
  // the DWI's scale shifts that ADC by -693 / +693 x10^-6 mm²/s; after calibration the
  // infarct must come out as with the b0 as stored.
  STROKEFAIR_REQUIRE_DATA("cases/ads-subject01");
  const DataStore store;
  AnalysisOptions options;
  options.inputs.dwi = test::case_dir("ads-subject01") / "Subject01_DWI.nii.gz";
  options.inputs.b0 = test::case_dir("ads-subject01") / "Subject01_b0.nii.gz";
  options.subject = "ads01";
  const double as_stored = volume_ml(analyse(options, store).segmentation.lesion);
  ASSERT_GT(as_stored, 100.0);  // the large left MCA infarct
  const Image b0 = read_image(options.inputs.b0);
  const fs::path dir = test::temp_dir("segmentation-b0-scale");
  for (const float scale : {0.5f, 2.0f}) {
    Image scaled = b0;
    for (float& v : scaled.voxels) v *= scale;
    const fs::path file = dir / ("b0_" + std::to_string(scale) + ".nii.gz");
    write_image(scaled, file);
    options.inputs.b0 = file;
    const double ml = volume_ml(analyse(options, store).segmentation.lesion);
    std::cout << "b0 x" << scale << ": " << ml << " mL (as stored " << as_stored << " mL)\n";
    EXPECT_NEAR(ml, as_stored, 0.05 * as_stored) << "b0 x" << scale;
  }
}
