// Runs an external program (dcm2niix) without a shell, with its output sent to files.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace strokefair {

struct ProcessResult {
  int exit_code = -1;  // -1 when the program could not be started or was killed
  bool started = false;
};

// Runs `program` (looked up in PATH) with `arguments`; stdout and stderr go to `log_file`.
ProcessResult run_program(const std::string& program, const std::vector<std::string>& arguments,
                          const std::filesystem::path& log_file);

// True when `program` is found in PATH.
bool program_available(const std::string& program);

}  // namespace strokefair
