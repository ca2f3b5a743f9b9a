// Identifier patterns and literal-value search over a whole dataset tree.
#include "strokefair/audit/audit.hpp"

#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

#include "strokefair/deid/nifti_deid.hpp"
#include "strokefair/deid/sidecar_allow_list.hpp"
#include "strokefair/deid/text.hpp"
#include "strokefair/report/niivue_bundle.hpp"

namespace strokefair {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::uintmax_t kLargestScannedFile = 64u << 20;

struct Pattern {
  std::regex expression;
  std::string problem;
};

// Patterns for identifiers in free text (JSON strings, TSV cells, README, names).
const std::vector<Pattern>& text_patterns() {
  static const std::vector<Pattern> patterns = {
      {std::regex(R"((^|[^\d.])(19|20)\d\d-?(0[1-9]|1[0-2])-?(0[1-9]|[12]\d|3[01])($|[^\d]))"),
       "looks like a date"},
      {std::regex(R"((^|[^\d.:])([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?($|[^\d]))"),
       "looks like a clock time"},
      {std::regex(R"([A-Za-z]{2,}\^[A-Za-z]{2,})"), "looks like a DICOM person name"},
      {std::regex(R"([\w.+-]+@[\w-]+\.[\w.-]+)"), "looks like an e-mail address"},
      {std::regex(R"((\+\d{1,3}[ -]?)?\(?\d{3}\)?[ -]\d{3}[ -]\d{4})"),
       "looks like a phone number"},
      {std::regex(
           R"(\b(Street|Strasse|Road|Avenue|Drive|Lane|Boulevard|Ave|Rd|Dr|St|Blvd)\b\.?,? ?\d+)"
           R"(|\b\d+ [A-Z][a-z]+ (Street|Road|Avenue|Drive|Lane|Boulevard|Ave|Rd|Dr|St|Blvd)\b)"),
       "looks like a street address"},
      {std::regex(R"([a-z]+(strasse|straße|str\.|gasse|platz|weg) ?\d+)", std::regex::icase),
       "looks like a street address"},
      {std::regex(R"(\b(MRN|mrn|Accession|accession|record number)\b)"),
       "mentions a record number"},
      {std::regex(R"(\b(Hospital|Klinikum|Clinic|Medical Cent(er|re)|Infirmary)\b)"),
       "looks like an institution name"},
      {std::regex(R"(\b(0[9]\d|1\d\d)Y\b)"), "DICOM age over 89"},
      {std::regex(R"(\b\d{3}[YMWD]\b)"), "DICOM age string"},
  };
  return patterns;
}

// JSON keys that only ever hold identifiers.
bool identifying_key(const std::string& key) {
  static const char* const words[] = {"Patient",        "Institution",       "Station",
                                      "Serial",         "Operator",          "Physician",
                                      "Address",        "Accession",         "Birth",
                                      "Date",           "Comments",          "InstanceUID",
                                      "StudyID",        "SeriesDescription", "StudyDescription",
                                      "StepDescription"};
  const auto& allowed = sidecar_allow_list();
  if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) return false;
  for (const char* word : words) {
    if (key.find(word) != std::string::npos) return true;
  }
  const bool clock_time = key.size() > 4 && key.compare(key.size() - 4, 4, "Time") == 0;
  return clock_time;
}

bool word_character(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || static_cast<unsigned char>(c) >= 0x80;
}

// Pixel data are never searched: text burned into an image is not detected.
class Auditor {
 public:
  Auditor(fs::path root, const std::vector<std::string>& literals) : root_(std::move(root)) {
    std::set<std::string> unique;
    for (const auto& value : literals) {
      if (value.size() >= 3) unique.insert(ascii_lower(value));
    }
    literals_.assign(unique.begin(), unique.end());
  }

  std::vector<Finding> run() {
    check_name(root_.filename().string(), ".");
    for (auto it = fs::recursive_directory_iterator(root_);
         it != fs::recursive_directory_iterator(); ++it) {
      const fs::path relative = fs::relative(it->path(), root_);
      const std::string name = it->path().filename().string();
      check_name(name, relative.generic_string());
      if (!name.empty() && name[0] == '.' && name != ".bidsignore")
        add(relative.generic_string(), "name", "hidden file or folder");
      if (it->is_regular_file()) check_file(it->path(), relative.generic_string());
    }
    return findings_;
  }

