// `derivatives` over a whole dataset: subjects in parallel, resumable, and the dataset table.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "strokefair/core/error.hpp"
#include "strokefair/data/data_store.hpp"

namespace strokefair {

struct DerivativesOptions {
  std::filesystem::path dataset;
  std::vector<std::string> subjects;   // labels (with or without "sub-"); empty: all
  std::filesystem::path manual_masks;  // optional; layout in manual_mask_path()
  int jobs = 1;                        // subjects processed at once
  bool overwrite = false;              // redo finished subjects
  std::string command_line;
};

enum class SubjectOutcome { processed, skipped, failed };

struct SubjectReport {
  std::string subject;
  SubjectOutcome outcome = SubjectOutcome::processed;
  std::string error;  // why it failed: one line naming the file
  ExitCode code = ExitCode::ok;
  std::vector<std::string> warnings;  // failed registration checks, recorded in the table
};

// Called once per subject as it ends (from worker threads, one call at a time).
using SubjectObserver =
    std::function<void(const SubjectReport& report, std::size_t finished, std::size_t total)>;

struct DerivativesRun {
  std::vector<SubjectReport> subjects;  // in subject order
  std::filesystem::path root;           // DATASET/derivatives/strokefair
  std::filesystem::path table;          // the dataset-level TSV
};

// DATASET/derivatives/strokefair.
std::filesystem::path derivatives_root(const std::filesystem::path& dataset);

// The record that marks a subject as finished, relative to the derivatives root.
std::filesystem::path subject_record_path(const std::string& subject);

// Processes every pending subject: each is written into a hidden staging folder and moved
// into place by one rename, so an interrupted run leaves finished subjects whole and no
// partial one; the next run removes stale staging folders and skips finished subjects.
// Subjects that fail are left out and reported; the table is rebuilt from every finished
// subject's record at the end. Throws Error(bad_input) for a dataset that is not one,
// Error(usage) for an unknown subject, Error(output_exists) for a subject folder that this
// command did not write (without overwrite).
DerivativesRun make_derivatives(const DerivativesOptions& options, const DataStore& store,
                                const SubjectObserver& observer = {});

}  // namespace strokefair
