// Region tables: labels and volumes come from the atlas; lesion counts from resampling.
#include "strokefair/quantify/lesion_measures.hpp"

#include <map>

#include "strokefair/core/morphology.hpp"
#include "strokefair/core/resample.hpp"

namespace strokefair {

std::vector<RegionRow> measure_regions(const Atlas& atlas, const Mask& lesion_native,
                                       const Affine& template_to_subject) {
  const Geometry& atlas_grid = atlas.labels.geometry;
  const Mask lesion_in_atlas = resample_mask(lesion_native, atlas_grid, template_to_subject);
  const LabelImage labels_native =
      resample_nearest(atlas.labels, lesion_native.geometry, template_to_subject.inverse());

  std::map<std::int32_t, double> lesion_ml, lesion_ml_native;
  double lesion_total = 0;
  const double atlas_voxel_ml = atlas_grid.voxel_volume_mm3() / 1000.0;
  for (std::size_t n = 0; n < lesion_in_atlas.size(); ++n) {
    if (!lesion_in_atlas[n]) continue;
    lesion_total += atlas_voxel_ml;
    if (atlas.labels[n]) lesion_ml[atlas.labels[n]] += atlas_voxel_ml;
  }
  const double native_voxel_ml = lesion_native.geometry.voxel_volume_mm3() / 1000.0;
  for (std::size_t n = 0; n < lesion_native.size(); ++n) {
    if (lesion_native[n] && labels_native[n]) lesion_ml_native[labels_native[n]] += native_voxel_ml;
  }

  const auto region_ml = atlas.region_volumes_ml();
  std::vector<RegionRow> rows;
  for (const AtlasRegion& region : atlas.regions) {
    RegionRow row;
    row.atlas = atlas.id;
    row.label = region.label;
    row.name = region.name;
    row.description = region.description;
    row.side = region.side;
    row.region_ml = region_ml.at(region.label);
    row.lesion_ml = lesion_ml[region.label];
    row.lesion_ml_native = lesion_ml_native[region.label];
    row.fraction_of_region = row.region_ml > 0 ? row.lesion_ml / row.region_ml : 0;
    row.fraction_of_lesion = lesion_total > 0 ? row.lesion_ml / lesion_total : 0;
    rows.push_back(row);
  }
  return rows;
}

std::string lesion_hemisphere(const Mask& lesion_native, const Affine& template_to_subject) {
  const Affine to_template =
      template_to_subject.inverse() * lesion_native.geometry.voxel_to_physical();
  const auto& s = lesion_native.geometry.size;
  std::size_t left = 0, right = 0;
  for (std::size_t k = 0; k < s[2]; ++k)
    for (std::size_t j = 0; j < s[1]; ++j)
      for (std::size_t i = 0; i < s[0]; ++i) {
        if (!lesion_native.at(i, j, k)) continue;
        const double x = to_template.apply({double(i), double(j), double(k)})[0];
        (x > 0 ? left : right) += 1;
      }
  const std::size_t total = left + right;
  if (total == 0) return "none";
  // 10%: a lesion that crosses the midline by a voxel or two is still one-sided.
  if (left >= 0.1 * total && right >= 0.1 * total) return "bilateral";
  return left > right ? "left" : "right";
}

std::size_t lesion_count(const Mask& lesion) { return connected_components(lesion).sizes.size(); }

}  // namespace strokefair
