// Helpers for the ingest, audit and validate tests: shell commands, tree hashes, byte search.
#pragma once

#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>
#include <map>
#include <sstream>

#include "strokefair/data/data_store.hpp"
#include "test_support.hpp"

namespace strokefair::test {

inline int shell(const std::string& command) {
  const int status = std::system(("bash -c '" + command + "' >/dev/null 2>&1").c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

inline bool have_program(const std::string& name) { return shell("command -v " + name) == 0; }

inline std::string file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

inline std::string gunzip_bytes(const std::filesystem::path& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  std::string bytes;
  char chunk[1 << 16];
  int n = 0;
  while ((n = gzread(file, chunk, sizeof chunk)) > 0) bytes.append(chunk, n);
  gzclose(file);
  return bytes;
}

// Relative path -> SHA-256 of every file under `root` (hidden files included).
inline std::map<std::string, std::string> tree_hashes(const std::filesystem::path& root) {
  std::map<std::string, std::string> hashes;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    if (entry.is_regular_file())
      hashes[std::filesystem::relative(entry.path(), root).string()] = sha256_file(entry.path());
  }
  return hashes;
}

inline std::filesystem::path shared_dicom() { return data_dir() / "dicom"; }

inline std::string dicom_inputs() {
  const auto d = shared_dicom();
  return (d / "dcm_qa_subset/In").string() + " " + (d / "dcm_qa_deident/In").string() + " " +
         (d / "dcm_qa_philips_dwi/In").string();
}

inline std::string example(const std::string& name) {
  return std::string(STROKEFAIR_SOURCE_DIR) + "/docs/examples/" + name;
}

#define STROKEFAIR_REQUIRE_PROGRAM(name)                                  \
  do {                                                                    \
    if (!::strokefair::test::have_program(name))                          \
      GTEST_SKIP() << name << " not installed (scripts/install-deps.sh)"; \
  } while (0)

}  // namespace strokefair::test
