// Brain extraction for clinical DWI: an intensity head mask refined by the template's brain.
#pragma once

#include "strokefair/core/volume.hpp"

namespace strokefair {

// Otsu's threshold over the positive voxels up to the 99.5th percentile.
double otsu_threshold(const Image& image);

// A first brain mask from intensities alone: tissue above Otsu's threshold of a lightly
// smoothed image, opened to cut thin scalp and skull bridges, largest component, filled.
Mask rough_brain_mask(const Image& image);

// The final mask: the rough mask restricted to the template's brain mapped into native space
// (dilated by `margin_mm` to tolerate an affine fit), keeping the largest component.
Mask refine_brain_mask(const Mask& rough, const Mask& template_brain_native, double margin_mm);

}  // namespace strokefair
