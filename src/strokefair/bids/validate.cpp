// A schema-driven BIDS checker covering what strokefair writes and what derivatives need.
#include "strokefair/bids/validate.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "strokefair/core/error.hpp"
#include "strokefair/deid/nifti_deid.hpp"
#include "strokefair/deid/text.hpp"
#include "strokefair/ingest/series.hpp"

namespace strokefair {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct ParsedName {
  std::vector<std::pair<std::string, std::string>> entities;  // (key, label) in file order
  std::string suffix;
  std::string extension;
  bool ok = false;
};

ParsedName parse_name(const std::string& name) {
  ParsedName parsed;
  const std::size_t dot = name.find('.');
  parsed.extension = dot == std::string::npos ? "" : name.substr(dot);
  const std::string stem = name.substr(0, dot);
  std::vector<std::string> parts;
  std::stringstream split(stem);
  for (std::string part; std::getline(split, part, '_');) parts.push_back(part);
  if (parts.size() < 2) return parsed;
  parsed.suffix = parts.back();
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    const std::size_t dash = parts[i].find('-');
    if (dash == std::string::npos || dash == 0 || dash + 1 == parts[i].size()) return parsed;
    parsed.entities.emplace_back(parts[i].substr(0, dash), parts[i].substr(dash + 1));
  }
  parsed.ok = std::all_of(parsed.suffix.begin(), parsed.suffix.end(),
                          [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
  return parsed;
}

class Validator {
 public:
  // The schema is copied so that looking up an absent key gives null instead of an assertion.
  Validator(json schema, fs::path root, bool derivative)
      : schema_(std::move(schema)), root_(std::move(root)), derivative_(derivative) {
    for (const auto& entity : schema_["rules"]["entities"]) {
      const std::string long_name = entity.get<std::string>();
      const std::string key = schema_["objects"]["entities"][long_name]["name"].get<std::string>();
      order_.push_back(key);
      long_names_[key] = long_name;
    }
    read_bidsignore();
  }

  std::vector<ValidationIssue> run() {
    check_description();
    for (auto it = fs::recursive_directory_iterator(root_);
         it != fs::recursive_directory_iterator(); ++it) {
      const std::string relative = fs::relative(it->path(), root_).generic_string();
      if (it->is_directory() && relative == "derivatives" && !derivative_) {
        it.disable_recursion_pending();
        continue;
      }
      if (it->is_directory() && (relative == "sourcedata" || relative == "code")) {
        it.disable_recursion_pending();
        continue;
      }
      if (it->is_regular_file() && !ignored(relative)) check_file(it->path(), relative);
    }
    check_participants();
    return issues_;
  }

 private:
  void add(const std::string& file, const std::string& message, bool warning = false) {
    issues_.push_back({file, message, warning});
  }

  void read_bidsignore() {
    const fs::path path = root_ / ".bidsignore";
    if (!fs::exists(path)) return;
    std::istringstream lines(read_text_file(path));
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty() && line[0] != '#') ignore_patterns_.push_back(line);
    }
  }

  bool ignored(const std::string& relative) const {
    const std::string name = fs::path(relative).filename().string();
    return std::any_of(ignore_patterns_.begin(), ignore_patterns_.end(), [&](const auto& p) {
      return glob_match(p, name) || glob_match(p, relative) || glob_match(p + "*", relative);
    });
  }

  void check_description() {
    const fs::path path = root_ / "dataset_description.json";
    if (!fs::exists(path)) {
      add("dataset_description.json", "missing (required)");
      return;
    }
    const json doc = json::parse(read_text_file(path), nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      add("dataset_description.json", "not valid JSON");
      return;
    }
    for (const auto& [field, level] :
         schema_["rules"]["dataset_metadata"]["dataset_description"]["fields"].items()) {
      if (level.is_string() && level == "required" && !doc.contains(field))
        add("dataset_description.json", "required field " + field + " missing");
    }
    if (derivative_) {
      if (doc.value("DatasetType", "") != "derivative")
        add("dataset_description.json", "a derivatives folder needs DatasetType \"derivative\"");
      if (!doc.contains("GeneratedBy"))
        add("dataset_description.json", "a derivative dataset needs GeneratedBy");
    }
  }

