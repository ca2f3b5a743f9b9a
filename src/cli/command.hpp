// How a subcommand plugs into the strokefair program: it declares its options once on a
// CLI11 sub-app and hands back the function that runs it.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace strokefair::cli {

// Options every subcommand shares, declared once in main.cpp.
struct GlobalOptions {
  std::filesystem::path data_dir;  // empty: STROKEFAIR_DATA, then the built-in default
  bool verbose = false;
  bool debug = false;
  bool quiet = false;
  std::string command_line;  // recorded in outputs
};

struct Command {
  CLI::App* app = nullptr;
  std::function<int()> run;  // returns the process exit code
};

// One function per subcommand file.
Command add_analyze(CLI::App& program, const GlobalOptions& globals);
Command add_evaluate(CLI::App& program, const GlobalOptions& globals);
Command add_data(CLI::App& program, const GlobalOptions& globals);
Command add_library(CLI::App& program, const GlobalOptions& globals);
Command add_similar(CLI::App& program, const GlobalOptions& globals);
Command add_ingest(CLI::App& program, const GlobalOptions& globals);
Command add_audit(CLI::App& program, const GlobalOptions& globals);
Command add_validate(CLI::App& program, const GlobalOptions& globals);
Command add_deface(CLI::App& program, const GlobalOptions& globals);
Command add_derivatives(CLI::App& program, const GlobalOptions& globals);
Command add_release(CLI::App& program, const GlobalOptions& globals);

}  // namespace strokefair::cli
