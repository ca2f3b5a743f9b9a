// Release checks, the change set against the previous release, CHANGES, DataCite, the bag.
#include "strokefair/release/release.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <regex>

#include "strokefair/audit/audit.hpp"
#include "strokefair/bids/validate.hpp"
#include "strokefair/core/error.hpp"
#include "strokefair/deid/text.hpp"
#include "strokefair/derivatives/dataset_sessions.hpp"
#include "strokefair/io/output_stage.hpp"
#include "strokefair/release/bagit.hpp"

namespace strokefair {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// DICOM PS3.16 CID 7050: "Clean Recognizable Visual Features Option", the code a defaced
// image's sidecar carries.
const char* kDefacedCode = "113102";
const char* kChanges = "CHANGES";

using Version = std::array<int, 3>;

std::optional<Version> parse_version(const std::string& text) {
  static const std::regex pattern(
      R"(^(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})\.(0|[1-9][0-9]{0,5})$)");
  std::smatch m;
  if (!std::regex_match(text, m, pattern)) return std::nullopt;
  return Version{std::stoi(m[1]), std::stoi(m[2]), std::stoi(m[3])};
}

json read_description(const fs::path& dataset) {
  const fs::path path = dataset / "dataset_description.json";
  if (!fs::exists(path)) throw input_error(path.string(), "does not exist");
  const json doc = json::parse(read_text_file(path), nullptr, false);
  if (!doc.is_object()) throw input_error(path.string(), "is not a JSON object");
  return doc;
}

bool has_defacing_record(const json& sidecar) {
  const auto codes = sidecar.find("DeidentificationMethodCodeSequence");
  if (codes == sidecar.end() || !codes->is_array()) return false;
  return std::any_of(codes->begin(), codes->end(), [](const json& code) {
    return code.is_object() && code.value("CodeValue", "") == kDefacedCode;
  });
}

ReleaseCheck defacing_check(const fs::path& dataset) {
  ReleaseCheck check{"defacing", {}, ""};
  std::size_t images = 0;
  for (const std::string& subject : dataset_subjects(dataset)) {
    for (const SessionImages& session : subject_sessions(dataset, subject)) {
      for (const RawImage& image : session.anatomical) {
        ++images;
        const fs::path sidecar = dataset / image.relative.parent_path() /
                                 (image.entities + "_" + image.suffix + ".json");
        const json doc = fs::exists(sidecar) ? json::parse(read_text_file(sidecar), nullptr, false)
                                             : json(nullptr);
        if (!doc.is_object() || !has_defacing_record(doc))
          check.problems.push_back(image.relative.generic_string() +
                                   ": no defacing record (DeidentificationMethodCodeSequence "
                                   "code 113102) in its sidecar");
      }
    }
  }
  check.note = images == 0 ? "not applicable: no T1w, T2w or FLAIR image"
                           : std::to_string(images) + " head image(s) checked";
  return check;
}

ReleaseCheck metadata_check(const fs::path& dataset) {
  ReleaseCheck check{"metadata", {}, "dataset_description.json"};
  const json doc = read_description(dataset);
  const auto non_empty = [&](const char* field) {
    if (!doc.contains(field)) return false;
    const json& v = doc[field];
    return (v.is_string() && !v.get<std::string>().empty()) || (v.is_array() && !v.empty());
  };
  for (const char* field : {"Name", "Authors", "License"}) {
    if (!non_empty(field))
      check.problems.push_back(std::string("dataset_description.json: ") + field +
                               " is missing or empty (DataCite needs title, creators, rights)");
  }
  return check;
}

std::string today() {
  const std::time_t now = std::time(nullptr);
  char text[16];
  std::strftime(text, sizeof text, "%Y-%m-%d", std::gmtime(&now));
  return text;
}

// Released versions in the releases folder (folders vX.Y.Z holding bagit.txt), ascending.
std::vector<std::pair<Version, std::string>> released_versions(const fs::path& releases) {
  std::vector<std::pair<Version, std::string>> versions;
  if (!fs::is_directory(releases)) return versions;
  for (const auto& entry : fs::directory_iterator(releases)) {
    const std::string name = entry.path().filename().string();
    if (name.size() < 2 || name[0] != 'v' || !fs::exists(entry.path() / "bagit.txt")) continue;
    if (auto v = parse_version(name.substr(1))) versions.emplace_back(*v, name.substr(1));
  }
  std::sort(versions.begin(), versions.end());
  return versions;
}

ChangeSet compare(const std::map<std::string, std::string>& previous,
                  const std::map<std::string, std::string>& current) {
  ChangeSet changes;
  for (const auto& [path, hash] : current) {
    if (path == kChanges) continue;
    const auto before = previous.find(path);
    if (before == previous.end())
      changes.added.push_back(path);
    else if (before->second != hash)
      changes.changed.push_back(path);
  }
  for (const auto& [path, hash] : previous) {
    if (path != kChanges && !current.count(path)) changes.withdrawn.push_back(path);
  }
  return changes;
}

// The previous manifest lists "data/<path>"; the change set speaks of dataset paths.
std::map<std::string, std::string> previous_payload(const fs::path& bag) {
  std::map<std::string, std::string> payload;
  for (const auto& [path, hash] : read_bag_manifest(bag / "manifest-sha256.txt")) {
    if (path.rfind("data/", 0) == 0) payload[path.substr(5)] = hash;
  }
  return payload;
}

bool inside(const fs::path& candidate, const fs::path& folder) {
  const fs::path a = fs::weakly_canonical(candidate), b = fs::weakly_canonical(folder);
  const auto [end, _] = std::mismatch(b.begin(), b.end(), a.begin(), a.end());
  return end == b.end();
}

void add_list(std::string& text, const std::string& verb, const std::vector<std::string>& files) {
  if (files.empty()) return;
  text += "  - " + verb + " " + std::to_string(files.size()) +
          (files.size() == 1 ? " file:\n" : " files:\n");
  for (const std::string& file : files) text += "    - " + file + "\n";
}

std::string doi_of(const json& description) {
  std::string doi = description.value("DatasetDOI", "");
  for (const std::string prefix : {"doi:", "https://doi.org/", "http://dx.doi.org/"}) {
    if (doi.rfind(prefix, 0) == 0) doi = doi.substr(prefix.size());
  }
  return doi;
}

}  // namespace

