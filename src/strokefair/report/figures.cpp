// Report figures drawn from volumes on an axial, patient-aligned display grid.
#include "strokefair/report/figures.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "strokefair/aspects/aspects.hpp"
#include "strokefair/core/resample.hpp"
#include "strokefair/qc/qc_figure.hpp"  // axial_display_grid

namespace strokefair {

namespace {

const Rgb kWhite{255, 255, 255};
const Rgb kLesion{255, 40, 40};
const Rgb kBrain{60, 220, 90};
const Rgb kTerritory{40, 200, 230};
const Rgb kAffected{215, 45, 45};
const Rgb kBackground{12, 12, 12};
const Rgb kLesionDot{255, 230, 40};

struct Window {
  float low = 0, high = 1;
};

// Percentile of the positive voxels: a window robust to a few very bright voxels.
Window positive_window(const Image& image, double percentile) {
  std::vector<float> values;
  for (float v : image.voxels)
    if (v > 0 && std::isfinite(v)) values.push_back(v);
  if (values.empty()) return {};
  const std::size_t at = std::min(values.size() - 1, std::size_t(values.size() * percentile));
  std::nth_element(values.begin(), values.begin() + at, values.end());
  return {0.f, std::max(values[at], 1e-6f)};
}

// The in-plane part of a display slice that is drawn.
struct Crop {
  std::size_t i0 = 0, j0 = 0, nx = 0, ny = 0;
};

Crop whole(const Geometry& g) { return {0, 0, g.size[0], g.size[1]}; }

// The in-plane box of the mask over all slices, with a margin; the whole slice if empty.
Crop mask_crop(const Mask& mask, std::size_t margin = 3) {
  const auto& g = mask.geometry;
  std::size_t i0 = g.size[0], j0 = g.size[1], i1 = 0, j1 = 0;
  for (std::size_t k = 0; k < g.size[2]; ++k)
    for (std::size_t j = 0; j < g.size[1]; ++j)
      for (std::size_t i = 0; i < g.size[0]; ++i)
        if (mask.at(i, j, k)) {
          i0 = std::min(i0, i);
          j0 = std::min(j0, j);
          i1 = std::max(i1, i);
          j1 = std::max(j1, j);
        }
  if (i0 > i1) return whole(g);
  i0 = i0 > margin ? i0 - margin : 0;
  j0 = j0 > margin ? j0 - margin : 0;
  i1 = std::min(g.size[0] - 1, i1 + margin);
  j1 = std::min(g.size[1] - 1, j1 + margin);
  return {i0, j0, i1 - i0 + 1, j1 - j0 + 1};
}

// The pixel size that makes a panel about `target` pixels across.
int panel_scale(const Crop& g, int target = 220) {
  const std::size_t across = std::max(g.nx, g.ny);
  return std::max(1,
                  static_cast<int>(std::lround(double(target) / std::max<std::size_t>(1, across))));
}

// Grey slice k of `image`: display column i runs from the patient's right to left
// (LPS +x), row j from anterior to posterior (LPS +y): the radiological view.
Canvas grey_slice(const Image& image, std::size_t k, Window w, int scale, const Crop& crop) {
  Canvas c(int(crop.nx) * scale, int(crop.ny) * scale);
  for (std::size_t j = crop.j0; j < crop.j0 + crop.ny; ++j)
    for (std::size_t i = crop.i0; i < crop.i0 + crop.nx; ++i) {
      const float v = image.at(i, j, k);
      const double t = std::isfinite(v) ? (v - w.low) / (w.high - w.low) : 0.0;
      // 240 grey levels leave room in a 256-colour palette for the overlay colours.
      const auto grey =
          static_cast<std::uint8_t>(std::lround(std::clamp(t, 0.0, 1.0) * 239) * 255 / 239);
      c.fill_rect(int(i - crop.i0) * scale, int(j - crop.j0) * scale, scale, scale,
                  {grey, grey, grey});
    }
  return c;
}

// Outline of the voxels where `inside(i, j)` holds: the block edges facing outside.
template <class Inside>
void outline(Canvas& c, const Crop& crop, int scale, Rgb colour, Inside inside) {
  for (std::size_t j = crop.j0; j < crop.j0 + crop.ny; ++j)
    for (std::size_t i = crop.i0; i < crop.i0 + crop.nx; ++i) {
      if (!inside(long(i), long(j))) continue;
      const int x = int(i - crop.i0) * scale, y = int(j - crop.j0) * scale;
      if (!inside(long(i) - 1, long(j))) c.fill_rect(x, y, 1, scale, colour);
      if (!inside(long(i) + 1, long(j))) c.fill_rect(x + scale - 1, y, 1, scale, colour);
      if (!inside(long(i), long(j) - 1)) c.fill_rect(x, y, scale, 1, colour);
      if (!inside(long(i), long(j) + 1)) c.fill_rect(x, y + scale - 1, scale, 1, colour);
    }
}

template <class T>
auto slice_test(const Volume<T>& v, std::size_t k) {
  return [&v, k](long i, long j) {
    const auto& s = v.geometry.size;
    if (i < 0 || j < 0 || i >= long(s[0]) || j >= long(s[1])) return false;
    return v.at(std::size_t(i), std::size_t(j), k) != 0;
  };
}

void side_letters(Canvas& c, int scale = 2) {
  c.text(4, 4, "R", kWhite, scale);
  c.text(c.width() - 4 - Canvas::text_width("L", scale) + scale, 4, "L", kWhite, scale);
}

std::string mm_label(const Geometry& g, std::size_t k) {
  // LPS z is superior, as in RAS.
  const double z = g.voxel_to_physical().apply({0, 0, double(k)})[2];
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "Z %+.0f MM", z);
  return buffer;
}

std::vector<std::size_t> pick_evenly(const std::vector<std::size_t>& all, std::size_t most) {
  if (all.size() <= most) return all;
  std::vector<std::size_t> out;
  for (std::size_t n = 0; n < most; ++n) out.push_back(all[n * (all.size() - 1) / (most - 1)]);
  return out;
}

Canvas with_title(const Canvas& body, const std::string& title) {
  Canvas out(body.width(), body.height() + 22, kBackground);
  out.text(6, 6, title, kWhite, 2);
  out.paste(body, 0, 22);
  return out;
}

}  // namespace

