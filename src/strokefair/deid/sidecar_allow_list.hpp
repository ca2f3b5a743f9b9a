// The one list of sidecar fields that may leave the hospital, and the filter that applies it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace strokefair {

// Acquisition parameters a BIDS sidecar may keep. Everything else that dcm2niix writes
// (patient, institution, station, serial number, operators, descriptions, comments, UIDs,
// dates and times) is dropped, because a block-list misses what a site adds tomorrow.
const std::vector<std::string>& sidecar_allow_list();

// The allowed fields of `raw`, with non-finite numbers removed.
nlohmann::json filter_sidecar(const nlohmann::json& raw);

// What the dataset records in `DeidentificationMethod` and the PS3.15 Annex E codes.
nlohmann::json deidentification_record();

}  // namespace strokefair
