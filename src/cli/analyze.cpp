#include "cli/command.hpp"
namespace strokefair::cli {
Command add_analyze(CLI::App& program, const GlobalOptions&) {
  CLI::App* app = program.add_subcommand("analyze", "todo");
  return {app, [] { return 0; }};
}
}  // namespace strokefair::cli
