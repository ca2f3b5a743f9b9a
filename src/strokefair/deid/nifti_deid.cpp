// NIfTI-1 header cleaning and anonymous gzip output, on raw bytes (no image library needed).
#include "strokefair/deid/nifti_deid.hpp"

#include <zlib.h>

#include <cstring>
#include <fstream>
#include <limits>
#include <memory>

#include "strokefair/core/error.hpp"

namespace strokefair {

namespace {

// Byte offsets in the NIfTI-1 header (nifti1.h).
constexpr std::size_t kHeaderSize = 348;
constexpr std::size_t kDataTypeOffset = 4, kDataTypeSize = 10;
constexpr std::size_t kDbNameOffset = 14, kDbNameSize = 18;
constexpr std::size_t kVoxOffsetOffset = 108;
constexpr std::size_t kDescripOffset = 148, kDescripSize = 80;
constexpr std::size_t kAuxFileOffset = 228, kAuxFileSize = 24;
constexpr std::size_t kIntentNameOffset = 328, kIntentNameSize = 16;
constexpr std::size_t kMagicOffset = 344;
constexpr std::size_t kExtensionFlagOffset = 348;
constexpr std::size_t kFirstVoxelWithoutExtensions = 352;

std::string text_field(const char* header, std::size_t offset, std::size_t size) {
  std::string value(header + offset, size);
  value.resize(std::strlen(value.c_str()));
  return value;
}

// Reads up to `limit` decompressed bytes (all when limit is 0).
std::vector<char> read_possibly_gzipped(const std::filesystem::path& path, std::size_t limit) {
  std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"), gzclose);
  if (!file) throw input_error(path.string(), "cannot be opened");
  gzbuffer(file.get(), 1 << 17);
  std::vector<char> bytes;
  std::array<char, 1 << 17> chunk{};
  while (limit == 0 || bytes.size() < limit) {
    const int n = gzread(file.get(), chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n < 0) throw input_error(path.string(), "is not a readable (gzip) file");
    if (n == 0) break;
    bytes.insert(bytes.end(), chunk.data(), chunk.data() + n);
  }
  if (limit != 0 && bytes.size() > limit) bytes.resize(limit);
  return bytes;
}

}  // namespace

GzipHeaderInfo read_gzip_header(const std::filesystem::path& path) {
  GzipHeaderInfo info;
  std::ifstream in(path, std::ios::binary);
  unsigned char header[10] = {};
  if (!in.read(reinterpret_cast<char*>(header), sizeof header)) return info;
  if (header[0] != 0x1f || header[1] != 0x8b) return info;
  info.is_gzip = true;
  const unsigned flags = header[3];
  info.has_extra = flags & 0x04;
  info.has_name = flags & 0x08;
  info.has_comment = flags & 0x10;
  info.mtime = header[4] | (header[5] << 8) | (header[6] << 16) |
               (static_cast<std::uint32_t>(header[7]) << 24);
  return info;
}

std::vector<char> read_nifti_bytes(const std::filesystem::path& path) {
  return read_possibly_gzipped(path, 0);
}

NiftiTextFields read_nifti_text_fields(const std::filesystem::path& path) {
  const auto bytes = read_possibly_gzipped(path, kFirstVoxelWithoutExtensions);
  if (bytes.size() < kHeaderSize) throw input_error(path.string(), "is too short for NIfTI");
  const char* header = bytes.data();
  NiftiTextFields fields;
  fields.data_type = text_field(header, kDataTypeOffset, kDataTypeSize);
  fields.db_name = text_field(header, kDbNameOffset, kDbNameSize);
  fields.descrip = text_field(header, kDescripOffset, kDescripSize);
  fields.aux_file = text_field(header, kAuxFileOffset, kAuxFileSize);
  fields.intent_name = text_field(header, kIntentNameOffset, kIntentNameSize);
  fields.has_extensions = bytes.size() > kExtensionFlagOffset && bytes[kExtensionFlagOffset] != 0;
  return fields;
}

std::vector<char> deidentify_nifti(std::vector<char> bytes, const std::string& source_name) {
  std::int32_t header_size = 0;
  if (bytes.size() >= 4) std::memcpy(&header_size, bytes.data(), 4);
  if (bytes.size() < kFirstVoxelWithoutExtensions || header_size != 348 ||
      std::memcmp(bytes.data() + kMagicOffset, "n+1", 4) != 0)
    throw input_error(source_name, "is not a little-endian single-file NIfTI-1 image");

  char* header = bytes.data();
  std::memset(header + kDataTypeOffset, 0, kDataTypeSize);
  std::memset(header + kDbNameOffset, 0, kDbNameSize);
  std::memset(header + kDescripOffset, 0, kDescripSize);
  std::memset(header + kAuxFileOffset, 0, kAuxFileSize);
  std::memset(header + kIntentNameOffset, 0, kIntentNameSize);

  // Extensions may carry a whole DICOM header; drop them and move the voxels up.
  float vox_offset = 0;
  std::memcpy(&vox_offset, header + kVoxOffsetOffset, 4);
  const auto first_voxel = static_cast<std::size_t>(vox_offset);
  if (header[kExtensionFlagOffset] != 0 || first_voxel != kFirstVoxelWithoutExtensions) {
    if (first_voxel < kFirstVoxelWithoutExtensions || first_voxel > bytes.size())
      throw input_error(source_name, "has an impossible NIfTI vox_offset");
    bytes.erase(bytes.begin() + kFirstVoxelWithoutExtensions, bytes.begin() + first_voxel);
    header = bytes.data();
    std::memset(header + kExtensionFlagOffset, 0, 4);
    const float new_offset = static_cast<float>(kFirstVoxelWithoutExtensions);
    std::memcpy(header + kVoxOffsetOffset, &new_offset, 4);
  }
  return bytes;
}

void write_anonymous_gzip(const std::vector<char>& bytes, const std::filesystem::path& path) {
  // zlib counts input in 32 bits; one deflate call per file keeps the output deterministic.
  if (bytes.size() > std::numeric_limits<uInt>::max())
    throw Error(path.string() + ": images of 4 GiB or more are not supported", ExitCode::bad_input);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw Error(path.string() + ": cannot be written", ExitCode::output_failed);

  // windowBits 15 + 16 asks zlib for a gzip wrapper; zlib's own header has no name, no
  // comment and mtime 0. Level 6 is gzip's default and what dcm2niix uses.
  z_stream stream{};
  if (deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw Error(path.string() + ": zlib could not start", ExitCode::output_failed);
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&stream, deflateEnd);

  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = static_cast<uInt>(bytes.size());
  std::vector<char> chunk(1 << 18);
  int status = Z_OK;
  while (status != Z_STREAM_END) {
    stream.next_out = reinterpret_cast<Bytef*>(chunk.data());
    stream.avail_out = static_cast<uInt>(chunk.size());
    status = deflate(&stream, Z_FINISH);
    if (status == Z_STREAM_ERROR)
      throw Error(path.string() + ": compression failed", ExitCode::output_failed);
    out.write(chunk.data(), static_cast<std::streamsize>(chunk.size() - stream.avail_out));
  }
  if (!out.flush()) throw Error(path.string() + ": cannot be written", ExitCode::output_failed);
}

}  // namespace strokefair
