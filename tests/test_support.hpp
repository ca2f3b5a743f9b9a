// Shared helpers for tests: where the shared data and the built program are.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "strokefair/data/data_store.hpp"

namespace strokefair::test {

inline std::filesystem::path data_dir() { return DataStore().root(); }

inline std::filesystem::path case_dir(const std::string& name) {
  return data_dir() / "cases" / name;
}

// Skips the calling test when the shared data are not where the data store looks.
#define STROKEFAIR_REQUIRE_DATA(relative)                                      \
  do {                                                                         \
    if (!std::filesystem::exists(::strokefair::test::data_dir() / (relative))) \
      GTEST_SKIP() << "shared data not found: " << (relative);                 \
  } while (0)

// A fresh, empty temporary folder for one test.
inline std::filesystem::path temp_dir(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("strokefair-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// Runs the built strokefair program; returns its exit code. Output goes to the given files.
inline int run_strokefair(const std::string& arguments,
                          const std::string& stdout_file = "/dev/null",
                          const std::string& stderr_file = "/dev/null") {
  const std::string command =
      std::string(STROKEFAIR_BINARY) + " " + arguments + " >" + stdout_file + " 2>" + stderr_file;
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// The whole of a text file (empty when it cannot be read).
inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace strokefair::test
