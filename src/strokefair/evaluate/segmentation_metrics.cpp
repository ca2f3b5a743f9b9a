// ISLES'22 metrics: Dice, volume difference, lesion-count difference, lesion-wise F1.
#include "strokefair/evaluate/segmentation_metrics.hpp"

#include <cmath>
#include <set>

#include "strokefair/core/error.hpp"
#include "strokefair/core/morphology.hpp"

namespace strokefair {

SegmentationAgreement compare_masks(const Mask& predicted, const Mask& reference) {
  if (!predicted.geometry.same_grid(reference.geometry, 0.01)) {
    throw Error("predicted and reference masks are on different grids", ExitCode::bad_input);
  }
  SegmentationAgreement a;
  std::size_t both = 0, p = 0, r = 0;
  for (std::size_t n = 0; n < predicted.size(); ++n) {
    p += predicted[n] != 0;
    r += reference[n] != 0;
    both += predicted[n] && reference[n];
  }
  const double voxel_ml = predicted.geometry.voxel_volume_mm3() / 1000.0;
  a.dice = (p + r) == 0 ? 1.0 : 2.0 * both / double(p + r);
  a.predicted_ml = p * voxel_ml;
  a.reference_ml = r * voxel_ml;
  a.volume_difference_ml = std::abs(a.predicted_ml - a.reference_ml);

  const Components pc = connected_components(predicted);
  const Components rc = connected_components(reference);
  a.predicted_lesions = pc.sizes.size();
  a.reference_lesions = rc.sizes.size();
  a.lesion_count_difference =
      std::labs(static_cast<long>(a.predicted_lesions) - static_cast<long>(a.reference_lesions));

  std::set<std::int32_t> hit_reference, hit_predicted;
  for (std::size_t n = 0; n < predicted.size(); ++n) {
    if (pc.labels[n] && rc.labels[n]) {
      hit_reference.insert(rc.labels[n]);
      hit_predicted.insert(pc.labels[n]);
    }
  }
  a.true_positives = hit_reference.size();
  a.false_negatives = a.reference_lesions - a.true_positives;
  a.false_positives = a.predicted_lesions - hit_predicted.size();
  const double denominator = a.true_positives + (a.false_positives + a.false_negatives) / 2.0;
  a.lesion_f1 = denominator == 0 ? 1.0 : a.true_positives / denominator;
  return a;
}

}  // namespace strokefair
