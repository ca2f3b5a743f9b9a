// Lesion features of the similar-case library: agreement with the SOOP cohort's upstream
// territory table, resampling across grids, and refusal of masks that are not usable.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "strokefair/core/error.hpp"
#include "strokefair/core/resample.hpp"
#include "strokefair/io/image_io.hpp"
#include "strokefair/library/features.hpp"
#include "test_support.hpp"

using namespace strokefair;
namespace fs = std::filesystem;

namespace {

const FeatureAtlases& atlases() {
  static const FeatureAtlases loaded = load_feature_atlases(DataStore());
  return loaded;
}

fs::path soop() { return test::data_dir() / "cohorts" / "soop"; }

// artery.tsv: participant_id, lesion_volume (voxels), then "N_NAME" columns, N the level-1 label.
std::map<std::string, std::map<int, double>> read_artery_table() {
  std::ifstream in(soop() / "artery.tsv");
  std::string line;
  std::getline(in, line);
  std::vector<int> labels;
  {
    std::istringstream header(line);
    std::string cell;
    std::getline(header, cell, '\t');
    std::getline(header, cell, '\t');
    while (std::getline(header, cell, '\t')) labels.push_back(std::stoi(cell));
  }
  std::map<std::string, std::map<int, double>> rows;
  while (std::getline(in, line)) {
    std::istringstream cells(line);
    std::string id, cell;
    std::getline(cells, id, '\t');
    std::getline(cells, cell, '\t');
    rows[id][0] = std::stod(cell);  // lesion voxels under key 0
    for (int label : labels) {
      std::getline(cells, cell, '\t');
      rows[id][label] = std::stod(cell);
    }
  }
  return rows;
}

// Every 60th SOOP subject: 20 lesions of all sizes and places.
std::vector<std::string> sample_ids(const std::map<std::string, std::map<int, double>>& table) {
  std::vector<std::string> ids;
  std::size_t n = 0;
  for (const auto& [id, row] : table) {
    if (n++ % 60 == 0) ids.push_back(id);
  }
  return ids;
}

Mask sphere(const Geometry& grid, const Vec3& centre_lps, double radius_mm) {
  Mask mask(grid);
  const Affine to_physical = grid.voxel_to_physical();
  for (std::size_t k = 0; k < grid.size[2]; ++k)
    for (std::size_t j = 0; j < grid.size[1]; ++j)
      for (std::size_t i = 0; i < grid.size[0]; ++i) {
        const Vec3 p = to_physical.apply({double(i), double(j), double(k)});
        const double d =
            std::hypot(p[0] - centre_lps[0], p[1] - centre_lps[1], p[2] - centre_lps[2]);
        if (d <= radius_mm) mask.at(i, j, k) = 1;
      }
  return mask;
}

// A lesion in the left MCA territory: RAS (-40, -10, 20) is LPS (40, 10, 20).
const Vec3 left_mca{40, 10, 20};

}  // namespace

TEST(SoopArteryTable, IsTheFractionOfEachTerritoryThatTheLesionCovers) {
  // On the SOOP grid with the cohort's own atlas copy, lesion voxels in a territory divided by
  // the territory's voxels reproduce artery.tsv exactly; so that is what its columns mean
  // (not the share of the lesion in each territory).
  STROKEFAIR_REQUIRE_DATA("cohorts/soop/artery.tsv");
  const auto table = read_artery_table();
  const LabelImage atlas136 = read_labels(soop() / "ArterialAtlas136.nii.gz");
  std::map<int, double> territory_voxels;
  for (auto v : atlas136.voxels) territory_voxels[v] += 1;

  for (const auto& id : sample_ids(table)) {
    const Mask mask = read_mask(soop() / "lesions" / (id + "_lesion.nii.gz"));
    ASSERT_TRUE(mask.geometry.same_grid(atlas136.geometry));
    std::map<int, double> lesion_voxels;
    for (std::size_t n = 0; n < mask.size(); ++n)
      if (mask[n]) lesion_voxels[atlas136[n]] += 1;
    EXPECT_EQ(double(count_nonzero(mask)), table.at(id).at(0)) << id;
    for (const auto& [label, fraction] : table.at(id)) {
      if (label == 0) continue;
      EXPECT_NEAR(lesion_voxels[label] / territory_voxels[label], fraction, 1e-9)
          << id << " " << label;
    }
  }
}

TEST(LesionFeatures, TerritoryVolumesAgreeWithSoopArteryTableWithinResamplingError) {
  // Same masks, same atlas, but ours lies on the MNI 181 grid and the masks are resampled onto
  // it by their affines. artery.tsv's fraction times the territory's voxels in the cohort's
  // 157x189x136 atlas copy is the lesion volume in that territory; that is compared, because
  // the cropped copy lacks parts of some territories, so the fractions' denominators differ.
  // Territory borders shift by up to a voxel between the copies (95% of labelled voxels agree),
  // so a lesion's volume in one territory may differ by some tenths of itself at a border.
  STROKEFAIR_REQUIRE_DATA("cohorts/soop/artery.tsv");
  const auto table = read_artery_table();
  const LabelImage atlas136 = read_labels(soop() / "ArterialAtlas136.nii.gz");
  std::map<int, double> territory_ml_136;
  for (auto v : atlas136.voxels) territory_ml_136[v] += 0.001;
  const auto& territories = atlases().territories;

  double sum_abs = 0, sum_upstream = 0;
  std::vector<double> moved_shares;
  for (const auto& id : sample_ids(table)) {
    const auto features =
        extract_features(read_mask(soop() / "lesions" / (id + "_lesion.nii.gz")), atlases());
    EXPECT_NEAR(features.volume_ml, table.at(id).at(0) / 1000.0, 1e-9) << id;
    double lesion_abs = 0, lesion_upstream = 0;
    for (std::size_t r = 0; r < territories.regions.size(); ++r) {
      const int label = territories.regions[r].label;
      if (!table.at(id).count(label)) continue;  // artery.tsv has no column for label 32
      const double ours = features.territory_ml[r];
      const double upstream = table.at(id).at(label) * territory_ml_136[label];
      lesion_abs += std::abs(ours - upstream);
      lesion_upstream += upstream;
    }
    // Share of the lesion that one copy puts in a different territory than the other.
    const double moved = lesion_upstream > 0 ? 0.5 * lesion_abs / lesion_upstream : 0.0;
    EXPECT_LT(moved, 0.35) << id;
    moved_shares.push_back(moved);
    sum_abs += lesion_abs;
    sum_upstream += lesion_upstream;
  }
  std::sort(moved_shares.begin(), moved_shares.end());
  // Typical lesion: a few percent moved; over all sampled lesions, 2% of volume (measured).
  EXPECT_LT(moved_shares[moved_shares.size() / 2], 0.05);
  EXPECT_LT(sum_abs / sum_upstream, 0.04);
}

