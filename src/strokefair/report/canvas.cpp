// Report figure raster: drawing, a bitmap font and PNG encoding through libpng.
#include "strokefair/report/canvas.hpp"

#include <png.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>
#include <map>

#include "strokefair/core/error.hpp"

namespace strokefair {

namespace {

// 5x7 glyphs, one byte per row, bit 4 is the leftmost dot (the HD44780 character shapes).
const std::map<char, std::array<std::uint8_t, 7>>& font() {
  static const std::map<char, std::array<std::uint8_t, 7>> glyphs = {
      {'A', {0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
      {'B', {0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E}},
      {'C', {0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E}},
      {'D', {0x1C, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1C}},
      {'E', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F}},
      {'F', {0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10}},
      {'G', {0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F}},
      {'H', {0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11}},
      {'I', {0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E}},
      {'J', {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0C}},
      {'K', {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}},
      {'L', {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F}},
      {'M', {0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11}},
      {'N', {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}},
      {'O', {0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}},
      {'P', {0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10}},
      {'Q', {0x0E, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0D}},
      {'R', {0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11}},
      {'S', {0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E}},
      {'T', {0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}},
      {'U', {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E}},
      {'V', {0x11, 0x11, 0x11, 0x11, 0x11, 0x0A, 0x04}},
      {'W', {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A}},
      {'X', {0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11}},
      {'Y', {0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04}},
      {'Z', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1F}},
      {'0', {0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E}},
      {'1', {0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E}},
      {'2', {0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F}},
      {'3', {0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E}},
      {'4', {0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02}},
      {'5', {0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E}},
      {'6', {0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E}},
      {'7', {0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}},
      {'8', {0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E}},
      {'9', {0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C}},
      {'-', {0x00, 0x00, 0x00, 0x1F, 0x00, 0x00, 0x00}},
      {'+', {0x00, 0x04, 0x04, 0x1F, 0x04, 0x04, 0x00}},
      {'.', {0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C}},
      {':', {0x00, 0x0C, 0x0C, 0x00, 0x0C, 0x0C, 0x00}},
      {'%', {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03}},
      {'(', {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}},
      {')', {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}},
      {'/', {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00}},
      {'=', {0x00, 0x00, 0x1F, 0x00, 0x1F, 0x00, 0x00}},
  };
  return glyphs;
}

void append_png_bytes(png_structp png, png_bytep data, png_size_t length) {
  auto* out = static_cast<std::string*>(png_get_io_ptr(png));
  out->append(reinterpret_cast<const char*>(data), length);
}

}  // namespace

Canvas::Canvas(int width, int height, Rgb background)
    : width_(std::max(1, width)), height_(std::max(1, height)) {
  rgb_.resize(static_cast<std::size_t>(width_) * height_ * 3);
  for (std::size_t n = 0; n < rgb_.size(); n += 3) {
    rgb_[n] = background.r;
    rgb_[n + 1] = background.g;
    rgb_[n + 2] = background.b;
  }
}

Rgb Canvas::get(int x, int y) const {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return {};
  const std::size_t n = (static_cast<std::size_t>(y) * width_ + x) * 3;
  return {rgb_[n], rgb_[n + 1], rgb_[n + 2]};
}

void Canvas::set(int x, int y, Rgb c) {
  if (x < 0 || y < 0 || x >= width_ || y >= height_) return;
  const std::size_t n = (static_cast<std::size_t>(y) * width_ + x) * 3;
  rgb_[n] = c.r;
  rgb_[n + 1] = c.g;
  rgb_[n + 2] = c.b;
}

void Canvas::blend(int x, int y, Rgb c, double alpha) {
  const Rgb old = get(x, y);
  const auto mix = [&](std::uint8_t a, std::uint8_t b) {
    return static_cast<std::uint8_t>(a * (1 - alpha) + b * alpha + 0.5);
  };
  set(x, y, {mix(old.r, c.r), mix(old.g, c.g), mix(old.b, c.b)});
}

void Canvas::fill_rect(int x, int y, int w, int h, Rgb c) {
  for (int yy = y; yy < y + h; ++yy)
    for (int xx = x; xx < x + w; ++xx) set(xx, yy, c);
}

int Canvas::text_width(const std::string& s, int scale) {
  return static_cast<int>(s.size()) * 6 * scale;
}

int Canvas::text(int x, int y, const std::string& s, Rgb c, int scale) {
  int at = x;
  for (char ch : s) {
    auto it = font().find(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
    if (it != font().end()) {
      for (int row = 0; row < 7; ++row)
        for (int col = 0; col < 5; ++col)
          if (it->second[row] & (0x10 >> col))
            fill_rect(at + col * scale, y + row * scale, scale, scale, c);
    }
    at += 6 * scale;
  }
  return at - x;
}

void Canvas::paste(const Canvas& other, int x, int y) {
  for (int yy = 0; yy < other.height(); ++yy)
    for (int xx = 0; xx < other.width(); ++xx) set(x + xx, y + yy, other.get(xx, yy));
}

std::string Canvas::png() const {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png ? png_create_info_struct(png) : nullptr;
  if (!png || !info) {
    png_destroy_write_struct(&png, &info);
    throw Error("cannot start a PNG encoder");
  }
  std::string out;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw Error("PNG encoding failed");
  }
  png_set_write_fn(png, &out, append_png_bytes, nullptr);
  // Figures hold greys and a few overlay colours: a palette image is a third of the size.
  std::map<std::uint32_t, int> palette_index;
  for (std::size_t n = 0; n < rgb_.size() && palette_index.size() <= 256; n += 3) {
    palette_index.emplace((rgb_[n] << 16) | (rgb_[n + 1] << 8) | rgb_[n + 2], 0);
  }
  const bool use_palette = palette_index.size() <= 256;
  std::vector<png_color> palette;
  for (auto& [colour, index] : palette_index) {
    index = static_cast<int>(palette.size());
    palette.push_back(
        {png_byte(colour >> 16), png_byte((colour >> 8) & 255), png_byte(colour & 255)});
  }
  png_set_IHDR(png, info, width_, height_, 8,
               use_palette ? PNG_COLOR_TYPE_PALETTE : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (use_palette) png_set_PLTE(png, info, palette.data(), static_cast<int>(palette.size()));
  png_set_compression_level(png, 9);
  png_write_info(png, info);
  std::vector<png_byte> row(static_cast<std::size_t>(width_));
  for (int y = 0; y < height_; ++y) {
    const std::uint8_t* rgb = &rgb_[static_cast<std::size_t>(y) * width_ * 3];
    if (!use_palette) {
      png_write_row(png, const_cast<png_bytep>(rgb));
      continue;
    }
    for (int x = 0; x < width_; ++x, rgb += 3) {
      row[x] = static_cast<png_byte>(palette_index[(rgb[0] << 16) | (rgb[1] << 8) | rgb[2]]);
    }
    png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

void Canvas::write_png(const std::filesystem::path& path) const {
  const std::string bytes = png();
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) throw Error(path.string() + ": cannot write figure", ExitCode::output_failed);
}

std::string base64_encode(const std::string& bytes) {
  static const char* table = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t n = 0;
  for (; n + 2 < bytes.size(); n += 3) {
    const unsigned v = (std::uint8_t(bytes[n]) << 16) | (std::uint8_t(bytes[n + 1]) << 8) |
                       std::uint8_t(bytes[n + 2]);
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += table[(v >> 6) & 63];
    out += table[v & 63];
  }
  if (n < bytes.size()) {
    unsigned v = std::uint8_t(bytes[n]) << 16;
    if (n + 1 < bytes.size()) v |= std::uint8_t(bytes[n + 1]) << 8;
    out += table[v >> 18];
    out += table[(v >> 12) & 63];
    out += n + 1 < bytes.size() ? table[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string png_data_uri(const std::string& png_bytes) {
  return "data:image/png;base64," + base64_encode(png_bytes);
}

}  // namespace strokefair
