// The radiological report of one analysis: a self-contained HTML page, the same findings as
// plain text, and an interactive NiiVue viewer page linked from the HTML.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "strokefair/core/volume.hpp"
#include "strokefair/quantify/atlas.hpp"
#include "strokefair/report/findings.hpp"

namespace strokefair {

struct ReportInputs {
  // The summary object that analyze prints, with its "aspects" object (score_aspects).
  nlohmann::json summary;
  std::string subject;                 // BIDS label, without "sub-"
  std::optional<std::string> session;  // BIDS label, without "ses-"
  std::string analysis_date;           // ISO 8601, e.g. "2026-12-03"

  // Native space, all on the DWI grid.
  Image dwi;
  Image adc;  // 10^-6 mm^2/s
  Mask lesion;
  Mask brain;
  LabelImage territories;                      // arterial level-2 atlas brought to the DWI grid
  std::vector<AtlasRegion> territory_regions;  // names and sides of those labels

  // Template space, for the ASPECTS levels figure (optional: the figure is left out without
  // the atlas; the lesion is drawn on it when given).
  std::optional<Atlas> aspects_atlas;
  std::optional<Mask> lesion_mni;

  ReportWording wording;
};

// Relative paths (from output_root) of what write_report writes for one subject.
struct ReportFiles {
  std::filesystem::path html;    // sub-<label>[_ses-<S>].html
  std::filesystem::path text;    // sub-<label>[/ses-<S>]/dwi/sub-<label>[_ses-<S>]_report.txt
  std::filesystem::path viewer;  // sub-<label>[/ses-<S>]/figures/..._desc-viewer_dwi.html
  std::vector<std::filesystem::path> figures;  // PNGs in the same figures folder
  std::vector<std::filesystem::path> all() const;
};

// Where the files of a subject go; does not write anything.
ReportFiles report_file_names(const std::string& subject,
                              const std::optional<std::string>& session);

// Writes the report files under `output_root` (a BIDS derivatives folder, or the staging
// folder that becomes one) and returns their paths relative to it. Throws Error
// (output_failed) when a file cannot be written.
ReportFiles write_report(const ReportInputs& in, const std::filesystem::path& output_root);

// The plain-text report (also the body of the .txt file), exposed for tests.
std::string report_text(const ReportInputs& in, const Findings& findings);

}  // namespace strokefair
