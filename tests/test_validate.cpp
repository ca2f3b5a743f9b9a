// validate against the BIDS schema, and the official bids-validator 1.15.0 on an ingested
// dataset (zero errors required).
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "ingest_support.hpp"
#include "strokefair/bids/validate.hpp"

using namespace strokefair;
using namespace strokefair::test;
namespace fs = std::filesystem;

namespace {

const char* kSchema = "bids/schema-1.11.1.json";

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

bool has_issue(const std::vector<ValidationIssue>& issues, const std::string& file,
               const std::string& message) {
  for (const auto& i : issues) {
    if (i.file == file && i.message.find(message) != std::string::npos) return true;
  }
  return false;
}

fs::path bids_validator() {
  return fs::path(STROKEFAIR_BINARY).parent_path() /
         "bids-validator/node_modules/.bin/bids-validator";
}

}  // namespace

TEST(Validate, FindsNamingSidecarTableAndGzipProblems) {
  STROKEFAIR_REQUIRE_DATA(kSchema);
  const fs::path root = temp_dir("validate-bad") / "ds";
  write(root / "dataset_description.json", R"({"Name": "x"})");
  write(root / "participants.tsv", "\xEF\xBB\xBFparticipant_id\tage\nsub-01\t\n");
  write(root / "sub-01/ses-1/anat/sub-01_ses-1_T1w.nii.gz", "");
  write(root / "sub-01/ses-1/anat/sub-01_run-1_ses-1_T1w.json", "{}");
  write(root / "sub-01/ses-1/anat/sub-01_ses-1_T1x.json", "{}");
  write(root / "sub-01/ses-1/func/sub-01_ses-1_task-rest_bold.nii", "");
  write(root / "sub-01/ses-1/dwi/sub-01_ses-1_dwi.nii", "");
  write(root / "sub-02/ses-1/anat/sub-03_ses-1_T1w.json", "{}");
  write(root / "derivatives/lesions/dataset_description.json",
        R"({"Name": "l", "BIDSVersion": "1.11.1"})");

  const auto issues = validate_dataset(root, data_dir() / kSchema);
  EXPECT_TRUE(has_issue(issues, "dataset_description.json", "BIDSVersion"));
  EXPECT_TRUE(has_issue(issues, "participants.tsv", "byte-order mark"));
  EXPECT_TRUE(has_issue(issues, "participants.tsv", "empty cell"));
  EXPECT_TRUE(has_issue(issues, "participants.tsv", "not described"));
  EXPECT_TRUE(has_issue(issues, "participants.tsv", "sub-02 is not listed"));
  EXPECT_TRUE(has_issue(issues, "sub-01/ses-1/anat/sub-01_ses-1_T1w.nii.gz", "not gzip"));
  EXPECT_TRUE(
      has_issue(issues, "sub-01/ses-1/anat/sub-01_run-1_ses-1_T1w.json", "out of the BIDS order"));
  EXPECT_TRUE(has_issue(issues, "sub-01/ses-1/anat/sub-01_ses-1_T1x.json", "not a anat file"));
  EXPECT_TRUE(has_issue(issues, "sub-01/ses-1/func/sub-01_ses-1_task-rest_bold.nii", "TaskName"));
  EXPECT_TRUE(has_issue(issues, "sub-01/ses-1/dwi/sub-01_ses-1_dwi.nii", ".bval and .bvec"));
  EXPECT_TRUE(
      has_issue(issues, "sub-02/ses-1/anat/sub-03_ses-1_T1w.json", "does not match folder"));
  EXPECT_TRUE(has_issue(issues, "derivatives/lesions/dataset_description.json", "DatasetType"));
  EXPECT_EQ(run_strokefair("validate " + root.string()), 8);
  fs::remove_all(root.parent_path());
}

class IngestedDataset : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(shared_dicom() / "dcm_qa_deident/In")) GTEST_SKIP() << "shared DICOM absent";
    if (!fs::exists(data_dir() / kSchema)) GTEST_SKIP() << "BIDS schema absent";
    if (!have_program("dcm2niix")) GTEST_SKIP() << "dcm2niix not installed";
    dir_ = temp_dir("validate-ingested");
    dataset_ = dir_ / "bids";
    ASSERT_EQ(run_strokefair("ingest " + dicom_inputs() + " --bids " + dataset_.string() +
                             " --config " + example("site-mapping.json") + " --participants " +
                             example("clinical-example.csv")),
              0);
    // A derivative the way the analysis writes one, to check derivatives too.
    write(dataset_ / "derivatives/strokefair/dataset_description.json",
          R"({"Name": "lesions", "BIDSVersion": "1.11.1", "DatasetType": "derivative",
              "GeneratedBy": [{"Name": "strokefair"}]})");
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  fs::path dir_, dataset_;
};

TEST_F(IngestedDataset, OwnValidatorFindsNoProblem) {
  const auto issues = validate_dataset(dataset_, data_dir() / kSchema);
  for (const auto& i : issues) ADD_FAILURE() << i.file << ": " << i.message;
  EXPECT_EQ(run_strokefair("validate " + dataset_.string()), 0);
  EXPECT_EQ(
      run_strokefair("audit " + dataset_.string() + " --key " + (dir_ / "bids.key.json").string()),
      0);
}

TEST_F(IngestedDataset, OfficialBidsValidatorReportsZeroErrors) {
  if (!fs::exists(bids_validator()))
    GTEST_SKIP() << "bids-validator 1.15.0 not installed: run scripts/install-bids-validator.sh";
  const fs::path report = dir_ / "validator.json";
  shell(bids_validator().string() + " " + dataset_.string() + " --json > " + report.string());
  const auto doc = nlohmann::json::parse(file_bytes(report), nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << file_bytes(report).substr(0, 500);
  for (const auto& error : doc["issues"]["errors"]) ADD_FAILURE() << error.dump();
  EXPECT_EQ(doc["issues"]["errors"].size(), 0u);
}

TEST(Validate, DerivativeRootWithTransformEntitiesGivesWarningsOnly) {
  // from-/to-/mode- (fMRIPrep-style transforms) are not entities of the 1.11.1 schema.
  STROKEFAIR_REQUIRE_DATA(kSchema);
  const fs::path root = temp_dir("validate-derivative") / "strokefair";
  write(root / "dataset_description.json",
        R"({"Name": "d", "BIDSVersion": "1.11.1", "DatasetType": "derivative",
            "GeneratedBy": [{"Name": "strokefair"}]})");
  write(root / "sub-01/dwi/sub-01_space-orig_label-L_desc-auto_mask.json", "{}");
  write(root / "sub-01/dwi/sub-01_from-orig_to-MNI152NLin2009cSym_mode-image_xfm.txt", "1");
  const auto issues = validate_dataset(root, data_dir() / kSchema);
  ASSERT_EQ(issues.size(), 3u);
  for (const auto& i : issues) EXPECT_TRUE(i.warning) << i.message;
  EXPECT_EQ(run_strokefair("validate " + root.string()), 0);
  fs::remove_all(root.parent_path());
}
