// Histogram-mode normalisation.
#include "strokefair/preprocess/normalise.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "strokefair/core/error.hpp"

namespace strokefair {

double histogram_mode(const Image& image, const Mask& region) {
  std::vector<float> values;
  for (std::size_t n = 0; n < image.size(); ++n) {
    if (region[n] && image[n] > 0) values.push_back(image[n]);
  }
  if (values.size() < 100)
    throw Error("too few brain voxels to measure normal tissue", ExitCode::processing);
  std::sort(values.begin(), values.end());
  const double low = values[values.size() / 100], high = values[values.size() * 99 / 100];
  if (high <= low) return low;
  constexpr int bins = 256;
  std::array<double, bins> histogram{};
  for (float v : values) {
    if (v < low || v > high) continue;
    histogram[std::min(bins - 1, static_cast<int>((v - low) / (high - low) * bins))] += 1;
  }
  // A 9-bin moving average keeps the mode of a noisy histogram on the tissue peak.
  int best = 0;
  double best_count = -1;
  for (int b = 0; b < bins; ++b) {
    double sum = 0;
    for (int d = -4; d <= 4; ++d) sum += histogram[std::clamp(b + d, 0, bins - 1)];
    if (sum > best_count) {
      best_count = sum;
      best = b;
    }
  }
  return low + (best + 0.5) * (high - low) / bins;
}

NormalTissue measure_normal_tissue(const Image& dwi, const Image& adc, const Mask& brain) {
  Mask parenchyma(brain.geometry);
  // CSF (ADC above ~1500 x10^-6 mm²/s) and voxels with no ADC are not parenchyma.
  for (std::size_t n = 0; n < brain.size(); ++n) {
    parenchyma[n] = brain[n] && adc[n] > 200 && adc[n] < 1500 ? 1 : 0;
  }
  NormalTissue normal;
  normal.dwi_mode = histogram_mode(dwi, parenchyma);
  normal.adc_mode = histogram_mode(adc, parenchyma);
  return normal;
}

void calibrate_computed_adc(Image& adc, const Mask& brain, std::vector<std::string>& warnings) {
  constexpr float floor = 1.f, cap = 5000.f;  // compute_adc's range
  Mask measurable(brain.geometry);
  std::size_t with_signal = 0, at_floor = 0;
  for (std::size_t n = 0; n < brain.size(); ++n) {
    if (!brain[n] || adc[n] <= 0) continue;
    ++with_signal;
    at_floor += adc[n] <= floor;
    measurable[n] = adc[n] > floor && adc[n] < cap;
  }
  if (with_signal == 0 || at_floor * 2 > with_signal) {
    throw Error("is as bright as the b0 in " +
                    std::to_string(with_signal ? 100 * at_floor / with_signal : 100) +
                    "% of the brain, so no ADC can be computed: are the DWI and the b0 "
                    "swapped, or the same image?",
                ExitCode::bad_input);
  }
  // The whole range makes coarse histogram bins (about 16 x10^-6 mm²/s); a second pass
  // within half the first mode either side finds the peak as finely as for a scanner map.
  const double coarse_mode = histogram_mode(adc, measurable);
  for (std::size_t n = 0; n < adc.size(); ++n) {
    measurable[n] = measurable[n] && std::abs(adc[n] - coarse_mode) < 0.5 * coarse_mode;
  }
  const double adc_mode = histogram_mode(adc, measurable);
  if (adc_mode >= 650 && adc_mode <= 950) return;  // already in the adult range
  const double offset = adc_mode - kNormalParenchymaAdc;
  for (std::size_t n = 0; n < adc.size(); ++n) {
    if (brain[n] && adc[n] > floor) {
      adc[n] = static_cast<float>(std::max<double>(floor, adc[n] - offset));
    }
  }
  warnings.push_back("computed ADC of normal tissue was " + std::to_string(int(adc_mode)) +
                     " x10^-6 mm2/s (b0 and DWI scaled differently?); shifted to " +
                     std::to_string(int(kNormalParenchymaAdc)));
}

Image normalise(const Image& image, double reference) {
  Image out(image.geometry);
  if (reference <= 0)
    throw Error("normal-tissue reference intensity is not positive", ExitCode::processing);
  for (std::size_t n = 0; n < out.size(); ++n) out[n] = static_cast<float>(image[n] / reference);
  return out;
}

}  // namespace strokefair
