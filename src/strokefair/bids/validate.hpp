// BIDS conformance of a dataset (raw and derivatives), checked against the BIDS schema JSON.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace strokefair {

struct ValidationIssue {
  std::string file;  // relative to the dataset root
  std::string message;
  bool warning = false;  // reported, but the dataset still counts as valid
};

// Checks file names (entities, their order, suffix and extension per datatype), required
// sidecar fields whose schema selectors are simple, dataset_description.json, participants
// and sessions TSV rules, and gzip headers. Files matching .bidsignore are skipped.
// Derivatives folders (and a root whose DatasetType is "derivative") are checked as
// derivative datasets, where entities the schema does not know yet (the transform entities
// from-, to-, mode- of fMRIPrep-style _xfm files) are warnings, not errors. Throws
// Error(missing_asset) when the schema cannot be read.
std::vector<ValidationIssue> validate_dataset(const std::filesystem::path& root,
                                              const std::filesystem::path& schema_path);

}  // namespace strokefair
