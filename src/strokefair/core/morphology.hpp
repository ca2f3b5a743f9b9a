// Binary morphology in millimetres and connected components of masks.
#pragma once

#include <vector>

#include "strokefair/core/volume.hpp"

namespace strokefair {

// Euclidean dilation / erosion by a radius in mm, honouring anisotropic voxels.
Mask dilate(const Mask& mask, double radius_mm);
Mask erode(const Mask& mask, double radius_mm);
Mask open(const Mask& mask, double radius_mm);   // erode then dilate
Mask close(const Mask& mask, double radius_mm);  // dilate then erode

// Distance in mm from each voxel outside the mask to the nearest mask voxel (0 inside).
Image distance_to_mask(const Mask& mask);

// Labels 26-connected components 1..n; returns the labels and the voxel count of each.
struct Components {
  LabelImage labels;
  std::vector<std::size_t> sizes;  // sizes[c - 1] is the voxel count of component c
};
Components connected_components(const Mask& mask);

Mask largest_component(const Mask& mask);
// Fills cavities not connected to the border of the grid (6-connected background).
Mask fill_holes(const Mask& mask);
// Removes components smaller than `min_ml`.
Mask remove_small_components(const Mask& mask, double min_ml);

}  // namespace strokefair
