// `strokefair release`: a checked, versioned, checksummed release of a dataset, and its check.
#include "strokefair/release/release.hpp"

#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "strokefair/core/error.hpp"
#include "strokefair/data/data_store.hpp"
#include "strokefair/deid/pseudonym_key.hpp"
#include "strokefair/release/bagit.hpp"

namespace strokefair::cli {
namespace fs = std::filesystem;

namespace {

struct ReleaseCommandOptions {
  ReleaseOptions release;
  fs::path key;
  fs::path verify;
};

int run_verify(const fs::path& bag) {
  const auto problems = verify_bag(bag);
  for (const std::string& problem : problems) std::cout << problem << '\n';
  if (!problems.empty()) {
    spdlog::error("{}: {} problem(s): the release is not intact", bag.string(), problems.size());
    return static_cast<int>(ExitCode::findings);
  }
  spdlog::info("{}: every file matches its manifest", bag.string());
  return 0;
}

int run_release(ReleaseCommandOptions& options, const GlobalOptions& globals) {
  ReleaseOptions& release = options.release;
  if (release.dataset.empty() || release.version.empty())
    throw Error("release needs DATASET and --version X.Y.Z (or --verify BAG)", ExitCode::usage);
  if (!fs::is_directory(release.dataset))
    throw input_error(release.dataset.string(), "is not a folder");
  std::vector<std::string> literals;
  if (!options.key.empty()) {
    if (!fs::exists(options.key)) throw input_error(options.key.string(), "does not exist");
    const PseudonymKey key = PseudonymKey::load(options.key);
    for (const auto& subject : key.subjects()) literals.push_back(subject.original_id);
  }

  spdlog::info("checking {} before release {}", release.dataset.string(), release.version);
  const auto checks =
      release_checks(release.dataset, DataStore(globals.data_dir).locate("bids_schema"), literals);
  bool failed = false;
  for (const ReleaseCheck& check : checks) {
    for (const std::string& problem : check.problems)
      std::cout << check.name << '\t' << problem << '\n';
    if (!check.passed()) {
      spdlog::error("{} check failed: {} problem(s)", check.name, check.problems.size());
      failed = true;
    } else {
      spdlog::info("{} check passed ({})", check.name, check.note);
    }
  }
  if (failed) {
    spdlog::error("not released: fix the problems above");
    return static_cast<int>(ExitCode::findings);
  }
  release.command_line = globals.command_line;
  const ReleaseResult result = make_release(release, checks);
  spdlog::info("release {} of {} files in {}", release.version, result.files, result.bag.string());
  std::cout << result.changes_entry;
  return 0;
}

}  // namespace

Command add_release(CLI::App& program, const GlobalOptions& globals) {
  auto options = std::make_shared<ReleaseCommandOptions>();
  CLI::App* app = program.add_subcommand(
      "release",
      "Check a dataset (validate, audit, defacing, metadata) and write release X.Y.Z as a "
      "BagIt bag with DataCite metadata and a computed CHANGES entry; or --verify a release");
  app->add_option("dataset", options->release.dataset, "BIDS dataset folder");
  app->add_option("--version", options->release.version, "Release version, X.Y.Z");
  app->add_option("--releases", options->release.releases,
                  "Folder of releases (default: <dataset>-releases beside the dataset)");
  app->add_option("--key", options->key, "Key file: the audit also searches for original IDs");
  app->add_option("--date", options->release.date, "Release date YYYY-MM-DD (default: today)");
  app->add_option("--verify", options->verify,
                  "Re-verify a release folder (vX.Y.Z) against its manifests instead")
      ->check(CLI::ExistingDirectory);
  return {app, [options, &globals] {
            if (!options->verify.empty()) return run_verify(options->verify);
            return run_release(*options, globals);
          }};
}

}  // namespace strokefair::cli
