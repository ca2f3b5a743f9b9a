// Agreement of a predicted lesion mask with a reference mask, by the ISLES'22 definitions.
#pragma once

#include "strokefair/core/volume.hpp"

namespace strokefair {

struct SegmentationAgreement {
  double dice = 0;                  // both masks empty counts as 1
  double volume_difference_ml = 0;  // |predicted - reference|
  double predicted_ml = 0;
  double reference_ml = 0;
  long lesion_count_difference = 0;  // |components predicted - components reference|
  std::size_t reference_lesions = 0;
  std::size_t predicted_lesions = 0;
  std::size_t true_positives = 0;   // reference components overlapped by the prediction
  std::size_t false_negatives = 0;  // reference components not overlapped
  std::size_t false_positives = 0;  // predicted components overlapping no reference
  double lesion_f1 = 0;             // TP / (TP + (FP + FN) / 2); 1 when both are empty
};

// Both masks must be on the same grid (Error(bad_input) otherwise); components are
// 26-connected.
SegmentationAgreement compare_masks(const Mask& predicted, const Mask& reference);

}  // namespace strokefair