 private:
  void add(const std::string& file, const std::string& field, const std::string& problem) {
    findings_.push_back({file, field, problem});
  }

  bool contains_literal(const std::string& text) const {
    const std::string lower = ascii_lower(text);
    for (const auto& literal : literals_) {
      for (std::size_t at = lower.find(literal); at != std::string::npos;
           at = lower.find(literal, at + 1)) {
        const bool starts = at == 0 || !word_character(lower[at - 1]);
        const std::size_t end = at + literal.size();
        const bool ends = end == lower.size() || !word_character(lower[end]);
        if (starts && ends) return true;
      }
    }
    return false;
  }

  void check_text(const std::string& text, const std::string& file, const std::string& field) {
    if (contains_literal(text)) add(file, field, "holds an original identifying value");
    for (const auto& pattern : text_patterns()) {
      if (std::regex_search(text, pattern.expression)) add(file, field, pattern.problem);
    }
  }

  void check_name(const std::string& name, const std::string& file) {
    const bool plain = std::all_of(name.begin(), name.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    });
    if (!plain) add(file, "name", "file name has characters outside BIDS names");
    if (contains_literal(name)) add(file, "name", "holds an original identifying value");
    if (std::regex_search(name, text_patterns()[0].expression))
      add(file, "name", "looks like a date");
  }

  void check_json(const json& value, const std::string& file, const std::string& field) {
    if (value.is_object()) {
      for (const auto& [key, child] : value.items()) {
        if (identifying_key(key)) add(file, key, "field that holds identifiers or clock times");
        check_text(key, file, key);  // keys are text too: an e-mail can be a key
        check_json(child, file, key);
      }
    } else if (value.is_array()) {
      for (const auto& child : value) check_json(child, file, field);
    } else if (value.is_string()) {
      check_text(value.get<std::string>(), file, field);
    }
  }

  void check_tsv(const std::string& text, const std::string& file) {
    std::istringstream lines(text);
    std::string line;
    std::vector<std::string> header;
    while (std::getline(lines, line)) {
      std::vector<std::string> cells;
      std::stringstream split(line);
      std::string cell;
      while (std::getline(split, cell, '\t')) cells.push_back(cell);
      if (header.empty()) {
        header = cells;
        continue;
      }
      for (std::size_t i = 0; i < cells.size() && i < header.size(); ++i) {
        check_text(cells[i], file, header[i]);
        if (header[i] == "age" && cells[i] != "n/a") {
          try {
            if (std::stod(cells[i]) > 90) add(file, "age", "age over 89 not aggregated to 90");
          } catch (const std::exception&) {
          }
        }
      }
    }
  }

  void check_nifti(const fs::path& path, const std::string& file) {
    NiftiTextFields fields;
    try {
      fields = read_nifti_text_fields(path);
    } catch (const std::exception&) {
      add(file, "header", "unreadable NIfTI header");
      return;
    }
    const std::pair<const char*, const std::string*> text_fields[] = {
        {"descrip", &fields.descrip},
        {"aux_file", &fields.aux_file},
        {"intent_name", &fields.intent_name},
        {"db_name", &fields.db_name},
        {"data_type", &fields.data_type}};
    for (const auto& [name, value] : text_fields) {
      if (!value->empty()) add(file, name, "NIfTI header text field is not empty");
    }
    if (fields.has_extensions) add(file, "extension", "NIfTI header extension present");
  }

  void check_file(const fs::path& path, const std::string& file) {
    const std::string name = path.filename().string();
    const GzipHeaderInfo gzip = read_gzip_header(path);
    if (gzip.is_gzip && gzip.has_name) add(file, "gzip", "gzip header holds a file name");
    if (gzip.is_gzip && gzip.has_comment) add(file, "gzip", "gzip header holds a comment");
    if (gzip.is_gzip && gzip.mtime != 0) add(file, "gzip", "gzip header holds a time stamp");

    const bool nifti = name.size() > 4 && (name.find(".nii") != std::string::npos);
    if (nifti) {
      check_nifti(path, file);
      return;
    }
    if (gzip.is_gzip || fs::file_size(path) > kLargestScannedFile) return;

    const std::string text = read_text_file(path);
    const std::string extension = path.extension().string();
    if (text.find('\0') != std::string::npos || !is_valid_utf8(text)) {
      // Binary (a PNG figure, a transform): patterns would match noise; literals still count.
      if (contains_literal(text)) add(file, "content", "holds an original identifying value");
      return;
    }
    if (extension == ".json") {
      const json doc = json::parse(text, nullptr, false);
      if (doc.is_discarded()) {
        add(file, "content", "invalid JSON");
        check_text(text, file, "content");
      } else {
        check_json(doc, file, "content");
      }
    } else if (extension == ".tsv") {
      check_tsv(text, file);
    } else if (extension == ".bval" || extension == ".bvec") {
      if (contains_literal(text)) add(file, "content", "holds an original identifying value");
    } else {
      check_text(without_known_libraries(text), file, "content");
    }
  }

  // Two parts of an HTML page are not text to scan for patterns, which they match by chance
  // (e.g. "...Weg5..." in base64 reads as a street address):
  // - the NiiVue bundle that viewer pages embed, compiled into strokefair byte for byte, so it
  //   cannot hold a patient's value;
  // - base64 payloads (figures and images in data: URIs or script strings), which are binary
  //   like a PNG file.
  // Both are cut out before the rest of the page is scanned.
  static std::string without_known_libraries(const std::string& text) {
    std::string out = text;
    const std::string_view bundle = niivue_bundle();
    const std::size_t at = bundle.empty() ? std::string::npos : out.find(bundle);
    if (at != std::string::npos) out.erase(at, bundle.size());
    return without_base64_payloads(out);
  }

  // A run of 256 or more base64 characters without a space or punctuation is an encoded
  // payload, not words: text, code and tables break far sooner.
  static std::string without_base64_payloads(const std::string& text) {
    constexpr std::size_t kShortestPayload = 256;
    const auto base64 = [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/' || c == '=';
    };
    std::string out;
    std::size_t run_start = 0;
    for (std::size_t n = 0; n <= text.size(); ++n) {
      if (n < text.size() && base64(text[n])) continue;
      if (n - run_start < kShortestPayload) out.append(text, run_start, n - run_start);
      if (n < text.size()) out += text[n];
      run_start = n + 1;
    }
    return out;
  }

  fs::path root_;
  std::vector<std::string> literals_;
  std::vector<Finding> findings_;
};

