// `analyze --model`: a tiny TorchScript network that the test builds itself must decide the
// lesion mask, and bad model files or descriptions give one error line with exit code 3.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "strokefair/core/error.hpp"
#include "strokefair/evaluate/segmentation_metrics.hpp"
#include "strokefair/io/image_io.hpp"
#include "strokefair/segmentation/model_segmentation.hpp"
#include "test_support.hpp"
#include "tiny_network.hpp"

using namespace strokefair;
using strokefair::test::read_text;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void write_text(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

std::string q(const fs::path& p) { return "'" + p.string() + "'"; }

// The rule the tiny network implements, in relative units: bright DWI and restricted ADC.
constexpr const char* kThresholdNetwork = R"(
def forward(self, x):
    return ((x[:, 0:1] >= 1.5) & (x[:, 1:2] < 0.8)).float()
)";

using test::save_network;

const json kDescription = {{"channels", {"dwi", "adc"}},
                           {"normalisation", "relative"},
                           {"output", "probability"},
                           {"threshold", 0.5}};

// A 1 mm box of normal tissue (DWI 100, ADC 800) holding a restricted, bright 8 mm cube.
struct Phantom {
  Image dwi, adc;
  Mask brain, cube;
};

Phantom phantom() {
  Geometry g;
  g.size = {40, 36, 24};
  Phantom p{Image(g, 100.f), Image(g, 800.f), Mask(g, 0), Mask(g, 0)};
  for (std::size_t k = 0; k < g.size[2]; ++k)
    for (std::size_t j = 0; j < g.size[1]; ++j)
      for (std::size_t i = 0; i < g.size[0]; ++i) {
        const std::size_t n = g.index(i, j, k);
        p.brain[n] = i >= 2 && i < 38 && j >= 2 && j < 34 && k >= 2 && k < 22;
        p.cube[n] = i >= 12 && i < 20 && j >= 10 && j < 18 && k >= 8 && k < 16;
        if (p.cube[n]) {
          p.dwi[n] = 190.f;
          p.adc[n] = 450.f;
        }
      }
  return p;
}

ModelInputs inputs_of(const Phantom& p) {
  ModelInputs in;
  in.dwi = &p.dwi;
  in.adc = &p.adc;
  in.brain = &p.brain;
  in.dwi_normal = 100;
  in.adc_normal = 800;
  return in;
}

ModelDescription description_from(const json& doc, const fs::path& dir) {
  write_text(dir / "model.json", doc.dump());
  return read_model_description(dir / "model.json");
}

// The description error for `text`, or "" when it was accepted.
std::string description_error(const std::string& text, const fs::path& dir) {
  write_text(dir / "bad.json", text);
  try {
    read_model_description(dir / "bad.json");
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    return e.what();
  }
  return "";
}

}  // namespace

TEST(ModelDescription, ReadsChannelsSpacingNormalisationAndThreshold) {
  const fs::path dir = test::temp_dir("model-description");
  json doc = kDescription;
  doc["spacing_mm"] = {2, 2, 3};
  doc["output"] = "logit";
  const ModelDescription d = description_from(doc, dir);
  EXPECT_EQ(d.channels, (std::vector<std::string>{"dwi", "adc"}));
  ASSERT_TRUE(d.spacing_mm.has_value());
  EXPECT_DOUBLE_EQ((*d.spacing_mm)[2], 3.0);
  EXPECT_EQ(d.normalisation, "relative");
  EXPECT_EQ(d.output, "logit");
  EXPECT_DOUBLE_EQ(d.threshold, 0.5);
}

