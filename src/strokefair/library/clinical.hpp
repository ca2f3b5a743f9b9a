// Clinical tables in the BIDS participants.tsv form: one row per case, checked strictly.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace strokefair {

// Clinical fields of one case as a JSON object: numbers as numbers, text as strings, and
// `n/a` cells left out. Column names are kept, except the known spellings of the fields the
// library predicts, which become "nihss" and "mrs" (see canonical_field_name).
using ClinicalRecord = nlohmann::json;

// Rows by participant id, in file order of ids preserved by the map's keys only.
using ClinicalTable = std::map<std::string, ClinicalRecord>;

// Reads a tab-separated table whose first column is `participant_id`. Throws Error(bad_input)
// naming the file and line for text that is not UTF-8, duplicate ids, empty cells (missing
// values must be written n/a), rows with the wrong number of cells, or a missing header.
ClinicalTable read_clinical_table(const std::filesystem::path& path);

// "gs_rankin_6isdeath", "mrs_90" and the like become "mrs"; "nihss_admission" becomes "nihss".
std::string canonical_field_name(const std::string& column);

}  // namespace strokefair
