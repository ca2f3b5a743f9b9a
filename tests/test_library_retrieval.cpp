// Similar-case retrieval, prediction and frequency maps, on hand-made lesions and on the SOOP
// cohort, and the library commands end to end on an analysis folder.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "strokefair/core/error.hpp"
#include "strokefair/io/image_io.hpp"
#include "strokefair/library/case_input.hpp"
#include "strokefair/library/evaluation.hpp"
#include "strokefair/library/frequency_map.hpp"
#include "strokefair/library/report.hpp"
#include "test_support.hpp"

using namespace strokefair;
namespace fs = std::filesystem;

namespace {

const FeatureAtlases& atlases() {
  static const FeatureAtlases loaded = load_feature_atlases(DataStore());
  return loaded;
}

// The ICBM 2009c template grid that `analyze` writes MNI masks on (RAS origin -96,-132,-78).
Geometry template_grid() {
  Geometry g;
  g.size = {193, 229, 193};
  g.origin = {96, 132, -78};
  g.direction = {-1, 0, 0, 0, -1, 0, 0, 0, 1};
  return g;
}

Mask sphere(const Geometry& grid, const Vec3& centre_lps, double radius_mm) {
  Mask mask(grid);
  const Affine to_physical = grid.voxel_to_physical();
  for (std::size_t k = 0; k < grid.size[2]; ++k)
    for (std::size_t j = 0; j < grid.size[1]; ++j)
      for (std::size_t i = 0; i < grid.size[0]; ++i) {
        const Vec3 p = to_physical.apply({double(i), double(j), double(k)});
        if (std::hypot(p[0] - centre_lps[0], p[1] - centre_lps[1], p[2] - centre_lps[2]) <=
            radius_mm)
          mask.at(i, j, k) = 1;
      }
  return mask;
}

const Vec3 left_mca{40, 10, 20}, right_mca{-40, 10, 20}, left_pca{25, 70, 5};

NewCase measured(const std::string& id, const Mask& mask, ClinicalRecord clinical) {
  NewCase c;
  c.id = id;
  c.source = "test";
  c.mask_path = "/nowhere";
  c.mask_sha256 = "0";
  c.features = extract_features(mask, atlases());
  c.clinical = std::move(clinical);
  return c;
}

// Six hand-made cases: three left MCA lesions of growing size, two right MCA, one left PCA.
std::vector<StoredCase> hand_made_library(const fs::path& dir) {
  const Geometry grid = atlases().library_grid();
  std::vector<NewCase> cases = {
      measured("sub-a1", sphere(grid, left_mca, 6), {{"nihss", 4}, {"mrs", 1}, {"age", 70}}),
      measured("sub-a2", sphere(grid, left_mca, 8), {{"nihss", 8}, {"mrs", 2}, {"age", 60}}),
      measured("sub-a3", sphere(grid, left_mca, 10), {{"nihss", 12}, {"mrs", 3}, {"age", 70}}),
      measured("sub-b1", sphere(grid, right_mca, 8), {{"nihss", 5}, {"mrs", 1}}),
      measured("sub-b2", sphere(grid, right_mca, 10), {{"nihss", 6}}),
      measured("sub-c1", sphere(grid, left_pca, 8), {{"nihss", 2}, {"mrs", 0}}),
  };
  Library library = Library::open(dir / "lib.db", OpenMode::create_or_update, &atlases());
  library.add(cases);
  return library.cases(std::nullopt, true);
}

}  // namespace

TEST(SimilarCases, NearestAreTheLesionsInTheSameTerritoryAndSide) {
  STROKEFAIR_REQUIRE_DATA("atlases/arterial-jhu/ArterialAtlas.nii.gz");
  const auto dir = test::temp_dir("similar-hand-made");
  const Library library = Library::open((hand_made_library(dir), dir / "lib.db"), OpenMode::read);
  const CaseIndex index(library.cases(), library.layout(), RetrievalSettings{});

  const auto query = extract_features(sphere(template_grid(), left_mca, 9), atlases());
  const auto nearest = index.nearest(profile_of(query), 3);
  ASSERT_EQ(nearest.size(), 3u);
  for (const auto& n : nearest) EXPECT_EQ(n.stored->id.substr(0, 5), "sub-a") << n.stored->id;
  // Radius 9 lies between a2 (8) and a3 (10): those two come first.
  EXPECT_TRUE(nearest[0].stored->id == "sub-a2" || nearest[0].stored->id == "sub-a3");
  EXPECT_GT(nearest[0].similarity, nearest[2].similarity);

  // A stored case finds itself with similarity 1.
  const auto itself = index.nearest(profile_of(index.cases()[3]), 1);
  EXPECT_EQ(itself[0].stored->id, "sub-b1");
  EXPECT_NEAR(itself[0].similarity, 1.0, 1e-6);
}

