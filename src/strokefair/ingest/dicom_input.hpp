// Finds the DICOM files in the input folders and gathers them, under neutral names, in a
// private folder for the converter (gzip-wrapped DICOM is decompressed there).
#pragma once

#include <cstddef>
#include <filesystem>
#include <vector>

#include "strokefair/io/interrupt_cleanup.hpp"

namespace strokefair {

struct DicomInputSummary {
  std::size_t dicom_files = 0;       // plain DICOM (linked)
  std::size_t gzip_dicom_files = 0;  // gzip-wrapped DICOM (decompressed)
  std::size_t skipped_files = 0;     // not DICOM or unreadable
};

// Walks `inputs` (folders or files) and fills `staging` with numbered links or copies.
// Throws Error(bad_input) naming the input when it does not exist.
DicomInputSummary gather_dicom_files(const std::vector<std::filesystem::path>& inputs,
                                     const std::filesystem::path& staging);

// True when the file starts with a DICOM Part 10 preamble ("DICM" at byte 128).
bool is_dicom_file(const std::filesystem::path& path);

// A new, empty folder only the current user can read, named "strokefair-XXXXXX" under
// `parent`; it carries no input name.
std::filesystem::path make_private_folder(const std::filesystem::path& parent,
                                          const std::string& prefix = "strokefair-");

// Removes a folder tree when it goes out of scope (unless released).
class FolderGuard {
 public:
  explicit FolderGuard(std::filesystem::path folder)
      : folder_(std::move(folder)), cleanup_on_signal_(folder_) {}
  FolderGuard(const FolderGuard&) = delete;
  FolderGuard& operator=(const FolderGuard&) = delete;
  ~FolderGuard();
  const std::filesystem::path& path() const { return folder_; }

 private:
  std::filesystem::path folder_;
  InterruptCleanup cleanup_on_signal_;
};

}  // namespace strokefair
