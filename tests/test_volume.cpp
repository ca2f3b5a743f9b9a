// Geometry and affine algebra: inverses, grid comparison with flipped axes.
#include <gtest/gtest.h>

#include "strokefair/core/volume.hpp"

using namespace strokefair;

TEST(Affine, InverseUndoesTheMap) {
  Geometry g;
  g.size = {10, 20, 30};
  g.spacing = {0.9, 1.1, 5.0};
  g.origin = {-100, 20, 3};
  g.direction = {0, 1, 0, -1, 0, 0, 0, 0, 1};
  const Affine a = g.voxel_to_physical();
  const Vec3 p = (a.inverse() * a).apply({3, 4, 5});
  EXPECT_NEAR(p[0], 3, 1e-9);
  EXPECT_NEAR(p[1], 4, 1e-9);
  EXPECT_NEAR(p[2], 5, 1e-9);
}

TEST(Geometry, FlippedStorageCoversTheSameBox) {
  Geometry a;
  a.size = {4, 5, 6};
  a.spacing = {2, 2, 3};
  Geometry flipped = a;
  flipped.direction = {-1, 0, 0, 0, 1, 0, 0, 0, 1};
  flipped.origin = {6, 0, 0};  // the old last column, now first
  EXPECT_TRUE(a.same_extent(flipped, 1e-6));
  flipped.origin = {7, 0, 0};
  EXPECT_FALSE(a.same_extent(flipped, 0.5));
}
