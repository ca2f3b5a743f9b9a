// Report figures: lesion on DWI and ADC, ASPECTS levels, brain-mask and registration QC.
// Every figure is drawn on an axial grid aligned with the patient (LPS) axes, in the
// radiological convention (patient's right on the viewer's left), and labelled R and L,
// so a file stored flipped or oblique on disk gives the same picture.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "strokefair/core/volume.hpp"
#include "strokefair/quantify/atlas.hpp"
#include "strokefair/report/canvas.hpp"

namespace strokefair {

// DWI and ADC side by side for every display slice holding lesion (at most `max_slices`,
// evenly spaced over the lesion), the lesion outlined in red. ADC in 10^-6 mm^2/s. With a
// brain mask, the panels are cropped to the brain and ADC outside it is black.
Canvas lesion_figure(const Image& dwi, const Image& adc, const Mask& lesion,
                     const Mask* brain = nullptr, std::size_t max_slices = 16);

// The ganglionic and supraganglionic ASPECTS levels from the atlas, each hemisphere's
// affected regions filled red (from the "aspects" summary object), region names written
// on them, and the lesion in template space drawn in yellow when given.
Canvas aspects_figure(const Atlas& aspects, const nlohmann::json& aspects_summary,
                      const Mask* lesion_mni = nullptr);

// Three axial DWI slices with the brain mask outlined in green and the arterial territory
// boundaries (the atlas brought to the DWI by the registration) in cyan.
Canvas qc_figure(const Image& dwi, const Mask& brain, const LabelImage& territories);

}  // namespace strokefair
