// Affine registration of a subject image to a template (ITK v4, Mattes mutual information).
#pragma once

#include <filesystem>

#include "strokefair/core/volume.hpp"

namespace strokefair {

struct RegistrationSettings {
  // Mutual information: the subject's contrast (b0, ADC, DWI) differs from the T1 template.
  int histogram_bins = 32;
  double sampling_fraction = 0.25;
  int rigid_iterations = 200;
  int affine_iterations = 200;
};

struct RegistrationResult {
  Affine template_to_subject;  // maps template physical points into the subject's space
  double rigid_metric = 0;
  double affine_metric = 0;
};

// `fixed_mask` restricts the metric to the template's (dilated) brain. Both images should
// be skull-stripped. The starting point aligns the intensity centres of mass.
RegistrationResult register_affine(const Image& template_image, const Mask& template_mask,
                                   const Image& subject_image,
                                   const RegistrationSettings& settings = {});

// Writes the transform as an ITK text transform file (fixed = template, moving = subject,
// i.e. the map that resamples the subject into template space), in ITK's LPS convention.
void write_itk_transform(const Affine& template_to_subject, const std::filesystem::path& path);

// Reads an affine ITK text transform file written by write_itk_transform (or by ANTs/ITK:
// AffineTransform or MatrixOffsetTransformBase, any centre). Throws Error(bad_input).
Affine read_itk_transform(const std::filesystem::path& path);

}  // namespace strokefair
