// Versioned, citable releases of a dataset: checks, CHANGES, BagIt bag, DataCite metadata.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace strokefair {

// One release check. A check that has nothing to look at (no head image to deface) passes
// and says so in `note`.
struct ReleaseCheck {
  std::string name;  // validate, audit, defacing, metadata
  std::vector<std::string> problems;
  std::string note;
  bool passed() const { return problems.empty(); }
};

// The checks a dataset must pass before release: BIDS validation (errors only, derivatives
// included), the identifier audit (searching also for `literal_values`), a defacing record
// (DICOM code 113102 in DeidentificationMethodCodeSequence) in the sidecar of every raw
// T1w, T2w and FLAIR image, and the metadata DataCite needs (Name, Authors, License).
std::vector<ReleaseCheck> release_checks(const std::filesystem::path& dataset,
                                         const std::filesystem::path& schema,
                                         const std::vector<std::string>& literal_values);

// Files added, changed and withdrawn since the previous release (CHANGES itself excluded).
struct ChangeSet {
  std::string previous_version;  // empty for a first release
  std::vector<std::string> added, changed, withdrawn;
  bool empty() const { return added.empty() && changed.empty() && withdrawn.empty(); }
};

struct ReleaseOptions {
  std::filesystem::path dataset;
  std::string version;             // X.Y.Z
  std::filesystem::path releases;  // empty: default_releases_folder(dataset)
  std::string date;                // YYYY-MM-DD; empty: today (UTC)
  std::string command_line;
};

struct ReleaseResult {
  std::filesystem::path bag;  // RELEASES/vX.Y.Z
  ChangeSet changes;
  std::string changes_entry;  // the text prepended to CHANGES
  std::size_t files = 0;
};

// "<dataset>-releases" beside the dataset: releases never live inside what they release.
std::filesystem::path default_releases_folder(const std::filesystem::path& dataset);

// The CHANGES entry of a release (CPAN Changes layout, as BIDS asks; the version line has no
// date, as ingest writes it, because the audit flags dates): every file path.
std::string changes_entry(const std::string& version, const std::string& date,
                          const ChangeSet& changes, std::size_t file_count);

// DataCite metadata (the JSON the DataCite REST API takes) from dataset_description.json.
nlohmann::json datacite_metadata(const nlohmann::json& description, const std::string& version,
                                 const std::string& date, std::size_t files, std::uintmax_t bytes);

// Makes release `version` of a dataset whose release_checks() are given: refuses with
// Error(findings) when any failed. Writes the bag
// RELEASES/vX.Y.Z (built hidden, then renamed into place) with the dataset, its new CHANGES
// and metadata/datacite.json; then the new CHANGES is written into the dataset. Throws
// Error(output_exists) for a version that exists, Error(usage) for a malformed version, one
// not above the latest release, or no change since it.
ReleaseResult make_release(const ReleaseOptions& options, const std::vector<ReleaseCheck>& checks);

}  // namespace strokefair