TEST(ModelDescription, BadDescriptionsNameTheFileAndTheProblem) {
  const fs::path dir = test::temp_dir("model-description-bad");
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{\"channels\": [\"dwi\"", "not a JSON object"},
      {"[1, 2]", "not a JSON object"},
      {"{}", "\"channels\" must be a list"},
      {R"({"channels": ["dwi", "flair"]})", "unknown channel \"flair\""},
      {R"({"channels": ["dwi"], "spacing_mm": [2, 2]})", "\"spacing_mm\""},
      {R"({"channels": ["dwi"], "normalisation": "minmax"})", "\"normalisation\" must be one of"},
      {R"({"channels": ["dwi"], "threshold": 1.5})", "\"threshold\" must lie in (0, 1)"},
      {"{\"channels\": [\"dwi\xff\"]}", "not UTF-8"},
  };
  for (const auto& [text, problem] : cases) {
    const std::string message = description_error(text, dir);
    EXPECT_NE(message.find("bad.json"), std::string::npos) << text << " -> " << message;
    EXPECT_NE(message.find(problem), std::string::npos) << text << " -> " << message;
  }
  try {
    read_model_description(dir / "absent.json");
    ADD_FAILURE() << "a missing description was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
  }
}

TEST(ModelSegmentation, TinyNetworkOutputBecomesTheLesionMask) {
  const fs::path dir = test::temp_dir("model-phantom");
  if (!save_network(dir / "tiny.pt", kThresholdNetwork)) GTEST_SKIP() << "built without libtorch";
  const Phantom p = phantom();
  const Mask lesion =
      segment_with_model(dir / "tiny.pt", description_from(kDescription, dir), inputs_of(p));
  EXPECT_EQ(count_nonzero(lesion), count_nonzero(p.cube));
  EXPECT_DOUBLE_EQ(compare_masks(lesion, p.cube).dice, 1.0);

  // On the network's own 2 mm grid and back: the cube is still found, its edges resampled.
  json coarse = kDescription;
  coarse["spacing_mm"] = {2, 2, 2};
  const Mask regridded =
      segment_with_model(dir / "tiny.pt", description_from(coarse, dir), inputs_of(p));
  EXPECT_GE(compare_masks(regridded, p.cube).dice, 0.8);
}

TEST(ModelSegmentation, WrongOutputShapeAndRejectedInputAreInputErrors) {
  const fs::path dir = test::temp_dir("model-shapes");
  if (!save_network(dir / "identity.pt", "def forward(self, x):\n    return x\n")) {
    GTEST_SKIP() << "built without libtorch";
  }
  // Two channels in, two out: not the one probability channel the description promises.
  const Phantom p = phantom();
  try {
    segment_with_model(dir / "identity.pt", description_from(kDescription, dir), inputs_of(p));
    ADD_FAILURE() << "a two-channel output was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(std::string(e.what()).find("model output has shape [1, 2, 24, 36, 40]"),
              std::string::npos)
        << e.what();
  }
  // A network that indexes a third channel fails on a two-channel input.
  save_network(dir / "three.pt", "def forward(self, x):\n    return x[:, 2:3]\n");
  try {
    segment_with_model(dir / "three.pt", description_from(kDescription, dir), inputs_of(p));
    ADD_FAILURE() << "a failing forward pass was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(std::string(e.what()).find("three.pt"), std::string::npos) << e.what();
  }
}

// ---- the command line, on a real case --------------------------------------------------