TEST(SimilarCases, PredictionIsTheMeanOfTheNeighboursWithTheirRange) {
  STROKEFAIR_REQUIRE_DATA("atlases/arterial-jhu/ArterialAtlas.nii.gz");
  const auto dir = test::temp_dir("similar-predict");
  const Library library = Library::open((hand_made_library(dir), dir / "lib.db"), OpenMode::read);
  RetrievalSettings settings;
  settings.k = 3;
  settings.bandwidth = 0;             // equal weights
  settings.covariate_adjustment = 0;  // raw outcomes
  settings.interval_low = 0;
  settings.interval_high = 1;
  const CaseIndex index(library.cases(), library.layout(), settings);
  const auto query = extract_features(sphere(template_grid(), left_mca, 9), atlases());
  const auto result = find_similar(index, profile_of(query), 5, "query");

  ASSERT_TRUE(result.prediction.nihss);
  EXPECT_NEAR(result.prediction.nihss->value, (4 + 8 + 12) / 3.0, 1e-9);
  EXPECT_EQ(result.prediction.nihss->low, 4);
  EXPECT_EQ(result.prediction.nihss->high, 12);
  EXPECT_NEAR(result.prediction.mrs->value, 2.0, 1e-9);

  const auto json = similar_to_json(result, library.layout(), settings);
  EXPECT_EQ(json["neighbors"].size(), 5u);
  EXPECT_TRUE(json["neighbors"][0].contains("nihss"));
  EXPECT_TRUE(json["neighbors"][0].contains("similarity"));
  EXPECT_EQ(json["prediction"]["nihss"]["high"], 12.0);
  int with_mrs = 0, grades = 0;
  for (const auto& n : json["neighbors"]) with_mrs += n.contains("mrs");
  for (const auto& [grade, count] : json["summary"]["mrs"]["grades"].items())
    grades += count.get<int>();
  EXPECT_EQ(grades, with_mrs);
  const std::string html = similar_to_html(result, library.layout(), settings);
  EXPECT_NE(html.find("<section class=\"similar-cases\">"), std::string::npos);
}

TEST(SimilarCases, CovariateAdjustmentMovesNeighboursToTheQueryVolume) {
  STROKEFAIR_REQUIRE_DATA("atlases/arterial-jhu/ArterialAtlas.nii.gz");
  const auto dir = test::temp_dir("similar-adjust");
  const Library library = Library::open((hand_made_library(dir), dir / "lib.db"), OpenMode::read);
  // In the hand-made library NIHSS grows with volume, so the fitted volume slope is positive
  // and a larger query than its neighbours is predicted higher than their plain mean.
  RetrievalSettings plain, adjusted;
  plain.k = adjusted.k = 2;
  plain.bandwidth = adjusted.bandwidth = 0;
  plain.covariate_adjustment = 0;
  const auto query = extract_features(sphere(template_grid(), left_mca, 12), atlases());
  const CaseIndex a(library.cases(), library.layout(), plain);
  const CaseIndex b(library.cases(), library.layout(), adjusted);
  const auto pa = find_similar(a, profile_of(query), 2, "q").prediction.nihss->value;
  const auto pb = find_similar(b, profile_of(query), 2, "q").prediction.nihss->value;
  EXPECT_GT(pb, pa + 0.5);
}

