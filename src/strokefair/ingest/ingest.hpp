// `ingest`: clinical DICOM exams into a de-identified BIDS dataset, incrementally and safely.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "strokefair/audit/audit.hpp"
#include "strokefair/ingest/dicom_input.hpp"

namespace strokefair {

// Told after each pipeline stage: what it did (counts only, never identifiers) and how long it
// took. The library does not log; the command decides what to show.
using IngestObserver = std::function<void(const std::string& stage, double seconds)>;

struct IngestOptions {
  std::vector<std::filesystem::path> inputs;
  std::filesystem::path dataset;
  std::filesystem::path key;  // empty: default_key_path(dataset)
  std::optional<std::filesystem::path> participants;
  std::optional<std::filesystem::path> mapping;
  std::string dataset_name = "Acute stroke MRI";
  bool force = false;  // convert again and replace series that are already in the dataset
  std::filesystem::path data_dir;  // the defacing template; empty: the DataStore default
  IngestObserver on_stage;
};

struct LeftOutSeries {
  std::string label;  // "series 6": no description, no identifier
  std::string reason;
};

struct IngestReport {
  DicomInputSummary input;
  std::size_t series_converted = 0;
  int converter_exit_code = 0;  // dcm2niix's; non-zero when it could not convert something
  std::size_t dicom_files_not_converted = 0;  // found by dcm2niix, in no image, not non-image
  std::size_t series_written = 0;
  std::size_t series_already_present = 0;
  std::size_t new_subjects = 0;
  std::size_t new_sessions = 0;
  std::vector<LeftOutSeries> left_out;  // includes images refused by defacing verification
  std::size_t series_defaced = 0;
  std::vector<LeftOutSeries> not_defaced;  // written as they are: no full head coverage
  std::vector<Finding> audit_findings;     // of the final dataset
  std::filesystem::path key_file;
  bool changed = false;
};

// "<dataset>.key.json" beside the dataset folder (never inside it).
std::filesystem::path default_key_path(const std::filesystem::path& dataset);

// Runs the whole ingest. Throws Error with bad_input (input, CSV, mapping, refused series),
// output_exists (a non-BIDS folder in the way), findings (the audit of the staged output
// found an identifier: nothing is moved into the dataset).
IngestReport ingest_dicom(const IngestOptions& options);

}  // namespace strokefair
