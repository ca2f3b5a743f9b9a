// `strokefair analyze` end to end on every shared case, and every kind of bad input:
// one error line naming the file, the documented exit code, no partial outputs.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "strokefair/io/image_io.hpp"
#include "test_support.hpp"

using namespace strokefair;
using strokefair::test::read_text;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct CommandResult {
  int code;
  std::string out;
  std::string err;
};

CommandResult analyze(const std::string& arguments, const fs::path& scratch) {
  const fs::path out = scratch / "stdout.txt", err = scratch / "stderr.txt";
  const int code = test::run_strokefair("analyze " + arguments, out.string(), err.string());
  return {code, read_text(out), read_text(err)};
}

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

struct SharedCase {
  std::string name;
  std::string arguments;  // relative to the case folder
  std::string subject;
  std::string hemisphere;  // expected side of the clear infarct, empty: not asserted
};

void PrintTo(const SharedCase& c, std::ostream* os) { *os << c.name; }

// True when no file or folder in `dir` looks like a staging leftover.
bool no_staging_left(const fs::path& dir) {
  if (!fs::exists(dir)) return true;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().find(".staging-") != std::string::npos) return false;
  }
  return true;
}

}  // namespace

class AnalyzeSharedCase : public ::testing::TestWithParam<SharedCase> {};

TEST_P(AnalyzeSharedCase, WritesDerivativesAndPrintsTheSummary) {
  const SharedCase& c = GetParam();
  STROKEFAIR_REQUIRE_DATA("cases/" + c.name);
  const fs::path scratch = test::temp_dir("analyze-" + c.subject);
  const fs::path out = scratch / "derivatives";
  std::string args = c.arguments;
  for (std::size_t at; (at = args.find("CASE/")) != std::string::npos;) {
    args.replace(at, 5, (test::case_dir(c.name) / "").string());
  }
  const CommandResult run = analyze(args + " --out " + q(out), scratch);
  ASSERT_EQ(run.code, 0) << run.err;

  const json summary = json::parse(run.out);  // stdout is exactly the summary JSON
  EXPECT_EQ(summary["subject"], c.subject);
  EXPECT_EQ(summary["template"], "MNI152NLin2009cSym");
  for (const char* key :
       {"lesion_volume_ml", "lesion_count", "brain_volume_ml", "hemisphere", "territories", "files",
        "software", "command_line", "inputs", "timings_s"}) {
    EXPECT_TRUE(summary.contains(key)) << key;
  }
  EXPECT_GT(summary["brain_volume_ml"].get<double>(), 800);
  EXPECT_LT(summary["brain_volume_ml"].get<double>(), 2000);
  if (!c.hemisphere.empty()) {
    EXPECT_EQ(summary["hemisphere"], c.hemisphere);
    EXPECT_GT(summary["lesion_volume_ml"].get<double>(), 0.05);
  }
  for (const auto& input : summary["inputs"])
    EXPECT_EQ(input["sha256"].get<std::string>().size(), 64u);

  // The lesion mask is on exactly the DWI grid.
  const fs::path lesion = out / summary["files"]["lesion_mask"].get<std::string>();
  const Mask mask = read_mask(lesion);
  const fs::path dwi_path = fs::path(summary["inputs"][0]["path"].get<std::string>());
  const Geometry dwi = read_geometry(dwi_path);
  EXPECT_TRUE(mask.geometry.same_grid(dwi, 1e-3));
  EXPECT_NEAR(volume_ml(mask), summary["lesion_volume_ml"].get<double>(), 0.01);

  for (const auto& [key, relative] : summary["files"].items()) {
    EXPECT_TRUE(fs::exists(out / relative.get<std::string>())) << key;
  }
  const json sidecar = json::parse(
      read_text(fs::path(lesion.string().substr(0, lesion.string().size() - 7) + ".json")));
  EXPECT_EQ(sidecar["Type"], "Lesion");
  EXPECT_EQ(sidecar["Manual"], false);
  const json description = json::parse(read_text(out / "dataset_description.json"));
  EXPECT_EQ(description["DatasetType"], "derivative");
  EXPECT_TRUE(description.contains("GeneratedBy"));
  EXPECT_TRUE(no_staging_left(scratch));

  // MRI-ASPECTS and the report (issue 4): both hemispheres present, the lesion side scored
  // or explained, and the findings naming the lesion's side and never the other.
  ASSERT_TRUE(summary.contains("aspects"));
  for (const char* side : {"left", "right"}) {
    EXPECT_TRUE(summary["aspects"][side].contains("score")) << side;
    EXPECT_TRUE(summary["aspects"][side]["regions"].is_object()) << side;
  }
  const std::string report = read_text(out / summary["files"]["report_text"].get<std::string>());
  const std::string findings =
      report.substr(report.find("FINDINGS"), report.find("MEASUREMENTS") - report.find("FINDINGS"));
  if (c.hemisphere == "left" || c.hemisphere == "right") {
    const std::string other = c.hemisphere == "left" ? "right" : "left";
    EXPECT_NE(findings.find(c.hemisphere), std::string::npos) << findings;
    EXPECT_EQ(findings.find(other), std::string::npos) << findings;
    EXPECT_TRUE(summary["aspects"][other]["score"].is_null());
  }
  EXPECT_TRUE(fs::exists(out / summary["files"]["report_html"].get<std::string>()));

  // Existing outputs are kept unless --force.
  const CommandResult again = analyze(args + " --out " + q(out), scratch);
  EXPECT_EQ(again.code, 5) << again.err;
  EXPECT_NE(again.err.find("--force"), std::string::npos);
  EXPECT_EQ(again.out, "");
}

