// Segmentation accuracy on real lesion shapes: SOOP lesion masks (MNI space) are transplanted
// into the healthy tissue of each shared case, with DWI and ADC changes drawn from the range
// of acute infarcts, and `analyse` must find them again. Prints a Markdown table per case and
// by lesion-size stratum. Shapes are chosen by a fixed stride through the sorted SOOP files
// (held out: no shape is used by the tests or was looked at while choosing thresholds).
//
//   build/strokefair_transplant_eval [SHAPES_PER_CASE] > bench/transplant_results.md
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <random>

#include "strokefair/core/resample.hpp"
#include "strokefair/evaluate/segmentation_metrics.hpp"
#include "strokefair/io/image_io.hpp"
#include "strokefair/pipeline/analysis.hpp"

using namespace strokefair;
namespace fs = std::filesystem;

namespace {

struct Case {
  std::string name;
  DiffusionInputOptions inputs;
};

std::vector<Case> shared_cases(const fs::path& data) {
  const fs::path c = data / "cases";
  std::vector<Case> cases(4);
  cases[0].name = "isles22-strokecase0001";
  cases[0].inputs.dwi = c / cases[0].name / "sub-strokecase0001_ses-0001_dwi.nii.gz";
  cases[0].inputs.adc = c / cases[0].name / "sub-strokecase0001_ses-0001_adc.nii.gz";
  cases[1].name = "isles22-raw-mha";
  cases[1].inputs.dwi =
      c / cases[1].name / "images/dwi-brain-mri/33f8cf8d-ea3b-45ec-ac0d-6965fcd3093c.mha";
  cases[1].inputs.adc =
      c / cases[1].name / "images/adc-brain-mri/06de5518-fde4-4d29-90fa-4cacf066b590.mha";
  cases[2].name = "ads-subject01";
  cases[2].inputs.dwi = c / cases[2].name / "Subject01_DWI.nii.gz";
  cases[2].inputs.b0 = c / cases[2].name / "Subject01_b0.nii.gz";
  cases[3].name = "ads-subject02";
  cases[3].inputs.dwi = c / cases[3].name / "Subject02_DWI.nii.gz";
  cases[3].inputs.adc = c / cases[3].name / "Subject02_ADC.nii.gz";
  return cases;
}

// The part of a SOOP lesion that lands in parenchyma of the subject, away from its own lesion.
Mask place(const Mask& soop, const AnalysisResult& a) {
  Mask native =
      resample_mask(soop, a.inputs.dwi.geometry, a.alignment.template_to_subject.inverse());
  const Mask near_lesion = a.segmentation.lesion;
  for (std::size_t n = 0; n < native.size(); ++n) {
    native[n] =
        native[n] && a.brain[n] && a.inputs.adc[n] > 0 && a.inputs.adc[n] < 1500 && !near_lesion[n];
  }
  return native;
}

std::string stratum(double ml) { return ml < 1 ? "< 1 mL" : ml <= 10 ? "1-10 mL" : "> 10 mL"; }

double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

}  // namespace

int main(int argc, char** argv) {
  const int per_case = argc > 1 ? std::stoi(argv[1]) : 6;
  const DataStore store;
  std::vector<fs::path> shapes;
  for (const auto& e : fs::directory_iterator(store.root() / "cohorts/soop/lesions")) {
    shapes.push_back(e.path());
  }
  std::sort(shapes.begin(), shapes.end());
  std::mt19937 random(20261203);
  std::uniform_real_distribution<double> dwi_gain(1.5, 2.2), adc_gain(0.5, 0.7);

  std::cout << "| case | SOOP shape | planted mL | found mL | Dice | lesion F1 | DWI x | ADC x |\n"
               "|---|---|---|---|---|---|---|---|\n";
  std::map<std::string, std::vector<double>> dice_by, f1_by, vol_by;
  std::size_t next_shape = 7;  // stride 37 from 7: held out from everything else
  for (const Case& c : shared_cases(store.root())) {
    AnalysisOptions options;
    options.inputs = c.inputs;
    options.subject = "eval";
    const AnalysisResult original = analyse(options, store);
    const Image dwi0 = read_image(c.inputs.dwi);
    const Image adc0 = c.inputs.adc.empty() ? Image() : read_image(c.inputs.adc);
    const Image b00 = c.inputs.b0.empty() ? Image() : read_image(c.inputs.b0);
    int done = 0;
    while (done < per_case && next_shape < shapes.size()) {
      const fs::path shape = shapes[next_shape];
      next_shape += 37;
      const Mask planted = place(read_mask(shape), original);
      if (volume_ml(planted) < 0.05) continue;  // outside this DWI's field of view
      const double gd = dwi_gain(random), ga = adc_gain(random);
      Image dwi = dwi0, adc = adc0;
      for (std::size_t n = 0; n < dwi.size(); ++n) {
        if (!planted[n]) continue;
        dwi[n] *= static_cast<float>(gd);
        // Without an ADC map, the brighter DWI itself lowers the computed ADC by ln(gain)/b
        // (about 400-790 x10^-6 mm²/s at b = 1000); only given ADC maps are scaled.
        if (!adc.voxels.empty()) adc[n] *= static_cast<float>(ga);
      }
      const fs::path dir = fs::temp_directory_path() / "strokefair-transplant";
      fs::create_directories(dir);
      write_image(dwi, dir / "dwi.nii.gz");
      AnalysisOptions modified = options;
      modified.inputs.dwi = dir / "dwi.nii.gz";
      if (!adc.voxels.empty()) {
        write_image(adc, dir / "adc.nii.gz");
        modified.inputs.adc = dir / "adc.nii.gz";
        modified.inputs.adc_unit = original.inputs.adc_unit == "1e-3 mm2/s" ? "1e-3"
                                   : original.inputs.adc_unit == "mm2/s"    ? "mm2/s"
                                                                            : "1e-6";
      }
      const AnalysisResult result = analyse(modified, store);
      Mask found(planted.geometry);
      for (std::size_t n = 0; n < found.size(); ++n) {
        found[n] = result.segmentation.lesion[n] && !original.segmentation.lesion[n];
      }
      const SegmentationAgreement a = compare_masks(found, planted);
      std::cout << std::fixed << std::setprecision(2) << "| " << c.name << " | "
                << shape.filename().string() << " | " << a.reference_ml << " | " << a.predicted_ml
                << " | " << a.dice << " | " << a.lesion_f1 << " | " << gd << " | "
                << (adc.voxels.empty() ? 0.0 : ga) << " |\n";
      for (const std::string& key : {stratum(a.reference_ml), std::string("all")}) {
        dice_by[key].push_back(a.dice);
        f1_by[key].push_back(a.lesion_f1);
        vol_by[key].push_back(a.volume_difference_ml);
      }
      ++done;
    }
  }
  std::cout << "\n| stratum | n | median Dice | median lesion F1 | median volume difference mL |\n"
               "|---|---|---|---|---|\n";
  for (const std::string key : {"< 1 mL", "1-10 mL", "> 10 mL", "all"}) {
    std::cout << "| " << key << " | " << dice_by[key].size() << " | " << median(dice_by[key])
              << " | " << median(f1_by[key]) << " | " << median(vol_by[key]) << " |\n";
  }
  return 0;
}
