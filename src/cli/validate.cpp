// `strokefair validate`: BIDS conformance of a dataset and its derivatives, from the schema.
#include "strokefair/bids/validate.hpp"

#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "strokefair/core/error.hpp"
#include "strokefair/data/data_store.hpp"

namespace strokefair::cli {
namespace fs = std::filesystem;

Command add_validate(CLI::App& program, const GlobalOptions& globals) {
  auto dataset = std::make_shared<fs::path>();
  auto schema = std::make_shared<fs::path>();
  CLI::App* app = program.add_subcommand(
      "validate", "Check a dataset (raw and derivatives) against the BIDS schema (exit 8 if not)");
  app->add_option("dataset", *dataset, "Dataset folder")->required();
  app->add_option("--schema", *schema,
                  "BIDS schema JSON (default: the bids_schema asset of the data directory)");
  return {app, [dataset, schema, &globals] {
            const fs::path schema_path =
                schema->empty() ? DataStore(globals.data_dir).locate("bids_schema") : *schema;
            const auto issues = validate_dataset(*dataset, schema_path);
            std::size_t errors = 0;
            for (const auto& issue : issues) {
              std::cout << (issue.warning ? "warning" : "error") << '\t' << issue.file << '\t'
                        << issue.message << '\n';
              if (!issue.warning) ++errors;
            }
            if (errors > 0) {
              spdlog::error("{} BIDS error(s), {} warning(s)", errors, issues.size() - errors);
              return static_cast<int>(ExitCode::findings);
            }
            spdlog::info("valid BIDS (schema {})", schema_path.filename().string());
            return 0;
          }};
}

}  // namespace strokefair::cli