TEST(SimilarCases, PriorWeightShrinksTowardsTheLibraryRegression) {
  STROKEFAIR_REQUIRE_DATA("atlases/arterial-jhu/ArterialAtlas.nii.gz");
  const auto dir = test::temp_dir("similar-prior");
  const Library library = Library::open((hand_made_library(dir), dir / "lib.db"), OpenMode::read);
  // A right MCA query: the mean of its two neighbours (NIHSS 5 and 6, adjusted) is not the
  // library-wide regression's value, so shrinking moves the estimate; half the weight moves it
  // half as far, and the interval moves with it, keeping its width.
  const auto query = extract_features(sphere(template_grid(), right_mca, 9), atlases());
  std::array<Interval, 3> at{};
  for (int step = 0; step < 3; ++step) {
    RetrievalSettings settings;
    settings.k = 2;
    settings.prior_weight = 0.5 * step;
    const CaseIndex index(library.cases(), library.layout(), settings);
    at[step] = *find_similar(index, profile_of(query), 2, "q").prediction.nihss;
  }
  EXPECT_GT(std::abs(at[2].value - at[0].value), 0.5);
  EXPECT_NEAR(at[1].value, (at[0].value + at[2].value) / 2, 1e-9);
  EXPECT_NEAR(at[1].high - at[1].low, at[0].high - at[0].low, 1e-9);
  EXPECT_NEAR(at[1].low - at[0].low, at[1].value - at[0].value, 1e-9);
}

TEST(FrequencyMaps, CountAndProportionPerVoxel) {
  STROKEFAIR_REQUIRE_DATA("atlases/arterial-jhu/ArterialAtlas.nii.gz");
  const auto dir = test::temp_dir("frequency-maps");
  const auto cases = hand_made_library(dir);
  const FrequencyMaps maps = frequency_maps(cases, atlases().library_grid());
  const Geometry& g = atlases().library_grid();
  const Vec3 centre = g.physical_to_voxel().apply(left_mca);
  const std::size_t at =
      g.index(std::size_t(std::lround(centre[0])), std::size_t(std::lround(centre[1])),
              std::size_t(std::lround(centre[2])));
  EXPECT_EQ(maps.count[at], 3.f);  // the three left MCA spheres
  EXPECT_NEAR(maps.proportion[at], 0.5f, 1e-6);
  double total = 0;
  for (float v : maps.count.voxels) total += v;
  double voxels = 0;
  for (const auto& c : cases) voxels += double(decode_runs(c.lesion_runs).size());
  EXPECT_EQ(total, voxels);

  write_montage_png(maps, std::nullopt, dir / "m.png");
  std::ifstream png(dir / "m.png", std::ios::binary);
  char signature[8] = {};
  png.read(signature, 8);
  EXPECT_EQ(std::string(signature + 1, 3), "PNG");
}

TEST(SoopLibrary, CrossValidatedPredictionAndRetrievalOnACohortSubset) {
  // Every third SOOP lesion (386 cases): leave-one-out NIHSS prediction must carry signal and
  // its 80% interval must hold about 80% of held-out values; neighbours must share the side.
  STROKEFAIR_REQUIRE_DATA("cohorts/soop/participants.tsv");
  const fs::path soop = test::data_dir() / "cohorts" / "soop";
  const auto table = read_clinical_table(soop / "participants.tsv");
  const auto sources = cases_in_mask_folder(soop / "lesions");
  std::vector<StoredCase> cases;
  for (std::size_t s = 0; s < sources.size(); s += 3) {
    const NewCase c = measure_case(sources[s], atlases());
    StoredCase stored;
    stored.id = c.id;
    stored.volume_ml = c.features.volume_ml;
    stored.side = c.features.side;
    stored.territory_ml = c.features.territory_ml;
    stored.vascular_ml = c.features.vascular_ml;
    stored.anatomy_ml = c.features.anatomy_ml;
    if (table.count(c.id)) stored.clinical = table.at(c.id);
    cases.push_back(std::move(stored));
  }
  const CaseIndex index(cases, FeatureLayout::of(atlases()), RetrievalSettings{}, IndexKind::exact);
  const Evaluation e = cross_validate(index);
  EXPECT_GT(e.nihss.cases, 200u);
  // Measured on this subset: r 0.5-0.6; the full cohort is in bench/library_results.md.
  EXPECT_GT(e.nihss.pearson_r, 0.40);
  EXPECT_LT(e.nihss.mean_absolute_error, 6.5);
  EXPECT_GT(e.nihss.interval_coverage, 0.70);
  EXPECT_LT(e.nihss.interval_coverage, 0.92);
  EXPECT_GT(e.retrieval.same_side, 0.90);
  EXPECT_GT(e.retrieval.same_territory, 2 * e.retrieval.chance_territory);
}

