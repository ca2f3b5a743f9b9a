// Writing an analysis as a BIDS derivatives folder, and its summary.
#pragma once

#include <nlohmann/json.hpp>

#include "strokefair/io/output_stage.hpp"
#include "strokefair/pipeline/analysis.hpp"

namespace strokefair {

// File names of one analysis, relative to the derivatives root.
struct AnalysisFiles {
  std::filesystem::path folder;
  std::filesystem::path lesion_mask, lesion_mask_template, brain_mask, regions_table,
      regions_sidecar, qc_figure, summary, transform, arterial_native;
};
AnalysisFiles analysis_files(const std::string& subject, const std::string& session,
                             const std::string& space);

// The summary object printed on stdout and saved beside the masks.
nlohmann::json summarise(const AnalysisResult& result, const AnalysisOptions& options,
                         const AnalysisFiles& files);

// Fails early, before any work, when outputs exist and overwriting is off.
void check_outputs_absent(const OutputStage& stage, const AnalysisFiles& files);

// Writes every output into the stage; the caller commits. Returns the summary.
nlohmann::json write_analysis(const AnalysisResult& result, const AnalysisOptions& options,
                              const DataStore& store, OutputStage& stage);

}  // namespace strokefair
