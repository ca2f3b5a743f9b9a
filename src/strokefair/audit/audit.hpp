// Looks through a dataset tree for anything that could identify a patient.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace strokefair {

// One thing found. `problem` names the kind of identifier, never the value itself, so an
// audit report can be shared.
struct Finding {
  std::string file;   // relative to the audited root
  std::string field;  // JSON key, TSV column, header field, or "name" / "content"
  std::string problem;
};

// Scans names, JSON, TSV, text files, NIfTI header text fields and gzip headers (hidden files
// included) for identifier patterns and for any of `literal_values` (case-insensitive, as a
// whole word). Literal values shorter than 3 characters are ignored.
std::vector<Finding> audit_dataset(const std::filesystem::path& root,
                                   const std::vector<std::string>& literal_values);

// The identifying values of a raw dcm2niix sidecar (names and their parts, IDs, dates,
// institution, station, serial, comments): what must never appear in the dataset.
std::vector<std::string> identifying_values(const nlohmann::json& raw_sidecar);

}  // namespace strokefair
