// Frequency maps from stored lesion runs, and their PNG montage (libpng).
#include "strokefair/library/frequency_map.hpp"

#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "strokefair/core/error.hpp"

namespace strokefair {

FrequencyMaps frequency_maps(const std::vector<StoredCase>& cases, const Geometry& library_grid) {
  FrequencyMaps maps;
  maps.count = Image(library_grid);
  maps.proportion = Image(library_grid);
  maps.cases = cases.size();
  for (const auto& c : cases) {
    for (std::size_t r = 0; r + 1 < c.lesion_runs.size(); r += 2) {
      const std::size_t first = c.lesion_runs[r], length = c.lesion_runs[r + 1];
      if (first + length > maps.count.size()) {
        throw Error(c.id + ": stored lesion map does not fit the library grid",
                    ExitCode::bad_input);
      }
      for (std::size_t n = first; n < first + length; ++n) maps.count[n] += 1.f;
    }
  }
  if (maps.cases > 0) {
    for (std::size_t n = 0; n < maps.count.size(); ++n)
      maps.proportion[n] = maps.count[n] / float(maps.cases);
  }
  return maps;
}

namespace {

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
};

// Black-red-yellow-white, t in [0, 1].
Rgb hot(double t) {
  t = std::clamp(t, 0.0, 1.0);
  const auto channel = [](double x) { return std::uint8_t(std::clamp(x, 0.0, 1.0) * 255.0 + 0.5); };
  return {channel(0.2 + t * 2.4), channel(t * 3.0 - 1.0), channel(t * 3.0 - 2.0)};
}

void write_png(const std::filesystem::path& path, std::size_t width, std::size_t height,
               const std::vector<Rgb>& pixels) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) throw Error(path.string() + ": cannot be written", ExitCode::output_failed);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(file);
    throw Error(path.string() + ": PNG could not be written", ExitCode::output_failed);
  }
  png_init_io(png, file);
  png_set_IHDR(png, info, png_uint_32(width), png_uint_32(height), 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (std::size_t y = 0; y < height; ++y) {
    png_write_row(png, reinterpret_cast<png_const_bytep>(pixels.data() + y * width));
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  if (std::fclose(file) != 0)
    throw Error(path.string() + ": cannot be written", ExitCode::output_failed);
}

}  // namespace

void write_montage_png(const FrequencyMaps& maps, const std::optional<Image>& background,
                       const std::filesystem::path& path) {
  static_assert(sizeof(Rgb) == 3, "PNG rows are packed RGB");
  const Geometry& g = maps.count.geometry;
  const Affine to_voxel = g.physical_to_voxel();
  // RAS field of view of the MNI brain in mm, one pixel per mm.
  const int x_low = -90, x_high = 90, y_low = -126, y_high = 90;
  const int width = x_high - x_low + 1, height = y_high - y_low + 1;
  std::vector<int> slices;
  for (int z = -40; z <= 70; z += 6) slices.push_back(z);
  const int columns = 5, rows = int(slices.size() + columns - 1) / columns;

  float peak = 0, background_peak = 0;
  for (float v : maps.proportion.voxels) peak = std::max(peak, v);
  if (background)
    for (float v : background->voxels) background_peak = std::max(background_peak, v);

  std::vector<Rgb> pixels(std::size_t(width * columns) * std::size_t(height * rows));
  for (std::size_t s = 0; s < slices.size(); ++s) {
    const int tile_x = int(s) % columns, tile_y = int(s) / columns;
    for (int py = 0; py < height; ++py) {
      for (int px = 0; px < width; ++px) {
        // RAS (x, y, z) -> LPS physical point -> nearest voxel.
        const double x = x_low + px, y = y_high - py, z = slices[s];
        const Vec3 v = to_voxel.apply({-x, -y, z});
        const long i = std::lround(v[0]), j = std::lround(v[1]), k = std::lround(v[2]);
        if (i < 0 || j < 0 || k < 0 || i >= long(g.size[0]) || j >= long(g.size[1]) ||
            k >= long(g.size[2]))
          continue;
        const std::size_t n = g.index(std::size_t(i), std::size_t(j), std::size_t(k));
        Rgb colour;
        if (background && background_peak > 0) {
          const auto grey =
              std::uint8_t(std::clamp(background->voxels[n] / background_peak, 0.f, 1.f) * 200);
          colour = {grey, grey, grey};
        }
        if (maps.count[n] >= 1 && peak > 0) colour = hot(maps.proportion[n] / peak);
        pixels[std::size_t(tile_y * height + py) * std::size_t(width * columns) +
               std::size_t(tile_x * width + px)] = colour;
      }
    }
  }
  write_png(path, std::size_t(width * columns), std::size_t(height * rows), pixels);
}

}  // namespace strokefair
