// The one exception type of strokefair, with an exit code and a chain of context.
#pragma once

#include <stdexcept>
#include <string>

namespace strokefair {

// Exit codes are part of the command-line interface and documented in the README.
enum class ExitCode : int {
  ok = 0,
  internal = 1,       // a bug or an unexpected library failure
  usage = 2,          // bad command-line arguments
  bad_input = 3,      // an input file is missing, unreadable, corrupt or unsuitable
  processing = 4,     // a processing step failed its own check (e.g. registration)
  output_exists = 5,  // an output exists and --force was not given
  missing_asset = 6,  // a template or atlas is not in the data directory
  output_failed = 7,  // outputs could not be written
  findings = 8,       // a checking command (audit, validate) found problems
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, ExitCode code = ExitCode::internal)
      : std::runtime_error(message), code_(code) {}

  ExitCode code() const { return code_; }

  // Returns a copy whose message starts with `context`, keeping the exit code.
  Error with_context(const std::string& context) const {
    return Error(context + ": " + what(), code_);
  }

 private:
  ExitCode code_;
};

// Shorthand for the most common case: a named input file has a problem.
inline Error input_error(const std::string& path, const std::string& problem) {
  return Error(path + ": " + problem, ExitCode::bad_input);
}

}  // namespace strokefair