Canvas lesion_figure(const Image& dwi, const Image& adc, const Mask& lesion, const Mask* brain,
                     std::size_t max_slices) {
  const Geometry grid = axial_display_grid(dwi.geometry);
  const Image dwi_view = resample_linear(dwi, grid);
  Image adc_view = resample_linear(adc, grid);
  const Mask lesion_view = resample_mask(lesion, grid);
  Crop crop = whole(grid);
  if (brain) {
    // ADC outside the brain is noise (computed maps) or CSF: black, and the view cropped.
    const Mask brain_view = resample_mask(*brain, grid);
    for (std::size_t n = 0; n < adc_view.size(); ++n)
      if (!brain_view[n]) adc_view[n] = 0;
    crop = mask_crop(brain_view);
  }
  const Window dwi_window = positive_window(dwi_view, 0.995);
  const Window adc_window{0.f, 2000.f};  // 10^-6 mm^2/s: CSF (~3000) saturates, infarct is dark
  const int scale = panel_scale(crop, 200);

  std::vector<std::size_t> with_lesion;
  for (std::size_t k = 0; k < grid.size[2]; ++k) {
    bool any = false;
    for (std::size_t j = 0; j < grid.size[1] && !any; ++j)
      for (std::size_t i = 0; i < grid.size[0] && !any; ++i) any = lesion_view.at(i, j, k);
    if (any) with_lesion.push_back(k);
  }
  const bool empty = with_lesion.empty();
  std::vector<std::size_t> slices;
  if (empty) {
    slices = {grid.size[2] * 3 / 10, grid.size[2] / 2, grid.size[2] * 7 / 10};
  } else {
    slices = pick_evenly(with_lesion, max_slices);
  }

  const int pw = int(crop.nx) * scale, ph = int(crop.ny) * scale;
  const int pair_w = 2 * pw + 4, per_row = 2;
  const int rows = int((slices.size() + per_row - 1) / per_row);
  Canvas body(per_row * pair_w + (per_row - 1) * 12, rows * (ph + 16), kBackground);
  for (std::size_t n = 0; n < slices.size(); ++n) {
    const std::size_t k = slices[n];
    const int x0 = int(n % per_row) * (pair_w + 12), y0 = int(n / per_row) * (ph + 16);
    Canvas d = grey_slice(dwi_view, k, dwi_window, scale, crop);
    Canvas a = grey_slice(adc_view, k, adc_window, scale, crop);
    outline(d, crop, scale, kLesion, slice_test(lesion_view, k));
    outline(a, crop, scale, kLesion, slice_test(lesion_view, k));
    side_letters(d);
    side_letters(a);
    d.text(4, ph - 18, "DWI", kWhite, 2);
    a.text(4, ph - 18, "ADC", kWhite, 2);
    body.paste(d, x0, y0 + 14);
    body.paste(a, x0 + pw + 4, y0 + 14);
    body.text(x0 + 2, y0 + 3, mm_label(grid, k), kWhite, 1);
  }
  std::string title = empty ? "NO LESION: THREE REPRESENTATIVE SLICES"
                            : "LESION SLICES: " + std::to_string(slices.size()) + " OF " +
                                  std::to_string(with_lesion.size());
  return with_title(body, title);
}