  // A per-subject HTML report at the root of a derivatives dataset (sub-<label>.html, or
  // sub-<label>_ses-<label>.html), the convention of fMRIPrep and other BIDS Apps.
  static bool is_subject_report(const std::string& name) {
    static const std::regex report("sub-[A-Za-z0-9]+(_ses-[A-Za-z0-9]+)?\\.html");
    return std::regex_match(name, report);
  }

  // Top-level files the schema lists under rules.files.common.
  bool known_top_level(const std::string& relative) {
    for (const auto& group : {"core", "tables"}) {
      for (const auto& [name, rule] : schema_["rules"]["files"]["common"][group].items()) {
        if (rule.contains("path") && rule["path"] == relative) return true;
        if (rule.contains("stem") && rule.contains("extensions")) {
          for (const auto& extension : rule["extensions"]) {
            if (rule["stem"].get<std::string>() + extension.get<std::string>() == relative)
              return true;
          }
        }
      }
    }
    return false;
  }

  void check_file(const fs::path& path, const std::string& relative) {
    const std::string name = path.filename().string();
    if (name.size() > 3 && name.substr(name.size() - 3) == ".gz") check_gzip(path, relative);
    if (relative.find('/') == std::string::npos) {
      if (!known_top_level(relative) && name != ".bidsignore" &&
          !(derivative_ && (name == "README.md" || is_subject_report(name))))
        add(relative, "not a file BIDS knows at the top level");
      return;
    }
    const std::vector<std::string> folders = split_folders(relative);
    const ParsedName parsed = parse_name(name);
    if (!parsed.ok) {
      add(relative, "name is not <entity>-<label>_..._<suffix>.<extension>");
      return;
    }
    check_entity_order(parsed, relative);
    check_folders_match(parsed, folders, relative);

    const std::string datatype = folders.size() >= 2 ? folders[folders.size() - 2] : "";
    if (parsed.suffix == "sessions" || parsed.suffix == "scans") return;
    const json* rule = find_rule(datatype, parsed);
    if (!rule) {
      if (!derivative_)
        add(relative, "suffix _" + parsed.suffix + " with " + parsed.extension + " is not a " +
                          datatype + " file in BIDS");
      return;
    }
    for (const auto& [entity, level] : (*rule)["entities"].items()) {
      const std::string key = schema_["objects"]["entities"][entity]["name"];
      const bool present = std::any_of(parsed.entities.begin(), parsed.entities.end(),
                                       [&](const auto& e) { return e.first == key; });
      const std::string required = level.is_string() ? level.get<std::string>() : "optional";
      if (required == "required" && !present) add(relative, "entity " + key + " is required");
    }
    for (const auto& [key, label] : parsed.entities) {
      const auto long_name = long_names_.find(key);
      if (long_name == long_names_.end()) continue;
      if (!(*rule)["entities"].contains(long_name->second) && !derivative_)
        add(relative, "entity " + key + " is not allowed for _" + parsed.suffix);
    }
    if (parsed.extension == ".nii.gz" || parsed.extension == ".nii")
      check_sidecar(path, relative, datatype, parsed);
  }

  std::vector<std::string> split_folders(const std::string& relative) const {
    std::vector<std::string> parts;
    std::stringstream split(relative);
    for (std::string part; std::getline(split, part, '/');) parts.push_back(part);
    return parts;
  }

