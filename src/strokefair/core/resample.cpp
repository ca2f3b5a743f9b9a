// Trilinear and nearest-neighbour resampling.
#include "strokefair/core/resample.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <type_traits>

namespace strokefair {

namespace {

template <class Sampler>
void for_each_target_voxel(const Geometry& target, const Geometry& source_geometry,
                           const Affine& target_to_source, Sampler&& sample) {
  // Combined map from target voxel index to source voxel index.
  const Affine to_source_index =
      source_geometry.physical_to_voxel() * target_to_source * target.voxel_to_physical();
  const auto& m = to_source_index.m;
  std::size_t n = 0;
  for (std::size_t k = 0; k < target.size[2]; ++k) {
    for (std::size_t j = 0; j < target.size[1]; ++j) {
      double x = m[1] * j + m[2] * k + m[3];
      double y = m[5] * j + m[6] * k + m[7];
      double z = m[9] * j + m[10] * k + m[11];
      for (std::size_t i = 0; i < target.size[0]; ++i, ++n) {
        sample(n, x, y, z);
        x += m[0];
        y += m[4];
        z += m[8];
      }
    }
  }
}

// Trilinear sample of any voxel type (a mask is sampled as its 0/1 values, without a float copy).
template <class T>
float sample_trilinear(const Volume<T>& image, double x, double y, double z, float outside) {
  const auto& s = image.geometry.size;
  // Clamp half a voxel beyond the edge so boundary voxels keep their full value.
  if (x < -0.5 || y < -0.5 || z < -0.5 || x > s[0] - 0.5 || y > s[1] - 0.5 || z > s[2] - 0.5) {
    return outside;
  }
  x = std::clamp(x, 0.0, static_cast<double>(s[0] - 1));
  y = std::clamp(y, 0.0, static_cast<double>(s[1] - 1));
  z = std::clamp(z, 0.0, static_cast<double>(s[2] - 1));
  const std::size_t i0 = static_cast<std::size_t>(x), j0 = static_cast<std::size_t>(y),
                    k0 = static_cast<std::size_t>(z);
  const std::size_t i1 = std::min(i0 + 1, s[0] - 1), j1 = std::min(j0 + 1, s[1] - 1),
                    k1 = std::min(k0 + 1, s[2] - 1);
  const double fx = x - i0, fy = y - j0, fz = z - k0;
  auto v = [&](std::size_t i, std::size_t j, std::size_t k) {
    if constexpr (std::is_same_v<T, std::uint8_t>) return image.at(i, j, k) ? 1.0 : 0.0;
    return static_cast<double>(image.at(i, j, k));
  };
  const double c00 = v(i0, j0, k0) * (1 - fx) + v(i1, j0, k0) * fx;
  const double c10 = v(i0, j1, k0) * (1 - fx) + v(i1, j1, k0) * fx;
  const double c01 = v(i0, j0, k1) * (1 - fx) + v(i1, j0, k1) * fx;
  const double c11 = v(i0, j1, k1) * (1 - fx) + v(i1, j1, k1) * fx;
  const double c0 = c00 * (1 - fy) + c10 * fy;
  const double c1 = c01 * (1 - fy) + c11 * fy;
  return static_cast<float>(c0 * (1 - fz) + c1 * fz);
}

}  // namespace

float sample_linear(const Image& image, double x, double y, double z, float outside) {
  return sample_trilinear(image, x, y, z, outside);
}

Image resample_linear(const Image& source, const Geometry& target, const Affine& target_to_source,
                      float outside) {
  Image out(target);
  for_each_target_voxel(target, source.geometry, target_to_source,
                        [&](std::size_t n, double x, double y, double z) {
                          out[n] = sample_linear(source, x, y, z, outside);
                        });
  return out;
}

LabelImage resample_nearest(const LabelImage& source, const Geometry& target,
                            const Affine& target_to_source) {
  LabelImage out(target);
  const auto& s = source.geometry.size;
  for_each_target_voxel(target, source.geometry, target_to_source,
                        [&](std::size_t n, double x, double y, double z) {
                          const long i = std::lround(x), j = std::lround(y), k = std::lround(z);
                          if (i < 0 || j < 0 || k < 0 || i >= static_cast<long>(s[0]) ||
                              j >= static_cast<long>(s[1]) || k >= static_cast<long>(s[2])) {
                            return;
                          }
                          out[n] = source.at(i, j, k);
                        });
  return out;
}

namespace {

// When the target grid is the source grid shifted by whole voxels (MNI grids of the same
// spacing cropped differently), every trilinear sample falls on a source voxel centre, so the
// resampled mask is a copy of the overlapping voxels. Returns false for any other map.
bool copy_if_voxel_shift(const Mask& source, const Affine& to_source_index, Mask& out) {
  const auto& m = to_source_index.m;
  std::array<long, 3> shift{};
  for (int row = 0; row < 3; ++row) {
    for (int column = 0; column < 3; ++column) {
      if (std::abs(m[row * 4 + column] - (row == column ? 1.0 : 0.0)) > 1e-9) return false;
    }
    const double t = m[row * 4 + 3];
    if (std::abs(t - std::round(t)) > 1e-6) return false;
    shift[row] = std::lround(t);
  }
  const auto& s = source.geometry.size;
  const auto& target = out.geometry.size;
  std::size_t n = 0;
  for (std::size_t k = 0; k < target[2]; ++k) {
    const long z = long(k) + shift[2];
    for (std::size_t j = 0; j < target[1]; ++j) {
      const long y = long(j) + shift[1];
      const bool row_inside = z >= 0 && z < long(s[2]) && y >= 0 && y < long(s[1]);
      for (std::size_t i = 0; i < target[0]; ++i, ++n) {
        const long x = long(i) + shift[0];
        out[n] = row_inside && x >= 0 && x < long(s[0]) && source.at(x, y, z) ? 1 : 0;
      }
    }
  }
  return true;
}

}  // namespace

Mask resample_mask(const Mask& source, const Geometry& target, const Affine& target_to_source) {
  Mask out(target);
  const Affine to_source_index =
      source.geometry.physical_to_voxel() * target_to_source * target.voxel_to_physical();
  if (copy_if_voxel_shift(source, to_source_index, out)) return out;
  for_each_target_voxel(target, source.geometry, target_to_source,
                        [&](std::size_t n, double x, double y, double z) {
                          out[n] = sample_trilinear(source, x, y, z, 0.f) >= 0.5f ? 1 : 0;
                        });
  return out;
}

Geometry coarsened_grid(const Geometry& g, double spacing_mm) {
  Geometry out = g;
  for (int a = 0; a < 3; ++a) {
    const double extent = g.size[a] * g.spacing[a];
    out.size[a] = static_cast<std::size_t>(std::ceil(extent / spacing_mm));
    out.spacing[a] = spacing_mm;
  }
  // Keep the box's corner where it was: the first voxel centre moves by half the change.
  const Affine to_physical = g.voxel_to_physical();
  Vec3 shift;
  for (int a = 0; a < 3; ++a) shift[a] = (spacing_mm / g.spacing[a] - 1) / 2;
  out.origin = to_physical.apply(shift);
  return out;
}

}  // namespace strokefair
