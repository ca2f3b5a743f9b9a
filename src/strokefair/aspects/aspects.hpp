// MRI-ASPECTS: per-region lesion fractions of the ASPECTS atlas and a score per hemisphere.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "strokefair/core/volume.hpp"
#include "strokefair/quantify/atlas.hpp"

namespace strokefair {

// When an ASPECTS region counts as "affected". DWI-ASPECTS is scored by eye, and a rater
// marks a region when acute ischaemic change is visible in it; an automated overlap has to
// pick a number instead. The number used here is a measurement, not a published cut-off:
// through an affine registration to MNI a region cannot be located better than about one
// voxel of the 2 mm atlas, and shifting any ASPECTS region by 2 mm along any axis moves at
// most 25.3% of a neighbouring region's volume (left internal capsule into caudate; measured
// by the test AspectsRule.ThresholdIsAboveTheSpillOfA2mmMisregistration). A region therefore
// counts only when the lesion covers more of it than that spill: a lesion that merely abuts
// a region through registration error does not lower the score. Every region's fraction
// is reported beside the score, so a reader can apply another rule.
struct AspectsRule {
  std::string name = "min_region_fraction";
  double min_fraction = 0.30;  // affected when lesion volume / region volume >= this
  // A hemisphere is scored only when it holds at least this fraction of the lesion, the
  // rule by which analyze calls a lesion bilateral: a voxel or two across the midline does
  // not make the other hemisphere "the lesion hemisphere".
  double min_hemisphere_fraction = 0.10;
  std::string justification =
      "A region is affected when at least 30% of its atlas volume is lesioned. DWI-ASPECTS "
      "is scored by eye (visible acute change in the region); through an affine "
      "registration a region is located to about one 2 mm atlas voxel, and a 2 mm shift of "
      "any fully lesioned ASPECTS region covers at most 25.3% of a neighbouring region "
      "(measured on this atlas: internal capsule into caudate), so lesion that only abuts "
      "a region through registration error does not lower the score.";
};

// The 10 scored regions in the order ASPECTS lists them, and the two reported only.
const std::vector<std::string>& aspects_scored_regions();
const std::vector<std::string>& aspects_unscored_regions();

// Scores a lesion mask in MNI space (any grid of that space) against the ASPECTS atlas.
// The atlas is sampled at the lesion's voxels (nearest neighbour), so a lesion on a finer
// grid than the 2 mm atlas is not thinned by resampling; region volumes come from the atlas
// grid itself. Returns the "aspects" object of the summary JSON:
//   {"left": {"score": int|null, "affected": [names], "regions": {name: fraction},
//             "lesion_ml": {name: mL}, "applies": bool, "reason": str|null},
//    "right": {...}, "applies": bool, "rule": {...}, "atlas": str}
nlohmann::json score_aspects(const Mask& lesion_mni, const Atlas& aspects,
                             const AspectsRule& rule = AspectsRule());

}  // namespace strokefair
