// Gaussian smoothing in millimetres, and normalised convolution for smooth fields estimated
// from a subset of voxels.
#pragma once

#include "strokefair/core/volume.hpp"

namespace strokefair {

// Separable Gaussian with `sigma_mm` along every axis (anisotropic voxels honoured);
// values beyond the grid are treated as zero.
Image gaussian_smooth(const Image& image, double sigma_mm);

// Smooth estimate of `image` from the voxels where `weights` > 0 only:
// G*(image * weights) / G*(weights). Voxels whose smoothed weight falls below
// `min_weight` get the mean of the weighted voxels.
Image normalised_convolution(const Image& image, const Mask& weights, double sigma_mm,
                             double min_weight = 0.05);

}  // namespace strokefair
