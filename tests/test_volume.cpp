// Geometry and affine algebra: inverses, grid comparison with flipped axes; mask resampling.
#include <gtest/gtest.h>

#include <random>

#include "strokefair/core/resample.hpp"
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

// resample_mask copies voxels when the target grid is the source shifted by whole voxels; the
// copy must equal trilinear resampling, reached here through a shift a hair off whole voxels
// (which takes the general path and lands on the same voxels).
TEST(ResampleMask, WholeVoxelShiftEqualsTrilinearResampling) {
  Geometry source_grid;
  source_grid.size = {12, 10, 8};
  source_grid.origin = {-5, 3, 2};
  Mask source(source_grid);
  std::mt19937 random(7);
  std::size_t lesioned = 0;
  for (auto& v : source.voxels) lesioned += v = random() % 3 == 0 ? 1 : 0;
  ASSERT_GT(lesioned, 100u);

  Geometry target = source_grid;
  target.size = {15, 9, 10};
  target.origin = {-8, 5, 0};  // 3 voxels before, 2 after, 2 before: partly outside the source
  Geometry nearly = target;
  nearly.origin = {-8 + 1e-3, 5 - 1e-3, 1e-3};
  const Mask copied = resample_mask(source, target);
  const Mask interpolated = resample_mask(source, nearly);
  ASSERT_EQ(copied.size(), interpolated.size());
  std::size_t differ = 0, kept = 0;
  for (std::size_t n = 0; n < copied.size(); ++n) {
    differ += copied[n] != interpolated[n];
    kept += copied[n];
  }
  EXPECT_EQ(differ, 0u);
  EXPECT_GT(kept, 0u);
  EXPECT_LT(kept, lesioned);  // part of the source lies outside the target
  EXPECT_EQ(copied.at(3, 0, 2), source.at(0, 2, 0));
}