  void check_entity_order(const ParsedName& parsed, const std::string& relative) {
    int previous = -1;
    for (const auto& [key, label] : parsed.entities) {
      const auto at = std::find(order_.begin(), order_.end(), key);
      if (at == order_.end()) {
        add(relative, "unknown entity " + key, derivative_);
        continue;
      }
      const int position = static_cast<int>(at - order_.begin());
      if (position <= previous) add(relative, "entity " + key + " is out of the BIDS order");
      previous = position;
      const bool alphanumeric = std::all_of(label.begin(), label.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c));
      });
      if (!alphanumeric) add(relative, "label of " + key + " must be letters and digits");
    }
    if (parsed.entities.empty() || parsed.entities.front().first != "sub")
      add(relative, "name must start with sub-<label>");
  }

  void check_folders_match(const ParsedName& parsed, const std::vector<std::string>& folders,
                           const std::string& relative) {
    for (std::size_t i = 0; i + 1 < folders.size(); ++i) {  // the last part is the file
      const std::string& folder = folders[i];
      for (const char* key : {"sub", "ses"}) {
        const std::string prefix = std::string(key) + "-";
        if (folder.rfind(prefix, 0) != 0) continue;
        const auto entity = std::find_if(parsed.entities.begin(), parsed.entities.end(),
                                         [&](const auto& e) { return e.first == key; });
        if (entity == parsed.entities.end() || prefix + entity->second != folder)
          add(relative, std::string(key) + " entity does not match folder " + folder);
      }
    }
  }

  const json* find_rule(const std::string& datatype, const ParsedName& parsed) {
    for (const auto& [group_name, group] : schema_["rules"]["files"]["raw"].items()) {
      for (const auto& [rule_name, rule] : group.items()) {
        if (!rule.contains("suffixes") || !rule.contains("datatypes") ||
            !rule.contains("extensions"))
          continue;
        const auto has = [](const json& list, const std::string& value) {
          return std::any_of(list.begin(), list.end(), [&](const json& v) { return v == value; });
        };
        if (has(rule["suffixes"], parsed.suffix) && has(rule["datatypes"], datatype) &&
            has(rule["extensions"], parsed.extension))
          return &rule;
      }
    }
    return nullptr;
  }

  // Evaluates the simple selector forms; anything else (intersects, exists, ...) makes the
  // rule not apply, so the fields those rules require are not checked.
  bool selector_holds(const std::string& selector, const std::string& datatype,
                      const ParsedName& parsed, const json& sidecar) {
    static const std::regex equals(R"re(^(datatype|suffix|modality) == "([^"]*)"$)re");
    static const std::regex extension_match(R"re(^match\(extension, .(.*).\)$)re");
    static const std::regex sidecar_equals(R"(^sidecar\.(\w+) == (.+)$)");
    const std::string modality =
        std::set<std::string>{"anat", "dwi", "func", "perf", "fmap"}.count(datatype) ? "mri" : "";
    std::smatch m;
    if (std::regex_match(selector, m, equals)) {
      const std::string actual = m[1] == "datatype" ? datatype
                                 : m[1] == "suffix" ? parsed.suffix
                                                    : modality;
      return actual == m[2];
    }
    if (std::regex_match(selector, m, extension_match))
      return std::regex_search(parsed.extension, std::regex(std::string(m[1])));
    if (std::regex_match(selector, m, sidecar_equals)) {
      const std::string field = m[1];
      return sidecar.contains(field) && sidecar[field].dump() == std::string(m[2]);
    }
    return false;
  }

  void check_sidecar(const fs::path& path, const std::string& relative, const std::string& datatype,
                     const ParsedName& parsed) {
    std::string sidecar_path = path.string();
    sidecar_path = sidecar_path.substr(0, sidecar_path.size() - parsed.extension.size()) + ".json";
    json sidecar = json::object();
    if (fs::exists(sidecar_path)) {
      sidecar = json::parse(read_text_file(sidecar_path), nullptr, false);
      if (sidecar.is_discarded()) {
        add(relative, "its JSON sidecar is not valid JSON");
        return;
      }
    }
    for (const auto& [group, rules] : schema_["rules"]["sidecars"].items()) {
      for (const auto& [rule_name, rule] : rules.items()) {
        const bool applies =
            std::all_of(rule["selectors"].begin(), rule["selectors"].end(), [&](const json& s) {
              return selector_holds(s.get<std::string>(), datatype, parsed, sidecar);
            });
        if (!applies) continue;
        for (const auto& [field, level] : rule["fields"].items()) {
          const std::string required =
              level.is_string() ? level.get<std::string>() : level.value("level", "");
          if (required == "required" && !sidecar.contains(field))
            add(relative, "sidecar field " + field + " is required");
        }
      }
    }
    if (parsed.suffix == "dwi" && !derivative_) {
      std::string stem = path.string();
      stem = stem.substr(0, stem.size() - parsed.extension.size());
      if (!fs::exists(stem + ".bval") || !fs::exists(stem + ".bvec"))
        add(relative, "a DWI needs .bval and .bvec");
    }
  }

  void check_gzip(const fs::path& path, const std::string& relative) {
    const GzipHeaderInfo gzip = read_gzip_header(path);
    if (!gzip.is_gzip)
      add(relative, "named .gz but not gzip");
    else if (gzip.has_name || gzip.mtime != 0)
      add(relative, "gzip header holds a file name or time stamp (privacy)");
  }

  void check_participants() {
    const fs::path path = root_ / "participants.tsv";
    std::set<std::string> subjects;
    for (const auto& entry : fs::directory_iterator(root_)) {
      const std::string name = entry.path().filename().string();
      if (entry.is_directory() && name.rfind("sub-", 0) == 0) subjects.insert(name);
    }
    if (!fs::exists(path)) return;
    const std::string text = read_text_file(path);
    if (starts_with_bom(text)) add("participants.tsv", "starts with a byte-order mark");
    if (!is_valid_utf8(text)) add("participants.tsv", "is not UTF-8");
    std::istringstream lines(text);
    std::string line;
    std::getline(lines, line);
    std::vector<std::string> header;
    std::stringstream split(line);
    for (std::string cell; std::getline(split, cell, '\t');) header.push_back(cell);
    if (header.empty() || header[0] != "participant_id")
      add("participants.tsv", "first column must be participant_id");
    json sidecar = json::object();
    if (fs::exists(root_ / "participants.json"))
      sidecar = json::parse(read_text_file(root_ / "participants.json"), nullptr, false);
    for (const auto& column : header) {
      if (column != "participant_id" && (sidecar.is_discarded() || !sidecar.contains(column)))
        add("participants.tsv", "column " + column + " is not described in participants.json");
    }
    std::set<std::string> listed;
    for (std::size_t number = 2; std::getline(lines, line); ++number) {
      std::vector<std::string> cells;
      std::stringstream cells_split(line);
      for (std::string cell; std::getline(cells_split, cell, '\t');) cells.push_back(cell);
      if (!line.empty() && line.back() == '\t') cells.push_back("");
      const std::string where = "line " + std::to_string(number);
      if (cells.size() != header.size()) add("participants.tsv", where + ": wrong number of cells");
      if (std::any_of(cells.begin(), cells.end(), [](const auto& c) { return c.empty(); }))
        add("participants.tsv", where + ": empty cell (write n/a)");
      if (!cells.empty() && !listed.insert(cells[0]).second)
        add("participants.tsv", where + ": participant listed twice");
    }
    for (const auto& subject : subjects) {
      if (!listed.count(subject)) add("participants.tsv", subject + " is not listed");
    }
  }

  json schema_;
  fs::path root_;
  bool derivative_;
  std::vector<std::string> order_;
  std::map<std::string, std::string> long_names_;
  std::vector<std::string> ignore_patterns_;
  std::vector<ValidationIssue> issues_;
};

}  // namespace