void add_with_parts(std::vector<std::string>& values, const std::string& value,
                    const std::string& separators) {
  if (value.empty()) return;
  values.push_back(value);
  std::string part;
  for (char c : value + separators[0]) {
    if (separators.find(c) != std::string::npos) {
      if (part.size() >= 3 && part != value) values.push_back(part);
      part.clear();
    } else {
      part += c;
    }
  }
}

}  // namespace

std::vector<Finding> audit_dataset(const fs::path& root,
                                   const std::vector<std::string>& literal_values) {
  return Auditor(root, literal_values).run();
}

std::vector<std::string> identifying_values(const json& raw) {
  std::vector<std::string> values;
  for (const auto& [key, value] : raw.items()) {
    if (!value.is_string() || !identifying_key(key)) continue;
    const std::string text = value.get<std::string>();
    if (key.find("Date") != std::string::npos) {
      // "2021-10-05T15:35:11" is also written 20211005 in DICOM.
      const std::string date = text.substr(0, 10);
      values.push_back(date);
      std::string compact;
      for (char c : date) {
        if (c != '-') compact += c;
      }
      values.push_back(compact);
    } else if (key.find("Time") != std::string::npos) {
      continue;  // clock times are caught by the time pattern
    } else if (key.find("Name") != std::string::npos && key.find("Patient") != std::string::npos) {
      add_with_parts(values, text, "^ ");  // family and given names are searched alone too
    } else if (key.find("Address") != std::string::npos) {
      add_with_parts(values, text, ",");
    } else {
      values.push_back(text);  // single words of a department or description identify nobody
    }
  }
  return values;
}

}  // namespace strokefair
