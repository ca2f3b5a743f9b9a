// The clinical column catalogue and the strict CSV/TSV reader behind participants.tsv.
#include "strokefair/bids/participants.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>

#include "strokefair/core/error.hpp"
#include "strokefair/deid/text.hpp"

namespace strokefair {
namespace fs = std::filesystem;

namespace {

const std::map<std::string, std::string> kYesNo = {{"0", "no"}, {"1", "yes"}};

// HIPAA Safe Harbor: ages over 89 are aggregated into one category, written 90.
constexpr double kHighestReportableAge = 89;

std::vector<std::string> split_line(const std::string& line, char delimiter,
                                    const std::string& file, std::size_t line_number) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"' && field.empty()) {
      quoted = true;
    } else if (c == delimiter) {
      fields.push_back(field);
      field.clear();
    } else {
      field += c;
    }
  }
  if (quoted) throw input_error(file, "line " + std::to_string(line_number) + ": unclosed quote");
  fields.push_back(field);
  return fields;
}

std::string trim(const std::string& text) {
  const auto first = text.find_first_not_of(" \t\r");
  if (first == std::string::npos) return {};
  return text.substr(first, text.find_last_not_of(" \t\r") - first + 1);
}

bool is_missing(const std::string& value) {
  const std::string lower = ascii_lower(value);
  return lower.empty() || lower == "n/a" || lower == "na" || lower == "nan" || lower == "null";
}

const ClinicalColumn* find_column(const std::string& name) {
  for (const auto& column : clinical_columns()) {
    if (column.name == name) return &column;
  }
  return nullptr;
}

std::string format_number(double value) {
  std::ostringstream text;
  text << value;
  return text.str();
}

// The value as participants.tsv writes it, or an explanation of why it is refused.
std::string normalise_value(const ClinicalColumn& column, const std::string& value,
                            const std::string& where) {
  if (is_missing(value)) return "n/a";
  if (column.kind == ColumnKind::categorical) {
    for (const auto& [level, meaning] : column.levels) {
      if (ascii_lower(level) == ascii_lower(value)) return level;
    }
    throw Error(where + ": value is not one of the levels of " + column.name, ExitCode::bad_input);
  }
  std::size_t used = 0;
  double number = 0;
  try {
    number = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value.size() || !std::isfinite(number))
    throw Error(where + ": " + column.name + " is not a number", ExitCode::bad_input);
  if (column.kind == ColumnKind::integer && number != std::floor(number))
    throw Error(where + ": " + column.name + " must be a whole number", ExitCode::bad_input);
  if (number < column.minimum || number > column.maximum)
    throw Error(where + ": " + column.name + " is outside its plausible range",
                ExitCode::bad_input);
  if (column.kind == ColumnKind::age && number > kHighestReportableAge) return "90";
  return format_number(number);
}

}  // namespace

const std::vector<ClinicalColumn>& clinical_columns() {
  static const std::vector<ClinicalColumn> columns = {
      {"age",
       ColumnKind::age,
       "Age at the first imaging exam; ages above 89 are written 90 "
       "(HIPAA Safe Harbor)",
       "year",
       {},
       0,
       130},
      {"sex", ColumnKind::categorical, "Sex", "", {{"M", "male"}, {"F", "female"}, {"O", "other"}}},
      {"race",
       ColumnKind::categorical,
       "Race as recorded in the registry",
       "",
       {{"white", "White"},
        {"black", "Black or African American"},
        {"asian", "Asian"},
        {"native", "American Indian or Alaska Native"},
        {"pacific",
         "Native Hawaiian or "
         "other Pacific Islander"},
        {"other", "other or more than one"}}},
      {"ethnicity",
       ColumnKind::categorical,
       "Hispanic ethnicity",
       "",
       {{"hispanic", "Hispanic or Latino"}, {"not_hispanic", "not Hispanic or Latino"}}},
      {"nihss_admission", ColumnKind::integer, "NIH Stroke Scale at admission", "", {}, 0, 42},
      {"nihss_discharge", ColumnKind::integer, "NIH Stroke Scale at discharge", "", {}, 0, 42},
      {"hypertension", ColumnKind::categorical, "History of hypertension", "", kYesNo},
      {"diabetes", ColumnKind::categorical, "History of diabetes mellitus", "", kYesNo},
      {"atrial_fibrillation", ColumnKind::categorical, "Atrial fibrillation or flutter", "",
       kYesNo},
      {"prior_stroke_tia", ColumnKind::categorical, "Previous stroke or TIA", "", kYesNo},
      {"smoking", ColumnKind::categorical, "Current smoker", "", kYesNo},
      {"dyslipidemia", ColumnKind::categorical, "Dyslipidemia", "", kYesNo},
      {"systolic_bp",
       ColumnKind::number,
       "Systolic blood pressure at arrival",
       "mmHg",
       {},
       40,
       300},
      {"diastolic_bp",
       ColumnKind::number,
       "Diastolic blood pressure at arrival",
       "mmHg",
       {},
       20,
       200},
      {"glucose", ColumnKind::number, "Blood glucose at arrival", "mg/dL", {}, 10, 1500},
      {"hba1c", ColumnKind::number, "Glycated haemoglobin", "%", {}, 2, 25},
      {"ldl", ColumnKind::number, "LDL cholesterol", "mg/dL", {}, 5, 600},
      {"bmi", ColumnKind::number, "Body mass index", "kg/m^2", {}, 8, 100},
      {"iv_thrombolysis", ColumnKind::categorical, "Intravenous thrombolysis given", "", kYesNo},
      {"thrombectomy", ColumnKind::categorical, "Endovascular thrombectomy performed", "", kYesNo},
      {"length_of_stay", ColumnKind::integer, "Length of hospital stay", "day", {}, 0, 3650},
      {"discharge_disposition",
       ColumnKind::categorical,
       "Where the patient went at discharge",
       "",
       {{"home", "home"},
        {"rehab", "inpatient rehabilitation"},
        {"snf", "skilled nursing facility"},
        {"hospice", "hospice"},
        {"death", "died in hospital"},
        {"other", "other"}}},
      {"mrs_90d",
       ColumnKind::integer,
       "Modified Rankin Scale at 90 days (0 no symptoms, 6 dead)",
       "",
       {},
       0,
       6},
      // Free text is never shared: these columns are recognised so they can be dropped.
      {"notes", ColumnKind::free_text, "", "", {}},
      {"comments", ColumnKind::free_text, "", "", {}},
      {"history", ColumnKind::free_text, "", "", {}},
  };
  return columns;
}