namespace {

struct AspectsLevel {
  std::size_t k = 0;
  std::string title;
};

// Muted base colours per ASPECTS region kind, so neighbouring regions stay distinguishable.
Rgb region_colour(const std::string& name) {
  static const std::map<std::string, Rgb> colours = {
      {"C", {92, 110, 140}},   {"L", {110, 130, 100}},  {"IC", {140, 140, 150}},
      {"I", {130, 105, 140}},  {"M1", {100, 125, 150}}, {"M2", {120, 140, 110}},
      {"M3", {145, 120, 105}}, {"M4", {100, 125, 150}}, {"M5", {120, 140, 110}},
      {"M6", {145, 120, 105}}, {"A", {70, 70, 70}},     {"P", {70, 70, 70}}};
  auto it = colours.find(name);
  return it == colours.end() ? Rgb{80, 80, 80} : it->second;
}

}  // namespace

Canvas aspects_figure(const Atlas& aspects, const nlohmann::json& aspects_summary,
                      const Mask* lesion_mni) {
  const Geometry grid = axial_display_grid(aspects.labels.geometry);
  const LabelImage labels = resample_nearest(aspects.labels, grid);

  // label -> (side, short name), and which are affected.
  std::map<std::int32_t, std::pair<std::string, std::string>> by_label;
  for (const auto& r : aspects.regions) {
    by_label[r.label] = {r.name.substr(0, 1) == "L" ? "left" : "right", r.name.substr(2)};
  }
  const auto is_affected = [&](std::int32_t label) {
    auto it = by_label.find(label);
    if (it == by_label.end() || !aspects_summary.contains(it->second.first)) return false;
    const auto& list = aspects_summary[it->second.first]["affected"];
    return std::find(list.begin(), list.end(), it->second.second) != list.end();
  };

  // The two levels: the axial slices holding most of the ganglionic and supraganglionic regions.
  const std::set<std::string> ganglionic{"C", "L", "IC", "I", "M1", "M2", "M3"};
  const std::set<std::string> supra{"M4", "M5", "M6"};
  std::vector<std::size_t> count_g(grid.size[2]), count_s(grid.size[2]);
  for (std::size_t k = 0; k < grid.size[2]; ++k)
    for (std::size_t j = 0; j < grid.size[1]; ++j)
      for (std::size_t i = 0; i < grid.size[0]; ++i) {
        auto it = by_label.find(labels.at(i, j, k));
        if (it == by_label.end()) continue;
        count_g[k] += ganglionic.count(it->second.second);
        count_s[k] += supra.count(it->second.second);
      }
  const std::vector<AspectsLevel> levels = {
      {std::size_t(std::max_element(count_g.begin(), count_g.end()) - count_g.begin()),
       "GANGLIONIC"},
      {std::size_t(std::max_element(count_s.begin(), count_s.end()) - count_s.begin()),
       "SUPRAGANGLIONIC"}};

  // Lesion voxels marked at the display voxel they fall in: small lesions stay visible.
  Mask lesion_view(grid);
  if (lesion_mni) {
    const Affine to_view = grid.physical_to_voxel() * lesion_mni->geometry.voxel_to_physical();
    const auto& g = lesion_mni->geometry;
    for (std::size_t k = 0; k < g.size[2]; ++k)
      for (std::size_t j = 0; j < g.size[1]; ++j)
        for (std::size_t i = 0; i < g.size[0]; ++i) {
          if (!lesion_mni->at(i, j, k)) continue;
          const Vec3 v = to_view.apply({double(i), double(j), double(k)});
          const long vi = std::lround(v[0]), vj = std::lround(v[1]), vk = std::lround(v[2]);
          if (vi < 0 || vj < 0 || vk < 0 || vi >= long(grid.size[0]) || vj >= long(grid.size[1]) ||
              vk >= long(grid.size[2]))
            continue;
          lesion_view.at(vi, vj, vk) = 1;
        }
  }

  const int scale = 3;
  const int pw = int(grid.size[0]) * scale, ph = int(grid.size[1]) * scale;
  Canvas body(2 * pw + 12, ph + 40, kBackground);
  for (std::size_t n = 0; n < levels.size(); ++n) {
    const std::size_t k = levels[n].k;
    Canvas panel(pw, ph, {0, 0, 0});
    std::map<std::int32_t, std::pair<double, double>> centroid_sum;
    std::map<std::int32_t, int> pixels;
    for (std::size_t j = 0; j < grid.size[1]; ++j)
      for (std::size_t i = 0; i < grid.size[0]; ++i) {
        const auto label = labels.at(i, j, k);
        auto it = by_label.find(label);
        if (it == by_label.end()) continue;
        const Rgb colour = is_affected(label) ? kAffected : region_colour(it->second.second);
        panel.fill_rect(int(i) * scale, int(j) * scale, scale, scale, colour);
        // The lesion as a yellow dot per voxel, so the region's colour stays readable.
        if (lesion_view.at(i, j, k)) panel.set(int(i) * scale + 1, int(j) * scale + 1, kLesionDot);
        centroid_sum[label].first += i;
        centroid_sum[label].second += j;
        ++pixels[label];
      }
    // Region borders in black, then the names at the centroids.
    for (const auto& [label, side_name] : by_label) {
      outline(panel, whole(grid), scale, {0, 0, 0}, [&, l = label](long i, long j) {
        if (i < 0 || j < 0 || i >= long(grid.size[0]) || j >= long(grid.size[1])) return false;
        return labels.at(std::size_t(i), std::size_t(j), k) == l;
      });
    }
    outline(panel, whole(grid), scale, kLesionDot, slice_test(lesion_view, k));
    for (const auto& [label, count] : pixels) {
      if (count < 6) continue;
      const std::string& name = by_label[label].second;
      const int cx = int(centroid_sum[label].first / count * scale + scale / 2);
      const int cy = int(centroid_sum[label].second / count * scale + scale / 2);
      panel.text(cx - Canvas::text_width(name) / 2, cy - 3, name, kWhite, 1);
    }
    side_letters(panel);
    body.paste(panel, int(n) * (pw + 12), 16);
    body.text(int(n) * (pw + 12) + 2, 3, levels[n].title + " " + mm_label(grid, k), kWhite, 1);
  }
  const auto score_text = [&](const char* side) {
    if (!aspects_summary.contains(side) || aspects_summary[side]["score"].is_null()) {
      return std::string("N/A");
    }
    return std::to_string(aspects_summary[side]["score"].get<int>());
  };
  body.text(4, ph + 22,
            "RIGHT " + score_text("right") + "   LEFT " + score_text("left") +
                "   RED: AFFECTED REGION" +
                (lesion_mni ? "   YELLOW: LESION (TEMPLATE SPACE)" : ""),
            kWhite, 1);
  return with_title(body, "ASPECTS LEVELS");
}

