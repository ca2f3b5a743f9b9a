// Helpers for the defacing tests: the same head stored in other voxel orders, or tilted.
#pragma once

#include <array>
#include <cmath>

#include "strokefair/core/volume.hpp"

namespace strokefair::test {

// The same physical image stored with its axes permuted and flipped: new axis a is old axis
// `axis_of[a]`, running backwards where `flip[a]`. Every voxel keeps its physical position.
inline Image reoriented(const Image& image, std::array<int, 3> axis_of, std::array<bool, 3> flip) {
  const Geometry& old = image.geometry;
  Geometry g;
  std::array<std::size_t, 3> corner{};  // old index of the new first voxel
  for (int a = 0; a < 3; ++a) {
    const int o = axis_of[a];
    g.size[a] = old.size[o];
    g.spacing[a] = old.spacing[o];
    corner[o] = flip[a] ? old.size[o] - 1 : 0;
    for (int r = 0; r < 3; ++r)
      g.direction[r * 3 + a] = (flip[a] ? -1 : 1) * old.direction[r * 3 + o];
  }
  g.origin =
      old.voxel_to_physical().apply({double(corner[0]), double(corner[1]), double(corner[2])});
  Image out(g);
  std::array<std::size_t, 3> u{}, o{};
  for (u[2] = 0; u[2] < g.size[2]; ++u[2])
    for (u[1] = 0; u[1] < g.size[1]; ++u[1])
      for (u[0] = 0; u[0] < g.size[0]; ++u[0]) {
        for (int a = 0; a < 3; ++a)
          o[axis_of[a]] = flip[a] ? old.size[axis_of[a]] - 1 - u[a] : u[a];
        out.at(u[0], u[1], u[2]) = image.at(o[0], o[1], o[2]);
      }
  return out;
}

// Rotation by `degrees` about physical axis `axis` (0 x, 1 y, 2 z), row-major 3x3.
inline std::array<double, 9> rotation(int axis, double degrees) {
  const double c = std::cos(degrees * M_PI / 180), s = std::sin(degrees * M_PI / 180);
  if (axis == 0) return {1, 0, 0, 0, c, -s, 0, s, c};
  if (axis == 1) return {c, 0, s, 0, 1, 0, -s, 0, c};
  return {c, -s, 0, s, c, 0, 0, 0, 1};
}

// The same voxels with the grid rotated about its centre: the head is tilted in the scanner.
inline Image tilted(const Image& image, const std::array<double, 9>& r) {
  Image out = image;
  const Geometry& g = image.geometry;
  const Vec3 centre = g.voxel_to_physical().apply(
      {(g.size[0] - 1) / 2.0, (g.size[1] - 1) / 2.0, (g.size[2] - 1) / 2.0});
  for (int row = 0; row < 3; ++row) {
    for (int col = 0; col < 3; ++col) {
      double sum = 0;
      for (int k = 0; k < 3; ++k) sum += r[row * 3 + k] * g.direction[k * 3 + col];
      out.geometry.direction[row * 3 + col] = sum;
    }
    double shifted = 0;
    for (int k = 0; k < 3; ++k) shifted += r[row * 3 + k] * (g.origin[k] - centre[k]);
    out.geometry.origin[row] = centre[row] + shifted;
  }
  return out;
}

}  // namespace strokefair::test