INSTANTIATE_TEST_SUITE_P(
    SharedCases, AnalyzeSharedCase,
    ::testing::Values(
        SharedCase{"isles22-strokecase0001",
                   "--dwi CASE/sub-strokecase0001_ses-0001_dwi.nii.gz "
                   "--adc CASE/sub-strokecase0001_ses-0001_adc.nii.gz",
                   "strokecase0001", ""},
        SharedCase{"isles22-raw-mha",
                   "--dwi CASE/images/dwi-brain-mri/33f8cf8d-ea3b-45ec-ac0d-6965fcd3093c.mha "
                   "--adc CASE/images/adc-brain-mri/06de5518-fde4-4d29-90fa-4cacf066b590.mha "
                   "--subject rawmha",
                   "rawmha", "right"},
        SharedCase{"ads-subject01", "--dwi CASE/Subject01_DWI.nii.gz --b0 CASE/Subject01_b0.nii.gz",
                   "Subject01", "left"},
        SharedCase{"ads-subject02",
                   "--dwi CASE/Subject02_DWI.nii.gz --b0 CASE/Subject02_b0.nii.gz "
                   "--adc CASE/Subject02_ADC.nii.gz",
                   "Subject02", ""}),
    [](const ::testing::TestParamInfo<SharedCase>& info) { return info.param.subject; });

TEST(AnalyzeCli, ForceReplacesOutputs) {
  STROKEFAIR_REQUIRE_DATA("cases/ads-subject02");
  const fs::path scratch = test::temp_dir("analyze-force");
  const fs::path c = test::case_dir("ads-subject02");
  const std::string args = "--dwi " + q(c / "Subject02_DWI.nii.gz") + " --adc " +
                           q(c / "Subject02_ADC.nii.gz") + " --out " + q(scratch / "out");
  ASSERT_EQ(analyze(args, scratch).code, 0);
  const CommandResult forced = analyze(args + " --force", scratch);
  EXPECT_EQ(forced.code, 0) << forced.err;
}

// ---- bad input -------------------------------------------------------------------------

