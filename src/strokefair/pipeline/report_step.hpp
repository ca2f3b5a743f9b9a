// The analysis's last step: MRI-ASPECTS into the summary, and the radiological report.
#pragma once

#include <nlohmann/json.hpp>

#include "strokefair/data/data_store.hpp"
#include "strokefair/io/output_stage.hpp"
#include "strokefair/pipeline/analysis.hpp"

namespace strokefair {

// Adds "aspects" to `summary` (scored on the lesion in template space) and writes the HTML,
// text and viewer report into the stage, adding their paths to summary["files"].
// `territories_native` is the arterial level-2 atlas on the DWI grid.
void add_aspects_and_report(const AnalysisResult& result, const DataStore& store,
                            const LabelImage& territories_native, const Atlas& level2,
                            OutputStage& stage, nlohmann::json& summary);

}  // namespace strokefair
