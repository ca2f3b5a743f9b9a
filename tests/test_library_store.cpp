// The case library file, clinical tables and --where filters: transactional adds, strict
// reading of participants tables, and parameterised filtering.
#include <gtest/gtest.h>

#include <fstream>

#include "strokefair/core/error.hpp"
#include "strokefair/deid/text.hpp"
#include "strokefair/library/clinical.hpp"
#include "strokefair/library/store.hpp"
#include "strokefair/library/where.hpp"
#include "test_support.hpp"

using namespace strokefair;
namespace fs = std::filesystem;

namespace {

// A small layout and hand-made features: the store does not need real atlases.
FeatureAtlases tiny_atlases() {
  FeatureAtlases atlases;
  Geometry grid;
  grid.size = {4, 4, 4};
  for (Atlas* atlas : {&atlases.territories, &atlases.vascular, &atlases.anatomy}) {
    atlas->labels = LabelImage(grid);
    atlas->regions = {{1, "AL", "a left", Hemisphere::left},
                      {2, "AR", "a right", Hemisphere::right}};
  }
  return atlases;
}

NewCase tiny_case(const std::string& id, double left_ml, double right_ml,
                  ClinicalRecord clinical = ClinicalRecord::object()) {
  NewCase c;
  c.id = id;
  c.source = "test";
  c.mask_path = "/nowhere/" + id + ".nii.gz";
  c.mask_sha256 = "0";
  c.features.volume_ml = left_ml + right_ml;
  c.features.territory_ml = c.features.vascular_ml = c.features.anatomy_ml = {left_ml, right_ml};
  c.features.side = left_ml >= right_ml ? Hemisphere::left : Hemisphere::right;
  c.features.lesion_runs = {0, 2};
  c.clinical = std::move(clinical);
  return c;
}

fs::path write_text(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(LibraryStore, CasesRoundTripWithTheirFeaturesAndClinicalFields) {
  const auto dir = test::temp_dir("store-roundtrip");
  const auto atlases = tiny_atlases();
  {
    Library library = Library::open(dir / "lib.db", OpenMode::create_or_update, &atlases);
    library.add(
        {tiny_case("sub-002", 1.5, 0, {{"nihss", 4}, {"sex", "F"}}), tiny_case("sub-001", 0, 3)});
  }
  const Library library = Library::open(dir / "lib.db", OpenMode::read);
  const auto cases = library.cases(std::nullopt, true);
  ASSERT_EQ(cases.size(), 2u);
  EXPECT_EQ(cases[0].id, "sub-001");  // ordered by id
  EXPECT_EQ(cases[1].territory_ml, (RegionVolumes{1.5, 0}));
  EXPECT_EQ(cases[1].side, Hemisphere::left);
  EXPECT_EQ(cases[1].clinical["nihss"], 4);
  EXPECT_EQ(cases[1].lesion_runs, (std::vector<std::uint32_t>{0, 2}));
  EXPECT_EQ(library.layout().territories[1].name, "AR");
}

TEST(LibraryStore, AFailedAddLeavesTheLibraryUnchanged) {
  const auto dir = test::temp_dir("store-failed-add");
  const auto atlases = tiny_atlases();
  Library library = Library::open(dir / "lib.db", OpenMode::create_or_update, &atlases);
  library.add({tiny_case("sub-001", 1, 0)});
  // The second batch holds a new case and a duplicate: neither may be added.
  const std::string message = error_of([&] {
    library.add({tiny_case("sub-002", 1, 0), tiny_case("sub-001", 2, 0)});
  });
  EXPECT_NE(message.find("sub-001 is already in the library"), std::string::npos) << message;
  EXPECT_EQ(library.size(), 1u);
  // Features of another layout are refused too, also without a trace.
  NewCase wrong = tiny_case("sub-003", 1, 0);
  wrong.features.anatomy_ml = {1, 0, 0};
  EXPECT_THROW(library.add({wrong}), Error);
  EXPECT_EQ(library.size(), 1u);
  // --replace updates in place.
  library.add({tiny_case("sub-001", 0, 5)}, true);
  EXPECT_EQ(library.cases()[0].volume_ml, 5);
}

TEST(LibraryStore, ClinicalUpdateWithAnUnknownIdChangesNothing) {
  const auto dir = test::temp_dir("store-clinical");
  const auto atlases = tiny_atlases();
  Library library = Library::open(dir / "lib.db", OpenMode::create_or_update, &atlases);
  library.add({tiny_case("sub-001", 1, 0)});
  ClinicalTable table{{"sub-001", {{"nihss", 7}}}, {"sub-999", {{"nihss", 2}}}};
  const std::string message = error_of([&] { library.update_clinical(table); });
  EXPECT_NE(message.find("sub-999"), std::string::npos);
  EXPECT_FALSE(library.cases()[0].clinical.contains("nihss"));
  table.erase("sub-999");
  library.update_clinical(table);
  EXPECT_EQ(library.cases()[0].clinical["nihss"], 7);
}

TEST(LibraryStore, OpeningSomethingElseIsAClearError) {
  const auto dir = test::temp_dir("store-not-library");
  EXPECT_NE(
      error_of([&] { Library::open(dir / "missing.db", OpenMode::read); }).find("no such library"),
      std::string::npos);
  write_text(dir / "text.db", "not a database at all, just text that is long enough........");
  EXPECT_THROW(Library::open(dir / "text.db", OpenMode::read), Error);
}

TEST(ClinicalTable, ReadsValuesKeepsIdsAsTextAndLeavesOutNa) {
  const auto dir = test::temp_dir("clinical-ok");
  const auto path = write_text(dir / "p.tsv",
                               "\xEF\xBB\xBFparticipant_id\tage\tsex\tnihss\tgs_rankin_6isdeath\r\n"
                               "sub-007\t71\tF\tn/a\t3\r\n"
                               "sub-010\t64.5\tM\t12\tn/a\n");
  const auto table = read_clinical_table(path);
  ASSERT_EQ(table.size(), 2u);
  const auto& a = table.at("sub-007");  // leading zeros kept: ids are text
  EXPECT_EQ(a["age"], 71);
  EXPECT_EQ(a["sex"], "F");
  EXPECT_FALSE(a.contains("nihss"));
  EXPECT_EQ(a["mrs"], 3);  // gs_rankin_6isdeath is the 90-day mRS
  EXPECT_EQ(table.at("sub-010")["nihss"], 12);
}

TEST(ClinicalTable, BadTablesGiveMessagesThatNameTheProblem) {
  const auto dir = test::temp_dir("clinical-bad");
  const std::string header = "participant_id\tnihss\n";
  const auto message = [&](const std::string& name, const std::string& text) {
    return error_of([&] { read_clinical_table(write_text(dir / name, text)); });
  };
  EXPECT_NE(message("dup.tsv", header + "sub-1\t3\nsub-2\t4\nsub-1\t5\n")
                .find("listed twice (first on line 2)"),
            std::string::npos);
  EXPECT_NE(message("empty.tsv", header + "sub-1\t\n").find("write n/a"), std::string::npos);
  EXPECT_NE(message("latin1.tsv", "participant_id\tsite\nsub-1\tH\xF4pital\n").find("not UTF-8"),
            std::string::npos);
  EXPECT_NE(message("cells.tsv", header + "sub-1\t3\t4\n").find("3 cells where the header has 2"),
            std::string::npos);
  EXPECT_NE(message("noid.tsv", "subject\tnihss\nsub-1\t3\n").find("participant_id"),
            std::string::npos);
  EXPECT_NE(message("missing.tsv", "").find("empty"), std::string::npos);
}

TEST(Utf8, AcceptsMultibyteAndRefusesBrokenSequences) {
  EXPECT_TRUE(is_valid_utf8("H\xC3\xB4pital \xE2\x82\xAC"));
  EXPECT_FALSE(is_valid_utf8("H\xF4pital"));
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));  // truncated
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));  // overlong
}