TEST(LesionFeatures, SameLesionOnACoarserGridGivesTheSameFeatures) {
  // A 2 mm copy of a SOOP lesion, resampled by its affine, lands in the same territories.
  STROKEFAIR_REQUIRE_DATA("cohorts/soop/lesions/sub-1011_lesion.nii.gz");
  const Mask fine = read_mask(soop() / "lesions" / "sub-1011_lesion.nii.gz");
  Geometry coarse_grid = fine.geometry;
  for (int a = 0; a < 3; ++a) {
    coarse_grid.size[a] = fine.geometry.size[a] / 2;
    coarse_grid.spacing[a] = 2.0;
  }
  coarse_grid.origin = fine.geometry.voxel_to_physical().apply({0.5, 0.5, 0.5});
  const Mask coarse = resample_mask(fine, coarse_grid);

  const auto a = extract_features(fine, atlases());
  const auto b = extract_features(coarse, atlases());
  EXPECT_NEAR(b.volume_ml, a.volume_ml, 0.05 * a.volume_ml);
  EXPECT_EQ(a.side, Hemisphere::right);  // artery.tsv puts it in right territories only
  EXPECT_EQ(b.side, a.side);
  for (std::size_t r = 0; r < a.territory_ml.size(); ++r) {
    EXPECT_NEAR(b.territory_ml[r], a.territory_ml[r], 1.0 + 0.1 * a.territory_ml[r]) << r;
  }
}

TEST(LesionFeatures, SphereInTheLeftMcaIsMeasuredThere) {
  STROKEFAIR_REQUIRE_DATA("atlases/arterial-jhu/ArterialAtlas.nii.gz");
  const Mask mask = sphere(atlases().library_grid(), left_mca, 8);
  const auto f = extract_features(mask, atlases());
  EXPECT_EQ(f.side, Hemisphere::left);
  // 4/3 pi 8^3 = 2.14 mL
  EXPECT_NEAR(f.volume_ml, 2.14, 0.05);
  double mca_left = 0;
  for (std::size_t r = 0; r < f.vascular_ml.size(); ++r)
    if (atlases().vascular.regions[r].name == "MCAL") mca_left = f.vascular_ml[r];
  EXPECT_GT(mca_left, 0.9 * f.volume_ml);
  // The stored runs decode to the lesion's voxels on the library grid.
  EXPECT_EQ(decode_runs(f.lesion_runs).size(), count_nonzero(mask));
}

TEST(LesionFeatures, EmptyMaskIsRefused) {
  STROKEFAIR_REQUIRE_DATA("atlases/arterial-jhu/ArterialAtlas.nii.gz");
  const Mask empty(atlases().library_grid());
  try {
    extract_features(empty, atlases());
    FAIL() << "an empty mask was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(std::string(e.what()).find("empty"), std::string::npos);
  }
}

TEST(LesionFeatures, MasksNotInMniSpaceAreRefused) {
  STROKEFAIR_REQUIRE_DATA("atlases/arterial-jhu/ArterialAtlas.nii.gz");
  // Oblique grid: a native-space acquisition.
  Geometry oblique;
  oblique.size = {100, 100, 40};
  oblique.spacing = {2, 2, 4};
  const double c = std::cos(0.3), s = std::sin(0.3);
  oblique.direction = {c, -s, 0, s, c, 0, 0, 0, 1};
  oblique.origin = {-100, -100, -80};
  EXPECT_THROW(extract_features(sphere(oblique, {0, 0, 0}, 10), atlases()), Error);

  // Axis-aligned but a scanner box that does not cover the MNI brain.
  Geometry shifted;
  shifted.size = {64, 64, 20};
  shifted.spacing = {3, 3, 5};
  shifted.origin = {100, 100, 100};
  EXPECT_THROW(extract_features(sphere(shifted, {150, 150, 140}, 10), atlases()), Error);

  // MNI-sized box, but the lesion sits outside the brain (scalp, above the vertex).
  EXPECT_THROW(extract_features(sphere(atlases().library_grid(), {0, 0, 100}, 6), atlases()),
               Error);
}

TEST(LesionRuns, EncodeAndDecodeAreInverse) {
  const std::vector<std::size_t> voxels{3, 4, 5, 9, 20, 21};
  const auto runs = encode_runs(voxels);
  EXPECT_EQ(runs, (std::vector<std::uint32_t>{3, 3, 9, 1, 20, 2}));
  EXPECT_EQ(decode_runs(runs), voxels);
}