TEST(LibraryCommands, AddAnalysisFolderThenSimilarAsJson) {
  STROKEFAIR_REQUIRE_DATA("atlases/arterial-jhu/ArterialAtlas.nii.gz");
  const auto dir = test::temp_dir("library-commands");
  // A hand-made analysis folder in the layout `analyze` writes.
  const fs::path dwi = dir / "analysis" / "sub-test01" / "ses-1" / "dwi";
  fs::create_directories(dwi);
  const std::string mask_name =
      "sub-test01_ses-1_space-MNI152NLin2009cSym_label-L_desc-auto_mask.nii.gz";
  write_mask(sphere(template_grid(), left_mca, 8), dwi / mask_name);
  std::ofstream(dwi / "sub-test01_ses-1_summary.json")
      << nlohmann::json{{"subject", "test01"},
                        {"session", "1"},
                        {"lesion_volume_ml", 2.1},
                        {"hemisphere", "left"},
                        {"template", "MNI152NLin2009cSym"},
                        {"files", {{"lesion_mask_mni", "sub-test01/ses-1/dwi/" + mask_name}}}}
             .dump();
  std::ofstream(dir / "clinical.tsv") << "participant_id\tnihss\tmrs\nsub-test01_ses-1\t9\t2\n";
  const std::string lib = (dir / "lib.db").string();

  ASSERT_EQ(test::run_strokefair("library add " + lib + " " + (dir / "analysis").string() +
                                 " --clinical " + (dir / "clinical.tsv").string()),
            0);
  // Adding it again is refused and changes nothing.
  EXPECT_EQ(test::run_strokefair("library add " + lib + " " + (dir / "analysis").string()), 3);

  const auto out = dir / "similar.json";
  ASSERT_EQ(test::run_strokefair("similar " + lib + " " + (dir / "analysis").string() + " --json",
                                 out.string()),
            0);
  nlohmann::json result;
  std::ifstream(out) >> result;
  ASSERT_EQ(result["neighbors"].size(), 1u);
  EXPECT_EQ(result["neighbors"][0]["id"], "sub-test01_ses-1");
  EXPECT_NEAR(result["neighbors"][0]["similarity"].get<double>(), 1.0, 1e-6);
  EXPECT_EQ(result["neighbors"][0]["nihss"], 9);
  EXPECT_NEAR(result["prediction"]["nihss"]["value"].get<double>(), 9.0, 1e-6);
  EXPECT_NEAR(result["prediction"]["mrs"]["high"].get<double>(), 2.0, 1e-6);

  EXPECT_EQ(test::run_strokefair("library map " + lib + " --where \"nihss >= 5\" -o " +
                                 (dir / "maps" / "freq.nii.gz").string()),
            0);
  EXPECT_TRUE(fs::exists(dir / "maps" / "freq_proportion.nii.gz"));
  EXPECT_TRUE(fs::exists(dir / "maps" / "freq.png"));
  const Image count = read_image(dir / "maps" / "freq.nii.gz");
  float peak = 0;
  for (float v : count.voxels) peak = std::max(peak, v);
  EXPECT_EQ(peak, 1.f);
}

