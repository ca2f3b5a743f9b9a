#include "cli/command.hpp"
namespace strokefair::cli {
Command add_evaluate(CLI::App& program, const GlobalOptions&) {
  CLI::App* app = program.add_subcommand("evaluate", "todo");
  return {app, [] { return 0; }};
}
}  // namespace strokefair::cli
