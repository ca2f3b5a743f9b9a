// Stages of the single-patient analysis, in order, each timed.
#include "strokefair/pipeline/analysis.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <vector>

#include "strokefair/core/error.hpp"
#include "strokefair/core/resample.hpp"
#include "strokefair/preprocess/brain_mask.hpp"
#include "strokefair/quantify/atlas.hpp"
#include "strokefair/segmentation/model_segmentation.hpp"

namespace strokefair {
namespace fs = std::filesystem;

std::string checked_label(const std::string& label, const std::string& what) {
  const auto alphanumeric = [](unsigned char c) { return c < 128 && std::isalnum(c); };
  if (label.empty()) {
    throw Error(what + " label is empty; give one with --" + what, ExitCode::usage);
  }
  if (!std::all_of(label.begin(), label.end(), alphanumeric)) {
    // The label is not echoed: it may not be valid text, and it may be a name.
    throw Error(what + " label must be letters and digits only (BIDS); give one with --" + what,
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
  // A session is taken from a BIDS file name only when the subject was too.
  const std::string session = options.session.empty() && options.subject.empty()
                                  ? session_label_from_path(options.inputs.dwi)
                                  : options.session;
  if (!session.empty()) r.session = checked_label(session, "session");

  r.inputs = load_diffusion_inputs(options.inputs);
  r.warnings = r.inputs.warnings;
  // A bad model description fails before the long stages; the model itself is loaded when used.
  std::optional<ModelDescription> model;
  if (!options.model.empty()) {
    const fs::path description = options.model_description.empty()
                                     ? fs::path(options.model).replace_extension(".json")
                                     : options.model_description;
    if (!fs::is_regular_file(options.model)) {
      throw input_error(options.model.string(), "model file not found");
    }
    model = read_model_description(description);
    check_torchscript(options.model);
    r.inputs.files.push_back({"model", options.model, sha256_file(options.model)});
    r.inputs.files.push_back({"model_description", description, sha256_file(description)});
  }
  r.target = load_template(store);
  clock.done("load inputs");

  // b0 carries the clearest anatomy (CSF bright), so it is registered first; the DWI trace
  // serves when there is no b0, and as a second try when the b0 fails the alignment check
  // (a b0 with other scaling, strong artefact or a different field of view).
  std::vector<const Image*> anatomies;
  if (r.inputs.b0) anatomies.push_back(&*r.inputs.b0);
  anatomies.push_back(&r.inputs.dwi);
  std::optional<Error> failure;
  std::string b0_failure;  // why the b0 was not used, for the warning
  for (const Image* anatomy : anatomies) {
    AlignedBrain aligned;
    try {
      aligned = extract_and_align_brain(*anatomy, r.target, options.inputs.dwi.string());
    } catch (const Error& e) {
      const std::string what = e.what();
      failure = what.rfind(options.inputs.dwi.string(), 0) == 0
                    ? e
                    : e.with_context(options.inputs.dwi.string());
      b0_failure = what;
      continue;
    }
    r.brain = std::move(aligned.brain);
    r.alignment = aligned.alignment;
    if (r.alignment.check.passed) {
      if (anatomy != anatomies.front()) {
        r.warnings.push_back("the b0 failed the registration check (" + b0_failure +
                             "); the DWI was registered instead");
      }
      failure.reset();
      break;
    }
    b0_failure = r.alignment.check.failure;
    failure =
        Error(options.inputs.dwi.string() + ": registration to the " + r.target.space +
                  " template failed: " + r.alignment.check.failure + " (is this a brain DWI?)",
              ExitCode::processing);
  }
  if (failure) throw *failure;
  clock.done("registration");

  if (r.inputs.adc_computed) {
    try {
      calibrate_computed_adc(r.inputs.adc, r.brain, r.warnings);
    } catch (const Error& e) {
      throw e.with_context(options.inputs.dwi.string());
    }
  }
  r.normal = measure_normal_tissue(r.inputs.dwi, r.inputs.adc, r.brain);
  clock.done("normalisation");

  r.segmentation =
      segment_lesion(r.inputs.dwi, r.inputs.adc, r.brain, r.normal.dwi_mode, r.normal.adc_mode,
                     r.alignment.template_to_subject, options.segmentation);
  if (model) {
    // The rule-based evidence stays for the QC figure; the network decides the lesion.
    ModelInputs in;
    in.dwi = &r.inputs.dwi;
    in.adc = &r.inputs.adc;
    in.b0 = r.inputs.b0 ? &*r.inputs.b0 : nullptr;
    in.brain = &r.brain;
    in.dwi_normal = r.normal.dwi_mode;
    in.adc_normal = r.normal.adc_mode;
    r.segmentation.lesion = segment_with_model(options.model, *model, in);
  }
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
