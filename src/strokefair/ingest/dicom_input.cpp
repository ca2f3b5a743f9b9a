// DICOM detection by the Part 10 preamble, and a private, neutrally named staging area.
#include "strokefair/ingest/dicom_input.hpp"

#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>

#include "strokefair/core/error.hpp"

namespace strokefair {
namespace fs = std::filesystem;

namespace {

constexpr std::size_t kPreambleEnd = 132;  // 128-byte preamble + "DICM"

bool has_dicm_magic(const char* bytes, std::size_t size) {
  return size >= kPreambleEnd && std::string(bytes + 128, 4) == "DICM";
}

bool is_gzip_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<unsigned char, 2> magic{};
  return in.read(reinterpret_cast<char*>(magic.data()), 2) && magic[0] == 0x1f && magic[1] == 0x8b;
}

// Decompresses `path` into `destination` when its content is DICOM; returns false otherwise.
bool decompress_if_dicom(const fs::path& path, const fs::path& destination) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> in(gzopen(path.c_str(), "rb"), gzclose);
  if (!in) return false;
  std::vector<char> chunk(1 << 16);
  int n = gzread(in.get(), chunk.data(), static_cast<unsigned>(chunk.size()));
  if (n < 0 || !has_dicm_magic(chunk.data(), static_cast<std::size_t>(n))) return false;

  std::ofstream out(destination, std::ios::binary);
  while (n > 0) {
    out.write(chunk.data(), n);
    n = gzread(in.get(), chunk.data(), static_cast<unsigned>(chunk.size()));
  }
  if (n < 0 || !out.flush()) {
    out.close();
    fs::remove(destination);
    return false;
  }
  return true;
}

std::string numbered_name(std::size_t index) {
  std::array<char, 32> name{};
  std::snprintf(name.data(), name.size(), "%07zu.dcm", index);
  return name.data();
}

void gather_file(const fs::path& file, const fs::path& staging, DicomInputSummary& summary) {
  const std::size_t index = summary.dicom_files + summary.gzip_dicom_files;
  if (is_dicom_file(file)) {
    fs::create_symlink(fs::absolute(file), staging / numbered_name(index));
    ++summary.dicom_files;
  } else if (is_gzip_file(file) && decompress_if_dicom(file, staging / numbered_name(index))) {
    ++summary.gzip_dicom_files;
  } else {
    ++summary.skipped_files;
  }
}

}  // namespace

// DICOM written without the Part 10 preamble (some old archives) is not recognised: it is
// counted as skipped, not converted.
bool is_dicom_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::array<char, kPreambleEnd> head{};
  return in.read(head.data(), head.size()) && has_dicm_magic(head.data(), head.size());
}

DicomInputSummary gather_dicom_files(const std::vector<fs::path>& inputs, const fs::path& staging) {
  DicomInputSummary summary;
  for (const auto& input : inputs) {
    std::error_code ec;
    if (!fs::exists(input, ec)) throw input_error(input.string(), "does not exist");
    if (fs::is_regular_file(input)) {
      gather_file(input, staging, summary);
      continue;
    }
    for (auto it = fs::recursive_directory_iterator(
             input, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (it->is_regular_file(ec)) gather_file(it->path(), staging, summary);
    }
    if (ec) throw input_error(input.string(), "cannot be read: " + ec.message());
  }
  return summary;
}

fs::path make_private_folder(const fs::path& parent, const std::string& prefix) {
  std::string pattern = (parent / (prefix + "XXXXXX")).string();
  if (!::mkdtemp(pattern.data()))  // mkdtemp creates the folder with mode 0700
    throw Error(parent.string() + ": cannot create a private working folder",
                ExitCode::output_failed);
  return pattern;
}

FolderGuard::~FolderGuard() {
  std::error_code ignored;
  if (!folder_.empty()) fs::remove_all(folder_, ignored);
}

}  // namespace strokefair
