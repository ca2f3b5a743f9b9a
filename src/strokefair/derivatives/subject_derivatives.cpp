// One subject's derivatives, session by session, written into a staging folder.
#include "strokefair/derivatives/subject_derivatives.hpp"

#include <cmath>

#include "strokefair/core/error.hpp"
#include "strokefair/core/resample.hpp"
#include "strokefair/derivatives/dataset_sessions.hpp"
#include "strokefair/io/image_io.hpp"
#include "strokefair/io/output_stage.hpp"
#include "strokefair/pipeline/analysis.hpp"
#include "strokefair/pipeline/analysis_outputs.hpp"
#include "strokefair/preprocess/normalise.hpp"
#include "strokefair/registration/affine_registration.hpp"

namespace strokefair {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Adult heads differ from Colin27's in volume by well under a factor 1.6 either way (the
// range check_alignment allows per axis); a fit outside it has mistaken scalp, neck or air
// for head.
constexpr double kMinimumHeadScale = 1 / 1.6, kMaximumHeadScale = 1.6;

double rounded(double value, double step) { return std::round(value / step) * step; }

Image masked_image(const Image& image, const Mask& mask) {
  Image out(image.geometry);
  for (std::size_t n = 0; n < out.size(); ++n) out[n] = mask[n] ? image[n] : 0.f;
  return out;
}

std::string bids_source(const fs::path& relative) {
  return "bids:raw:" + relative.generic_string();
}

void write_json(const fs::path& path, const json& doc) {
  fs::create_directories(path.parent_path());
  write_text_file(path, doc.dump(2) + "\n");
}

void write_image_with_sidecar(const Image& image, const fs::path& path, const json& sidecar) {
  fs::create_directories(path.parent_path());
  write_image(image, path);
  write_json(fs::path(path).replace_extension("").replace_extension(".json"), sidecar);
}

void write_mask_with_sidecar(const Mask& mask, const fs::path& path, const json& sidecar) {
  fs::create_directories(path.parent_path());
  write_mask(mask, path);
  write_json(fs::path(path).replace_extension("").replace_extension(".json"), sidecar);
}

// The skull-stripped, normalised image in template space, both transforms, the native mask.
struct NativeSpace {
  fs::path folder;       // relative to the stage root: sub-X/ses-Y/anat or .../dwi
  std::string entities;  // name prefix of the outputs
  std::string space;     // BIDS name of the native space: T1w, T2w, FLAIR, orig
  std::string suffix;    // suffix of the image outputs
  fs::path source;       // raw image, relative to the dataset
};

json write_template_space(const NativeSpace& native, const Image& image, const Mask& brain,
                          double reference, const Affine& template_to_subject,
                          const Template& target, const fs::path& stage_root,
                          bool write_brain_mask) {
  const fs::path folder = stage_root / native.folder;
  const std::string to_template =
      native.entities + "_from-" + native.space + "_to-" + target.space + "_mode-image_xfm.txt";
  const std::string from_template =
      native.entities + "_from-" + target.space + "_to-" + native.space + "_mode-image_xfm.txt";
  fs::create_directories(folder);
  write_itk_transform(template_to_subject, folder / to_template);
  write_itk_transform(template_to_subject.inverse(), folder / from_template);

  const Image normalised = normalise(masked_image(image, brain), reference);
  const Image in_template = resample_linear(normalised, target.t1.geometry, template_to_subject);
  const std::string name =
      native.entities + "_space-" + target.space + "_desc-norm_" + native.suffix + ".nii.gz";
  write_image_with_sidecar(
      in_template, folder / name,
      {{"SkullStripped", true},
       {"SpatialReference", target.space},
       {"Sources", {bids_source(native.source)}},
       {"Description",
        "Brain voxels divided by the intensity mode of the brain (normal parenchyma = 1), "
        "resampled to the template by an affine (trilinear)"},
       {"IntensityReference", rounded(reference, 0.01)},
       {"Transform", to_template},
       {"InverseTransform", from_template}});
  if (write_brain_mask) {
    write_mask_with_sidecar(
        brain, folder / (native.entities + "_space-" + native.space + "_desc-brain_mask.nii.gz"),
        {{"Type", "Brain"}, {"Sources", {bids_source(native.source)}}});
  }
  return {{"transform", (native.folder / to_template).generic_string()},
          {"inverse_transform", (native.folder / from_template).generic_string()},
          {"image", (native.folder / name).generic_string()}};
}

// The curator's mask for an image, if there is one, checked to lie on the image's grid.
std::optional<Mask> read_manual_mask(const SubjectDerivativesInput& input,
                                     const SessionImages& session, const RawImage& raw,
                                     const Geometry& grid) {
  if (input.manual_masks.empty()) return std::nullopt;
  const fs::path path = manual_mask_path(input.manual_masks, session_prefix(session), raw.suffix);
  if (!fs::exists(path)) return std::nullopt;
  Mask mask = read_mask(path);
  if (!mask.geometry.same_grid(grid, 0.01)) {
    throw input_error(path.string(), "is not on the grid of " + raw.relative.generic_string() +
                                         " (a manual mask must be drawn on that image)");
  }
  return mask;
}

// The curator's mask written in native and template space.
json copy_manual_mask(const Mask& mask, const NativeSpace& native,
                      const Affine& template_to_subject, const Template& target,
                      const fs::path& stage_root) {
  const fs::path folder = stage_root / native.folder;
  const json sidecar = {{"Type", "Lesion"},
                        {"Manual", true},
                        {"Sources", {bids_source(native.source)}},
                        {"Description", "Lesion drawn by the curator, as provided"}};
  write_mask_with_sidecar(
      mask,
      folder / (native.entities + "_space-" + native.space + "_label-L_desc-manual_mask.nii.gz"),
      sidecar);
  json in_template = sidecar;
  in_template["SpatialReference"] = target.space;
  in_template["Description"] = "Lesion drawn by the curator, mapped to the template by an affine";
  const Mask mapped = resample_mask(mask, target.t1.geometry, template_to_subject);
  write_mask_with_sidecar(
      mapped,
      folder / (native.entities + "_space-" + target.space + "_label-L_desc-manual_mask.nii.gz"),
      in_template);
  return {{"image", native.source.generic_string()},
          {"volume_ml", rounded(volume_ml(mask), 0.01)},
          {"volume_ml_template", rounded(volume_ml(mapped), 0.01)}};
}

json alignment_json(const AlignmentCheck& check) {
  json flags = {{"registration", check.passed ? "passed" : "failed"},
                {"brain_dice", rounded(check.brain_dice, 1e-3)}};
  if (!check.passed) flags["failure"] = check.failure;
  return flags;
}

json derive_anatomical(const SubjectDerivativesInput& input, const SessionImages& session,
                       const RawImage& raw, const Template& target, const SkullStripTemplate& head,
                       const fs::path& stage_root) {
  const fs::path path = input.dataset / raw.relative;
  const Image image = read_image(path);
  const std::optional<Mask> manual = read_manual_mask(input, session, raw, image.geometry);
  const HeadFit fit = fit_head(head, image);
  const Mask& brain = fit.brain;
  TemplateAlignment alignment = align_to_template(target, masked_image(image, brain), brain);
  if (alignment.check.passed &&
      (fit.volume_scale < kMinimumHeadScale || fit.volume_scale > kMaximumHeadScale)) {
    alignment.check.passed = false;
    alignment.check.failure = "the head fit to Colin27 scales volume by " +
                              std::to_string(fit.volume_scale) + " (plausible: 0.625-1.6)";
  }
  json step = alignment_json(alignment.check);
  step["image"] = raw.relative.generic_string();
  step["head_volume_scale"] = rounded(fit.volume_scale, 1e-3);
  if (!alignment.check.passed) return step;
  const NativeSpace native{session_folder(session) / "anat", raw.entities, raw.suffix, raw.suffix,
                           raw.relative};
  const double reference = histogram_mode(image, brain);
  step["files"] = write_template_space(native, image, brain, reference,
                                       alignment.template_to_subject, target, stage_root, true);
  if (manual) {
    step["manual_mask"] =
        copy_manual_mask(*manual, native, alignment.template_to_subject, target, stage_root);
  }
  return step;
}

// The analyze outputs of the session's first DWI, plus the DWI in template space.
json derive_diffusion(const SubjectDerivativesInput& input, const SessionImages& session,
                      const Template& target, const DataStore& store, const fs::path& stage_root) {
  const RawImage& raw = session.dwi.front();
  AnalysisOptions options;
  options.inputs.dwi = input.dataset / raw.relative;
  options.subject = session.subject;
  options.session = session.session;
  options.output = stage_root;
  options.command_line = input.command_line;
  options.record_analysis_date = false;  // the dataset is for sharing: no dates in it

  const std::optional<Mask> manual =
      read_manual_mask(input, session, raw, read_geometry(options.inputs.dwi));
  AnalysisResult result;
  try {
    result = analyse(options, store);
  } catch (const Error& e) {
    if (e.code() != ExitCode::processing) throw;
    return {{"image", raw.relative.generic_string()},
            {"registration", "failed"},
            {"failure", e.what()}};
  }
  OutputStage analysis_stage(stage_root, false);
  json summary = write_analysis(result, options, store, analysis_stage);
  analysis_stage.commit();

  const std::string prefix = bids_prefix(result.subject, result.session);
  const NativeSpace native{bids_subject_folder(result.subject, result.session), prefix, "orig",
                           "dwi", raw.relative};
  json step = alignment_json(result.alignment.check);
  step["image"] = raw.relative.generic_string();
  step["files"] =
      write_template_space(native, result.inputs.dwi, result.brain, result.normal.dwi_mode,
                           result.alignment.template_to_subject, target, stage_root, false);
  const json& aspects = summary.value("aspects", json::object());
  const auto score = [&](const char* side) {
    return aspects.contains(side) ? aspects[side].value("score", json(nullptr)) : json(nullptr);
  };
  step["lesion"] = {{"volume_ml", summary["lesion_volume_ml"]},
                    {"count", summary["lesion_count"]},
                    {"hemisphere", summary["hemisphere"]},
                    {"territories", summary["territories"]},
                    {"aspects_left", score("left")},
                    {"aspects_right", score("right")}};
  step["summary_file"] = summary["files"]["summary"];
  if (manual) {
    step["manual_mask"] =
        copy_manual_mask(*manual, native, result.alignment.template_to_subject, target, stage_root);
  }
  return step;
}

}  // namespace

