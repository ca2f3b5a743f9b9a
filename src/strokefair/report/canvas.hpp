// A small RGB raster for report figures: pixels, rectangles, a 5x7 bitmap font, PNG encoding.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "strokefair/qc/png.hpp"  // Rgb, shared with the QC figure

namespace strokefair {

class Canvas {
 public:
  Canvas(int width, int height, Rgb background = {});

  int width() const { return width_; }
  int height() const { return height_; }
  Rgb get(int x, int y) const;
  void set(int x, int y, Rgb colour);                  // ignored outside the canvas
  void blend(int x, int y, Rgb colour, double alpha);  // alpha in [0, 1]
  void fill_rect(int x, int y, int w, int h, Rgb colour);
  // Upper-case text in a 5x7 font, `scale` pixels per font dot; returns the width drawn.
  int text(int x, int y, const std::string& s, Rgb colour, int scale = 1);
  static int text_width(const std::string& s, int scale = 1);
  void paste(const Canvas& other, int x, int y);

  // PNG bytes (8-bit RGB, no timestamps) and the same written to a file.
  std::string png() const;
  void write_png(const std::filesystem::path& path) const;

  const std::vector<std::uint8_t>& pixels() const { return rgb_; }

 private:
  int width_;
  int height_;
  std::vector<std::uint8_t> rgb_;
};

// "data:image/png;base64,..." for embedding in HTML.
std::string png_data_uri(const std::string& png_bytes);
std::string base64_encode(const std::string& bytes);

}  // namespace strokefair