class AnalyzeModel : public ::testing::Test {
 protected:
  void SetUp() override {
    scratch_ = test::temp_dir(
        "analyze-model-" +
        std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    models_ = scratch_ / "models";  // outputs never go into an input's folder
    fs::create_directories(models_);
    const fs::path c = test::case_dir("isles22-strokecase0001");
    case_args_ = "--dwi " + q(c / "sub-strokecase0001_ses-0001_dwi.nii.gz") + " --adc " +
                 q(c / "sub-strokecase0001_ses-0001_adc.nii.gz") + " --subject model";
  }

  // Runs analyze quietly; returns the exit code, stdout and stderr.
  int analyze(const std::string& arguments, std::string& out, std::string& err) {
    const int code = test::run_strokefair(
        "-q analyze " + case_args_ + " " + arguments + " --out " + q(scratch_ / "out"),
        (scratch_ / "stdout.txt").string(), (scratch_ / "stderr.txt").string());
    out = read_text(scratch_ / "stdout.txt");
    err = read_text(scratch_ / "stderr.txt");
    return code;
  }

  // Expects exit code 3, exactly one error line naming `named` and `problem`, no outputs.
  void expect_refusal(const std::string& arguments, const std::string& named,
                      const std::string& problem) {
    std::string out, err;
    EXPECT_EQ(analyze(arguments, out, err), 3) << err;
    EXPECT_EQ(out, "");
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
    EXPECT_NE(err.find("error"), std::string::npos) << err;
    EXPECT_NE(err.find(named), std::string::npos) << err;
    EXPECT_NE(err.find(problem), std::string::npos) << err;
    EXPECT_FALSE(fs::exists(scratch_ / "out")) << "partial outputs left behind";
  }

  fs::path scratch_, models_;
  std::string case_args_;
};

TEST_F(AnalyzeModel, NetworkDecidesTheLesionMaskOfARealCase) {
  STROKEFAIR_REQUIRE_DATA("cases/isles22-strokecase0001");
  const fs::path model = models_ / "tiny.pt";
  if (!save_network(model, kThresholdNetwork)) GTEST_SKIP() << "built without libtorch";
  write_text(models_ / "tiny.json", kDescription.dump());
  std::string out, err;
  ASSERT_EQ(analyze("--model " + q(model), out, err), 0) << err;
  const json summary = json::parse(out);
  EXPECT_EQ(summary["segmentation_method"], "model");

  // The mask must be the network's rule applied to the case's own relative images.
  const fs::path c = test::case_dir("isles22-strokecase0001");
  const Image dwi = read_image(c / "sub-strokecase0001_ses-0001_dwi.nii.gz");
  const Image adc = read_image(c / "sub-strokecase0001_ses-0001_adc.nii.gz");  // 10^-3 mm²/s
  const double dwi_mode = summary["normal_tissue"]["dwi_mode"].get<double>();
  const double adc_mode = summary["normal_tissue"]["adc_mode_1e-6_mm2_per_s"].get<double>();
  const fs::path folder = scratch_ / "out/sub-model/dwi";
  const Mask brain = read_mask(folder / "sub-model_space-orig_desc-brain_mask.nii.gz");
  const Mask lesion = read_mask(folder / "sub-model_space-orig_label-L_desc-auto_mask.nii.gz");
  Mask expected(brain.geometry);
  for (std::size_t n = 0; n < expected.size(); ++n) {
    expected[n] = brain[n] && dwi[n] / dwi_mode >= 1.5 && adc[n] * 1000 / adc_mode < 0.8;
  }
  ASSERT_GT(count_nonzero(expected), 20u);
  // The modes in the summary are rounded, so voxels right at a threshold may differ.
  EXPECT_GE(compare_masks(lesion, expected).dice, 0.98);
  EXPECT_NEAR(summary["lesion_volume_ml"].get<double>(), volume_ml(expected), 0.05);
}

TEST_F(AnalyzeModel, BadModelFilesAndDescriptionsAreInputErrors) {
  STROKEFAIR_REQUIRE_DATA("cases/isles22-strokecase0001");
  write_text(models_ / "garbage.pt", "this is not a TorchScript archive");
  write_text(models_ / "garbage.json", kDescription.dump());
  write_text(models_ / "broken.json", "{\"channels\": [\"dwi\", ");
  expect_refusal("--model " + q(models_ / "absent.pt"), "absent.pt", "model file not found");
  expect_refusal(
      "--model " + q(models_ / "garbage.pt") + " --model-description " + q(models_ / "broken.json"),
      "broken.json", "not a JSON object");
  expect_refusal(
      "--model " + q(models_ / "garbage.pt") + " --model-description " + q(models_ / "absent.json"),
      "absent.json", "model description not found");
  if (!save_network(models_ / "probe.pt", kThresholdNetwork)) {
    GTEST_SKIP() << "built without libtorch: the model file itself is never opened";
  }
  expect_refusal("--model " + q(models_ / "garbage.pt"), "garbage.pt", "not a TorchScript model");
}
