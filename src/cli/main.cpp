// The strokefair program: global options, subcommand dispatch, error reporting and exit codes.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "cli/command.hpp"
#include "strokefair/core/error.hpp"
#include "strokefair/io/interrupt_cleanup.hpp"

using namespace strokefair;

namespace {

void configure_logging(const cli::GlobalOptions& globals) {
  auto logger = spdlog::stderr_color_mt("strokefair");
  logger->set_pattern("strokefair: %^%l%$: %v");
  logger->set_level(globals.debug     ? spdlog::level::debug
                    : globals.verbose ? spdlog::level::debug
                    : globals.quiet   ? spdlog::level::warn
                                      : spdlog::level::info);
  spdlog::set_default_logger(logger);
}

// The command line as a POSIX shell would need it typed again: arguments holding spaces or
// shell characters are single-quoted, so a recorded command can be re-run as it stands.
std::string shell_quoted(const std::string& argument) {
  const bool plain = !argument.empty() && argument.find_first_not_of(
                                              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                              "0123456789-_./=:,+@%") == std::string::npos;
  if (plain) return argument;
  std::string quoted = "'";
  for (char c : argument) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

std::string join_arguments(int argc, char** argv) {
  std::string line = "strokefair";
  for (int i = 1; i < argc; ++i) line += " " + shell_quoted(argv[i]);
  return line;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App program{"strokefair: acute stroke MRI analysis and FAIR dataset curation"};
  program.set_version_flag("--version", STROKEFAIR_VERSION);
  program.require_subcommand(1);

  cli::GlobalOptions globals;
  globals.command_line = join_arguments(argc, argv);
  program.add_option("--data-dir", globals.data_dir,
                     "Folder with templates and atlases (default: $STROKEFAIR_DATA, then the "
                     "shared data folder beside the source checkout)");
  program.add_flag("-v,--verbose", globals.verbose, "Log stage timings and details");
  program.add_flag("--debug", globals.debug, "Log internals for developers");
  program.add_flag("-q,--quiet", globals.quiet, "Log warnings and errors only");

  // One line per command, so that adding a command touches one line.
  // clang-format off
  const std::vector<cli::Command> commands = {
      cli::add_analyze(program, globals),
      cli::add_evaluate(program, globals),
      cli::add_data(program, globals),
      cli::add_library(program, globals),
      cli::add_similar(program, globals),
      cli::add_ingest(program, globals),
      cli::add_audit(program, globals),
      cli::add_validate(program, globals),
      cli::add_deface(program, globals),
      cli::add_derivatives(program, globals),
      cli::add_release(program, globals),
  };
  // clang-format on

  try {
    program.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return program.exit(e);
  }

  configure_logging(globals);
  install_interrupt_cleanup();
  for (const auto& command : commands) {
    if (!command.app->parsed()) continue;
    try {
      return command.run();
    } catch (const Error& e) {
      spdlog::error("{}", e.what());
      return static_cast<int>(e.code());
    } catch (const std::exception& e) {
      spdlog::error("internal error: {}", e.what());
      return static_cast<int>(ExitCode::internal);
    }
  }
  return static_cast<int>(ExitCode::usage);
}
