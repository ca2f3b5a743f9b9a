// In-memory 3D images with their physical geometry, and affine maps between spaces.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace strokefair {

using Vec3 = std::array<double, 3>;

// A 4x4 affine acting on physical points, row-major; the last row is (0 0 0 1).
struct Affine {
  std::array<double, 16> m{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};

  Vec3 apply(const Vec3& p) const {
    return {m[0] * p[0] + m[1] * p[1] + m[2] * p[2] + m[3],
            m[4] * p[0] + m[5] * p[1] + m[6] * p[2] + m[7],
            m[8] * p[0] + m[9] * p[1] + m[10] * p[2] + m[11]};
  }
  Affine operator*(const Affine& rhs) const;  // (this * rhs)(p) = this(rhs(p))
  Affine inverse() const;
  double determinant3() const;
  static Affine identity() { return {}; }
};

// Voxel grid in ITK's physical convention: LPS millimetres, direction columns are the
// axes' unit vectors. NIfTI's RAS world is converted on reading and writing.
struct Geometry {
  std::array<std::size_t, 3> size{0, 0, 0};
  Vec3 spacing{1, 1, 1};
  Vec3 origin{0, 0, 0};
  std::array<double, 9> direction{1, 0, 0, 0, 1, 0, 0, 0, 1};

  std::size_t voxel_count() const { return size[0] * size[1] * size[2]; }
  double voxel_volume_mm3() const { return spacing[0] * spacing[1] * spacing[2]; }
  std::size_t index(std::size_t i, std::size_t j, std::size_t k) const {
    return i + size[0] * (j + size[1] * k);
  }
  Affine voxel_to_physical() const;
  Affine physical_to_voxel() const { return voxel_to_physical().inverse(); }
  // Same grid within `tolerance_mm` at every corner.
  bool same_grid(const Geometry& other, double tolerance_mm = 1e-3) const;
  // The corners of the two grids are within `tolerance_mm`: same physical box.
  bool same_extent(const Geometry& other, double tolerance_mm) const;
};

template <class T>
struct Volume {
  Geometry geometry;
  std::vector<T> voxels;

  Volume() = default;
  explicit Volume(const Geometry& g, T fill = T{}) : geometry(g), voxels(g.voxel_count(), fill) {}

  T& operator[](std::size_t n) { return voxels[n]; }
  const T& operator[](std::size_t n) const { return voxels[n]; }
  T& at(std::size_t i, std::size_t j, std::size_t k) { return voxels[geometry.index(i, j, k)]; }
  const T& at(std::size_t i, std::size_t j, std::size_t k) const {
    return voxels[geometry.index(i, j, k)];
  }
  std::size_t size() const { return voxels.size(); }
};

using Image = Volume<float>;
using Mask = Volume<std::uint8_t>;
using LabelImage = Volume<std::int32_t>;

std::size_t count_nonzero(const Mask& mask);
double volume_ml(const Mask& mask);

}  // namespace strokefair
