// Clears the free-text fields of NIfTI-1 headers and writes .nii.gz with an anonymous gzip header.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace strokefair {

// What a gzip member header says about where the file came from.
struct GzipHeaderInfo {
  bool is_gzip = false;
  std::uint32_t mtime = 0;
  bool has_name = false;
  bool has_comment = false;
  bool has_extra = false;
};

// The NIfTI-1 header text fields that converters fill with scan details (dcm2niix writes
// echo time and acquisition time into `descrip`).
struct NiftiTextFields {
  std::string data_type;    // 10 bytes, unused by NIfTI-1
  std::string db_name;      // 18 bytes, unused by NIfTI-1
  std::string descrip;      // 80 bytes
  std::string aux_file;     // 24 bytes
  std::string intent_name;  // 16 bytes
  bool has_extensions = false;
};

GzipHeaderInfo read_gzip_header(const std::filesystem::path& path);

// Reads a .nii or .nii.gz file whole; throws Error(bad_input) naming the file on failure.
std::vector<char> read_nifti_bytes(const std::filesystem::path& path);

// Reads only the 352 leading bytes (header and extension flag) of a .nii or .nii.gz.
NiftiTextFields read_nifti_text_fields(const std::filesystem::path& path);

// Clears every text field, removes header extensions and returns the new file bytes.
// Refuses anything that is not a single-file NIfTI-1 (n+1) image.
std::vector<char> deidentify_nifti(std::vector<char> bytes, const std::string& source_name);

// Writes `bytes` gzip-compressed with no file name, no comment and a zero time stamp.
void write_anonymous_gzip(const std::vector<char>& bytes, const std::filesystem::path& path);

}  // namespace strokefair