std::vector<ReleaseCheck> release_checks(const fs::path& dataset, const fs::path& schema,
                                         const std::vector<std::string>& literal_values) {
  ReleaseCheck validation{"validate", {}, "BIDS schema " + schema.filename().string()};
  std::size_t warnings = 0;
  for (const ValidationIssue& issue : validate_dataset(dataset, schema)) {
    if (issue.warning)
      ++warnings;
    else
      validation.problems.push_back(issue.file + ": " + issue.message);
  }
  validation.note += ", " + std::to_string(warnings) + " warning(s)";

  ReleaseCheck audit{"audit", {}, std::to_string(literal_values.size()) + " literal value(s)"};
  for (const Finding& f : audit_dataset(dataset, literal_values))
    audit.problems.push_back(f.file + ": " + f.field + ": " + f.problem);

  return {validation, audit, defacing_check(dataset), metadata_check(dataset)};
}

fs::path default_releases_folder(const fs::path& dataset) {
  const fs::path absolute = fs::absolute(dataset).lexically_normal();
  const fs::path name = absolute.has_filename() ? absolute : absolute.parent_path();
  return name.parent_path() / (name.filename().string() + "-releases");
}

std::string changes_entry(const std::string& version, const std::string& date,
                          const ChangeSet& changes, std::size_t file_count) {
  // No date on the version line (ingest writes its entries the same way): the audit treats
  // any date in the dataset as a possible acquisition date. The date is in bag-info.txt and
  // the DataCite metadata.
  (void)date;
  std::string text = version + "\n";
  if (changes.previous_version.empty()) {
    text += "  - Initial release: " + std::to_string(file_count) + " files.\n";
    return text + "\n";
  }
  text += "  - Since " + changes.previous_version + ":\n";
  add_list(text, "Added", changes.added);
  add_list(text, "Changed", changes.changed);
  add_list(text, "Withdrawn", changes.withdrawn);
  return text + "\n";
}

json datacite_metadata(const json& description, const std::string& version, const std::string& date,
                       std::size_t files, std::uintmax_t bytes) {
  json creators = json::array();
  for (const json& author : description.value("Authors", json::array()))
    creators.push_back({{"name", author}});
  json funding = json::array();
  for (const json& funder : description.value("Funding", json::array()))
    funding.push_back({{"funderName", funder}});
  json related = json::array();
  static const std::regex doi_pattern(R"((?:doi:|https?://(?:dx\.)?doi\.org/)?(10\.\d{4,9}/\S+))");
  for (const json& reference : description.value("ReferencesAndLinks", json::array())) {
    const std::string text = reference.get<std::string>();
    std::smatch m;
    if (std::regex_search(text, m, doi_pattern))
      related.push_back({{"relatedIdentifier", m[1].str()},
                         {"relatedIdentifierType", "DOI"},
                         {"relationType", "IsDescribedBy"}});
    else if (text.rfind("http", 0) == 0)
      related.push_back({{"relatedIdentifier", text},
                         {"relatedIdentifierType", "URL"},
                         {"relationType", "References"}});
  }
  json attributes = {
      {"titles", {{{"title", description.value("Name", "")}}}},
      {"creators", creators},
      // DataCite's standard value for "unavailable": BIDS has no publisher field; the
      // repository that mints the DOI sets it.
      {"publisher", "(:unav)"},
      {"publicationYear", std::stoi(date.substr(0, 4))},
      {"dates", {{{"date", date}, {"dateType", "Issued"}}}},
      {"types", {{"resourceTypeGeneral", "Dataset"}, {"resourceType", "BIDS dataset"}}},
      {"version", version},
      {"rightsList", {{{"rights", description.value("License", "")}}}},
      {"fundingReferences", funding},
      {"relatedIdentifiers", related},
      {"sizes", {std::to_string(files) + " files", std::to_string(bytes) + " bytes"}},
      {"formats", {"BIDS " + description.value("BIDSVersion", std::string("")), "BagIt 1.0"}},
      {"schemaVersion", "http://datacite.org/schema/kernel-4"}};
  const std::string doi = doi_of(description);
  if (!doi.empty()) attributes["doi"] = doi;
  return {{"data", {{"type", "dois"}, {"attributes", attributes}}}};
}

