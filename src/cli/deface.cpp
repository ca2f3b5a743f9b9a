// `strokefair deface`: one 3D head image with its face and ears removed, verified.
#include "strokefair/deface/deface.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "strokefair/core/error.hpp"
#include "strokefair/deid/nifti_deid.hpp"
#include "strokefair/io/image_io.hpp"
#include "strokefair/io/output_stage.hpp"

namespace strokefair::cli {
namespace fs = std::filesystem;

namespace {

struct DefaceOptions {
  fs::path image;
  fs::path output;
  bool force = false;
};

bool is_nifti(const fs::path& path) {
  const std::string name = path.filename().string();
  return name.size() > 4 && (name.compare(name.size() - 4, 4, ".nii") == 0 ||
                             (name.size() > 7 && name.compare(name.size() - 7, 7, ".nii.gz") == 0));
}

std::string stem_of(const fs::path& path) {
  std::string name = path.filename().string();
  for (const char* extension : {".nii.gz", ".nii", ".mha", ".mhd"}) {
    const std::string e = extension;
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0)
      return name.substr(0, name.size() - e.size());
  }
  return name;
}

// NIfTI in and out: the original bytes with the face voxels zeroed (header and data type kept);
// otherwise through the float image writer.
void write_defaced(const DefaceOptions& options, const Image& original, const Mask& face,
                   const fs::path& staged) {
  if (!is_nifti(options.image) || !is_nifti(options.output)) {
    write_image(clear_face(original, face), staged);
    return;
  }
  const auto bytes =
      clear_nifti_voxels(read_nifti_bytes(options.image), face, options.image.string());
  if (staged.extension() == ".gz") {
    write_anonymous_gzip(bytes, staged);
    return;
  }
  write_text_file(staged, std::string(bytes.begin(), bytes.end()));
}

int run_deface(const DefaceOptions& options, const GlobalOptions& globals) {
  const auto started = std::chrono::steady_clock::now();
  if (!is_image_file_name(options.output))
    throw Error(options.output.string() + ": output must end in .nii, .nii.gz, .mha or .mhd",
                ExitCode::usage);
  const fs::path folder = fs::absolute(options.output).parent_path();
  require_outside_inputs(folder, {options.image});
  const std::string stem = stem_of(options.output);
  const fs::path image_name = options.output.filename();
  const fs::path mask_name = stem + "_label-face_mask.nii.gz";
  const fs::path sidecar_name = stem + ".json";
  OutputStage stage(folder, options.force);
  for (const auto& name : {image_name, mask_name, sidecar_name}) stage.require_absent(name);

  const HeadTemplate head_template = load_head_template(DataStore(globals.data_dir));
  const Image original = read_image(options.image);
  spdlog::info("defacing {}", options.image.filename().string());
  DefaceResult result = find_face(head_template, original, options.image.string());

  write_defaced(options, original, result.face, stage.path(image_name));
  verify_defacing(original, read_image(stage.path(image_name)), result);
  const DefaceVerification& v = result.verification;
  spdlog::debug(
      "head Dice {:.3f}, scales {:.2f} x {:.2f} x {:.2f}, brain voxels {}, face voxels {}",
      v.registration.brain_dice, v.registration.axis_scales[0], v.registration.axis_scales[1],
      v.registration.axis_scales[2], v.brain_voxels, v.face_voxels);
  const auto& m = result.template_to_image.m;
  spdlog::debug(
      "template to image: [{:.3f} {:.3f} {:.3f} {:.1f}; {:.3f} {:.3f} {:.3f} {:.1f}; "
      "{:.3f} {:.3f} {:.3f} {:.1f}]",
      m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9], m[10], m[11]);
  require_verified(result, options.image.string());

  write_mask(result.face, stage.path(mask_name));
  const nlohmann::json sidecar = {
      {"DeidentificationMethod", "face, teeth and ears removed by strokefair deface (verified)"},
      {"DeidentificationMethodCodeSequence", {clean_recognizable_visual_features_code()}},
      {"Defacing", defacing_record(v)},
      {"FaceMask", mask_name.string()},
      {"SourceSHA256", sha256_file(options.image)},
      {"GeneratedBy", {{{"Name", "strokefair deface"}, {"Version", STROKEFAIR_VERSION}}}},
  };
  write_text_file(stage.path(sidecar_name), sidecar.dump(2) + "\n");
  stage.commit();

  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  spdlog::info("defaced: {} face voxels cleared, {} brain voxels unchanged, in {:.1f} s",
               v.face_voxels, v.brain_voxels, seconds);
  nlohmann::json summary = defacing_record(v);
  summary.erase("Method");
  summary["Seconds"] = seconds;
  summary["Files"] = {image_name.string(), mask_name.string(), sidecar_name.string()};
  std::cout << summary.dump(2) << std::endl;
  return 0;
}

}  // namespace

Command add_deface(CLI::App& program, const GlobalOptions& globals) {
  auto options = std::make_shared<DefaceOptions>();
  CLI::App* app = program.add_subcommand(
      "deface",
      "Remove the face and ears of one 3D head image (T1w, T2w, FLAIR); refuses the image when "
      "the result fails verification. Writes OUT, its face mask and a JSON sidecar beside it; "
      "prints the verification as JSON on stdout");
  app->add_option("image", options->image, "3D head image (NIfTI or MetaImage)")->required();
  app->add_option("-o,--out", options->output,
                  "Defaced image to write (.nii.gz, .nii, .mha); not in the input's folder")
      ->required();
  app->add_flag("--force", options->force, "Replace existing outputs");
  return {app, [options, &globals] { return run_deface(*options, globals); }};
}

}  // namespace strokefair::cli