SiteClinicalTable read_site_clinical_table(const fs::path& path) {
  const std::string file = path.string();
  const std::string text = read_text_file(path);
  if (starts_with_bom(text))
    throw input_error(file, "starts with a byte-order mark; save it as UTF-8 without BOM");
  if (!is_valid_utf8(text))
    throw input_error(file, "is not UTF-8 (Latin-1?); convert it, e.g. iconv -f latin1 -t utf-8");

  std::istringstream lines(text);
  std::string line;
  if (!std::getline(lines, line)) throw input_error(file, "is empty");
  const char delimiter = line.find('\t') != std::string::npos ? '\t' : ',';
  std::vector<std::string> header = split_line(line, delimiter, file, 1);
  for (auto& name : header) name = ascii_lower(trim(name));

  const auto id_column = std::find(header.begin(), header.end(), "patient_id");
  if (id_column == header.end()) {
    // Spreadsheets in many locales export with semicolons; say so rather than "no column".
    if (header.size() == 1 && line.find(';') != std::string::npos)
      throw input_error(file, "is separated by semicolons; export it with commas or tabs");
    throw input_error(file, "has no patient_id column");
  }
  SiteClinicalTable table;
  std::vector<const ClinicalColumn*> known(header.size(), nullptr);
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (header[i] == "patient_id") continue;
    known[i] = find_column(header[i]);
    if (!known[i])
      throw input_error(file, "column '" + header[i] +
                                  "' is not a known clinical column; "
                                  "rename it to a documented one or remove it");
    if (known[i]->kind == ColumnKind::free_text) {
      ++table.dropped_free_text_columns;
      continue;
    }
    if (std::count(table.columns.begin(), table.columns.end(), header[i]))
      throw input_error(file, "column '" + header[i] + "' appears twice");
    table.columns.push_back(header[i]);
  }

  std::size_t line_number = 1;
  while (std::getline(lines, line)) {
    ++line_number;
    if (trim(line).empty()) continue;
    const std::string where = file + ": line " + std::to_string(line_number);
    const auto fields = split_line(line, delimiter, file, line_number);
    if (fields.size() != header.size())
      throw Error(where + ": " + std::to_string(fields.size()) + " fields, header has " +
                      std::to_string(header.size()),
                  ExitCode::bad_input);
    const std::string id = trim(fields[id_column - header.begin()]);
    if (is_missing(id)) throw Error(where + ": patient_id is missing", ExitCode::bad_input);
    if (table.rows.count(id))
      throw Error(where + ": a second row for the same patient_id", ExitCode::bad_input);
    auto& row = table.rows[id];
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (!known[i] || known[i]->kind == ColumnKind::free_text) continue;
      row[header[i]] = normalise_value(*known[i], trim(fields[i]), where);
    }
  }
  return table;
}

std::string participants_tsv(const std::vector<Participant>& participants,
                             const SiteClinicalTable& table) {
  std::string text = "participant_id";
  for (const auto& column : table.columns) text += "\t" + column;
  text += "\n";
  std::vector<Participant> sorted = participants;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.pseudonym < b.pseudonym; });
  for (const auto& p : sorted) {
    text += "sub-" + p.pseudonym;
    const auto row = table.rows.find(p.original_id);
    for (const auto& column : table.columns) {
      std::string value = "n/a";
      if (row != table.rows.end() && row->second.count(column)) value = row->second.at(column);
      text += "\t" + value;
    }
    text += "\n";
  }
  return text;
}

nlohmann::json participants_json(const SiteClinicalTable& table) {
  nlohmann::json doc = {{"participant_id", {{"Description", "Pseudonymous subject label"}}}};
  for (const auto& name : table.columns) {
    const ClinicalColumn* column = find_column(name);
    if (!column) continue;
    nlohmann::json entry = {{"Description", column->description}};
    if (!column->units.empty()) entry["Units"] = column->units;
    if (!column->levels.empty()) entry["Levels"] = column->levels;
    doc[name] = entry;
  }
  return doc;
}

SiteClinicalTable read_participants_tsv(const fs::path& path) {
  SiteClinicalTable table;
  if (!fs::exists(path)) return table;
  std::istringstream lines(read_text_file(path));
  std::string line;
  if (!std::getline(lines, line)) return table;
  const auto header = split_line(line, '\t', path.string(), 1);
  table.columns.assign(header.begin() + 1, header.end());
  while (std::getline(lines, line)) {
    const auto fields = split_line(line, '\t', path.string(), 0);
    if (fields.size() != header.size()) continue;
    for (std::size_t i = 1; i < fields.size(); ++i) table.rows[fields[0]][header[i]] = fields[i];
  }
  return table;
}

}  // namespace strokefair