fs::path manual_mask_path(const fs::path& manual_dir, const std::string& session_prefix,
                          const std::string& suffix) {
  return manual_dir / (session_prefix + "_" + suffix + "_lesion.nii.gz");
}

json derive_subject(const SubjectDerivativesInput& input, const Template& target,
                    const SkullStripTemplate& head, const DataStore& store,
                    const fs::path& stage_root) {
  json sessions = json::array();
  for (const SessionImages& session : subject_sessions(input.dataset, input.subject)) {
    json record = {
        {"participant_id", "sub-" + session.subject},
        {"session_id", session.session.empty() ? json(nullptr) : json("ses-" + session.session)}};
    json anatomical = json::array();
    for (const RawImage& raw : session.anatomical)
      anatomical.push_back(derive_anatomical(input, session, raw, target, head, stage_root));
    record["anatomical"] = anatomical;
    record["diffusion"] = session.dwi.empty()
                              ? json(nullptr)
                              : derive_diffusion(input, session, target, store, stage_root);
    sessions.push_back(record);
  }
  return {{"subject", input.subject},
          {"software", {{"name", "strokefair"}, {"version", STROKEFAIR_VERSION}}},
          {"command_line", input.command_line},
          {"template", target.space},
          {"sessions", sessions}};
}

}  // namespace strokefair