TEST(LibraryCommands, BadInputFailsClearlyAndLeavesNoLibraryBehind) {
  STROKEFAIR_REQUIRE_DATA("atlases/arterial-jhu/ArterialAtlas.nii.gz");
  const auto dir = test::temp_dir("library-bad-input");
  write_mask(Mask(template_grid()), dir / "empty.nii.gz");
  const std::string lib = (dir / "lib.db").string();
  const auto err = (dir / "err.txt").string();
  EXPECT_EQ(test::run_strokefair(
                "library add " + lib + " --mask " + (dir / "empty.nii.gz").string() + " --id sub-1",
                "/dev/null", err),
            3);
  std::ifstream in(err);
  const std::string message((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(message.find("empty"), std::string::npos) << message;
  EXPECT_FALSE(fs::exists(lib));  // a failed first add leaves no library file

  // A clinical table without the case's row.
  write_mask(sphere(template_grid(), left_mca, 5), dir / "lesion.nii.gz");
  std::ofstream(dir / "c.tsv") << "participant_id\tnihss\nsub-2\t3\n";
  EXPECT_EQ(
      test::run_strokefair("library add " + lib + " --mask " + (dir / "lesion.nii.gz").string() +
                           " --id sub-1 --clinical " + (dir / "c.tsv").string()),
      3);
  EXPECT_FALSE(fs::exists(lib));
  EXPECT_EQ(test::run_strokefair("similar " + lib + " --mask " + (dir / "lesion.nii.gz").string()),
            3);
  EXPECT_EQ(test::run_strokefair("library map " + lib + " --where \"nihss >\" -o x.nii.gz"), 2);
}

TEST(LibraryCommands, FailedImportIntoAnExistingLibraryChangesNothing) {
  // Each bad import names the problem, exits 3 (bad input) and leaves the library file as it
  // was, byte for byte.
  STROKEFAIR_REQUIRE_DATA("atlases/arterial-jhu/ArterialAtlas.nii.gz");
  const auto dir = test::temp_dir("library-bad-import");
  const fs::path lib = dir / "lib.db";
  write_mask(sphere(template_grid(), left_mca, 5), dir / "first.nii.gz");
  ASSERT_EQ(test::run_strokefair("library add " + lib.string() + " --mask " +
                                 (dir / "first.nii.gz").string() + " --id sub-1"),
            0);
  const std::string before = sha256_file(lib);
  const auto import_fails = [&](const fs::path& masks, const std::string& table,
                                const std::string& extra, const std::string& expected) {
    const fs::path tsv = dir / "participants.tsv";
    std::ofstream(tsv, std::ios::binary) << table;
    const auto err = (dir / "err.txt").string();
    EXPECT_EQ(test::run_strokefair("library import " + lib.string() + " --masks " + masks.string() +
                                       " --participants " + tsv.string() + extra,
                                   "/dev/null", err),
              3)
        << expected;
    std::ifstream in(err);
    const std::string message((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    EXPECT_NE(message.find(expected), std::string::npos) << message;
    EXPECT_EQ(sha256_file(lib), before) << expected;
  };
  const std::string table = "participant_id\tnihss\tage\nsub-2\t4\tn/a\nsub-3\tn/a\t70\n";

  // A mask outside MNI space among good ones: the import stops and names it.
  const fs::path native = dir / "native";
  fs::create_directories(native);
  write_mask(sphere(template_grid(), right_mca, 6), native / "sub-2_lesion.nii.gz");
  Geometry scanner;
  scanner.size = {64, 64, 20};
  scanner.spacing = {3, 3, 5};
  scanner.origin = {100, 100, 100};
  write_mask(sphere(scanner, {150, 150, 140}, 10), native / "sub-3_lesion.nii.gz");
  import_fails(native, table, "", "sub-3_lesion.nii.gz");

  // Two masks for one case.
  const fs::path twice = dir / "twice";
  fs::create_directories(twice);
  write_mask(sphere(template_grid(), right_mca, 6), twice / "sub-2_lesion.nii.gz");
  write_mask(sphere(template_grid(), left_pca, 6), twice / "sub-2_other.nii.gz");
  import_fails(twice, table, "", "two masks for sub-2");

  // A mask whose case the clinical table lacks, with --require-clinical; a case already in
  // the library; a table that is not UTF-8.
  const fs::path good = dir / "good";
  fs::create_directories(good);
  write_mask(sphere(template_grid(), right_mca, 6), good / "sub-2_lesion.nii.gz");
  write_mask(sphere(template_grid(), left_pca, 6), good / "sub-4_lesion.nii.gz");
  import_fails(good, table, " --require-clinical", "has no row for 1 mask(s), e.g. sub-4");
  write_mask(sphere(template_grid(), left_mca, 6), good / "sub-1_lesion.nii.gz");
  import_fails(good, table, "", "sub-1 is already in the library");
  fs::remove(good / "sub-1_lesion.nii.gz");
  import_fails(good, "participant_id\tsite\nsub-2\tH\xF4pital\n", "", "not UTF-8");

  // A mask file name whose case id is not UTF-8 (Latin-1 e-acute).
  const fs::path latin1 = dir / "latin1";
  fs::create_directories(latin1);
  write_mask(sphere(template_grid(), right_mca, 6), latin1 / "sub-Ren\xE9_lesion.nii.gz");
  import_fails(latin1, table, "", "case id taken from it is not UTF-8");

  // The same import without the bad parts succeeds.
  std::ofstream(dir / "participants.tsv") << table;
  EXPECT_EQ(test::run_strokefair("library import " + lib.string() + " --masks " + good.string() +
                                 " --participants " + (dir / "participants.tsv").string()),
            0);
  EXPECT_EQ(Library::open(lib, OpenMode::read).size(), 3u);
}
