// MRI-ASPECTS: lesions placed exactly in ASPECTS regions in template space give the expected
// score, the atlas table matches the atlas file, and sides survive a flip on disk.
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "strokefair/aspects/aspects.hpp"
#include "strokefair/core/resample.hpp"
#include "strokefair/io/image_io.hpp"
#include "test_support.hpp"

using namespace strokefair;

namespace {

const Atlas& aspects_atlas() {
  static const Atlas atlas = load_atlas(DataStore(), "aspects");
  return atlas;
}

// A lesion on the atlas's own grid covering exactly the named regions ("L_M1", "R_C", ...).
Mask lesion_in(const std::set<std::string>& names) {
  const Atlas& atlas = aspects_atlas();
  std::set<std::int32_t> labels;
  for (const auto& r : atlas.regions) {
    if (names.count(r.name)) labels.insert(r.label);
  }
  EXPECT_EQ(labels.size(), names.size()) << "a region name is not in the atlas";
  Mask lesion(atlas.labels.geometry);
  for (std::size_t n = 0; n < lesion.size(); ++n) lesion[n] = labels.count(atlas.labels[n]);
  return lesion;
}

std::vector<std::string> affected(const nlohmann::json& side) {
  return side.at("affected").get<std::vector<std::string>>();
}

// The same physical image stored with its first voxel axis reversed.
Mask flipped_on_disk(const Mask& mask) {
  Mask out = mask;
  const auto& g = mask.geometry;
  out.geometry.origin = g.voxel_to_physical().apply({double(g.size[0] - 1), 0, 0});
  for (int r = 0; r < 3; ++r) out.geometry.direction[r * 3] = -g.direction[r * 3];
  for (std::size_t k = 0; k < g.size[2]; ++k)
    for (std::size_t j = 0; j < g.size[1]; ++j)
      for (std::size_t i = 0; i < g.size[0]; ++i)
        out.at(g.size[0] - 1 - i, j, k) = mask.at(i, j, k);
  return out;
}

}  // namespace

