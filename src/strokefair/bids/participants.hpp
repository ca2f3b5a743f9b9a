// Clinical metadata: reading a site's CSV/TSV export and writing participants.tsv/.json.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace strokefair {

enum class ColumnKind { age, number, integer, categorical, free_text };

// A clinical column strokefair knows how to describe (GWTG-Stroke style).
struct ClinicalColumn {
  std::string name;
  ColumnKind kind = ColumnKind::number;
  std::string description;
  std::string units;
  std::map<std::string, std::string> levels;  // categorical: value -> meaning
  double minimum = 0, maximum = 0;            // number/integer: plausible range
};

// Every column a clinical table may have besides `patient_id`.
const std::vector<ClinicalColumn>& clinical_columns();

struct SiteClinicalTable {
  std::vector<std::string> columns;                                // kept columns, in file order
  std::map<std::string, std::map<std::string, std::string>> rows;  // original ID -> values
  std::size_t dropped_free_text_columns = 0;
};

// Reads a UTF-8 CSV or TSV (by its first line) keyed by a `patient_id` column. Refuses,
// with one line naming the file and the line or column: a BOM, non-UTF-8 text, a missing
// or repeated ID, an unknown column, a value outside a column's levels or range. Messages
// never quote an ID. Ages above 89 become 90; missing values become "n/a".
SiteClinicalTable read_site_clinical_table(const std::filesystem::path& path);

struct Participant {
  std::string original_id;
  std::string pseudonym;
};

// participants.tsv text (UTF-8, no BOM, tab-separated, n/a for missing) and its sidecar.
std::string participants_tsv(const std::vector<Participant>& participants,
                             const SiteClinicalTable& table);
nlohmann::json participants_json(const SiteClinicalTable& table);

// Reads the columns and rows of an existing participants.tsv (keyed by participant_id).
SiteClinicalTable read_participants_tsv(const std::filesystem::path& path);

}  // namespace strokefair