std::vector<ValidationIssue> validate_dataset(const fs::path& root, const fs::path& schema_path) {
  if (!fs::exists(schema_path))
    throw Error(schema_path.string() + ": BIDS schema not found", ExitCode::missing_asset);
  const json schema = json::parse(read_text_file(schema_path), nullptr, false);
  if (schema.is_discarded() || !schema.contains("rules"))
    throw Error(schema_path.string() + ": not a BIDS schema", ExitCode::missing_asset);
  if (!fs::is_directory(root)) throw input_error(root.string(), "is not a folder");

  const json description =
      fs::exists(root / "dataset_description.json")
          ? json::parse(read_text_file(root / "dataset_description.json"), nullptr, false)
          : json();
  const bool derivative =
      description.is_object() && description.value("DatasetType", "") == "derivative";
  std::vector<ValidationIssue> issues = Validator(schema, root, derivative).run();
  if (derivative) return issues;
  const fs::path derivatives = root / "derivatives";
  if (fs::is_directory(derivatives)) {
    for (const auto& pipeline : fs::directory_iterator(derivatives)) {
      if (!pipeline.is_directory()) continue;
      for (auto issue : Validator(schema, pipeline.path(), true).run()) {
        issue.file = fs::relative(pipeline.path(), root).generic_string() + "/" + issue.file;
        issues.push_back(issue);
      }
    }
  }
  return issues;
}

}  // namespace strokefair