TEST(AspectsAtlas, LabelTableMatchesTheAtlasFileLineByLine) {
  // Line N of ASPECTS_regions.txt names label N; all 24 labels have voxels, sides by prefix.
  STROKEFAIR_REQUIRE_DATA("atlases/aspects/ASPECTS_2mm.nii.gz");
  const Atlas& atlas = aspects_atlas();
  std::ifstream table(DataStore().locate("aspects_labels"));
  std::vector<std::string> lines;
  for (std::string line; std::getline(table, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  ASSERT_EQ(lines.size(), 24u);
  ASSERT_EQ(atlas.regions.size(), 24u);
  const auto volumes = atlas.region_volumes_ml();
  for (std::size_t n = 0; n < lines.size(); ++n) {
    const AtlasRegion* region = atlas.region(static_cast<std::int32_t>(n + 1));
    ASSERT_NE(region, nullptr) << "label " << n + 1;
    EXPECT_EQ(region->name, lines[n]);
    EXPECT_EQ(region->side, lines[n][0] == 'L' ? Hemisphere::left : Hemisphere::right);
    EXPECT_GT(volumes.at(region->label), 0.1) << region->name;
  }
}

TEST(AspectsAtlas, LeftRegionsLieOnThePatientsLeft) {
  // LPS +x is the patient's left: every L_ region's centroid must have x > 0.
  STROKEFAIR_REQUIRE_DATA("atlases/aspects/ASPECTS_2mm.nii.gz");
  const Atlas& atlas = aspects_atlas();
  const Affine to_mni = atlas.labels.geometry.voxel_to_physical();
  std::map<std::int32_t, std::pair<double, std::size_t>> sum_x;
  const auto& g = atlas.labels.geometry;
  for (std::size_t k = 0; k < g.size[2]; ++k)
    for (std::size_t j = 0; j < g.size[1]; ++j)
      for (std::size_t i = 0; i < g.size[0]; ++i)
        if (auto l = atlas.labels.at(i, j, k)) {
          sum_x[l].first += to_mni.apply({double(i), double(j), double(k)})[0];
          ++sum_x[l].second;
        }
  for (const auto& r : atlas.regions) {
    const double x = sum_x[r.label].first / sum_x[r.label].second;
    if (r.side == Hemisphere::left) EXPECT_GT(x, 5.0) << r.name;
    if (r.side == Hemisphere::right) EXPECT_LT(x, -5.0) << r.name;
  }
}

TEST(AspectsScore, LesionFillingFourLeftRegionsScoresSixOnTheLeft) {
  STROKEFAIR_REQUIRE_DATA("atlases/aspects/ASPECTS_2mm.nii.gz");
  const auto result = score_aspects(lesion_in({"L_I", "L_L", "L_M1", "L_M2"}), aspects_atlas());
  EXPECT_EQ(result["left"]["score"], 6);
  EXPECT_EQ(affected(result["left"]), (std::vector<std::string>{"L", "I", "M1", "M2"}));
  EXPECT_DOUBLE_EQ(result["left"]["regions"]["I"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(result["left"]["regions"]["C"].get<double>(), 0.0);
  EXPECT_TRUE(result["right"]["score"].is_null());
  EXPECT_TRUE(result["applies"].get<bool>());
  EXPECT_EQ(result["right"]["reason"], "no lesion in this hemisphere");
}

TEST(AspectsScore, SameLesionOnAFinerGridGivesTheSameScore) {
  // The lesion may come on any grid of MNI space: a 1 mm grid over the same box.
  STROKEFAIR_REQUIRE_DATA("atlases/aspects/ASPECTS_2mm.nii.gz");
  const Mask coarse = lesion_in({"R_C", "R_IC", "R_M4", "R_M5", "R_M6"});
  Geometry fine = coarse.geometry;
  for (int a = 0; a < 3; ++a) {
    fine.size[a] *= 2;
    fine.spacing[a] /= 2;
  }
  // Keep the outer box: the first 1 mm voxel centre sits half a 1 mm voxel inside it.
  fine.origin = coarse.geometry.voxel_to_physical().apply({-0.25, -0.25, -0.25});
  LabelImage as_labels(coarse.geometry);
  for (std::size_t n = 0; n < coarse.size(); ++n) as_labels[n] = coarse[n];
  const LabelImage upsampled = resample_nearest(as_labels, fine);
  Mask lesion(fine);
  for (std::size_t n = 0; n < lesion.size(); ++n) lesion[n] = upsampled[n] != 0;

  const auto result = score_aspects(lesion, aspects_atlas());
  EXPECT_EQ(result["right"]["score"], 5);
  EXPECT_EQ(affected(result["right"]), (std::vector<std::string>{"C", "IC", "M4", "M5", "M6"}));
  EXPECT_NEAR(result["right"]["regions"]["C"].get<double>(), 1.0, 0.02);
  EXPECT_TRUE(result["left"]["score"].is_null());
}

TEST(AspectsScore, BilateralLesionScoresBothHemispheres) {
  STROKEFAIR_REQUIRE_DATA("atlases/aspects/ASPECTS_2mm.nii.gz");
  // Each side holds well over 10% of the lesion.
  const auto result = score_aspects(lesion_in({"L_C", "L_M2", "R_M3", "R_M6"}), aspects_atlas());
  EXPECT_EQ(result["left"]["score"], 8);
  EXPECT_EQ(result["right"]["score"], 8);
  EXPECT_EQ(affected(result["left"]), (std::vector<std::string>{"C", "M2"}));
}

TEST(AspectsScore, FewVoxelsAcrossTheMidlineDoNotScoreTheOtherHemisphere) {
  // The whole left MCA ASPECTS set plus one right caudate voxel: the right is not scored.
  STROKEFAIR_REQUIRE_DATA("atlases/aspects/ASPECTS_2mm.nii.gz");
  Mask lesion = lesion_in({"L_C", "L_L", "L_IC", "L_I", "L_M1", "L_M2", "L_M3"});
  const Mask right_caudate = lesion_in({"R_C"});
  for (std::size_t n = 0; n < lesion.size(); ++n) {
    if (right_caudate[n]) {
      lesion[n] = 1;
      break;
    }
  }
  const auto result = score_aspects(lesion, aspects_atlas());
  EXPECT_EQ(result["left"]["score"], 3);
  EXPECT_TRUE(result["right"]["score"].is_null());
  EXPECT_GT(result["right"]["regions"]["C"].get<double>(), 0.0);
}

TEST(AspectsScore, PosteriorCirculationLesionIsNotScored) {
  STROKEFAIR_REQUIRE_DATA("atlases/aspects/ASPECTS_2mm.nii.gz");
  const auto result = score_aspects(lesion_in({"L_P"}), aspects_atlas());
  EXPECT_TRUE(result["left"]["score"].is_null());
  EXPECT_TRUE(result["right"]["score"].is_null());
  EXPECT_FALSE(result["applies"].get<bool>());
  EXPECT_NE(result["left"]["reason"].get<std::string>().find("posterior circulation"),
            std::string::npos);
  EXPECT_DOUBLE_EQ(result["left"]["regions"]["P"].get<double>(), 1.0);
}

TEST(AspectsScore, EmptyMaskDoesNotApply) {
  STROKEFAIR_REQUIRE_DATA("atlases/aspects/ASPECTS_2mm.nii.gz");
  const auto result = score_aspects(Mask(aspects_atlas().labels.geometry), aspects_atlas());
  EXPECT_FALSE(result["applies"].get<bool>());
  EXPECT_TRUE(result["left"]["score"].is_null());
  EXPECT_EQ(result["rule"]["name"], "min_region_fraction");
}

TEST(AspectsScore, RegionBelowTheRuleIsReportedButNotCounted) {
  // Half of the threshold's worth of the left insula: fraction reported, score stays 10.
  STROKEFAIR_REQUIRE_DATA("atlases/aspects/ASPECTS_2mm.nii.gz");
  const Mask full = lesion_in({"L_I"});
  const std::size_t total = count_nonzero(full);
  const std::size_t keep = static_cast<std::size_t>(total * AspectsRule().min_fraction / 2);
  Mask partial = full;
  std::size_t kept = 0;
  for (auto& v : partial.voxels) {
    if (v && ++kept > keep) v = 0;
  }
  const auto result = score_aspects(partial, aspects_atlas());
  EXPECT_EQ(result["left"]["score"], 10);
  EXPECT_TRUE(affected(result["left"]).empty());
  EXPECT_NEAR(result["left"]["regions"]["I"].get<double>(), double(keep) / total, 1e-3);
}

TEST(AspectsRule, ThresholdIsAboveTheSpillOfA2mmMisregistration) {
  // The rule's justification: a fully lesioned region shifted by one 2 mm atlas voxel along
  // any axis covers less than min_fraction of every other region.
  STROKEFAIR_REQUIRE_DATA("atlases/aspects/ASPECTS_2mm.nii.gz");
  const Atlas& atlas = aspects_atlas();
  const auto& g = atlas.labels.geometry;
  const auto volumes = atlas.region_volumes_ml();
  const double voxel_ml = g.voxel_volume_mm3() / 1000.0;
  double worst = 0;
  std::string worst_pair;
  for (int axis = 0; axis < 3; ++axis) {
    for (int step : {-1, 1}) {
      // overlap[(from, into)] in voxels
      std::map<std::pair<std::int32_t, std::int32_t>, std::size_t> overlap;
      for (std::size_t k = 1; k + 1 < g.size[2]; ++k)
        for (std::size_t j = 1; j + 1 < g.size[1]; ++j)
          for (std::size_t i = 1; i + 1 < g.size[0]; ++i) {
            const auto from = atlas.labels.at(i, j, k);
            if (!from) continue;
            std::array<std::size_t, 3> to{i, j, k};
            to[axis] += step;
            const auto into = atlas.labels.at(to[0], to[1], to[2]);
            if (into && into != from) ++overlap[{from, into}];
          }
      for (const auto& [pair, count] : overlap) {
        const double fraction = count * voxel_ml / volumes.at(pair.second);
        if (fraction > worst) {
          worst = fraction;
          worst_pair = atlas.region(pair.first)->name + " into " + atlas.region(pair.second)->name;
        }
      }
    }
  }
  std::cout << "largest 2 mm spill: " << worst << " (" << worst_pair << ")\n";
  EXPECT_LT(worst, AspectsRule().min_fraction);
}

TEST(AspectsScore, RealLesionKeepsItsSideWhenTheFileIsFlippedOnDisk) {
  // ADS Subject01's DAGMNet lesion in MNI space, and a copy stored with reversed voxel order.
  STROKEFAIR_REQUIRE_DATA("cases/ads-subject01/Subject01_DAGMNet_CH3_Lesion_Predict_MNI.nii.gz");
  const auto path =
      test::case_dir("ads-subject01") / "Subject01_DAGMNet_CH3_Lesion_Predict_MNI.nii.gz";
  const Mask lesion = read_mask(path);
  const auto dir = test::temp_dir("aspects-flip");
  write_mask(flipped_on_disk(lesion), dir / "flipped.nii.gz");
  const Mask flipped = read_mask(dir / "flipped.nii.gz");
  ASSERT_NE(lesion.geometry.direction[0], flipped.geometry.direction[0]);

  const auto original = score_aspects(lesion, aspects_atlas());
  const auto again = score_aspects(flipped, aspects_atlas());
  EXPECT_EQ(original["left"], again["left"]);
  EXPECT_EQ(original["right"], again["right"]);
  std::cout << "Subject01 ASPECTS: left " << original["left"]["score"] << " right "
            << original["right"]["score"] << "\n";
  std::filesystem::remove_all(dir);
}
