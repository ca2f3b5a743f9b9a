// `strokefair audit`: finds anything in a dataset that could identify a patient.
#include "strokefair/audit/audit.hpp"

#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "strokefair/core/error.hpp"
#include "strokefair/deid/pseudonym_key.hpp"
#include "strokefair/ingest/dicom_input.hpp"
#include "strokefair/ingest/series.hpp"

namespace strokefair::cli {
namespace fs = std::filesystem;

namespace {

struct AuditOptions {
  fs::path dataset;
  fs::path key;
  std::vector<fs::path> dicom;
};

// The identifying values of the original DICOM, read through a private dcm2niix conversion.
std::vector<std::string> values_from_dicom(const std::vector<fs::path>& inputs) {
  const FolderGuard work(make_private_folder(fs::temp_directory_path()));
  fs::create_directories(work.path() / "dicom");
  fs::create_directories(work.path() / "converted");
  gather_dicom_files(inputs, work.path() / "dicom");
  std::vector<std::string> values;
  for (const auto& series :
       convert_dicom(work.path() / "dicom", work.path() / "converted").series) {
    const auto found = identifying_values(series.raw);
    values.insert(values.end(), found.begin(), found.end());
  }
  return values;
}

int run_audit(const AuditOptions& options) {
  if (!fs::is_directory(options.dataset))
    throw input_error(options.dataset.string(), "is not a folder");
  std::vector<std::string> literals;
  if (!options.key.empty()) {
    if (!fs::exists(options.key)) throw input_error(options.key.string(), "does not exist");
    const PseudonymKey key = PseudonymKey::load(options.key);
    for (const auto& subject : key.subjects()) literals.push_back(subject.original_id);
  }
  if (!options.dicom.empty()) {
    const auto values = values_from_dicom(options.dicom);
    literals.insert(literals.end(), values.begin(), values.end());
  }
  const auto findings = audit_dataset(options.dataset, literals);
  for (const auto& f : findings)
    std::cout << f.file << '\t' << f.field << '\t' << f.problem << '\n';
  if (!findings.empty()) {
    spdlog::error("{} possible identifier(s) found", findings.size());
    return static_cast<int>(ExitCode::findings);
  }
  spdlog::info("no identifiers found ({} literal value(s) searched)", literals.size());
  return 0;
}

}  // namespace

Command add_audit(CLI::App& program, const GlobalOptions& globals) {
  auto options = std::make_shared<AuditOptions>();
  CLI::App* app = program.add_subcommand(
      "audit", "Find anything in a dataset that could identify a patient (exit 8 if found)");
  app->add_option("dataset", options->dataset, "Dataset folder")->required();
  app->add_option("--key", options->key, "Key file: also search for every original patient ID");
  app->add_option("--dicom", options->dicom,
                  "Original DICOM: also search for its names, IDs, dates, institution, ...")
      ->check(CLI::ExistingPath);
  return {app, [options, &globals] {
            (void)globals;
            return run_audit(*options);
          }};
}

}  // namespace strokefair::cli
