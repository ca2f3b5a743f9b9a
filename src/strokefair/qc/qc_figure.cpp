// QC figure rendering.
#include "strokefair/qc/qc_figure.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "strokefair/core/resample.hpp"

namespace strokefair {

Geometry axial_display_grid(const Geometry& native) {
  const Affine to_physical = native.voxel_to_physical();
  Vec3 low{std::numeric_limits<double>::max(), std::numeric_limits<double>::max(),
           std::numeric_limits<double>::max()};
  Vec3 high{-low[0], -low[1], -low[2]};
  for (int corner = 0; corner < 8; ++corner) {
    Vec3 p;
    for (int a = 0; a < 3; ++a) p[a] = ((corner >> a) & 1) ? native.size[a] - 0.5 : -0.5;
    const Vec3 w = to_physical.apply(p);
    for (int a = 0; a < 3; ++a) {
      low[a] = std::min(low[a], w[a]);
      high[a] = std::max(high[a], w[a]);
    }
  }
  const double fine = *std::min_element(native.spacing.begin(), native.spacing.end());
  const double coarse = *std::max_element(native.spacing.begin(), native.spacing.end());
  Geometry g;
  g.spacing = {fine, fine, coarse};
  for (int a = 0; a < 3; ++a) {
    g.size[a] = std::max<std::size_t>(
        1, static_cast<std::size_t>(std::round((high[a] - low[a]) / g.spacing[a])));
    g.origin[a] = low[a] + g.spacing[a] / 2;
  }
  return g;
}

namespace {

constexpr Rgb kLesion{255, 40, 40};
constexpr Rgb kOutline{40, 220, 80};
constexpr Rgb kLabel{255, 230, 0};

std::uint8_t grey(double value, double low, double high) {
  return static_cast<std::uint8_t>(std::clamp((value - low) / (high - low), 0.0, 1.0) * 255.0);
}

// One axial slice of a display grid, scaled by `zoom`, with outlines of `outline` on top. On
// an LPS grid, columns run towards patient left and rows towards posterior: radiological view.
Raster render_slice(const Image& image, std::size_t k, double low, double high, const Mask* outline,
                    Rgb outline_colour, int zoom) {
  const auto& s = image.geometry.size;
  Raster tile(s[0] * zoom, s[1] * zoom);
  for (std::size_t y = 0; y < tile.height; ++y)
    for (std::size_t x = 0; x < tile.width; ++x) {
      const std::uint8_t v = grey(image.at(x / zoom, y / zoom, k), low, high);
      tile.at(x, y) = {v, v, v};
    }
  if (!outline) return tile;
  auto inside = [&](long x, long y) {
    if (x < 0 || y < 0 || x >= static_cast<long>(tile.width) ||
        y >= static_cast<long>(tile.height)) {
      return false;
    }
    return (*outline).at(x / zoom, y / zoom, k) != 0;
  };
  for (long y = 0; y < static_cast<long>(tile.height); ++y)
    for (long x = 0; x < static_cast<long>(tile.width); ++x) {
      if (inside(x, y) &&
          (!inside(x - 1, y) || !inside(x + 1, y) || !inside(x, y - 1) || !inside(x, y + 1))) {
        tile.at(x, y) = outline_colour;
      }
    }
  return tile;
}

std::vector<std::size_t> slices_to_show(const Mask& lesion, const Mask& brain) {
  const auto& s = lesion.geometry.size;
  std::vector<std::size_t> with_lesion, with_brain;
  for (std::size_t k = 0; k < s[2]; ++k) {
    bool l = false, b = false;
    for (std::size_t j = 0; j < s[1] && !l; ++j)
      for (std::size_t i = 0; i < s[0]; ++i) {
        l = l || lesion.at(i, j, k);
        b = b || brain.at(i, j, k);
      }
    if (l) with_lesion.push_back(k);
    if (b) with_brain.push_back(k);
  }
  if (!with_lesion.empty()) return with_lesion;
  // No lesion: six evenly spaced brain slices show that the mask is empty on purpose.
  std::vector<std::size_t> sample;
  for (int n = 1; n <= 6 && !with_brain.empty(); ++n) {
    sample.push_back(with_brain[(with_brain.size() - 1) * n / 7]);
  }
  return sample;
}

// Template-space views (axial, coronal, sagittal through the template centre) of the subject
// image mapped by the registration, with the template's brain outline.
std::vector<Raster> registration_views(const QcInputs& in, std::size_t tile_size) {
  const Geometry g = axial_display_grid(in.template_t1->geometry);
  const Image subject = resample_linear(*in.anatomy, g, in.template_to_subject);
  const Mask template_brain = resample_mask(*in.template_brain, g);
  std::vector<float> positive;
  for (float v : subject.voxels)
    if (v > 0) positive.push_back(v);
  std::sort(positive.begin(), positive.end());
  const double high = positive.empty() ? 1.0 : positive[positive.size() * 99 / 100];

  std::vector<Raster> views;
  const std::size_t ci = g.size[0] / 2, cj = g.size[1] / 2, ck = g.size[2] / 2;
  // view 0: axial (i across, j down); 1: coronal (i across, k up); 2: sagittal (j across, k up)
  for (int view = 0; view < 3; ++view) {
    const std::size_t w = view == 2 ? g.size[1] : g.size[0];
    const std::size_t h = view == 0 ? g.size[1] : g.size[2];
    Raster r(w, h);
    auto voxel = [&](std::size_t x, std::size_t y) -> std::size_t {
      if (view == 0) return g.index(x, y, ck);
      if (view == 1) return g.index(x, cj, h - 1 - y);
      return g.index(ci, x, h - 1 - y);
    };
    for (std::size_t y = 0; y < h; ++y)
      for (std::size_t x = 0; x < w; ++x) {
        const std::uint8_t v = grey(subject[voxel(x, y)], 0, high);
        r.at(x, y) = {v, v, v};
      }
    for (std::size_t y = 1; y + 1 < h; ++y)
      for (std::size_t x = 1; x + 1 < w; ++x) {
        const bool b = template_brain[voxel(x, y)];
        if (b && (!template_brain[voxel(x - 1, y)] || !template_brain[voxel(x + 1, y)] ||
                  !template_brain[voxel(x, y - 1)] || !template_brain[voxel(x, y + 1)])) {
          r.at(x, y) = kOutline;
        }
      }
    // Scale to the tile size by nearest neighbour.
    const double zoom = static_cast<double>(tile_size) / std::max(w, h);
    Raster scaled(static_cast<std::size_t>(w * zoom), static_cast<std::size_t>(h * zoom));
    for (std::size_t y = 0; y < scaled.height; ++y)
      for (std::size_t x = 0; x < scaled.width; ++x)
        scaled.at(x, y) = r.at(std::min(w - 1, static_cast<std::size_t>(x / zoom)),
                               std::min(h - 1, static_cast<std::size_t>(y / zoom)));
    views.push_back(std::move(scaled));
  }
  return views;
}

}  // namespace

Raster render_qc_figure(const QcInputs& in) {
  const Geometry display = axial_display_grid(in.relative_dwi->geometry);
  const Image dwi = resample_linear(*in.relative_dwi, display);
  const Image adc = resample_linear(*in.adc, display);
  const Mask lesion = resample_mask(*in.lesion, display);
  const Mask brain = resample_mask(*in.brain, display);
  const std::vector<std::size_t> slices = slices_to_show(lesion, brain);

  const int zoom = std::max(1, static_cast<int>(std::round(220.0 / display.size[0])));
  const std::size_t tile_w = display.size[0] * zoom, tile_h = display.size[1] * zoom;
  const std::size_t gap = 4, header = 24, pairs_per_row = 2;
  const std::size_t rows = (slices.size() + pairs_per_row - 1) / pairs_per_row;
  const std::size_t width = pairs_per_row * (2 * tile_w + gap) + gap;
  const std::size_t reg_tile = 2 * tile_w;
  const std::size_t height = header + rows * (tile_h + gap) + header + reg_tile + gap;
  Raster figure(width, height);
  figure.text(lesion.size() && count_nonzero(lesion) ? "LESION ON DWI (LEFT) AND ADC (RIGHT)"
                                                     : "NO LESION: SAMPLE SLICES DWI AND ADC",
              gap, 6, kLabel, 2);

  for (std::size_t n = 0; n < slices.size(); ++n) {
    const std::size_t k = slices[n];
    const std::size_t x = gap + (n % pairs_per_row) * (2 * tile_w + gap);
    const std::size_t y = header + (n / pairs_per_row) * (tile_h + gap);
    // rDWI 0-2.5: normal tissue mid-grey, infarct bright. ADC 0-2000 x10^-6 mm²/s.
    Raster left = render_slice(dwi, k, 0.0, 2.5, &lesion, kLesion, zoom);
    Raster right = render_slice(adc, k, 0.0, 2000.0, &lesion, kLesion, zoom);
    left.text("R", 3, 3, kLabel, 2);  // radiological convention: patient right on the left
    left.text("S" + std::to_string(k), 3, tile_h - 18, kLabel, 2);
    figure.paste(left, x, y);
    figure.paste(right, x + tile_w, y);
  }

  const std::size_t reg_y = header + rows * (tile_h + gap);
  figure.text("REGISTRATION TO TEMPLATE (GREEN: TEMPLATE BRAIN)", gap, reg_y + 6, kLabel, 2);
  const auto views = registration_views(in, reg_tile / 1.5);
  std::size_t x = gap;
  for (const Raster& view : views) {
    figure.paste(view, x, reg_y + header);
    x += view.width + gap;
  }
  return figure;
}

}  // namespace strokefair
