// dcm2niix conversion and rule-based classification of series into BIDS contrasts.
#include "strokefair/ingest/series.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "strokefair/core/error.hpp"
#include "strokefair/deid/nifti_deid.hpp"
#include "strokefair/deid/text.hpp"
#include "strokefair/ingest/process.hpp"

namespace strokefair {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string string_field(const json& raw, const char* field) {
  const auto it = raw.find(field);
  if (it == raw.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  return {};
}

double number_field(const json& raw, const char* field, double fallback = -1) {
  const auto it = raw.find(field);
  return (it != raw.end() && it->is_number()) ? it->get<double>() : fallback;
}

std::string upper(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return text;
}

std::string image_type(const json& raw) {
  std::string joined;
  const auto it = raw.find("ImageType");
  if (it == raw.end() || !it->is_array()) return joined;
  for (const auto& part : *it) {
    if (part.is_string()) joined += upper(part.get<std::string>()) + "\\";
  }
  return joined;
}

bool contains(const std::string& text, const char* word) {
  return text.find(word) != std::string::npos;
}

int nifti_volumes(const fs::path& nifti) {
  std::ifstream in(nifti, std::ios::binary);
  std::array<char, 56> header{};
  if (!in.read(header.data(), header.size())) throw input_error(nifti.string(), "too short");
  std::int16_t dims[8];
  std::memcpy(dims, header.data() + 40, sizeof dims);
  return dims[0] >= 4 ? std::max<int>(1, dims[4]) : 1;
}

// What dcm2niix wrote for one sidecar stem.
ConvertedSeries load_converted(const fs::path& sidecar) {
  ConvertedSeries series;
  series.raw = json::parse(repair_utf8_as_latin1(read_text_file(sidecar)), nullptr, false);
  if (series.raw.is_discarded() || !series.raw.is_object())
    throw Error("dcm2niix wrote an unreadable sidecar", ExitCode::processing);
  const fs::path stem = sidecar.parent_path() / sidecar.stem();
  series.nifti = stem.string() + ".nii";
  if (fs::exists(stem.string() + ".bval")) series.bval = stem.string() + ".bval";
  if (fs::exists(stem.string() + ".bvec")) series.bvec = stem.string() + ".bvec";
  series.volumes = nifti_volumes(series.nifti);
  return series;
}

Classification automatic_class(const ConvertedSeries& series) {
  const json& raw = series.raw;
  const std::string type = image_type(raw);
  const std::string names =
      upper(string_field(raw, "SeriesDescription") + " " + string_field(raw, "ProtocolName"));
  const std::string sequence =
      upper(string_field(raw, "ScanningSequence") + " " + string_field(raw, "PulseSequenceName") +
            " " + string_field(raw, "SequenceName"));
  const double te = number_field(raw, "EchoTime");
  const double tr = number_field(raw, "RepetitionTime");
  const double ti = number_field(raw, "InversionTime");

  if (string_field(raw, "Modality") == "CT") return {SeriesClass::ct, "CT modality", {}, {}, false};
  if (contains(type, "LOCALIZER") || contains(names, "LOCALIZER") || contains(names, "SCOUT") ||
      contains(names, "SURVEY"))
    return {SeriesClass::localizer, "localiser", {}, {}, false};
  if (contains(type, "\\ADC\\")) return {SeriesClass::adc, "ImageType ADC", {}, {}, false};
  if (contains(type, "TRACE")) return {SeriesClass::trace, "ImageType TRACE", {}, {}, false};
  if (!series.bval.empty()) return {SeriesClass::dwi, "b-values present", {}, {}, false};
  if (contains(type, "DIFFUSION") || contains(names, "DWI") || contains(names, "DIFF") ||
      contains(names, "DTI") || contains(sequence, "DWI") || contains(sequence, "EP2D_DIFF"))
    return {SeriesClass::dwi, "diffusion series without b-values", {}, {}, true};

  const bool epi = contains(sequence, "EP") && !contains(sequence, "SE");
  if (epi && series.volumes > 1) {
    if (contains(names, "PERF") || contains(names, "DSC") || contains(names, "PWI") ||
        contains(names, "BOLUS"))
      return {SeriesClass::dsc, "gradient-echo EPI time series named as perfusion", {}, {}, false};
    return {SeriesClass::unknown,
            "gradient-echo EPI time series: BOLD and DSC cannot be told apart; map it",
            {},
            {},
            false};
  }
  if (contains(names, "FLAIR") || (ti >= 1.2 && te >= 0.05))
    return {SeriesClass::flair, "long inversion time and echo time", {}, {}, false};
  if (te > 0 && te < 0.03 && ((tr > 0 && tr < 1.0) || (ti > 0.3 && ti < 1.2)))
    return {SeriesClass::t1w, "short echo and repetition (or inversion) time", {}, {}, false};
  if (te >= 0.06 && tr >= 2.0 && ti < 0)
    return {SeriesClass::t2w, "long echo and repetition time", {}, {}, false};
  return {SeriesClass::unknown, "no rule matches its contrast parameters", {}, {}, false};
}

// dcm2niix prints "Found N DICOM file(s)", "Convert N DICOM as ..." and "Skipping non-image
// DICOM: ..."; the file names in it are the neutral staging names.
void count_files_in_log(const fs::path& log, ConversionSummary& summary) {
  if (!fs::exists(log)) return;
  std::istringstream lines(read_text_file(log));
  for (std::string line; std::getline(lines, line);) {
    std::size_t count = 0;
    if (std::sscanf(line.c_str(), "Found %zu DICOM", &count) == 1) summary.files_found += count;
    if (std::sscanf(line.c_str(), "Convert %zu DICOM", &count) == 1)
      summary.files_converted += count;
    if (line.rfind("Skipping non-image DICOM", 0) == 0) ++summary.files_non_image;
  }
}

}  // namespace

std::string ConvertedSeries::patient_id() const { return string_field(raw, "PatientID"); }
std::string ConvertedSeries::study_uid() const { return string_field(raw, "StudyInstanceUID"); }
std::string ConvertedSeries::acquisition_datetime() const {
  return string_field(raw, "AcquisitionDateTime");
}

std::string ConvertedSeries::identity() const {
  // dcm2niix may write several files for one series (echoes, a derived ADC): its name suffix
  // after the series number ("_ADC", "_e2") tells them apart; "a", "b" suffixes do not repeat.
  const std::string stem = nifti.stem().string();
  const std::size_t underscore = stem.find('_');
  const std::string suffix = underscore == std::string::npos ? "" : stem.substr(underscore);
  return string_field(raw, "SeriesInstanceUID") + "|" + image_type(raw) + "|" +
         string_field(raw, "EchoNumber") + "|" + suffix;
}

std::string ConvertedSeries::neutral_label() const {
  return "series " + string_field(raw, "SeriesNumber");
}

ConversionSummary convert_dicom(const fs::path& dicom_folder, const fs::path& output_folder) {
  if (!program_available("dcm2niix"))
    throw Error("dcm2niix not found in PATH (Debian package dcm2niix)", ExitCode::bad_input);

  // -ba n keeps the identifiers in the private raw sidecar: they are needed to group exams and
  // to audit the output, and the allow-list removes them. -f s%s names files by series number.
  const ProcessResult result = run_program("dcm2niix",
                                           {"-b", "y", "-ba", "n", "-z", "n", "-f", "s%s", "-o",
                                            output_folder.string(), dicom_folder.string()},
                                           output_folder.parent_path() / "dcm2niix.log");
  if (!result.started) throw Error("dcm2niix could not be started", ExitCode::processing);

  ConversionSummary summary;
  summary.converter_exit_code = result.exit_code;
  count_files_in_log(output_folder.parent_path() / "dcm2niix.log", summary);
  std::vector<fs::path> sidecars;
  for (const auto& entry : fs::directory_iterator(output_folder)) {
    if (entry.path().extension() == ".json") sidecars.push_back(entry.path());
  }
  std::sort(sidecars.begin(), sidecars.end());
  for (const auto& sidecar : sidecars) {
    const fs::path stem = sidecar.parent_path() / sidecar.stem();
    if (!fs::exists(stem.string() + ".nii")) continue;  // a sidecar without image: not converted
    summary.series.push_back(load_converted(sidecar));
  }
  if (summary.series.empty())
    throw Error("dcm2niix converted no series from the DICOM input (exit code " +
                    std::to_string(result.exit_code) + ")",
                ExitCode::bad_input);
  return summary;
}

std::string to_string(SeriesClass kind) {
  switch (kind) {
    case SeriesClass::t1w:
      return "T1w";
    case SeriesClass::t2w:
      return "T2w";
    case SeriesClass::flair:
      return "FLAIR";
    case SeriesClass::dwi:
      return "dwi";
    case SeriesClass::adc:
      return "ADC";
    case SeriesClass::trace:
      return "trace";
    case SeriesClass::dsc:
      return "dsc";
    case SeriesClass::ct:
      return "ct";
    case SeriesClass::bold:
      return "bold";
    case SeriesClass::localizer:
      return "localizer";
    case SeriesClass::ignored:
      return "ignore";
    case SeriesClass::unknown:
      return "unknown";
  }
  return "unknown";
}

std::optional<SeriesClass> series_class_from_string(const std::string& name) {
  for (SeriesClass kind : {SeriesClass::t1w, SeriesClass::t2w, SeriesClass::flair, SeriesClass::dwi,
                           SeriesClass::adc, SeriesClass::trace, SeriesClass::dsc, SeriesClass::ct,
                           SeriesClass::bold, SeriesClass::localizer, SeriesClass::ignored}) {
    if (ascii_lower(to_string(kind)) == ascii_lower(name)) return kind;
  }
  return std::nullopt;
}

bool glob_match(const std::string& pattern, const std::string& text) {
  // Iterative wildcard match with backtracking to the last '*'.
  std::size_t p = 0, t = 0, star = std::string::npos, resume = 0;
  const std::string pat = ascii_lower(pattern), txt = ascii_lower(text);
  while (t < txt.size()) {
    if (p < pat.size() && (pat[p] == '?' || pat[p] == txt[t])) {
      ++p;
      ++t;
    } else if (p < pat.size() && pat[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

bool is_bids_label(const std::string& label) {
  return !label.empty() && std::all_of(label.begin(), label.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

std::vector<MappingRule> read_mapping(const fs::path& path) {
  const json doc = json::parse(read_text_file(path), nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("series") ||
      !doc["series"].is_array())
    throw input_error(path.string(), "is not a mapping file ({\"series\": [...]})");
  std::vector<MappingRule> rules;
  for (std::size_t i = 0; i < doc["series"].size(); ++i) {
    const json& entry = doc["series"][i];
    const std::string where = "rule " + std::to_string(i + 1);
    if (!entry.is_object() || !entry.contains("match") || !entry["match"].is_object() ||
        !entry.contains("class") || !entry["class"].is_string())
      throw input_error(path.string(), where + " needs \"match\" (object) and \"class\"");
    for (const auto& [key, value] : entry.items()) {
      if (key != "match" && key != "class" && key != "acq" && key != "task")
        throw input_error(path.string(), where + " has an unknown key \"" + key + "\"");
    }
    MappingRule rule;
    const auto kind = series_class_from_string(entry["class"].get<std::string>());
    if (!kind) throw input_error(path.string(), where + " has an unknown class");
    rule.kind = *kind;
    for (const auto& [field, pattern] : entry["match"].items()) {
      if (!pattern.is_string()) throw input_error(path.string(), where + ": patterns are strings");
      rule.match[field] = pattern.get<std::string>();
    }
    rule.acquisition = entry.value("acq", "");
    rule.task = entry.value("task", "");
    if (!rule.acquisition.empty() && !is_bids_label(rule.acquisition))
      throw input_error(path.string(), where + ": \"acq\" must be letters and digits");
    if (rule.kind == SeriesClass::bold && !is_bids_label(rule.task))
      throw input_error(path.string(), where + ": class bold needs \"task\" (letters and digits)");
    rules.push_back(rule);
  }
  return rules;
}

Classification classify_series(const ConvertedSeries& series,
                               const std::vector<MappingRule>& mapping) {
  for (std::size_t i = 0; i < mapping.size(); ++i) {
    const MappingRule& rule = mapping[i];
    const bool matches = std::all_of(rule.match.begin(), rule.match.end(), [&](const auto& m) {
      const std::string value = m.first == "ImageType" ? image_type(series.raw)
                                                       : string_field(series.raw, m.first.c_str());
      return glob_match(m.second, value);
    });
    if (!matches) continue;
    Classification mapped{rule.kind, "mapping rule " + std::to_string(i + 1), rule.acquisition,
                          rule.task, false};
    if (rule.kind == SeriesClass::dwi && series.bval.empty()) {
      mapped.refused = true;
      mapped.reason = "diffusion series without b-values (" + mapped.reason + ")";
    }
    return mapped;
  }
  return automatic_class(series);
}

std::vector<double> read_bvalues(const fs::path& bval) {
  std::istringstream in(read_text_file(bval));
  std::vector<double> values;
  double b = 0;
  while (in >> b) values.push_back(b < 1.0 ? 0.0 : b);
  return values;
}

}  // namespace strokefair
