// Stages of the single-patient analysis, in order, each timed.
#include "strokefair/pipeline/analysis.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>

#include "strokefair/core/error.hpp"
#include "strokefair/core/resample.hpp"
#include "strokefair/preprocess/brain_mask.hpp"
#include "strokefair/quantify/atlas.hpp"

namespace strokefair {
namespace fs = std::filesystem;

std::string checked_label(const std::string& label, const std::string& what) {
  if (label.empty() ||
      !std::all_of(label.begin(), label.end(), [](unsigned char c) { return std::isalnum(c); })) {
    throw Error(what + " label '" + label + "' must be letters and digits only (BIDS)",
                ExitCode::usage);
  }
  return label;
}

std::string bids_prefix(const std::string& subject, const std::string& session) {
  return "sub-" + subject + (session.empty() ? "" : "_ses-" + session);
}

fs::path bids_subject_folder(const std::string& subject, const std::string& session) {
  fs::path folder = "sub-" + subject;
  if (!session.empty()) folder /= "ses-" + session;
  return folder / "dwi";
}

namespace {

class StageClock {
 public:
  StageClock(AnalysisResult& result, const StageObserver& observer)
      : result_(result), observer_(observer), start_(std::chrono::steady_clock::now()) {}

  void done(const std::string& stage) {
    const auto now = std::chrono::steady_clock::now();
    const double seconds = std::chrono::duration<double>(now - start_).count();
    result_.stage_seconds.emplace_back(stage, seconds);
    if (observer_) observer_(stage, seconds);
    start_ = now;
  }

 private:
  AnalysisResult& result_;
  const StageObserver& observer_;
  std::chrono::steady_clock::time_point start_;
};

Image masked(const Image& image, const Mask& mask) {
  Image out(image.geometry);
  for (std::size_t n = 0; n < out.size(); ++n) out[n] = mask[n] ? image[n] : 0.f;
  return out;
}

}  // namespace

AlignedBrain extract_and_align_brain(const Image& anatomy, const Template& target,
                                     const std::string& source) {
  const Mask rough = rough_brain_mask(anatomy);
  if (count_nonzero(rough) == 0) throw input_error(source, "no head or brain found in the image");

  AlignedBrain aligned;
  aligned.alignment = align_to_template(target, masked(anatomy, rough), rough);
  const Mask template_brain_native = resample_mask(target.brain, anatomy.geometry,
                                                   aligned.alignment.template_to_subject.inverse());
  aligned.brain = refine_brain_mask(rough, template_brain_native, 5.0);
  aligned.alignment.check =
      check_alignment(target, aligned.brain, aligned.alignment.template_to_subject);
  return aligned;
}

AnalysisResult analyse(const AnalysisOptions& options, const DataStore& store,
                       const StageObserver& observer) {
  AnalysisResult r;
  StageClock clock(r, observer);
  r.subject = checked_label(
      options.subject.empty() ? subject_label_from_path(options.inputs.dwi) : options.subject,
      "subject");
  if (!options.session.empty()) r.session = checked_label(options.session, "session");

  r.inputs = load_diffusion_inputs(options.inputs);
  r.warnings = r.inputs.warnings;
  r.target = load_template(store);
  clock.done("load inputs");

  // b0 carries the clearest anatomy (CSF bright); without it the DWI trace serves.
  const Image& anatomy = r.inputs.b0 ? *r.inputs.b0 : r.inputs.dwi;
  AlignedBrain aligned = extract_and_align_brain(anatomy, r.target, options.inputs.dwi.string());
  r.brain = std::move(aligned.brain);
  r.alignment = aligned.alignment;
  if (!r.alignment.check.passed) {
    throw Error(options.inputs.dwi.string() + ": registration to the " + r.target.space +
                    " template failed: " + r.alignment.check.failure + " (is this a brain DWI?)",
                ExitCode::processing);
  }
  clock.done("registration");

  r.normal = measure_normal_tissue(r.inputs.dwi, r.inputs.adc, r.brain);
  if (r.inputs.adc_computed) {
    calibrate_computed_adc(r.inputs.adc, r.brain, r.normal.adc_mode, r.warnings);
    r.normal = measure_normal_tissue(r.inputs.dwi, r.inputs.adc, r.brain);
  }
  clock.done("normalisation");

  r.segmentation =
      segment_lesion(r.inputs.dwi, r.inputs.adc, r.brain, r.normal.dwi_mode, r.normal.adc_mode,
                     r.alignment.template_to_subject, options.segmentation);
  clock.done("segmentation");

  r.lesion_template =
      resample_mask(r.segmentation.lesion, r.target.t1.geometry, r.alignment.template_to_subject);
  for (const std::string id : {"arterial_level1", "arterial_level2", "jhu189"}) {
    const Atlas atlas = load_atlas(store, id);
    auto rows = measure_regions(atlas, r.segmentation.lesion, r.alignment.template_to_subject);
    r.regions.insert(r.regions.end(), rows.begin(), rows.end());
  }
  clock.done("quantification");
  return r;
}

}  // namespace strokefair
