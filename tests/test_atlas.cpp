// Atlas region tables: names, label numbers and volumes come from one image and its table.
#include <gtest/gtest.h>

#include <set>

#include "strokefair/io/image_io.hpp"
#include "strokefair/quantify/atlas.hpp"
#include "test_support.hpp"

using namespace strokefair;

class AtlasTable : public ::testing::TestWithParam<std::string> {};

TEST_P(AtlasTable, EveryLabelInTheImageHasOneNameAndEveryNameHasVoxels) {
  STROKEFAIR_REQUIRE_DATA("atlases/arterial-jhu/ArterialAtlas.nii.gz");
  const DataStore store;
  const Atlas atlas = load_atlas(store, GetParam());
  const auto volumes = atlas.region_volumes_ml();

  // Re-read the same file independently of the loader and compare label sets.
  const LabelImage raw = read_labels(atlas.image_path);
  std::set<std::int32_t> in_file;
  for (auto v : raw.voxels)
    if (v) in_file.insert(v);
  std::set<std::int32_t> in_table;
  std::set<std::string> names;
  for (const auto& r : atlas.regions) {
    in_table.insert(r.label);
    EXPECT_TRUE(names.insert(r.name).second) << "duplicate name " << r.name;
    EXPECT_GT(volumes.at(r.label), 0.0);
  }
  EXPECT_EQ(in_file, in_table);
}

INSTANTIATE_TEST_SUITE_P(KnownAtlases, AtlasTable,
                         ::testing::Values("arterial_level1", "arterial_level2", "jhu189",
                                           "aspects"));

TEST(ArterialAtlas, SidesComeFromTheFullNamesNotTheTyposInTheAcronyms) {
  STROKEFAIR_REQUIRE_DATA("atlases/arterial-jhu/ArterialAtlas.nii.gz");
  const Atlas level1 = load_atlas(DataStore(), "arterial_level1");
  ASSERT_NE(level1.region(10), nullptr);
  EXPECT_EQ(level1.region(10)->name, "MCAPR");  // the table spells it MCAPL
  EXPECT_EQ(level1.region(10)->side, Hemisphere::right);
  const Atlas level2 = load_atlas(DataStore(), "arterial_level2");
  EXPECT_EQ(level2.region(5)->name, "PCAL");
  EXPECT_EQ(level2.region(4)->name, "MCAR");
}

TEST(ArterialAtlas, LeftTerritoriesLieOnTheLeftOfTheCorrectedGrid) {
  // With the corrected affine, the left MCA (label 3 at level 2) has negative RAS x, that is
  // positive LPS x.
  STROKEFAIR_REQUIRE_DATA("atlases/arterial-jhu/ArterialAtlas.nii.gz");
  const Atlas level2 = load_atlas(DataStore(), "arterial_level2");
  const Affine to_physical = level2.labels.geometry.voxel_to_physical();
  double sum_x = 0;
  std::size_t n = 0;
  const auto& g = level2.labels.geometry;
  for (std::size_t k = 0; k < g.size[2]; ++k)
    for (std::size_t j = 0; j < g.size[1]; ++j)
      for (std::size_t i = 0; i < g.size[0]; ++i)
        if (level2.labels.at(i, j, k) == 3) {
          sum_x += to_physical.apply({double(i), double(j), double(k)})[0];
          ++n;
        }
  ASSERT_GT(n, 0u);
  EXPECT_GT(sum_x / n, 20.0);  // LPS x of the left MCA centroid, mm
}