Canvas qc_figure(const Image& dwi, const Mask& brain, const LabelImage& territories) {
  const Geometry grid = axial_display_grid(dwi.geometry);
  const Image dwi_view = resample_linear(dwi, grid);
  const Mask brain_view = resample_mask(brain, grid);
  const LabelImage territory_view = resample_nearest(territories, grid);
  const Window window = positive_window(dwi_view, 0.995);
  const Crop crop = mask_crop(brain_view, 6);
  const int scale = panel_scale(crop, 200);

  // Slices at 30, 50 and 70% of the brain mask's superior-inferior extent.
  std::size_t k_low = grid.size[2], k_high = 0;
  for (std::size_t k = 0; k < grid.size[2]; ++k)
    for (std::size_t n = k * grid.size[0] * grid.size[1]; n < (k + 1) * grid.size[0] * grid.size[1];
         ++n)
      if (brain_view[n]) {
        k_low = std::min(k_low, k);
        k_high = std::max(k_high, k);
        break;
      }
  if (k_low > k_high) {
    k_low = 0;
    k_high = grid.size[2] - 1;
  }
  const int pw = int(crop.nx) * scale, ph = int(crop.ny) * scale;
  Canvas body(3 * pw + 16, ph + 32, kBackground);
  int n = 0;
  for (double at : {0.3, 0.5, 0.7}) {
    const std::size_t k = k_low + std::size_t(std::lround((k_high - k_low) * at));
    Canvas panel = grey_slice(dwi_view, k, window, scale, crop);
    // Territory boundaries: a voxel whose label differs from a neighbour's.
    for (std::size_t j = crop.j0; j < crop.j0 + crop.ny; ++j)
      for (std::size_t i = crop.i0; i < crop.i0 + crop.nx; ++i) {
        const auto l = territory_view.at(i, j, k);
        const bool edge = (i + 1 < grid.size[0] && territory_view.at(i + 1, j, k) != l) ||
                          (j + 1 < grid.size[1] && territory_view.at(i, j + 1, k) != l);
        if (edge) {
          panel.fill_rect(int(i - crop.i0) * scale, int(j - crop.j0) * scale, scale, scale,
                          kTerritory);
        }
      }
    outline(panel, crop, scale, kBrain, slice_test(brain_view, k));
    side_letters(panel);
    body.paste(panel, n * (pw + 8), 14);
    body.text(n * (pw + 8) + 2, 3, mm_label(grid, k), kWhite, 1);
    ++n;
  }
  body.text(4, ph + 20, "GREEN: BRAIN MASK   CYAN: ARTERIAL TERRITORY BORDERS (ATLAS)", kWhite, 1);
  return with_title(body, "BRAIN MASK AND REGISTRATION");
}

}  // namespace strokefair
