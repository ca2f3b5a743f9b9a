// Brain masks from DWI/b0 intensities and the registered template brain.
#include "strokefair/preprocess/brain_mask.hpp"

#include <algorithm>
#include <array>
#include <vector>

#include "strokefair/core/morphology.hpp"

namespace strokefair {

double otsu_threshold(const Image& image) {
  std::vector<float> positive;
  for (float v : image.voxels)
    if (v > 0) positive.push_back(v);
  if (positive.empty()) return 0;
  const std::size_t top = static_cast<std::size_t>(0.995 * (positive.size() - 1));
  std::nth_element(positive.begin(), positive.begin() + top, positive.end());
  const double high = positive[top];
  if (high <= 0) return 0;

  constexpr int bins = 256;
  std::array<double, bins> histogram{};
  for (float v : positive) histogram[std::min(bins - 1, static_cast<int>(v / high * bins))] += 1;
  double total = 0, total_mean = 0;
  for (int b = 0; b < bins; ++b) {
    total += histogram[b];
    total_mean += b * histogram[b];
  }
  double weight_low = 0, mean_low = 0, best = -1;
  int best_bin = 0;
  for (int b = 0; b < bins; ++b) {
    weight_low += histogram[b];
    mean_low += b * histogram[b];
    const double weight_high = total - weight_low;
    if (weight_low == 0 || weight_high == 0) continue;
    const double m0 = mean_low / weight_low, m1 = (total_mean - mean_low) / weight_high;
    const double between = weight_low * weight_high * (m0 - m1) * (m0 - m1);
    if (between > best) {
      best = between;
      best_bin = b;
    }
  }
  return (best_bin + 1) * high / bins;
}

Mask rough_brain_mask(const Image& image) {
  // Half of Otsu's threshold keeps grey matter and oedema, whose DWI/b0 signal can sit
  // below the mean of bright tissue, while air and noise stay out.
  const double threshold = 0.5 * otsu_threshold(image);
  Mask tissue(image.geometry);
  for (std::size_t n = 0; n < image.size(); ++n) tissue[n] = image[n] > threshold ? 1 : 0;
  // A 4 mm opening breaks the thin bridges between brain and scalp or orbits.
  Mask brain = largest_component(open(tissue, 4.0));
  return fill_holes(brain);
}

Mask refine_brain_mask(const Mask& rough, const Mask& template_brain_native, double margin_mm) {
  const Mask allowed = dilate(template_brain_native, margin_mm);
  Mask out(rough.geometry);
  for (std::size_t n = 0; n < out.size(); ++n) out[n] = rough[n] && allowed[n] ? 1 : 0;
  return fill_holes(largest_component(out));
}

}  // namespace strokefair
