// `strokefair derivatives`: a dataset's derivatives, every subject, in parallel and resumable.
#include "strokefair/derivatives/derivatives.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <thread>

#include "cli/command.hpp"

namespace strokefair::cli {
namespace fs = std::filesystem;

namespace {

// A one-line progress bar, redrawn in place; only drawn when stderr is a terminal.
void draw_progress(std::size_t finished, std::size_t total) {
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(kWidth * finished / std::max<std::size_t>(total, 1));
  std::fprintf(stderr, "\r[%s%s] %zu/%zu subjects", std::string(filled, '#').c_str(),
               std::string(kWidth - filled, ' ').c_str(), finished, total);
  if (finished == total) std::fprintf(stderr, "\n");
  std::fflush(stderr);
}

int run_derivatives(const DerivativesOptions& options, const GlobalOptions& globals) {
  const DataStore store(globals.data_dir);
  const bool terminal = ::isatty(STDERR_FILENO) && !globals.quiet;
  spdlog::info("derivatives of {} with {} job(s)", options.dataset.string(), options.jobs);
  const DerivativesRun run = make_derivatives(
      options, store, [&](const SubjectReport& report, std::size_t finished, std::size_t total) {
        if (terminal) draw_progress(finished, total);
        if (report.outcome == SubjectOutcome::skipped)
          spdlog::debug("sub-{}: already finished, skipped", report.subject);
        if (report.outcome == SubjectOutcome::processed)
          spdlog::debug("sub-{}: done", report.subject);
      });

  std::size_t processed = 0, skipped = 0, failed = 0;
  ExitCode first_failure = ExitCode::ok;
  for (const SubjectReport& report : run.subjects) {
    for (const std::string& warning : report.warnings) spdlog::warn("{}", warning);
    if (report.outcome == SubjectOutcome::processed) ++processed;
    if (report.outcome == SubjectOutcome::skipped) ++skipped;
    if (report.outcome != SubjectOutcome::failed) continue;
    ++failed;
    spdlog::error("{}", report.error);
    if (first_failure == ExitCode::ok) first_failure = report.code;
  }
  spdlog::info("{} subject(s) processed, {} already finished, {} failed; table {}", processed,
               skipped, failed, run.table.string());
  std::printf("%s\n", run.table.string().c_str());
  return static_cast<int>(first_failure);
}

}  // namespace

Command add_derivatives(CLI::App& program, const GlobalOptions& globals) {
  auto options = std::make_shared<DerivativesOptions>();
  CLI::App* app = program.add_subcommand(
      "derivatives",
      "Write DATASET/derivatives/strokefair: images in MNI space, analyze outputs of every DWI, "
      "manual lesion masks, and a table with one row per session; resumable");
  app->add_option("dataset", options->dataset, "BIDS dataset folder")->required();
  app->add_option("--subject", options->subjects, "Only these subjects (repeatable)");
  app->add_option("--manual-masks", options->manual_masks,
                  "Folder of curated lesion masks, named "
                  "sub-<label>[_ses-<label>]_<dwi|T1w|T2w|FLAIR>_lesion.nii.gz");
  options->jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  app->add_option("-j,--jobs", options->jobs, "Subjects processed at once (default: all cores)")
      ->check(CLI::Range(1, 1024));
  app->add_flag("--force", options->overwrite, "Redo subjects that are already finished");
  return {app, [options, &globals] {
            options->command_line = globals.command_line;
            return run_derivatives(*options, globals);
          }};
}

}  // namespace strokefair::cli
