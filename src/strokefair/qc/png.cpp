// PNG output and a tiny bitmap font for figure labels.
#include "strokefair/qc/png.hpp"

#include <png.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <map>

#include "strokefair/core/error.hpp"

namespace strokefair {

void Raster::paste(const Raster& tile, std::size_t x, std::size_t y) {
  for (std::size_t ty = 0; ty < tile.height && y + ty < height; ++ty) {
    for (std::size_t tx = 0; tx < tile.width && x + tx < width; ++tx) {
      at(x + tx, y + ty) = tile.at(tx, ty);
    }
  }
}

namespace {

// 5x7 glyphs, one byte per row, the low five bits left to right.
const std::map<char, std::array<std::uint8_t, 7>>& glyphs() {
  static const std::map<char, std::array<std::uint8_t, 7>> table = {
      {'A', {14, 17, 17, 31, 17, 17, 17}}, {'B', {30, 17, 17, 30, 17, 17, 30}},
      {'C', {14, 17, 16, 16, 16, 17, 14}}, {'D', {30, 17, 17, 17, 17, 17, 30}},
      {'E', {31, 16, 16, 30, 16, 16, 31}}, {'F', {31, 16, 16, 30, 16, 16, 16}},
      {'G', {14, 17, 16, 23, 17, 17, 15}}, {'H', {17, 17, 17, 31, 17, 17, 17}},
      {'I', {14, 4, 4, 4, 4, 4, 14}},      {'J', {7, 2, 2, 2, 2, 18, 12}},
      {'K', {17, 18, 20, 24, 20, 18, 17}}, {'L', {16, 16, 16, 16, 16, 16, 31}},
      {'M', {17, 27, 21, 21, 17, 17, 17}}, {'N', {17, 17, 25, 21, 19, 17, 17}},
      {'O', {14, 17, 17, 17, 17, 17, 14}}, {'P', {30, 17, 17, 30, 16, 16, 16}},
      {'Q', {14, 17, 17, 17, 21, 18, 13}}, {'R', {30, 17, 17, 30, 20, 18, 17}},
      {'S', {15, 16, 16, 14, 1, 1, 30}},   {'T', {31, 4, 4, 4, 4, 4, 4}},
      {'U', {17, 17, 17, 17, 17, 17, 14}}, {'V', {17, 17, 17, 17, 17, 10, 4}},
      {'W', {17, 17, 17, 21, 21, 21, 10}}, {'X', {17, 17, 10, 4, 10, 17, 17}},
      {'Y', {17, 17, 10, 4, 4, 4, 4}},     {'Z', {31, 1, 2, 4, 8, 16, 31}},
      {'0', {14, 17, 19, 21, 25, 17, 14}}, {'1', {4, 12, 4, 4, 4, 4, 14}},
      {'2', {14, 17, 1, 2, 4, 8, 31}},     {'3', {31, 2, 4, 2, 1, 17, 14}},
      {'4', {2, 6, 10, 18, 31, 2, 2}},     {'5', {31, 16, 30, 1, 1, 17, 14}},
      {'6', {6, 8, 16, 30, 17, 17, 14}},   {'7', {31, 1, 2, 4, 8, 8, 8}},
      {'8', {14, 17, 17, 14, 17, 17, 14}}, {'9', {14, 17, 17, 15, 1, 2, 12}},
      {'.', {0, 0, 0, 0, 0, 12, 12}},      {'-', {0, 0, 0, 31, 0, 0, 0}},
      {':', {0, 12, 12, 0, 12, 12, 0}},    {'/', {0, 1, 2, 4, 8, 16, 0}},
      {'%', {24, 25, 2, 4, 8, 19, 3}},     {'(', {2, 4, 8, 8, 8, 4, 2}},
      {')', {8, 4, 2, 2, 2, 4, 8}},        {' ', {0, 0, 0, 0, 0, 0, 0}}};
  return table;
}

}  // namespace

void Raster::text(const std::string& s, std::size_t x, std::size_t y, Rgb colour, int scale) {
  std::size_t cursor = x;
  for (char raw : s) {
    const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(raw)));
    const auto it = glyphs().find(c);
    if (it != glyphs().end()) {
      for (int row = 0; row < 7; ++row) {
        for (int col = 0; col < 5; ++col) {
          if (!((it->second[row] >> (4 - col)) & 1)) continue;
          for (int dy = 0; dy < scale; ++dy)
            for (int dx = 0; dx < scale; ++dx) {
              const std::size_t px = cursor + col * scale + dx, py = y + row * scale + dy;
              if (px < width && py < height) at(px, py) = colour;
            }
        }
      }
    }
    cursor += 6 * scale;
  }
}

void write_png(const Raster& raster, const std::filesystem::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (!file) throw Error(path.string() + ": cannot be written", ExitCode::output_failed);
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    std::fclose(file);
    throw Error(path.string() + ": PNG encoding failed", ExitCode::output_failed);
  }
  png_init_io(png, file);
  png_set_IHDR(png, info, static_cast<png_uint_32>(raster.width),
               static_cast<png_uint_32>(raster.height), 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (std::size_t y = 0; y < raster.height; ++y) {
    png_write_row(png, reinterpret_cast<png_const_bytep>(&raster.pixels[y * raster.width]));
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  std::fclose(file);
}

}  // namespace strokefair
