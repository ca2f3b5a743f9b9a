// Lesion features: region volumes on the arterial and anatomical atlases, side, lesion runs.
#include "strokefair/library/features.hpp"

#include <algorithm>
#include <cmath>

#include "strokefair/core/error.hpp"
#include "strokefair/core/resample.hpp"

namespace strokefair {

namespace {

struct VoxelBox {
  std::array<long, 3> low{0, 0, 0};
  std::array<long, 3> high{-1, -1, -1};  // inclusive
  bool empty() const { return high[0] < low[0]; }
};

VoxelBox lesion_box(const Mask& mask) {
  const auto& s = mask.geometry.size;
  VoxelBox box;
  box.low = {long(s[0]), long(s[1]), long(s[2])};
  std::size_t n = 0;
  for (std::size_t k = 0; k < s[2]; ++k)
    for (std::size_t j = 0; j < s[1]; ++j)
      for (std::size_t i = 0; i < s[0]; ++i, ++n) {
        if (!mask[n]) continue;
        const std::array<long, 3> at{long(i), long(j), long(k)};
        for (int a = 0; a < 3; ++a) {
          box.low[a] = std::min(box.low[a], at[a]);
          box.high[a] = std::max(box.high[a], at[a]);
        }
      }
  return box;
}

// The box of `grid` voxels that the source box (grown by one voxel for interpolation) maps into.
VoxelBox box_on_grid(const VoxelBox& source_box, const Geometry& source, const Geometry& grid) {
  const Affine to_grid = grid.physical_to_voxel() * source.voxel_to_physical();
  VoxelBox box;
  box.low = {long(grid.size[0]), long(grid.size[1]), long(grid.size[2])};
  box.high = {-1, -1, -1};
  for (int corner = 0; corner < 8; ++corner) {
    Vec3 p;
    for (int a = 0; a < 3; ++a) {
      p[a] = (corner >> a & 1) ? source_box.high[a] + 1.0 : source_box.low[a] - 1.0;
    }
    const Vec3 q = to_grid.apply(p);
    for (int a = 0; a < 3; ++a) {
      box.low[a] = std::min(box.low[a], long(std::floor(q[a])));
      box.high[a] = std::max(box.high[a], long(std::ceil(q[a])));
    }
  }
  for (int a = 0; a < 3; ++a) {
    box.low[a] = std::max(box.low[a], 0L);
    box.high[a] = std::min(box.high[a], long(grid.size[a]) - 1);
  }
  return box;
}

RegionVolumes region_volumes(const std::vector<std::size_t>& voxels, const Atlas& atlas) {
  RegionVolumes volumes(atlas.regions.size(), 0.0);
  const double voxel_ml = atlas.labels.geometry.voxel_volume_mm3() / 1000.0;
  for (std::size_t n : voxels) {
    const std::int32_t label = atlas.labels[n];
    if (label == 0) continue;
    const auto it =
        std::lower_bound(atlas.regions.begin(), atlas.regions.end(), label,
                         [](const AtlasRegion& r, std::int32_t l) { return r.label < l; });
    if (it != atlas.regions.end() && it->label == label)
      volumes[it - atlas.regions.begin()] += voxel_ml;
  }
  return volumes;
}

Hemisphere dominant_side(const RegionVolumes& volumes, const Atlas& atlas) {
  double left = 0, right = 0;
  for (std::size_t r = 0; r < volumes.size(); ++r) {
    if (atlas.regions[r].side == Hemisphere::left) left += volumes[r];
    if (atlas.regions[r].side == Hemisphere::right) right += volumes[r];
  }
  if (left == right) return Hemisphere::midline;
  return left > right ? Hemisphere::left : Hemisphere::right;
}

bool axis_aligned(const Geometry& g) {
  for (int column = 0; column < 3; ++column) {
    double largest = 0;
    for (int row = 0; row < 3; ++row)
      largest = std::max(largest, std::abs(g.direction[row * 3 + column]));
    if (largest < 0.999) return false;
  }
  return true;
}

// Physical bounding box of a grid's voxel centres.
std::pair<Vec3, Vec3> physical_box(const Geometry& g) {
  const Affine to_physical = g.voxel_to_physical();
  Vec3 low{1e30, 1e30, 1e30}, high{-1e30, -1e30, -1e30};
  for (int corner = 0; corner < 8; ++corner) {
    const Vec3 p = to_physical.apply({(corner & 1) ? g.size[0] - 1.0 : 0.0,
                                      (corner & 2) ? g.size[1] - 1.0 : 0.0,
                                      (corner & 4) ? g.size[2] - 1.0 : 0.0});
    for (int a = 0; a < 3; ++a) {
      low[a] = std::min(low[a], p[a]);
      high[a] = std::max(high[a], p[a]);
    }
  }
  return {low, high};
}

}  // namespace

FeatureAtlases load_feature_atlases(const DataStore& store) {
  return {load_atlas(store, "arterial_level1"), load_atlas(store, "arterial_level2"),
          load_atlas(store, "jhu189")};
}

namespace {

std::vector<std::size_t> voxels_on_grid(const Mask& lesion_mask, const VoxelBox& source_box,
                                        const Geometry& grid) {
  if (source_box.empty()) return {};
  const bool same_grid = lesion_mask.geometry.same_grid(grid);
  const VoxelBox box = same_grid ? source_box : box_on_grid(source_box, lesion_mask.geometry, grid);
  if (box.high[0] < box.low[0] || box.high[1] < box.low[1] || box.high[2] < box.low[2]) return {};

  Geometry sub = grid;
  sub.origin =
      grid.voxel_to_physical().apply({double(box.low[0]), double(box.low[1]), double(box.low[2])});
  for (int a = 0; a < 3; ++a) sub.size[a] = std::size_t(box.high[a] - box.low[a] + 1);
  // On the mask's own grid the voxels are read as they are; elsewhere only the box is resampled.
  Mask resampled;
  if (!same_grid) resampled = resample_mask(lesion_mask, sub);

  std::vector<std::size_t> voxels;
  std::size_t n = 0;
  for (std::size_t k = 0; k < sub.size[2]; ++k)
    for (std::size_t j = 0; j < sub.size[1]; ++j)
      for (std::size_t i = 0; i < sub.size[0]; ++i, ++n) {
        const std::size_t at = grid.index(i + box.low[0], j + box.low[1], k + box.low[2]);
        if (same_grid ? lesion_mask[at] != 0 : resampled[n] != 0) voxels.push_back(at);
      }
  return voxels;  // sorted: the sub-box is walked in the grid's own order
}

void check_lesion_in_brain(const std::vector<std::size_t>& on_library_grid,
                           const FeatureAtlases& atlases) {
  std::size_t in_brain = 0;
  for (std::size_t n : on_library_grid) in_brain += atlases.territories.labels[n] != 0;
  // Lesions touch the cortex and ventricles, and some normalised masks of the SOOP cohort have
  // three quarters of their voxels outside the territory labels (sub-357); a mask in another
  // space lands all or nearly all outside them.
  if (on_library_grid.empty() || in_brain < on_library_grid.size() / 10) {
    throw Error(
        "more than 90% of the lesion lies outside the brain of the MNI atlas; the mask is not "
        "in MNI space",
        ExitCode::bad_input);
  }
}

void check_grid_in_mni(const Geometry& g) {
  if (!axis_aligned(g)) {
    throw Error(
        "the mask's grid is oblique; a mask in MNI space has axis-aligned directions "
        "(was it saved in the patient's native space?)",
        ExitCode::bad_input);
  }
  // The core of the MNI brain (LPS mm) that every MNI grid covers, cropped "clinical" boxes too.
  const Vec3 brain_low{-60, -60, -30}, brain_high{60, 90, 60};
  const auto [low, high] = physical_box(g);
  for (int a = 0; a < 3; ++a) {
    if (low[a] > brain_low[a] || high[a] < brain_high[a]) {
      throw Error(
          "the mask's grid does not cover the MNI brain (its affine does not place it in "
          "MNI space; was it saved in the patient's native space?)",
          ExitCode::bad_input);
    }
  }
}

}  // namespace

std::vector<std::size_t> lesion_voxels_on_grid(const Mask& lesion_mask, const Geometry& grid) {
  return voxels_on_grid(lesion_mask, lesion_box(lesion_mask), grid);
}

void check_mni_aligned(const Mask& lesion_mask, const FeatureAtlases& atlases) {
  check_grid_in_mni(lesion_mask.geometry);
  check_lesion_in_brain(lesion_voxels_on_grid(lesion_mask, atlases.library_grid()), atlases);
}

LesionFeatures extract_features(const Mask& lesion_mask, const FeatureAtlases& atlases) {
  const VoxelBox box = lesion_box(lesion_mask);
  if (box.empty()) {
    throw Error("the lesion mask is empty: there is nothing to compare", ExitCode::bad_input);
  }
  check_grid_in_mni(lesion_mask.geometry);
  const auto on_library_grid = voxels_on_grid(lesion_mask, box, atlases.library_grid());
  check_lesion_in_brain(on_library_grid, atlases);

  LesionFeatures features;
  features.volume_ml = volume_ml(lesion_mask);
  features.territory_ml = region_volumes(on_library_grid, atlases.territories);
  if (atlases.vascular.labels.geometry.same_grid(atlases.library_grid())) {
    features.vascular_ml = region_volumes(on_library_grid, atlases.vascular);
  } else {
    features.vascular_ml = region_volumes(
        voxels_on_grid(lesion_mask, box, atlases.vascular.labels.geometry), atlases.vascular);
  }
  features.anatomy_ml = region_volumes(
      voxels_on_grid(lesion_mask, box, atlases.anatomy.labels.geometry), atlases.anatomy);
  features.side = dominant_side(features.territory_ml, atlases.territories);
  features.lesion_runs = encode_runs(on_library_grid);
  return features;
}

std::vector<std::uint32_t> encode_runs(const std::vector<std::size_t>& sorted_indices) {
  std::vector<std::uint32_t> runs;
  for (std::size_t n : sorted_indices) {
    if (!runs.empty() && runs[runs.size() - 2] + runs.back() == n) {
      ++runs.back();
    } else {
      runs.push_back(static_cast<std::uint32_t>(n));
      runs.push_back(1);
    }
  }
  return runs;
}

std::vector<std::size_t> decode_runs(const std::vector<std::uint32_t>& runs) {
  std::vector<std::size_t> indices;
  for (std::size_t r = 0; r + 1 < runs.size(); r += 2) {
    for (std::uint32_t n = 0; n < runs[r + 1]; ++n) indices.push_back(std::size_t(runs[r]) + n);
  }
  return indices;
}

}  // namespace strokefair