TEST(WhereFilter, TranslatesToParameterisedSql) {
  const auto c = parse_where("nihss >= 10 and (sex = F or age > 80)");
  EXPECT_EQ(c.sql,
            "((json_extract(clinical, ?) >= ?) AND ((json_extract(clinical, ?) = ?) OR "
            "(json_extract(clinical, ?) > ?)))");
  ASSERT_EQ(c.parameters.size(), 6u);
  EXPECT_EQ(c.parameters[0], "$.\"nihss\"");
  EXPECT_EQ(c.parameters[1], 10.0);
  EXPECT_EQ(c.parameters[3], "F");
  EXPECT_EQ(parse_where("side == 'left'").sql, "(side = ?)");
}

TEST(WhereFilter, RefusesWhatItCannotParseInsteadOfPassingItToSql) {
  for (const char* bad : {"nihss >= 10; DROP TABLE cases", "nihss >=", "(nihss > 1", "nihss ! 3",
                          "1 = 1", "nihss > 'unterminated", "clinical) OR (1 = 1"}) {
    try {
      parse_where(bad);
      ADD_FAILURE() << "accepted: " << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ExitCode::usage) << bad;
    }
  }
}

TEST(WhereFilter, SelectsTheMatchingCasesFromALibrary) {
  const auto dir = test::temp_dir("where-library");
  const auto atlases = tiny_atlases();
  Library library = Library::open(dir / "lib.db", OpenMode::create_or_update, &atlases);
  library.add({tiny_case("sub-1", 1, 0, {{"nihss", 12}, {"sex", "F"}}),
               tiny_case("sub-2", 1, 0, {{"nihss", 3}, {"sex", "F"}}),
               tiny_case("sub-3", 0, 1, {{"nihss", 15}, {"sex", "M"}}), tiny_case("sub-4", 0, 1)});
  const auto ids = [&](const std::string& where) {
    std::vector<std::string> out;
    for (const auto& c : library.cases(parse_where(where))) out.push_back(c.id);
    return out;
  };
  EXPECT_EQ(ids("nihss >= 10"), (std::vector<std::string>{"sub-1", "sub-3"}));
  EXPECT_EQ(ids("nihss >= 10 and sex = F"), (std::vector<std::string>{"sub-1"}));
  EXPECT_EQ(ids("not nihss < 10"), (std::vector<std::string>{"sub-1", "sub-3"}));
  EXPECT_EQ(ids("side = right"), (std::vector<std::string>{"sub-3", "sub-4"}));
  // A value that looks like SQL is only ever a value.
  EXPECT_TRUE(ids("sex = 'F OR 1=1'").empty());
  EXPECT_EQ(library.size(), 4u);
}
