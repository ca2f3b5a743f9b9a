// Lesion features for similar-case retrieval: lesion volume per arterial territory and per
// anatomical region, measured after resampling an MNI-space lesion mask onto each atlas grid.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "strokefair/core/volume.hpp"
#include "strokefair/data/data_store.hpp"
#include "strokefair/quantify/atlas.hpp"

namespace strokefair {

// The atlases features are measured with. The level-1 arterial grid (MNI 181x217x181, 1 mm)
// is the library grid: lesion maps and frequency maps live on it.
struct FeatureAtlases {
  Atlas territories;  // arterial level 1 (32 labels)
  Atlas vascular;     // arterial level 2 (ACA/MCA/PCA/VB/ventricle per side)
  Atlas anatomy;      // JHU-MNI 189 labels

  const Geometry& library_grid() const { return territories.labels.geometry; }
};

FeatureAtlases load_feature_atlases(const DataStore& store);

// Lesion voxel volume (mL) in each region of one atlas, in the order of `atlas.regions`.
using RegionVolumes = std::vector<double>;

struct LesionFeatures {
  double volume_ml = 0;                   // counted on the mask's own grid
  RegionVolumes territory_ml;             // arterial level 1
  RegionVolumes vascular_ml;              // arterial level 2
  RegionVolumes anatomy_ml;               // JHU-MNI 189
  Hemisphere side = Hemisphere::midline;  // side holding most of the lesion's territory volume
  // The lesion on the library grid as (first voxel index, run length) pairs.
  std::vector<std::uint32_t> lesion_runs;
};

// Measures a lesion mask that lies in MNI space on any axis-aligned grid. Throws
// Error(bad_input) for an empty mask or one that is not MNI-aligned (see check_mni_aligned).
LesionFeatures extract_features(const Mask& lesion_mask, const FeatureAtlases& atlases);

// Refuses a mask that cannot be in MNI space: an oblique grid, a grid that does not cover the
// MNI brain, or a lesion that lies mostly outside the atlas brain. This is a plausibility check:
// a native-space mask whose scanner coordinates happen to overlap the MNI brain passes it.
void check_mni_aligned(const Mask& lesion_mask, const FeatureAtlases& atlases);

// Indices of the voxels of `grid` that are inside the lesion once the mask is resampled onto
// it by its affine (trilinear, kept at >= 0.5, as resample_mask). Only the lesion's bounding
// box is resampled, so this is fast for small lesions on large grids.
std::vector<std::size_t> lesion_voxels_on_grid(const Mask& lesion_mask, const Geometry& grid);

// Run-length coding of sorted voxel indices and back.
std::vector<std::uint32_t> encode_runs(const std::vector<std::size_t>& sorted_indices);
std::vector<std::size_t> decode_runs(const std::vector<std::uint32_t>& runs);

}  // namespace strokefair
