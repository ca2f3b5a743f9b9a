// ITK-backed image I/O. ITK stays inside this file so the rest of strokefair compiles fast.
#include "strokefair/io/image_io.hpp"

#include <itkImage.h>
#include <itkImageFileReader.h>
#include <itkImageFileWriter.h>
#include <itkImageIOFactory.h>
#include <itkMetaImageIOFactory.h>
#include <itkNiftiImageIOFactory.h>
#include <zlib.h>

#include <cmath>
#include <cstring>
#include <mutex>
#include <optional>

#include "strokefair/core/error.hpp"
#include "strokefair/io/itk_image.hpp"

namespace strokefair {
namespace fs = std::filesystem;

namespace {

void register_io_factories() {
  // Static builds of ITK do not self-register IO factories; register the two we support.
  static std::once_flag once;
  std::call_once(once, [] {
    itk::NiftiImageIOFactory::RegisterOneFactory();
    itk::MetaImageIOFactory::RegisterOneFactory();
  });
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void require_readable(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw input_error(path.string(), "file does not exist");
  if (fs::is_directory(path, ec)) throw input_error(path.string(), "is a folder, not an image");
  if (!is_image_file_name(path)) {
    throw input_error(path.string(), "not a NIfTI (.nii, .nii.gz) or MetaImage (.mha, .mhd) file");
  }
}

// ITK reads a NIfTI file whose data were cut short without complaint (the missing voxels
// come back as zeros), so the stored byte count is checked here.
void require_complete_nifti(const fs::path& path, std::size_t image_bytes) {
  const std::string name = path.filename().string();
  if (!ends_with(name, ".nii") && !ends_with(name, ".nii.gz")) return;
  gzFile file = gzopen(path.c_str(), "rb");  // reads uncompressed files too
  if (!file) throw input_error(path.string(), "cannot be opened");
  std::size_t total = 0;
  int got = 0;
  float vox_offset = 352;
  std::vector<char> buffer(1 << 16);
  bool first = true;
  while ((got = gzread(file, buffer.data(), static_cast<unsigned>(buffer.size()))) > 0) {
    if (first && got >= 348) {
      std::memcpy(&vox_offset, buffer.data() + 108, sizeof vox_offset);
      // ITK reports the size of the pixel type it returns, float for a file with a scaling
      // slope (an int16 mask with scl_slope reads as float); a NIfTI-1 header's own
      // dimensions and bits per voxel give the stored size.
      std::int32_t header_size = 0;
      std::int16_t dim[8] = {}, bitpix = 0;
      std::memcpy(&header_size, buffer.data(), 4);
      std::memcpy(dim, buffer.data() + 40, sizeof dim);
      std::memcpy(&bitpix, buffer.data() + 72, 2);
      if (header_size == 348 && dim[0] >= 1 && dim[0] <= 7 && bitpix > 0) {
        std::size_t voxels = 1;
        for (int d = 1; d <= dim[0]; ++d)
          voxels *= static_cast<std::size_t>(std::max<std::int16_t>(1, dim[d]));
        image_bytes = voxels * static_cast<std::size_t>(bitpix) / 8;
      }
    }
    first = false;
    total += static_cast<std::size_t>(got);
  }
  int status = Z_OK;
  gzerror(file, &status);
  gzclose(file);
  const std::size_t needed = static_cast<std::size_t>(std::max(352.f, vox_offset)) + image_bytes;
  if (got < 0 || (status != Z_OK && status != Z_STREAM_END) || total < needed) {
    throw input_error(path.string(), "image data are truncated or corrupt (" +
                                         std::to_string(total) + " of " + std::to_string(needed) +
                                         " bytes)");
  }
}

itk::ImageIOBase::Pointer open_io(const fs::path& path) {
  register_io_factories();
  require_readable(path);
  auto io = itk::ImageIOFactory::CreateImageIO(path.c_str(),
                                               itk::ImageIOFactory::IOFileModeEnum::ReadMode);
  if (!io) throw input_error(path.string(), "not a readable image (corrupt or unknown format)");
  try {
    io->SetFileName(path.string());
    io->ReadImageInformation();
  } catch (const itk::ExceptionObject&) {
    throw input_error(path.string(), "image header could not be read (truncated or corrupt)");
  }
  require_complete_nifti(path, io->GetImageSizeInBytes());
  if (io->GetNumberOfComponents() != 1) {
    throw input_error(path.string(), "has " + std::to_string(io->GetNumberOfComponents()) +
                                         " components per voxel; a scalar image is needed");
  }
  return io;
}

using ItkImage4 = itk::Image<float, 4>;

ItkImage4::Pointer read_itk4(const fs::path& path) {
  auto reader = itk::ImageFileReader<ItkImage4>::New();
  reader->SetFileName(path.string());
  try {
    reader->Update();
  } catch (const itk::ExceptionObject& e) {
    throw input_error(path.string(), "image data could not be read (truncated or corrupt)");
  }
  return reader->GetOutput();
}

Geometry geometry_of(const ItkImage4* image) {
  Geometry g;
  const auto region = image->GetLargestPossibleRegion();
  for (int a = 0; a < 3; ++a) {
    g.size[a] = region.GetSize()[a];
    g.spacing[a] = image->GetSpacing()[a];
    g.origin[a] = image->GetOrigin()[a];
    for (int b = 0; b < 3; ++b) g.direction[a * 3 + b] = image->GetDirection()[a][b];
  }
  return g;
}

// Writes any ITK image, compressed when the file name ends in .gz.
template <class ItkImage>
void write_itk_image(const typename ItkImage::Pointer& image, const fs::path& path) {
  auto writer = itk::ImageFileWriter<ItkImage>::New();
  writer->SetFileName(path.string());
  writer->SetInput(image);
  writer->SetUseCompression(true);
  try {
    writer->Update();
  } catch (const itk::ExceptionObject& e) {
    throw Error(path.string() + ": could not be written: " + e.GetDescription(),
                ExitCode::output_failed);
  }
}

template <class T>
void write_volume(const Volume<T>& volume, const fs::path& path) {
  register_io_factories();
  write_itk_image<itk::Image<T, 3>>(to_itk(volume), path);
}

}  // namespace

bool is_image_file_name(const fs::path& path) {
  const std::string name = path.filename().string();
  return ends_with(name, ".nii") || ends_with(name, ".nii.gz") || ends_with(name, ".mha") ||
         ends_with(name, ".mhd");
}

ImageFileInfo read_image_info(const fs::path& path) {
  auto io = open_io(path);
  ImageFileInfo info;
  const unsigned stored = io->GetNumberOfDimensions();
  int dims = 0;
  for (unsigned a = 0; a < stored; ++a) {
    const auto n = io->GetDimensions(a);
    if (a < 4)
      info.size[a] = n;
    else if (n > 1)
      throw input_error(path.string(), "has more than four dimensions");
    if (n > 1) dims = static_cast<int>(a) + 1;
  }
  info.dimensions = dims;
  return info;
}

Geometry read_geometry(const fs::path& path) {
  auto io = open_io(path);
  Geometry g;
  for (unsigned a = 0; a < 3; ++a) {
    g.size[a] = a < io->GetNumberOfDimensions() ? io->GetDimensions(a) : 1;
    g.spacing[a] = a < io->GetNumberOfDimensions() ? io->GetSpacing(a) : 1.0;
    g.origin[a] = a < io->GetNumberOfDimensions() ? io->GetOrigin(a) : 0.0;
    for (unsigned b = 0; b < 3; ++b) {
      // ITK stores direction columns per axis: column a is axis a's unit vector.
      g.direction[b * 3 + a] = a < io->GetNumberOfDimensions() && b < io->GetDirection(a).size()
                                   ? io->GetDirection(a)[b]
                                   : (a == b ? 1.0 : 0.0);
    }
  }
  return g;
}

namespace {

// The volumes of a file whose header `info` was read already: each read of a compressed file
// decompresses it in full, so the header is not read twice.
std::vector<Image> read_volumes(const fs::path& path, const ImageFileInfo& info) {
  if (info.dimensions < 3) {
    throw input_error(path.string(),
                      "is a " + std::to_string(info.dimensions) + "D image; a 3D volume is needed");
  }
  auto image = read_itk4(path);
  const Geometry g = geometry_of(image.GetPointer());
  const std::size_t frames = image->GetLargestPossibleRegion().GetSize()[3];
  const float* buffer = image->GetBufferPointer();
  std::vector<Image> series;
  for (std::size_t t = 0; t < frames; ++t) {
    Image volume(g);
    std::copy(buffer + t * g.voxel_count(), buffer + (t + 1) * g.voxel_count(),
              volume.voxels.begin());
    series.push_back(std::move(volume));
  }
  return series;
}

}  // namespace

std::vector<Image> read_series(const fs::path& path) {
  return read_volumes(path, read_image_info(path));
}

Image read_image(const fs::path& path) {
  const ImageFileInfo info = read_image_info(path);
  if (info.dimensions == 4) {
    throw input_error(path.string(), "is a 4D series of " + std::to_string(info.size[3]) +
                                         " volumes; a 3D image is needed here");
  }
  auto series = read_volumes(path, info);
  return std::move(series.front());
}

LabelImage read_labels(const fs::path& path) {
  const Image image = read_image(path);
  LabelImage labels(image.geometry);
  for (std::size_t n = 0; n < image.size(); ++n) {
    labels[n] = std::isfinite(image[n]) ? static_cast<std::int32_t>(std::lround(image[n])) : 0;
  }
  return labels;
}

Mask read_mask(const fs::path& path) {
  const Image image = read_image(path);
  Mask mask(image.geometry);
  for (std::size_t n = 0; n < image.size(); ++n) {
    mask[n] = (std::isfinite(image[n]) && std::abs(image[n]) > 0.5f) ? 1 : 0;
  }
  return mask;
}

Mask read_binary_mask(const fs::path& path) {
  const Image image = read_image(path);
  std::optional<float> inside;
  for (float v : image.voxels) {
    if (v == 0.f || !std::isfinite(v)) continue;
    if (!inside) inside = v;
    if (v != *inside) {
      throw input_error(path.string(),
                        "is not a binary mask (it holds more than one non-zero value; "
                        "threshold or binarise it first)");
    }
  }
  return read_mask(path);
}

void write_image(const Image& image, const fs::path& path) { write_volume(image, path); }

void write_series(const std::vector<Image>& volumes, const fs::path& path) {
  register_io_factories();
  if (volumes.empty())
    throw Error(path.string() + ": no volumes to write", ExitCode::output_failed);
  auto image = ItkImage4::New();
  ItkImage4::RegionType region;
  ItkImage4::SpacingType spacing;
  ItkImage4::PointType origin;
  ItkImage4::DirectionType direction;
  direction.SetIdentity();
  const Geometry& g = volumes.front().geometry;
  for (int a = 0; a < 3; ++a) {
    region.SetSize(a, g.size[a]);
    spacing[a] = g.spacing[a];
    origin[a] = g.origin[a];
    for (int b = 0; b < 3; ++b) direction[a][b] = g.direction[a * 3 + b];
  }
  region.SetSize(3, volumes.size());
  spacing[3] = 1.0;
  origin[3] = 0.0;
  image->SetRegions(region);
  image->SetSpacing(spacing);
  image->SetOrigin(origin);
  image->SetDirection(direction);
  image->Allocate();
  float* buffer = image->GetBufferPointer();
  for (std::size_t t = 0; t < volumes.size(); ++t) {
    std::copy(volumes[t].voxels.begin(), volumes[t].voxels.end(), buffer + t * g.voxel_count());
  }
  write_itk_image<ItkImage4>(image, path);
}
void write_mask(const Mask& mask, const fs::path& path) { write_volume(mask, path); }

}  // namespace strokefair
