// Lesion quantification in native and template space, overall and per atlas region.
#pragma once

#include <string>
#include <vector>

#include "strokefair/core/volume.hpp"
#include "strokefair/quantify/atlas.hpp"

namespace strokefair {

struct RegionRow {
  std::string atlas;  // atlas id
  std::int32_t label = 0;
  std::string name;
  std::string description;
  Hemisphere side = Hemisphere::midline;
  double region_ml = 0;           // region volume in the atlas file
  double lesion_ml = 0;           // lesion inside the region, template space
  double lesion_ml_native = 0;    // lesion inside the region mapped to native space
  double fraction_of_region = 0;  // lesion_ml / region_ml
  double fraction_of_lesion = 0;  // lesion_ml / whole lesion in template space
};

// Every region of the atlas, lesioned or not. `template_to_subject` maps template physical
// points into the subject's space.
std::vector<RegionRow> measure_regions(const Atlas& atlas, const Mask& lesion_native,
                                       const Affine& template_to_subject);

// "left", "right", "bilateral" (each side holds at least 10% of the lesion) or "none".
// Sides are decided in template space, where x = 0 is the midline (LPS: x > 0 is left).
std::string lesion_hemisphere(const Mask& lesion_native, const Affine& template_to_subject);

// Number of 26-connected lesion components.
std::size_t lesion_count(const Mask& lesion);

}  // namespace strokefair
