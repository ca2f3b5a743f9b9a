// Reading and writing NIfTI and MetaImage files (through ITK) as strokefair volumes.
#pragma once

#include <filesystem>
#include <vector>

#include "strokefair/core/volume.hpp"

namespace strokefair {

struct ImageFileInfo {
  int dimensions = 0;  // as stored, trailing size-1 axes dropped
  std::array<std::size_t, 4> size{1, 1, 1, 1};
};

// Reads only the header. Throws Error(bad_input) naming the file when it cannot.
ImageFileInfo read_image_info(const std::filesystem::path& path);

// Reads only the header's grid (the first three axes).
Geometry read_geometry(const std::filesystem::path& path);

// Reads a 3D scalar image as float. A 2D or 4D file is refused with a clear message.
Image read_image(const std::filesystem::path& path);

// Reads a 3D or 4D image as a list of 3D volumes (one for a 3D file).
std::vector<Image> read_series(const std::filesystem::path& path);

// Reads a label image, rounding stored values to the nearest integer.
LabelImage read_labels(const std::filesystem::path& path);

// Reads a binary mask: any non-zero voxel is inside.
Mask read_mask(const std::filesystem::path& path);
// Reads a mask that must be binary: zero and one other value. Throws Error(bad_input) for a
// label image or a probability map, whose meaning as a mask would be a guess.
Mask read_binary_mask(const std::filesystem::path& path);

// Writes images; `.nii.gz` output has a gzip header with no file name and zero time.
void write_image(const Image& image, const std::filesystem::path& path);
void write_mask(const Mask& mask, const std::filesystem::path& path);

// Writes a list of 3D volumes on one grid as a 4D image.
void write_series(const std::vector<Image>& volumes, const std::filesystem::path& path);

// True when the file name ends in an extension that read_image understands.
bool is_image_file_name(const std::filesystem::path& path);

}  // namespace strokefair
