// Report wording and files: findings generated from measurements say what a neuroradiologist
// would accept (sides, territories above the stated fraction, precision, empty masks), and
// the report files are written with their figures and viewer.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "report_fixtures.hpp"
#include "strokefair/io/image_io.hpp"
#include "strokefair/report/figures.hpp"
#include "strokefair/report/findings.hpp"
#include "strokefair/report/niivue_bundle.hpp"
#include "strokefair/report/report.hpp"
#include "test_support.hpp"

using namespace strokefair;
using nlohmann::json;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

json territory(double ml, double fraction) {
  return {{"ml", ml}, {"fraction", fraction}, {"fraction_of_territory", ml / 300}};
}

json side_aspects(json score, std::vector<std::string> affected, const std::string& reason = "") {
  json s = {{"score", score}, {"affected", affected}, {"regions", json::object()}};
  s["reason"] = reason.empty() ? json() : json(reason);
  return s;
}

json summary(double ml, int count, json territories, json aspects_left, json aspects_right) {
  return {{"lesion_volume_ml", ml},
          {"lesion_count", count},
          {"territories", territories},
          {"aspects",
           {{"left", aspects_left},
            {"right", aspects_right},
            {"rule", {{"name", "min_region_fraction"}, {"min_fraction", 0.3}}}}}};
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The same physical volume stored with its first voxel axis reversed.
template <class T>
Volume<T> flipped_on_disk(const Volume<T>& v) {
  Volume<T> out = v;
  const auto& g = v.geometry;
  out.geometry.origin = g.voxel_to_physical().apply({double(g.size[0] - 1), 0, 0});
  for (int r = 0; r < 3; ++r) out.geometry.direction[r * 3] = -g.direction[r * 3];
  for (std::size_t k = 0; k < g.size[2]; ++k)
    for (std::size_t j = 0; j < g.size[1]; ++j)
      for (std::size_t i = 0; i < g.size[0]; ++i) out.at(g.size[0] - 1 - i, j, k) = v.at(i, j, k);
  return out;
}

}  // namespace

TEST(ReportWording, EmptyMaskSaysNoAcuteInfarctPlainly) {
  const json none = side_aspects(nullptr, {}, "no lesion in this hemisphere");
  const Findings f = write_findings(summary(0, 0, json::object(), none, none));
  EXPECT_FALSE(f.infarct);
  EXPECT_EQ(f.text(), "No acute infarct detected.");
}

TEST(ReportWording, LeftMcaInfarctNamesTheLeftSideAndItsScore) {
  const json s =
      summary(23.44, 1, {{"MCAL", territory(21.0, 0.90)}, {"ACAL", territory(1.1, 0.05)}},
              side_aspects(6, {"L", "I", "M1", "M2"}), side_aspects(nullptr, {}));
  const std::string text = write_findings(s).text();
  EXPECT_TRUE(contains(text, "Acute infarct in the left MCA territory, 23.4 mL.")) << text;
  EXPECT_TRUE(contains(text, "DWI-ASPECTS 6 on the left: L, I, M1, M2 affected.")) << text;
  EXPECT_FALSE(contains(text, "right")) << text;
  // 5% of the lesion in the ACA territory is below the 10% naming threshold.
  EXPECT_FALSE(contains(text, "ACA")) << text;
}

TEST(ReportWording, MCADivisionsFollowTheMCANotAnotherTerritory) {
  json s = summary(10.0, 1, {{"MCAL", territory(7.0, 0.7)}, {"ACAL", territory(3.0, 0.3)}},
                   side_aspects(9, {"M1"}), side_aspects(nullptr, {}));
  s["regions"]["arterial_level1"] = {
      {{"name", "MCAFL"}, {"side", "left"}, {"lesion_ml", 4.0}, {"fraction_of_lesion", 0.4}},
      {{"name", "MCAIL"}, {"side", "left"}, {"lesion_ml", 3.0}, {"fraction_of_lesion", 0.3}},
      {{"name", "MCAPL"}, {"side", "left"}, {"lesion_ml", 0.5}, {"fraction_of_lesion", 0.05}}};
  const std::string text = write_findings(s).text();
  EXPECT_TRUE(contains(text,
                       "Acute infarct in the left MCA (frontal and insular divisions) and "
                       "ACA territories, 10.0 mL."))
      << text;
  EXPECT_FALSE(contains(text, "parietal")) << text;
}

