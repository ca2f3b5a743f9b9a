// The MNI template that strokefair registers to, and the checked subject-to-template alignment.
#pragma once

#include <string>

#include "strokefair/core/volume.hpp"
#include "strokefair/data/data_store.hpp"

namespace strokefair {

struct Template {
  std::string space;  // BIDS template identifier used in output names
  std::string t1_path;
  Image t1;         // skull-stripped T1, 1 mm: outputs in template space use this grid
  Mask brain;       // 1 mm brain mask
  Image t1_coarse;  // 2 mm copies: registration runs here
  Mask brain_coarse;
};

Template load_template(const DataStore& store);

struct AlignmentCheck {
  // Dice of the subject's brain mask and the template's brain mask in template space,
  // counted only where the subject's field of view reaches (clinical DWI rarely covers the
  // whole brain).
  double brain_dice = 0;
  double determinant = 0;  // volume scaling of the affine, subject per template
  std::array<double, 3> axis_scales{};
  bool passed = false;
  std::string failure;  // why not, in words
};

struct TemplateAlignment {
  Affine template_to_subject;
  AlignmentCheck check;
};

// Minimum brain Dice for an acceptable affine fit; normal adult heads registered well reach
// 0.85-0.95 against the template mask, a misregistration of a few centimetres falls below 0.7.
constexpr double kMinimumBrainDice = 0.75;

// Colin27 with skull and scalp (mricron-data), for images that are heads, not brains.
struct SkullStripTemplate {
  Image head_coarse;  // T1 head, 2 mm: registration runs here
  Mask head_region;   // the metric region: the whole coarse box (background helps a head fit)
  Mask brain;         // Colin27's brain, 1 mm, on the head's grid
};

SkullStripTemplate load_skull_strip_template(const DataStore& store);

struct HeadFit {
  Mask brain;                  // Colin27's brain on the subject's grid
  Affine template_to_subject;  // Colin27 head points to subject points
  double volume_scale = 0;     // subject volume per Colin27 volume (the affine's determinant)
};

// The brain of a head image (T1w, T2w, FLAIR with skull): the head registered affinely to
// Colin27's head, and Colin27's brain mapped back onto the image's grid. Mutual information
// carries T2 and FLAIR contrast as it carries DWI contrast to the T1 template.
HeadFit fit_head(const SkullStripTemplate& head, const Image& subject_head);

TemplateAlignment align_to_template(const Template& target, const Image& subject_brain,
                                    const Mask& subject_brain_mask);

AlignmentCheck check_alignment(const Template& target, const Mask& subject_brain_mask,
                               const Affine& template_to_subject);

}  // namespace strokefair
