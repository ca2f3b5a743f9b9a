// Intensity normalisation against normal-appearing brain.
#pragma once

#include <string>
#include <vector>

#include "strokefair/core/volume.hpp"

namespace strokefair {

// The most frequent value of `image` inside `region`, from a smoothed 256-bin histogram
// between the 1st and 99th percentiles: the intensity of normal parenchyma, which dominates
// any brain even with a large infarct.
double histogram_mode(const Image& image, const Mask& region);

struct NormalTissue {
  double dwi_mode = 0;  // DWI of normal parenchyma (scanner units)
  double adc_mode = 0;  // ADC of normal parenchyma, 10^-6 mm²/s
};

// Normal-appearing tissue: brain voxels whose ADC is not CSF-like.
NormalTissue measure_normal_tissue(const Image& dwi, const Image& adc, const Mask& brain);

// Normal parenchyma's ADC, 10^-6 mm²/s: 0.7-0.9 x10^-3 mm²/s in adults (domain notes).
constexpr double kNormalParenchymaAdc = 800.0;

// An ADC computed from exported b0 and DWI images inherits any difference in their scale
// factors as an additive offset ln(s)/b. Its normal-tissue mode is measured over all brain
// voxels between the floor (1: DWI at or above b0) and the cap (5000), since the offset can
// put it anywhere; when it lies outside the adult range the offset is removed by moving the
// mode to kNormalParenchymaAdc (with a warning). Voxels at the floor stay there: they are
// restricted at least as far as the data can tell. Throws Error(bad_input) when most of the
// brain is at the floor: a DWI as bright as its b0 (the two swapped, or the same image).
void calibrate_computed_adc(Image& adc, const Mask& brain, std::vector<std::string>& warnings);

// DWI divided by the normal-tissue mode: normal parenchyma ~1, acute infarct typically >1.5.
Image normalise(const Image& image, double reference);

}  // namespace strokefair