class AnalyzeBadInput : public ::testing::Test {
 protected:
  void SetUp() override {
    scratch_ = test::temp_dir(
        "analyze-bad-" +
        std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    inputs_ = scratch_ / "inputs";
    fs::create_directories(inputs_);
    out_ = scratch_ / "out";
  }

  // Runs analyze expecting failure: the code, one error line naming `named`, no outputs.
  void expect_refusal(const std::string& arguments, int code, const std::string& named,
                      const std::string& problem) {
    const CommandResult run = analyze(arguments + " --out " + q(out_), scratch_);
    EXPECT_EQ(run.code, code) << run.err;
    EXPECT_EQ(run.out, "");
    EXPECT_NE(run.err.find("error: "), std::string::npos) << run.err;
    EXPECT_NE(run.err.find(named), std::string::npos) << run.err;
    EXPECT_NE(run.err.find(problem), std::string::npos) << run.err;
    EXPECT_FALSE(fs::exists(out_)) << "partial outputs left behind";
    EXPECT_TRUE(no_staging_left(scratch_));
  }

  fs::path isles(const std::string& what) const {
    return test::case_dir("isles22-strokecase0001") /
           ("sub-strokecase0001_ses-0001_" + what + ".nii.gz");
  }

  fs::path scratch_, inputs_, out_;
};

TEST_F(AnalyzeBadInput, MissingFile) {
  expect_refusal("--dwi " + q(inputs_ / "nowhere.nii.gz"), 3, "nowhere.nii.gz", "does not exist");
}

TEST_F(AnalyzeBadInput, TruncatedImage) {
  STROKEFAIR_REQUIRE_DATA("cases/isles22-strokecase0001");
  const std::string bytes = read_text(isles("dwi"));
  std::ofstream(inputs_ / "cut.nii.gz", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  expect_refusal("--dwi " + q(inputs_ / "cut.nii.gz") + " --adc " + q(isles("adc")), 3,
                 "cut.nii.gz", "truncated or corrupt");
}

TEST_F(AnalyzeBadInput, TwoDimensionalImage) {
  Geometry g;
  g.size = {64, 64, 1};
  write_image(Image(g, 100.f), inputs_ / "slice.nii.gz");
  expect_refusal("--dwi " + q(inputs_ / "slice.nii.gz"), 3, "slice.nii.gz", "2D");
}

TEST_F(AnalyzeBadInput, FourDWithoutBValues) {
  Geometry g;
  g.size = {16, 16, 8};
  write_series({Image(g, 100.f), Image(g, 50.f)}, inputs_ / "series.nii.gz");
  expect_refusal("--dwi " + q(inputs_ / "series.nii.gz"), 3, "series.nii.gz", "without b-values");
}

TEST_F(AnalyzeBadInput, AllZeroAndNanImages) {
  Geometry g;
  g.size = {16, 16, 8};
  write_image(Image(g, 0.f), inputs_ / "zero.nii.gz");
  write_image(Image(g, std::nanf("")), inputs_ / "nan.nii.gz");
  expect_refusal("--dwi " + q(inputs_ / "zero.nii.gz"), 3, "zero.nii.gz", "no signal");
  expect_refusal("--dwi " + q(inputs_ / "nan.nii.gz"), 3, "nan.nii.gz", "no signal");
}

TEST_F(AnalyzeBadInput, AdcOfUndeterminableUnit) {
  STROKEFAIR_REQUIRE_DATA("cases/isles22-strokecase0001");
  Image adc = read_image(isles("adc"));
  for (float& v : adc.voxels) v *= 30;  // tissue median ~25: between units
  write_image(adc, inputs_ / "adc_odd.nii.gz");
  expect_refusal("--dwi " + q(isles("dwi")) + " --adc " + q(inputs_ / "adc_odd.nii.gz"), 3,
                 "adc_odd.nii.gz", "--adc-unit");
}

TEST_F(AnalyzeBadInput, DwiAndAdcInDifferentSpaces) {
  STROKEFAIR_REQUIRE_DATA("cases/isles22-strokecase0001");
  Image adc = read_image(isles("adc"));
  adc.geometry.origin[1] += 80;
  write_image(adc, inputs_ / "adc_elsewhere.nii.gz");
  expect_refusal("--dwi " + q(isles("dwi")) + " --adc " + q(inputs_ / "adc_elsewhere.nii.gz"), 3,
                 "adc_elsewhere.nii.gz", "different physical space");
}

TEST_F(AnalyzeBadInput, NonBrainImageFailsRegistration) {
  // A bright rod: a plausible foreground but nothing like a brain.
  Geometry g;
  g.size = {96, 96, 40};
  g.spacing = {2, 2, 3};
  g.origin = {-96, -96, -60};
  Image dwi(g, 0.f), adc(g, 0.f);
  for (std::size_t k = 2; k < 38; ++k)
    for (std::size_t j = 40; j < 56; ++j)
      for (std::size_t i = 10; i < 86; ++i) {
        dwi.at(i, j, k) = 500.f + static_cast<float>((i * 7 + j * 3 + k) % 50);
        adc.at(i, j, k) = 800.f;
      }
  write_image(dwi, inputs_ / "rod_dwi.nii.gz");
  write_image(adc, inputs_ / "rod_adc.nii.gz");
  expect_refusal("--dwi " + q(inputs_ / "rod_dwi.nii.gz") + " --adc " +
                     q(inputs_ / "rod_adc.nii.gz") + " --adc-unit 1e-6",
                 4, "rod_dwi.nii.gz", "registration");
}

TEST_F(AnalyzeBadInput, OutputInsideAnInputFolderIsRefused) {
  Geometry g;
  g.size = {16, 16, 8};
  write_image(Image(g, 100.f), inputs_ / "dwi.nii.gz");
  const CommandResult run = analyze(
      "--dwi " + q(inputs_ / "dwi.nii.gz") + " --out " + q(inputs_ / "derivatives"), scratch_);
  EXPECT_EQ(run.code, 2);
  EXPECT_NE(run.err.find("never writes into input folders"), std::string::npos);
  EXPECT_FALSE(fs::exists(inputs_ / "derivatives"));
}

TEST_F(AnalyzeBadInput, BadLabelsAndUnknownOptionsAreUsageErrors) {
  const CommandResult label = analyze("--dwi x.nii.gz --subject 'a_b' --out " + q(out_), scratch_);
  EXPECT_EQ(label.code, 2) << label.err;
  const CommandResult unknown = analyze("--dwi x.nii.gz --frobnicate --out " + q(out_), scratch_);
  EXPECT_EQ(unknown.code, 109 /* CLI11's code for an unknown option */) << unknown.err;
}