ReleaseResult make_release(const ReleaseOptions& options, const std::vector<ReleaseCheck>& checks) {
  std::string checks_passed;
  for (const ReleaseCheck& check : checks) {
    if (!check.passed())
      throw Error(options.dataset.string() + ": the " + check.name + " check failed (" +
                      std::to_string(check.problems.size()) + " problem(s)); not released",
                  ExitCode::findings);
    checks_passed +=
        (checks_passed.empty() ? "" : "; ") + check.name + " passed (" + check.note + ")";
  }
  const auto version = parse_version(options.version);
  if (!version)
    throw Error("version '" + options.version + "' is not X.Y.Z (semantic versioning)",
                ExitCode::usage);
  const fs::path releases =
      options.releases.empty() ? default_releases_folder(options.dataset) : options.releases;
  if (inside(releases, options.dataset))
    throw Error(releases.string() + ": releases cannot be kept inside the dataset",
                ExitCode::usage);
  ReleaseResult result;
  result.bag = releases / ("v" + options.version);
  if (fs::exists(result.bag))
    throw Error(result.bag.string() + ": version " + options.version +
                    " is released already; a released version never changes",
                ExitCode::output_exists);

  const auto versions = released_versions(releases);
  std::map<std::string, std::string> previous;
  if (!versions.empty()) {
    if (versions.back().first >= *version)
      throw Error("version " + options.version + " is not above the latest release " +
                      versions.back().second,
                  ExitCode::usage);
    result.changes.previous_version = versions.back().second;
    previous = previous_payload(releases / ("v" + versions.back().second));
  }
  const auto hashes = hash_tree(options.dataset);
  result.changes = [&] {
    ChangeSet c = compare(previous, hashes);
    c.previous_version = result.changes.previous_version;
    return c;
  }();
  if (!versions.empty() && result.changes.empty())
    throw Error("nothing changed since release " + result.changes.previous_version,
                ExitCode::usage);

  const std::string date = options.date.empty() ? today() : options.date;
  result.files = hashes.size() + (hashes.count(kChanges) ? 0 : 1);
  result.changes_entry = changes_entry(options.version, date, result.changes, result.files);
  const std::string old_changes =
      fs::exists(options.dataset / kChanges) ? read_text_file(options.dataset / kChanges) : "";
  const std::string new_changes = result.changes_entry + old_changes;

  std::uintmax_t bytes = new_changes.size();
  for (const auto& [path, hash] : hashes) {
    if (path != kChanges) bytes += fs::file_size(options.dataset / path);
  }
  const json description = read_description(options.dataset);
  BagContent content;
  content.payload_source = options.dataset;
  content.payload_hashes = hashes;
  content.payload_replacements[kChanges] = new_changes;
  content.tag_files["metadata/datacite.json"] =
      datacite_metadata(description, options.version, date, result.files, bytes).dump(2) + "\n";
  content.bag_info = {{"Bag-Software-Agent", std::string("strokefair ") + STROKEFAIR_VERSION},
                      {"Bagging-Date", date},
                      {"External-Description", description.value("Name", "")},
                      {"Version", options.version},
                      {"Release-Checks", checks_passed}};
  const std::string doi = doi_of(description);
  if (!doi.empty()) content.bag_info.emplace_back("External-Identifier", "doi:" + doi);

  // Built under a hidden name and renamed: a release folder is either complete or absent.
  fs::create_directories(releases);
  const fs::path building =
      releases / (".v" + options.version + ".building-" + std::to_string(::getpid()));
  fs::remove_all(building);
  try {
    write_bag(content, building);
    fs::rename(building, result.bag);
  } catch (...) {
    std::error_code ignored;
    fs::remove_all(building, ignored);
    throw;
  }
  write_text_file(options.dataset / kChanges, new_changes);
  return result;
}

}  // namespace strokefair
