// Resampling volumes onto other grids through affine maps between physical spaces.
#pragma once

#include "strokefair/core/volume.hpp"

namespace strokefair {

// `target_to_source` maps a physical point of the target grid into the source image's
// physical space (identity when both grids live in the same space). Outside the source,
// samples are `outside`.
Image resample_linear(const Image& source, const Geometry& target,
                      const Affine& target_to_source = Affine::identity(), float outside = 0.f);
LabelImage resample_nearest(const LabelImage& source, const Geometry& target,
                            const Affine& target_to_source = Affine::identity());
// A binary mask resampled by trilinear interpolation of its 0/1 values, kept where >= 0.5,
// so that lesion volume is preserved across grids of different resolution.
Mask resample_mask(const Mask& source, const Geometry& target,
                   const Affine& target_to_source = Affine::identity());

// Trilinear sample at a continuous voxel index; `outside` beyond the grid.
float sample_linear(const Image& image, double i, double j, double k, float outside = 0.f);

// The same box covered by voxels of `spacing_mm` (same orientation and corner), for
// registration on downsampled copies.
Geometry coarsened_grid(const Geometry& grid, double spacing_mm);

}  // namespace strokefair
