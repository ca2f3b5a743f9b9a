// Conversion of the gathered DICOM with dcm2niix, and what each converted series is.
#pragma once

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace strokefair {

// One NIfTI file that dcm2niix wrote, with its raw sidecar. The raw sidecar still holds the
// identifiers; it lives only in the private working folder and in memory.
struct ConvertedSeries {
  std::filesystem::path nifti;
  std::filesystem::path bval;  // empty when dcm2niix wrote none
  std::filesystem::path bvec;
  nlohmann::json raw;
  int volumes = 1;

  std::string patient_id() const;
  std::string study_uid() const;
  std::string acquisition_datetime() const;  // ISO, or "" when the DICOM had no date
  std::string identity() const;              // stable across re-runs, for idempotence
  std::string neutral_label() const;         // "series 701": safe to log
};

struct ConversionSummary {
  std::vector<ConvertedSeries> series;
  int converter_exit_code = 0;
  // From dcm2niix's log: DICOM files it found, used in an image, and skipped as non-image.
  // The rest were not converted: presentation states, damaged files, incomplete series.
  std::size_t files_found = 0;
  std::size_t files_converted = 0;
  std::size_t files_non_image = 0;
};

// Runs dcm2niix on `dicom_folder` into `output_folder` (both private). Throws Error when
// dcm2niix is missing or converts nothing.
ConversionSummary convert_dicom(const std::filesystem::path& dicom_folder,
                                const std::filesystem::path& output_folder);

enum class SeriesClass {
  t1w,
  t2w,
  flair,
  dwi,
  adc,
  trace,
  dsc,
  ct,
  bold,
  localizer,
  ignored,
  unknown
};

std::string to_string(SeriesClass kind);
std::optional<SeriesClass> series_class_from_string(const std::string& name);

// A site rule from the mapping file: glob patterns on raw sidecar fields, all of which must
// match, and what such a series is.
struct MappingRule {
  std::map<std::string, std::string> match;
  SeriesClass kind = SeriesClass::unknown;
  std::string acquisition;  // optional acq-<label>
  std::string task;         // required for bold
};

// Reads a mapping file: {"series": [{"match": {...}, "class": "FLAIR", "acq": "..."}]}.
std::vector<MappingRule> read_mapping(const std::filesystem::path& path);

struct Classification {
  SeriesClass kind = SeriesClass::unknown;
  std::string reason;  // why, in words; safe to log (no descriptions, no identifiers)
  std::string acquisition;
  std::string task;
  bool refused = false;  // a diffusion series without b-values
};

Classification classify_series(const ConvertedSeries& series,
                               const std::vector<MappingRule>& mapping);

// b-values as written by dcm2niix, with b < 1 s/mm^2 set to 0: Philips stores its b=0
// volumes as 0.001 to 0.004.
std::vector<double> read_bvalues(const std::filesystem::path& bval);

bool glob_match(const std::string& pattern, const std::string& text);  // case-insensitive

}  // namespace strokefair
