// `strokefair ingest`: clinical DICOM exams into a de-identified BIDS dataset.
#include "strokefair/ingest/ingest.hpp"

#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "strokefair/core/error.hpp"

namespace strokefair::cli {

Command add_ingest(CLI::App& program, const GlobalOptions& globals) {
  auto options = std::make_shared<IngestOptions>();
  auto participants = std::make_shared<std::string>();
  auto mapping = std::make_shared<std::string>();
  CLI::App* app = program.add_subcommand(
      "ingest",
      "Convert DICOM exams (dcm2niix) into a de-identified BIDS dataset; re-running "
      "adds new exams only");
  app->add_option("dicom", options->inputs, "DICOM folders or files (searched recursively)")
      ->required()
      ->check(CLI::ExistingPath);
  app->add_option("--bids", options->dataset, "BIDS dataset folder (created or extended)")
      ->required();
  app->add_option("--participants", *participants,
                  "Clinical CSV/TSV keyed by patient_id (columns: see docs/curation.md)")
      ->check(CLI::ExistingFile);
  app->add_option("--key", options->key,
                  "Key file mapping patient IDs to pseudonyms, outside the dataset "
                  "(default: <dataset>.key.json beside it); created with permissions 0600");
  app->add_option("--config", *mapping, "Mapping JSON for site protocol names")
      ->check(CLI::ExistingFile);
  app->add_option("--name", options->dataset_name, "Dataset name for dataset_description.json");
  app->add_flag("--force", options->force, "Convert again and replace series already present");

  return {app, [options, participants, mapping, &globals] {
            options->on_stage = [&globals](const std::string& stage, double seconds) {
              if (globals.verbose || globals.debug)
                spdlog::info("{} ({:.2f} s)", stage, seconds);
              else
                spdlog::info("{}", stage);
            };
            options->data_dir = globals.data_dir;
            if (!participants->empty()) options->participants = *participants;
            if (!mapping->empty()) options->mapping = *mapping;
            const IngestReport report = ingest_dicom(*options);
            if (report.dicom_files_not_converted > 0)
              spdlog::warn(
                  "{} DICOM file(s) were not converted (presentation states, damaged "
                  "files or incomplete series)",
                  report.dicom_files_not_converted);
            if (report.converter_exit_code != 0)
              spdlog::warn("dcm2niix exited with code {}: some input may not be converted",
                           report.converter_exit_code);
            for (const auto& left : report.left_out)
              spdlog::warn("{} left out: {}", left.label, left.reason);
            for (const auto& kept : report.not_defaced)
              spdlog::warn("{} not defaced (written as it is): {}", kept.label, kept.reason);
            for (const auto& finding : report.audit_findings)
              std::cout << "audit\t" << finding.file << '\t' << finding.field << '\t'
                        << finding.problem << '\n';
            std::cout << "series_written\t" << report.series_written << "\n"
                      << "series_already_present\t" << report.series_already_present << "\n"
                      << "series_left_out\t" << report.left_out.size() << "\n"
                      << "series_defaced\t" << report.series_defaced << "\n"
                      << "series_not_defaced\t" << report.not_defaced.size() << "\n"
                      << "new_subjects\t" << report.new_subjects << "\n"
                      << "new_sessions\t" << report.new_sessions << "\n"
                      << "non_dicom_files_skipped\t" << report.input.skipped_files << "\n"
                      << "dicom_files_not_converted\t" << report.dicom_files_not_converted << "\n";
            spdlog::info("key file: {}", report.key_file.string());
            if (!report.audit_findings.empty()) {
              spdlog::error("audit found {} possible identifier(s) in the dataset",
                            report.audit_findings.size());
              return static_cast<int>(ExitCode::findings);
            }
            spdlog::info("audit: no identifiers found");
            return 0;
          }};
}

}  // namespace strokefair::cli
