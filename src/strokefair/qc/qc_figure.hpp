// The quality-control figure of an analysis: lesion outlined on DWI and ADC on every slice
// that holds lesion, and the registration result over the template's brain outline.
#pragma once

#include "strokefair/core/volume.hpp"
#include "strokefair/qc/png.hpp"

namespace strokefair {

struct QcInputs {
  const Image* relative_dwi = nullptr;  // DWI / normal-tissue mode
  const Image* adc = nullptr;           // 10^-6 mm²/s
  const Mask* lesion = nullptr;
  const Mask* brain = nullptr;
  const Image* anatomy = nullptr;  // image used for registration (b0 or DWI)
  const Image* template_t1 = nullptr;
  const Mask* template_brain = nullptr;
  Affine template_to_subject;
};

// Axial slices in radiological convention (patient right on the image's left), anterior up.
Raster render_qc_figure(const QcInputs& in);

// A native image resampled onto an axis-aligned LPS grid covering its box, with in-plane
// spacing the finest of its spacings and slice spacing its coarsest: axial slices for display.
Geometry axial_display_grid(const Geometry& native);

}  // namespace strokefair
