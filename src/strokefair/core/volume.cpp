// Affine algebra and grid helpers for Volume.
#include "strokefair/core/volume.hpp"

#include <cmath>
#include <numeric>

#include "strokefair/core/error.hpp"

namespace strokefair {

Affine Affine::operator*(const Affine& rhs) const {
  Affine out;
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 4; ++c) {
      double sum = 0;
      for (int k = 0; k < 4; ++k) sum += m[r * 4 + k] * rhs.m[k * 4 + c];
      out.m[r * 4 + c] = sum;
    }
  }
  return out;
}

double Affine::determinant3() const {
  return m[0] * (m[5] * m[10] - m[6] * m[9]) - m[1] * (m[4] * m[10] - m[6] * m[8]) +
         m[2] * (m[4] * m[9] - m[5] * m[8]);
}

Affine Affine::inverse() const {
  const double det = determinant3();
  if (std::abs(det) < 1e-12) throw Error("cannot invert a singular affine");
  Affine out;
  auto& o = out.m;
  o[0] = (m[5] * m[10] - m[6] * m[9]) / det;
  o[1] = (m[2] * m[9] - m[1] * m[10]) / det;
  o[2] = (m[1] * m[6] - m[2] * m[5]) / det;
  o[4] = (m[6] * m[8] - m[4] * m[10]) / det;
  o[5] = (m[0] * m[10] - m[2] * m[8]) / det;
  o[6] = (m[2] * m[4] - m[0] * m[6]) / det;
  o[8] = (m[4] * m[9] - m[5] * m[8]) / det;
  o[9] = (m[1] * m[8] - m[0] * m[9]) / det;
  o[10] = (m[0] * m[5] - m[1] * m[4]) / det;
  for (int r = 0; r < 3; ++r) {
    o[r * 4 + 3] = -(o[r * 4] * m[3] + o[r * 4 + 1] * m[7] + o[r * 4 + 2] * m[11]);
  }
  return out;
}

Affine Geometry::voxel_to_physical() const {
  Affine a;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) a.m[r * 4 + c] = direction[r * 3 + c] * spacing[c];
    a.m[r * 4 + 3] = origin[r];
  }
  return a;
}

namespace {

// Physical positions of the eight outer corners of a grid's voxel box.
std::array<Vec3, 8> box_corners(const Geometry& g) {
  const Affine a = g.voxel_to_physical();
  std::array<Vec3, 8> corners;
  for (int corner = 0; corner < 8; ++corner) {
    Vec3 p;
    for (int axis = 0; axis < 3; ++axis) {
      // Outer faces of the voxel box, not voxel centres: grids of different spacing that
      // cover the same field of view then share corners.
      p[axis] = ((corner >> axis) & 1) ? g.size[axis] - 0.5 : -0.5;
    }
    corners[corner] = a.apply(p);
  }
  return corners;
}

}  // namespace

bool Geometry::same_extent(const Geometry& other, double tolerance_mm) const {
  // Corners are compared as sets, so a grid stored with flipped or permuted axes matches.
  const auto mine = box_corners(*this);
  const auto theirs = box_corners(other);
  for (const Vec3& p : mine) {
    bool matched = false;
    for (const Vec3& q : theirs) {
      const double d = std::hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
      if (d <= tolerance_mm) matched = true;
    }
    if (!matched) return false;
  }
  return true;
}

bool Geometry::same_grid(const Geometry& other, double tolerance_mm) const {
  return size == other.size && same_extent(other, tolerance_mm);
}

std::size_t count_nonzero(const Mask& mask) {
  return std::accumulate(mask.voxels.begin(), mask.voxels.end(), std::size_t{0},
                         [](std::size_t n, std::uint8_t v) { return n + (v != 0); });
}

double volume_ml(const Mask& mask) {
  return count_nonzero(mask) * mask.geometry.voxel_volume_mm3() / 1000.0;
}

}  // namespace strokefair
