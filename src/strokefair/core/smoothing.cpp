// Separable Gaussian filtering.
#include "strokefair/core/smoothing.hpp"

#include <cmath>
#include <vector>

#include "strokefair/core/resample.hpp"

namespace strokefair {

namespace {

std::vector<double> kernel(double sigma_voxels) {
  const int radius = std::max(1, static_cast<int>(std::ceil(3 * sigma_voxels)));
  std::vector<double> k(2 * radius + 1);
  double sum = 0;
  for (int d = -radius; d <= radius; ++d) {
    k[d + radius] = std::exp(-0.5 * d * d / (sigma_voxels * sigma_voxels));
    sum += k[d + radius];
  }
  for (double& v : k) v /= sum;
  return k;
}

void smooth_axis(Image& image, int axis, double sigma_mm) {
  const double sigma = sigma_mm / image.geometry.spacing[axis];
  if (sigma < 0.3) return;  // narrower than a third of a voxel: nothing to do
  const std::vector<double> k = kernel(sigma);
  const int radius = static_cast<int>(k.size() / 2);
  const auto& s = image.geometry.size;
  const std::size_t stride = axis == 0 ? 1 : axis == 1 ? s[0] : s[0] * s[1];
  const std::size_t length = s[axis];
  std::vector<double> line(length);
  const std::size_t lines = image.size() / length;
  for (std::size_t l = 0; l < lines; ++l) {
    // The start of line l: enumerate all index combinations of the two other axes.
    std::size_t start;
    if (axis == 0)
      start = l * s[0];
    else if (axis == 1)
      start = (l / s[0]) * s[0] * s[1] + l % s[0];
    else
      start = l;
    for (std::size_t n = 0; n < length; ++n) line[n] = image[start + n * stride];
    for (std::size_t n = 0; n < length; ++n) {
      double sum = 0;
      for (int d = -radius; d <= radius; ++d) {
        const long m = static_cast<long>(n) + d;
        if (m >= 0 && m < static_cast<long>(length)) sum += k[d + radius] * line[m];
      }
      image[start + n * stride] = static_cast<float>(sum);
    }
  }
}

}  // namespace

Image gaussian_smooth(const Image& image, double sigma_mm) {
  Image out = image;
  for (int axis = 0; axis < 3; ++axis) smooth_axis(out, axis, sigma_mm);
  return out;
}

namespace {

// An axis-aligned grid over the same box as `g` with spacing `spacing_mm` (or finer axes kept).
Geometry coarser_grid(const Geometry& g, double spacing_mm) {
  Geometry out = g;
  for (int a = 0; a < 3; ++a) {
    const double step = std::max(spacing_mm, g.spacing[a]);
    out.size[a] = std::max<std::size_t>(
        1, static_cast<std::size_t>(std::ceil(g.size[a] * g.spacing[a] / step)));
    out.spacing[a] = g.size[a] * g.spacing[a] / out.size[a];
  }
  Vec3 shift;
  for (int a = 0; a < 3; ++a) shift[a] = (out.spacing[a] / g.spacing[a] - 1) / 2;
  out.origin = g.voxel_to_physical().apply(shift);
  return out;
}

}  // namespace

Image normalised_convolution(const Image& image, const Mask& weights, double sigma_mm,
                             double min_weight) {
  // A smooth field needs no fine grid: estimate it on voxels a third of sigma wide and
  // interpolate back, which is ~30 times faster for sigma of 15 mm and visually identical.
  const Geometry coarse = coarser_grid(image.geometry, sigma_mm / 3);
  if (coarse.voxel_count() * 4 < image.geometry.voxel_count()) {
    Image coarse_sum(coarse, 0.f), coarse_weight(coarse, 0.f);
    const Affine to_coarse = coarse.physical_to_voxel() * image.geometry.voxel_to_physical();
    const auto& s = image.geometry.size;
    for (std::size_t k = 0; k < s[2]; ++k)
      for (std::size_t j = 0; j < s[1]; ++j)
        for (std::size_t i = 0; i < s[0]; ++i) {
          const std::size_t n = image.geometry.index(i, j, k);
          if (!weights[n]) continue;
          const Vec3 c = to_coarse.apply({double(i), double(j), double(k)});
          const long ci = std::lround(c[0]), cj = std::lround(c[1]), ck = std::lround(c[2]);
          if (ci < 0 || cj < 0 || ck < 0 || ci >= long(coarse.size[0]) ||
              cj >= long(coarse.size[1]) || ck >= long(coarse.size[2])) {
            continue;
          }
          const std::size_t m = coarse.index(ci, cj, ck);
          coarse_sum[m] += image[n];
          coarse_weight[m] += 1;
        }
    // Block sums smoothed, then divided: the same estimator on the coarse grid.
    const Image num = gaussian_smooth(coarse_sum, sigma_mm);
    const Image den = gaussian_smooth(coarse_weight, sigma_mm);
    double total = 0, count = 0;
    for (std::size_t m = 0; m < coarse.voxel_count(); ++m) {
      total += coarse_sum[m];
      count += coarse_weight[m];
    }
    const double voxels_per_cell = double(image.geometry.voxel_count()) / coarse.voxel_count();
    Image field(coarse);
    for (std::size_t m = 0; m < field.size(); ++m) {
      field[m] = den[m] >= min_weight * voxels_per_cell
                     ? num[m] / den[m]
                     : static_cast<float>(count ? total / count : 0);
    }
    return resample_linear(field, image.geometry, Affine::identity(),
                           static_cast<float>(count ? total / count : 0));
  }

  Image weighted(image.geometry), w(image.geometry);
  double sum = 0;
  std::size_t count = 0;
  for (std::size_t n = 0; n < image.size(); ++n) {
    if (!weights[n]) continue;
    weighted[n] = image[n];
    w[n] = 1;
    sum += image[n];
    ++count;
  }
  const float mean = count ? static_cast<float>(sum / count) : 0.f;
  const Image num = gaussian_smooth(weighted, sigma_mm);
  const Image den = gaussian_smooth(w, sigma_mm);
  Image out(image.geometry);
  for (std::size_t n = 0; n < out.size(); ++n) {
    out[n] = den[n] >= min_weight ? num[n] / den[n] : mean;
  }
  return out;
}

}  // namespace strokefair
