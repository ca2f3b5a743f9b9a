// The data store finds, checks and fetches assets (from a local file URL, never the
// internet); `evaluate` computes the ISLES'22 metrics.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "strokefair/core/error.hpp"
#include "strokefair/evaluate/segmentation_metrics.hpp"
#include "strokefair/io/image_io.hpp"
#include "test_support.hpp"

using namespace strokefair;
namespace fs = std::filesystem;

TEST(DataStore, MissingAssetSaysWhichAndHowToGetIt) {
  const DataStore store(test::temp_dir("data-empty"));
  try {
    store.locate("arterial_level1");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::missing_asset);
    const std::string message = e.what();
    EXPECT_NE(message.find("arterial_level1"), std::string::npos);
    EXPECT_NE(message.find("strokefair data fetch"), std::string::npos);
    EXPECT_NE(message.find("https://"), std::string::npos);
  }
}

TEST(DataStore, FetchFromAFileUrlMirrorVerifiesChecksums) {
  STROKEFAIR_REQUIRE_DATA("atlases/arterial-jhu");
  const fs::path target = test::temp_dir("data-fetch");
  const std::string mirror = "file://" + test::data_dir().string();
  EXPECT_EQ(test::run_strokefair("--data-dir '" + target.string() + "' data fetch --base-url '" +
                                 mirror + "'"),
            0);
  EXPECT_TRUE(fs::exists(target / "atlases/arterial-jhu/ArterialAtlas.nii.gz"));
  EXPECT_EQ(test::run_strokefair("--data-dir '" + target.string() + "' data check"), 0);

  // A mirror serving a different file is refused and leaves nothing behind.
  const fs::path bad_mirror = test::temp_dir("data-bad-mirror");
  fs::create_directories(bad_mirror / "atlases/aspects");
  std::ofstream(bad_mirror / "atlases/aspects/ASPECTS_regions.txt") << "not the atlas table\n";
  fs::remove(target / "atlases/aspects/ASPECTS_regions.txt");
  const fs::path err = target / "stderr.txt";
  EXPECT_EQ(test::run_strokefair("--data-dir '" + target.string() +
                                     "' data fetch --base-url 'file://" + bad_mirror.string() + "'",
                                 "/dev/null", err.string()),
            6);
  EXPECT_FALSE(fs::exists(target / "atlases/aspects/ASPECTS_regions.txt"));
  EXPECT_FALSE(fs::exists(target / "atlases/aspects/ASPECTS_regions.txt.partial"));
}

TEST(DataStore, EveryAssetInTheSharedFolderMatchesItsChecksum) {
  STROKEFAIR_REQUIRE_DATA("atlases");
  const DataStore store;
  for (const Asset& asset : store.assets()) {
    const auto path = store.find(asset.id);
    ASSERT_TRUE(path.has_value()) << asset.id;
    EXPECT_EQ(sha256_file(*path), asset.sha256) << asset.id;
  }
}

namespace {

Mask blobs(const std::vector<std::array<std::size_t, 3>>& centres, std::size_t radius) {
  Geometry g;
  g.size = {40, 40, 40};
  g.spacing = {2, 2, 2};
  Mask m(g);
  for (const auto& c : centres)
    for (std::size_t k = c[2] - radius; k <= c[2] + radius; ++k)
      for (std::size_t j = c[1] - radius; j <= c[1] + radius; ++j)
        for (std::size_t i = c[0] - radius; i <= c[0] + radius; ++i) m.at(i, j, k) = 1;
  return m;
}

}  // namespace

TEST(Evaluate, IslesDefinitionsOnKnownMasks) {
  // Reference: two 3x3x3 cubes. Prediction: the first cube shifted by one voxel, and a
  // third cube far away: Dice 2*18/(54+54), 1 TP, 1 FN, 1 FP, F1 = 1/(1+1) = 0.5.
  const Mask reference = blobs({{10, 10, 10}, {30, 30, 30}}, 1);
  const Mask predicted = blobs({{11, 10, 10}, {10, 30, 10}}, 1);
  const SegmentationAgreement a = compare_masks(predicted, reference);
  EXPECT_NEAR(a.dice, 2.0 * 18 / 108, 1e-9);
  EXPECT_EQ(a.true_positives, 1u);
  EXPECT_EQ(a.false_negatives, 1u);
  EXPECT_EQ(a.false_positives, 1u);
  EXPECT_NEAR(a.lesion_f1, 0.5, 1e-9);
  EXPECT_EQ(a.lesion_count_difference, 0);
  EXPECT_NEAR(a.volume_difference_ml, 0.0, 1e-9);

  const Mask empty = blobs({}, 0);
  EXPECT_EQ(compare_masks(empty, empty).dice, 1.0);  // both empty counts as 1
  EXPECT_EQ(compare_masks(empty, empty).lesion_f1, 1.0);
  EXPECT_EQ(compare_masks(empty, reference).dice, 0.0);
}

TEST(Evaluate, CommandComparesFoldersByFileName) {
  STROKEFAIR_REQUIRE_DATA("cases/ads-subject01");
  const fs::path dir = test::temp_dir("evaluate-cli");
  fs::create_directories(dir / "pred");
  fs::create_directories(dir / "ref");
  const fs::path ads =
      test::case_dir("ads-subject01") / "Subject01_DAGMNet_CH3_Lesion_Predict.nii.gz";
  fs::copy_file(ads, dir / "pred/case.nii.gz");
  fs::copy_file(ads, dir / "ref/case.nii.gz");
  const fs::path out = dir / "out.json";
  ASSERT_EQ(test::run_strokefair("evaluate --json '" + (dir / "pred").string() + "' '" +
                                     (dir / "ref").string() + "'",
                                 out.string()),
            0);
  std::ifstream in(out);
  const auto result = nlohmann::json::parse(in);
  EXPECT_DOUBLE_EQ(result["median"]["dice"].get<double>(), 1.0);
  EXPECT_NEAR(result["cases"][0]["reference_ml"].get<double>(), 165.19, 0.05);
}
