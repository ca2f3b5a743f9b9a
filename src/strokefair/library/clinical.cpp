// Strict reading of participants.tsv-style clinical tables.
#include "strokefair/library/clinical.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <vector>

#include "strokefair/core/error.hpp"
#include "strokefair/deid/text.hpp"

namespace strokefair {

namespace {

std::vector<std::string> split_row(const std::string& line) {
  std::vector<std::string> cells;
  std::size_t start = 0;
  while (true) {
    const std::size_t tab = line.find('\t', start);
    cells.push_back(line.substr(start, tab == std::string::npos ? std::string::npos : tab - start));
    if (tab == std::string::npos) break;
    start = tab + 1;
  }
  return cells;
}

ClinicalRecord::value_type cell_value(const std::string& cell) {
  char* end = nullptr;
  const double number = std::strtod(cell.c_str(), &end);
  if (end != cell.c_str() && *end == '\0' && std::isfinite(number)) return number;
  return cell;
}

}  // namespace

std::string canonical_field_name(const std::string& column) {
  static const std::map<std::string, std::string> aliases = {
      {"gs_rankin_6isdeath", "mrs"},
      {"mrs_90", "mrs"},
      {"mrs90", "mrs"},
      {"mrs_90d", "mrs"},
      {"nihss_admission", "nihss"},
      {"nihss_adm", "nihss"},
      {"admission_nihss", "nihss"},
  };
  const auto it = aliases.find(column);
  return it == aliases.end() ? column : it->second;
}

ClinicalTable read_clinical_table(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(path.string(), "clinical table cannot be read");
  std::string line;
  if (!std::getline(in, line)) throw input_error(path.string(), "clinical table is empty");

  // A byte-order mark is not BIDS, but it is what spreadsheet programs write; it is skipped.
  if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (!is_valid_utf8(line)) throw input_error(path.string(), "header is not UTF-8 text");
  const std::vector<std::string> header = split_row(line);
  if (header.empty() || header[0] != "participant_id") {
    throw input_error(path.string(), "the first column must be participant_id (tab-separated)");
  }

  ClinicalTable table;
  std::map<std::string, int> first_line;
  int line_number = 1;
  while (std::getline(in, line)) {
    ++line_number;
    const std::string where = path.string() + " line " + std::to_string(line_number);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (!is_valid_utf8(line)) {
      throw Error(where + ": text is not UTF-8 (save the table as UTF-8)", ExitCode::bad_input);
    }
    const std::vector<std::string> cells = split_row(line);
    if (cells.size() != header.size()) {
      throw Error(where + ": " + std::to_string(cells.size()) + " cells where the header has " +
                      std::to_string(header.size()),
                  ExitCode::bad_input);
    }
    const std::string& id = cells[0];
    if (id.empty() || id == "n/a")
      throw Error(where + ": participant_id is missing", ExitCode::bad_input);
    const auto [previous, inserted] = first_line.emplace(id, line_number);
    if (!inserted) {
      throw Error(where + ": participant " + id + " is listed twice (first on line " +
                      std::to_string(previous->second) + ")",
                  ExitCode::bad_input);
    }

    ClinicalRecord record = ClinicalRecord::object();
    for (std::size_t c = 1; c < cells.size(); ++c) {
      if (cells[c].empty()) {
        throw Error(
            where + ": empty cell in column " + header[c] + " (write n/a for a missing value)",
            ExitCode::bad_input);
      }
      if (cells[c] == "n/a") continue;
      record[canonical_field_name(header[c])] = cell_value(cells[c]);
    }
    table.emplace(id, std::move(record));
  }
  return table;
}

}  // namespace strokefair