TEST(ReportWording, RightInfarctNamesTheRightSide) {
  const json s = summary(4.0, 2, {{"MCAR", territory(3.0, 0.75)}, {"ACAR", territory(1.0, 0.25)}},
                         side_aspects(nullptr, {}), side_aspects(9, {"C"}));
  const std::string text = write_findings(s).text();
  EXPECT_TRUE(contains(text,
                       "Acute infarct in the right MCA and ACA territories, 4.0 mL in 2 "
                       "separate lesions."))
      << text;
  EXPECT_TRUE(contains(text, "DWI-ASPECTS 9 on the right: C affected.")) << text;
  EXPECT_FALSE(contains(text, "left")) << text;
}

TEST(ReportWording, BilateralInfarctsNameBothSidesAndScoreBoth) {
  const json s = summary(30.0, 3, {{"MCAR", territory(18.0, 0.6)}, {"MCAL", territory(12.0, 0.4)}},
                         side_aspects(8, {"M2", "M3"}), side_aspects(7, {"I", "M4", "M5"}));
  const std::string text = write_findings(s).text();
  EXPECT_TRUE(contains(text, "Acute infarcts in the right MCA territory and left MCA territory"))
      << text;
  EXPECT_TRUE(contains(text, "DWI-ASPECTS 8 on the left")) << text;
  EXPECT_TRUE(contains(text, "DWI-ASPECTS 7 on the right")) << text;
}

TEST(ReportWording, BilateralLesionWithOneNamedSideStillMentionsTheOtherSide) {
  json s = summary(1.06, 4,
                   {{"MCAL", territory(0.7, 0.53)},
                    {"ACAL", territory(0.5, 0.39)},
                    {"ACAR", territory(0.11, 0.08)}},
                   side_aspects(10, {}), side_aspects(nullptr, {}));
  s["hemisphere"] = "bilateral";
  const std::string text = write_findings(s).text();
  EXPECT_TRUE(contains(text,
                       "Acute infarct in the left MCA and ACA territories, 1.1 mL in 4 "
                       "separate lesions."))
      << text;
  EXPECT_TRUE(contains(text, "Smaller lesion component in the right hemisphere")) << text;
}

TEST(ReportWording, PosteriorCirculationInfarctSaysAspectsDoesNotApply) {
  const std::string reason = "lesion in the PCA region (posterior circulation)";
  const json s = summary(5.2, 1, {{"PCAR", territory(4.9, 0.94)}, {"VBR", territory(0.3, 0.06)}},
                         side_aspects(nullptr, {}), side_aspects(nullptr, {}, reason));
  const std::string text = write_findings(s).text();
  EXPECT_TRUE(contains(text, "Acute infarct in the right PCA territory, 5.2 mL.")) << text;
  EXPECT_TRUE(contains(text, "ASPECTS does not apply (posterior circulation infarct).")) << text;
  EXPECT_FALSE(contains(text, "DWI-ASPECTS")) << text;
}

TEST(ReportWording, VolumesHaveSensiblePrecision) {
  EXPECT_EQ(format_ml(0.2234), "0.22 mL");
  EXPECT_EQ(format_ml(23.44), "23.4 mL");
  EXPECT_EQ(format_ml(152.3), "152 mL");
  EXPECT_EQ(format_ml(0.0), "0 mL");
  EXPECT_EQ(format_percent(0.004), "<1%");
  EXPECT_EQ(format_percent(0.355), "36%");
}

TEST(ReportWording, NoTerritoryAboveTheThresholdIsSaidSo) {
  json t = json::object();
  for (const char* name : {"MCAL", "ACAL", "PCAL"}) t[name] = territory(0.1, 0.08);
  json s = summary(2.0, 1, t, side_aspects(10, {}), side_aspects(nullptr, {}));
  s["hemisphere"] = "left";
  const std::string text = write_findings(s).text();
  EXPECT_TRUE(contains(text, "in the left hemisphere")) << text;
  EXPECT_TRUE(contains(text, "without a predominant arterial territory")) << text;
  EXPECT_FALSE(contains(text, "MCA")) << text;
}

class ReportSides : public ::testing::TestWithParam<std::pair<double, std::string>> {};

