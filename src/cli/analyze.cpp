// `strokefair analyze`: one patient's DWI to a segmented, quantified acute infarct.
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "strokefair/core/error.hpp"
#include "strokefair/pipeline/analysis_outputs.hpp"

namespace strokefair::cli {
namespace fs = std::filesystem;

Command add_analyze(CLI::App& program, const GlobalOptions& globals) {
  auto options = std::make_shared<AnalysisOptions>();
  CLI::App* app = program.add_subcommand(
      "analyze",
      "Segment and quantify the acute infarct of one patient's DWI; writes a BIDS "
      "derivatives folder and prints the summary JSON on stdout");
  app->add_option("--dwi", options->inputs.dwi,
                  "b=1000 trace image (3D), or a 4D DWI series with its .bval")
      ->required();
  app->add_option("--b0", options->inputs.b0, "b=0 image (used for ADC and registration)");
  app->add_option("--adc", options->inputs.adc, "ADC map from the scanner");
  app->add_option("--adc-unit", options->inputs.adc_unit,
                  "Unit of --adc: auto, mm2/s, 1e-3 (10^-3 mm²/s) or 1e-6 (10^-6 mm²/s)")
      ->default_val("auto");
  app->add_option("--bval", options->inputs.bval,
                  "b-value in s/mm² (a number), a .bval file, or a JSON sidecar with "
                  "DiffusionBValue");
  // A given label must not be empty: an empty one would silently fall back to the file name.
  const CLI::Validator not_empty(
      [](std::string& value) { return value.empty() ? std::string("must not be empty") : ""; },
      "LABEL");
  app->add_option("--subject", options->subject,
                  "Subject label (default: from a BIDS file name, else the DWI file name)")
      ->check(not_empty);
  app->add_option("--session", options->session, "Session label")->check(not_empty);
  app->add_option("--out", options->output, "BIDS derivatives folder to write")->required();
  app->add_option("--model", options->model,
                  "TorchScript lesion network to use instead of the built-in rules (CPU)");
  app->add_option("--model-description", options->model_description,
                  "JSON description of the network's inputs (default: --model with .json)");
  app->add_flag("--force", options->overwrite, "Replace this subject's existing outputs");

  return {
      app, [options, &globals] {
        options->command_line = globals.command_line;
        const DataStore store(globals.data_dir);
        require_outside_inputs(options->output,
                               {options->inputs.dwi, options->inputs.b0, options->inputs.adc,
                                options->model, options->model_description});
        OutputStage stage(options->output, options->overwrite);
        if (!options->subject.empty()) {
          check_outputs_absent(
              stage, analysis_files(options->subject, options->session, "MNI152NLin2009cSym"));
        }
        // File names of clinical exports often hold names or record numbers: not logged.
        if (options->subject.empty() &&
            options->inputs.dwi.filename().string().find("sub-") == std::string::npos) {
          spdlog::warn("subject label taken from the DWI file name; give --subject to choose it");
        }
        const AnalysisResult result =
            analyse(*options, store, [](const std::string& stage_name, double seconds) {
              spdlog::info("{} done", stage_name);
              spdlog::debug("{} took {:.2f} s", stage_name, seconds);
            });
        for (const std::string& warning : result.warnings) spdlog::warn("{}", warning);
        check_outputs_absent(stage,
                             analysis_files(result.subject, result.session, result.target.space));
        const nlohmann::json summary = write_analysis(result, *options, store, stage);
        stage.commit();
        spdlog::info("lesion {:.2f} mL in {} component(s), {}; outputs in {}",
                     summary["lesion_volume_ml"].get<double>(), summary["lesion_count"].get<int>(),
                     summary["hemisphere"].get<std::string>(), stage.root().string());
        std::cout << summary.dump(2) << std::endl;
        return 0;
      }};
}

}  // namespace strokefair::cli
