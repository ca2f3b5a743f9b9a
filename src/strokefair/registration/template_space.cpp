// Loading the template and aligning subjects to it with a plausibility check.
#include "strokefair/registration/template_space.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "strokefair/core/error.hpp"
#include "strokefair/core/morphology.hpp"
#include "strokefair/core/resample.hpp"
#include "strokefair/io/image_io.hpp"
#include "strokefair/registration/affine_registration.hpp"

namespace strokefair {

Template load_template(const DataStore& store) {
  Template t;
  t.space = "MNI152NLin2009cSym";
  t.t1_path = store.locate("template_t1").string();
  t.t1 = read_image(t.t1_path);
  t.brain = read_mask(store.locate("template_brain_mask"));
  if (!t.brain.geometry.same_grid(t.t1.geometry)) {
    throw Error("template brain mask and T1 template are on different grids",
                ExitCode::missing_asset);
  }
  const Geometry coarse = coarsened_grid(t.t1.geometry, 2.0);
  t.t1_coarse = resample_linear(t.t1, coarse);
  t.brain_coarse = resample_mask(t.brain, coarse);
  return t;
}

AlignmentCheck check_alignment(const Template& target, const Mask& subject_brain_mask,
                               const Affine& template_to_subject) {
  AlignmentCheck check;
  const Geometry& coarse = target.brain_coarse.geometry;
  const Mask subject_in_template = resample_mask(subject_brain_mask, coarse, template_to_subject);

  // Template voxels that fall inside the subject's grid: the field of view.
  const Affine to_subject_index = subject_brain_mask.geometry.physical_to_voxel() *
                                  template_to_subject * coarse.voxel_to_physical();
  const auto& s = subject_brain_mask.geometry.size;
  std::size_t both = 0, template_in_view = 0, subject_count = 0;
  for (std::size_t k = 0; k < coarse.size[2]; ++k)
    for (std::size_t j = 0; j < coarse.size[1]; ++j)
      for (std::size_t i = 0; i < coarse.size[0]; ++i) {
        const std::size_t n = coarse.index(i, j, k);
        const Vec3 p = to_subject_index.apply({double(i), double(j), double(k)});
        const bool in_view = p[0] >= -0.5 && p[1] >= -0.5 && p[2] >= -0.5 && p[0] <= s[0] - 0.5 &&
                             p[1] <= s[1] - 0.5 && p[2] <= s[2] - 0.5;
        if (!in_view) continue;
        const bool t = target.brain_coarse[n], m = subject_in_template[n];
        template_in_view += t;
        subject_count += m;
        both += t && m;
      }
  check.brain_dice = (template_in_view + subject_count) > 0
                         ? 2.0 * both / double(template_in_view + subject_count)
                         : 0.0;

  const Affine subject_to_template = template_to_subject.inverse();
  check.determinant = subject_to_template.determinant3();
  for (int c = 0; c < 3; ++c) {
    const auto& m = subject_to_template.m;
    check.axis_scales[c] = std::sqrt(m[c] * m[c] + m[4 + c] * m[4 + c] + m[8 + c] * m[8 + c]);
  }
  const bool plausible_scale =
      std::all_of(check.axis_scales.begin(), check.axis_scales.end(),
                  [](double s) { return s > 0.6 && s < 1.6; });  // adult heads vs template
  std::ostringstream why;
  if (check.brain_dice < kMinimumBrainDice) {
    why << "brain overlap with the template is " << check.brain_dice << " (needs "
        << kMinimumBrainDice << ")";
  } else if (!plausible_scale || check.determinant <= 0) {
    why << "implausible scaling " << check.axis_scales[0] << " x " << check.axis_scales[1] << " x "
        << check.axis_scales[2];
  }
  check.failure = why.str();
  check.passed = check.failure.empty();
  return check;
}

SkullStripTemplate load_skull_strip_template(const DataStore& store) {
  SkullStripTemplate head;
  const Image t1 = read_image(store.locate("head_template_t1"));
  const Mask brain = read_mask(store.locate("head_template_brain"));
  if (!brain.geometry.same_grid(t1.geometry)) {
    throw Error("Colin27 head and brain templates are on different grids", ExitCode::missing_asset);
  }
  const Geometry coarse = coarsened_grid(t1.geometry, 2.0);
  head.head_coarse = resample_linear(t1, coarse);
  // The metric region is the head and a 10 mm band of air around it: air alone would let
  // the optimiser trade head for background.
  float peak = 0;
  for (float v : head.head_coarse.voxels) peak = std::max(peak, v);
  head.head_region = Mask(coarse, 0);
  for (std::size_t n = 0; n < head.head_region.size(); ++n)
    head.head_region[n] = head.head_coarse[n] > 0.1f * peak;
  head.head_region = dilate(head.head_region, 10.0);
  head.brain = brain;
  return head;
}

HeadFit fit_head(const SkullStripTemplate& head, const Image& subject_head) {
  HeadFit fit;
  fit.template_to_subject =
      register_affine(head.head_coarse, head.head_region, subject_head).template_to_subject;
  fit.volume_scale = fit.template_to_subject.determinant3();
  fit.brain = resample_mask(head.brain, subject_head.geometry, fit.template_to_subject.inverse());
  return fit;
}

TemplateAlignment align_to_template(const Template& target, const Image& subject_brain,
                                    const Mask& subject_brain_mask) {
  TemplateAlignment alignment;
  Mask metric_region = target.brain_coarse;
  const RegistrationResult fit = register_affine(target.t1_coarse, metric_region, subject_brain);
  alignment.template_to_subject = fit.template_to_subject;
  alignment.check = check_alignment(target, subject_brain_mask, fit.template_to_subject);
  return alignment;
}

}  // namespace strokefair