TEST_P(ReportSides, LesionPlacedOnAKnownSideIsReportedOnThatSideEvenFlippedOnDisk) {
  // A ball in the MCA territory at MNI x = +-38 mm (RAS), inside Subject01's real MNI brain
  // mask; the same lesion stored flipped on disk must give the same words.
  STROKEFAIR_REQUIRE_DATA("cases/ads-subject01/Subject01_Mask_MNI.nii.gz");
  const auto [x_ras, side] = GetParam();
  const Mask brain = read_mask(test::case_dir("ads-subject01") / "Subject01_Mask_MNI.nii.gz");
  Mask lesion = test::ball_at_ras(brain.geometry, {x_ras, 0, 12}, 9);
  for (std::size_t n = 0; n < lesion.size(); ++n) lesion[n] = lesion[n] && brain[n];

  const auto dir = test::temp_dir("report-sides");
  write_mask(flipped_on_disk(lesion), dir / "lesion_flipped.nii.gz");
  const Mask flipped = read_mask(dir / "lesion_flipped.nii.gz");
  ASSERT_LT(flipped.geometry.direction[0] * lesion.geometry.direction[0], 0);

  const std::string other = side == "left" ? "right" : "left";
  const std::string text =
      write_findings(test::summary_from_mni_lesion(lesion, volume_ml(lesion), 1)).text();
  const std::string text_flipped =
      write_findings(test::summary_from_mni_lesion(flipped, volume_ml(flipped), 1)).text();
  EXPECT_EQ(text, text_flipped);
  EXPECT_TRUE(contains(text, "Acute infarct in the " + side + " MCA")) << text;
  EXPECT_TRUE(contains(text, "DWI-ASPECTS")) << text;
  EXPECT_TRUE(contains(text, "on the " + side)) << text;
  EXPECT_FALSE(contains(text, other)) << text;
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(LeftAndRight, ReportSides,
                         ::testing::Values(std::make_pair(-38.0, std::string("left")),
                                           std::make_pair(38.0, std::string("right"))));

TEST(ReportFiles, RealCaseWritesHtmlTextFiguresAndViewer) {
  STROKEFAIR_REQUIRE_DATA("cases/ads-subject01/Subject01_DWI.nii.gz");
  const ReportInputs in = test::subject01_report_inputs();
  const auto root = test::temp_dir("report-files");
  const ReportFiles files = write_report(in, root);

  EXPECT_EQ(files.html, "sub-01.html");
  EXPECT_EQ(files.text, std::filesystem::path("sub-01/dwi/sub-01_report.txt"));
  EXPECT_EQ(files.figures.size(), 3u);
  for (const auto& f : files.all()) EXPECT_TRUE(std::filesystem::exists(root / f)) << f;

  const std::string html = read_text(root / files.html);
  const std::string text = read_text(root / files.text);
  const Findings findings = write_findings(in.summary);
  ASSERT_TRUE(findings.infarct);
  EXPECT_TRUE(contains(html, findings.sentences[0]));
  EXPECT_TRUE(contains(text, findings.sentences[0]));
  EXPECT_TRUE(contains(html, "data:image/png;base64,"));
  EXPECT_TRUE(contains(html, "not a diagnostic device"));
  EXPECT_TRUE(contains(html, "href=\"sub-01/figures/sub-01_desc-viewer_dwi.html\""));
  EXPECT_FALSE(contains(html, "src=\"http")) << "the report must not load anything online";
  const std::string viewer = read_text(root / files.viewer);
  if (!niivue_bundle().empty()) EXPECT_TRUE(contains(viewer, "NVImage.loadFromBase64"));
  std::cout << "findings: " << findings.text() << "\n";
  // STROKEFAIR_KEEP_TEST_REPORT=1 keeps the files, to look at them.
  if (!std::getenv("STROKEFAIR_KEEP_TEST_REPORT")) std::filesystem::remove_all(root);
}

TEST(ReportFiles, SessionGoesIntoNamesAndFolders) {
  const ReportFiles f = report_file_names("007", std::string("acute"));
  EXPECT_EQ(f.html, "sub-007_ses-acute.html");
  EXPECT_EQ(f.text, std::filesystem::path("sub-007/ses-acute/dwi/sub-007_ses-acute_report.txt"));
  EXPECT_EQ(f.viewer, std::filesystem::path(
                          "sub-007/ses-acute/figures/sub-007_ses-acute_desc-viewer_dwi.html"));
}

TEST(ReportFigures, LesionFigureDoesNotDependOnVoxelOrderOnDisk) {
  // Radiological display on a patient-aligned grid: a flipped copy draws the same picture.
  STROKEFAIR_REQUIRE_DATA("cases/ads-subject01/Subject01_DWI.nii.gz");
  const auto dir = test::case_dir("ads-subject01");
  const Image dwi = read_image(dir / "Subject01_DWI.nii.gz");
  const Mask lesion = read_mask(dir / "Subject01_DAGMNet_CH3_Lesion_Predict.nii.gz");
  const Canvas a = lesion_figure(dwi, dwi, lesion);
  const Canvas b =
      lesion_figure(flipped_on_disk(dwi), flipped_on_disk(dwi), flipped_on_disk(lesion));
  ASSERT_EQ(a.width(), b.width());
  ASSERT_EQ(a.height(), b.height());
  double difference = 0;
  for (std::size_t n = 0; n < a.pixels().size(); ++n) {
    difference += std::abs(int(a.pixels()[n]) - int(b.pixels()[n]));
  }
  // Trilinear sampling of mirrored indices may round differently by one grey level.
  EXPECT_LT(difference / a.pixels().size(), 0.5);
}

TEST(ReportEndToEnd, DwiFlippedOnDiskIsReportedOnTheSameSideWithTheSameScore) {
  // The oblique ISLES'22 MetaImage case (right MCA infarct) analysed as delivered and as a
  // copy whose DWI and ADC are stored with the first voxel axis reversed (same physical
  // image): the report must name the same side and give the same ASPECTS.
  STROKEFAIR_REQUIRE_DATA("cases/isles22-raw-mha/images");
  const auto dir = test::case_dir("isles22-raw-mha") / "images";
  const std::filesystem::path dwi =
      dir / "dwi-brain-mri" / "33f8cf8d-ea3b-45ec-ac0d-6965fcd3093c.mha";
  const std::filesystem::path adc =
      dir / "adc-brain-mri" / "06de5518-fde4-4d29-90fa-4cacf066b590.mha";
  const auto scratch = test::temp_dir("report-flip-e2e");
  std::filesystem::create_directories(scratch / "in");
  write_image(flipped_on_disk(read_image(dwi)), scratch / "in" / "dwi.nii.gz");
  write_image(flipped_on_disk(read_image(adc)), scratch / "in" / "adc.nii.gz");

  const auto run = [&](const std::string& name, const std::filesystem::path& d,
                       const std::filesystem::path& a) {
    const auto out = scratch / name;
    const int code =
        test::run_strokefair("analyze --subject " + name + " --dwi '" + d.string() + "' --adc '" +
                                 a.string() + "' --out '" + out.string() + "'",
                             (scratch / (name + ".json")).string());
    EXPECT_EQ(code, 0) << name;
    const json summary = json::parse(read_text(scratch / (name + ".json")));
    const std::string report = read_text(out / summary["files"]["report_text"].get<std::string>());
    return std::make_pair(summary, report.substr(0, report.find("MEASUREMENTS")));
  };
  const auto [original, original_text] = run("original", dwi, adc);
  const auto [flipped, flipped_text] =
      run("flipped", scratch / "in" / "dwi.nii.gz", scratch / "in" / "adc.nii.gz");
  std::cout << original_text << "\n" << flipped_text << "\n";

  EXPECT_EQ(original["hemisphere"], "right");
  EXPECT_EQ(flipped["hemisphere"], "right");
  for (const auto* text : {&original_text, &flipped_text}) {
    EXPECT_TRUE(contains(*text, "right MCA")) << *text;
    EXPECT_FALSE(contains(*text, "left")) << *text;
  }
  ASSERT_FALSE(flipped["aspects"]["right"]["score"].is_null());
  // Registration starts from a different voxel order, so allow one region of difference.
  EXPECT_NEAR(original["aspects"]["right"]["score"].get<int>(),
              flipped["aspects"]["right"]["score"].get<int>(), 1);
  EXPECT_NEAR(original["lesion_volume_ml"].get<double>(), flipped["lesion_volume_ml"].get<double>(),
              0.05 * original["lesion_volume_ml"].get<double>());
  std::filesystem::remove_all(scratch);
}
