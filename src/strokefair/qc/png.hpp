// RGB raster images for figures, written as PNG through libpng.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace strokefair {

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
};

struct Raster {
  std::size_t width = 0, height = 0;
  std::vector<Rgb> pixels;  // row-major, top row first

  Raster() = default;
  Raster(std::size_t w, std::size_t h, Rgb fill = {}) : width(w), height(h), pixels(w * h, fill) {}
  Rgb& at(std::size_t x, std::size_t y) { return pixels[y * width + x]; }
  const Rgb& at(std::size_t x, std::size_t y) const { return pixels[y * width + x]; }
  // Copies `tile` with its top-left corner at (x, y), clipped to this raster.
  void paste(const Raster& tile, std::size_t x, std::size_t y);
  // Draws text in a 5x7 pixel font scaled by `scale`; letters A-Z, digits and " .-:/%()".
  void text(const std::string& s, std::size_t x, std::size_t y, Rgb colour, int scale = 1);
};

void write_png(const Raster& raster, const std::filesystem::path& path);

}  // namespace strokefair
