// Ingest of the shared real DICOM: layout, de-identification, participants, idempotence,
// incremental additions, refusals that leave nothing half-written.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "ingest_support.hpp"
#include "strokefair/deid/nifti_deid.hpp"

using namespace strokefair;
using namespace strokefair::test;
namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& p) { return file_bytes(p); }

nlohmann::json read_json(const fs::path& p) { return nlohmann::json::parse(read_all(p)); }

std::string ingest_args(const fs::path& dataset, const std::string& inputs,
                        const std::string& extra = "") {
  return "ingest " + inputs + " --bids " + dataset.string() + " --config " +
         example("site-mapping.json") + " " + extra;
}

}  // namespace

class SharedDicomIngest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(shared_dicom() / "dcm_qa_deident/In")) GTEST_SKIP() << "shared DICOM absent";
    if (!have_program("dcm2niix")) GTEST_SKIP() << "dcm2niix not installed";
    dir_ = temp_dir("ingest-shared");
    dataset_ = dir_ / "bids";
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  fs::path dir_, dataset_;
};

TEST_F(SharedDicomIngest, WritesThreeSubjectsWithCorrectSuffixesAndPhilipsBzeroAsZero) {
  const fs::path out = dir_ / "stdout.txt";
  ASSERT_EQ(run_strokefair(ingest_args(dataset_, dicom_inputs(),
                                       "--participants " + example("clinical-example.csv")),
                           out.string()),
            0);
  const std::string report = read_all(out);
  // The GE IR-SPGR images an object, not a head: its defacing cannot be verified, so it is
  // left out (tests/test_deface.cpp); the other 6 series are written.
  EXPECT_NE(report.find("series_written\t6"), std::string::npos) << report;
  EXPECT_NE(report.find("series_left_out\t"), std::string::npos) << report;
  EXPECT_NE(report.find("new_subjects\t3"), std::string::npos) << report;
  // notes.txt, rorden_test.txt and a dcm2niix .nii sit among the shared DICOM.
  EXPECT_NE(report.find("non_dicom_files_skipped\t3"), std::string::npos) << report;

  std::size_t t1w = 0, dwi = 0, bold = 0;
  fs::path bval;
  for (const auto& e : fs::recursive_directory_iterator(dataset_)) {
    const std::string name = e.path().filename().string();
    if (name.find("_T1w.nii.gz") != std::string::npos) ++t1w;
    if (name.find("_dwi.nii.gz") != std::string::npos) ++dwi;
    if (name.find("_bold.nii.gz") != std::string::npos) ++bold;
    if (name.find("_dwi.bval") != std::string::npos) bval = e.path();
  }
  EXPECT_EQ(t1w, 0u);  // the GE object, refused by defacing verification
  EXPECT_EQ(dwi, 1u);
  EXPECT_EQ(bold, 5u);
  ASSERT_FALSE(bval.empty());
  // dcm2niix writes 0 0.001 ... 0.004 for the five Philips b=0 volumes.
  EXPECT_EQ(read_all(bval),
            "0 1000 1000 1000 0 1000 1000 1000 0 1000 1000 1000 0 1000 1000 1000 0\n");

  const auto key_path = dir_ / "bids.key.json";
  struct stat info {};
  ASSERT_EQ(::stat(key_path.c_str(), &info), 0) << "key file beside the dataset";
  EXPECT_EQ(info.st_mode & 0777, 0600);
  const auto key = read_json(key_path);
  std::map<std::string, std::string> pseudonym_of;
  for (const auto& s : key["subjects"]) pseudonym_of[s["original_id"]] = s["pseudonym"];
  ASSERT_EQ(pseudonym_of.size(), 3u);

  // The example CSV gives FRUIT (the GE patient) age 95: written as 90.
  const std::string participants = read_all(dataset_ / "participants.tsv");
  EXPECT_NE(participants.find("sub-" + pseudonym_of["FRUIT"] + "\t90\tF"), std::string::npos)
      << participants;
  EXPECT_EQ(participants.find("notes"), std::string::npos);
  EXPECT_EQ(participants.rfind("participant_id", 0), 0u) << "no BOM, participant_id first";
}

TEST_F(SharedDicomIngest, ReRunIsByteIdenticalAndInputIsUntouched) {
  const auto input_before = tree_hashes(shared_dicom());
  ASSERT_EQ(run_strokefair(ingest_args(dataset_, dicom_inputs())), 0);
  const auto first = tree_hashes(dataset_);
  const auto key_first = sha256_file(dir_ / "bids.key.json");
  const fs::path out = dir_ / "stdout.txt";
  ASSERT_EQ(run_strokefair(ingest_args(dataset_, dicom_inputs()), out.string()), 0);
  EXPECT_EQ(tree_hashes(dataset_), first);
  EXPECT_EQ(sha256_file(dir_ / "bids.key.json"), key_first);
  // 6: the GE object is refused by defacing verification on each run and never present.
  EXPECT_NE(read_all(out).find("series_already_present\t6"), std::string::npos);
  EXPECT_EQ(tree_hashes(shared_dicom()), input_before);
  for (const auto& e : fs::directory_iterator(dir_))
    EXPECT_EQ(e.path().filename().string().find(".strokefair-staging"), std::string::npos);
}

TEST_F(SharedDicomIngest, NewExamsAreAddedWithoutRenumberingOrChangingExistingFiles) {
  const auto philips = (shared_dicom() / "dcm_qa_philips_dwi/In").string();
  ASSERT_EQ(run_strokefair(ingest_args(dataset_, philips)), 0);
  const auto first = tree_hashes(dataset_);
  const std::string pseudonym =
      read_json(dir_ / "bids.key.json")["subjects"][0]["pseudonym"].get<std::string>();

  ASSERT_EQ(run_strokefair(ingest_args(dataset_, dicom_inputs())), 0);
  const auto second = tree_hashes(dataset_);
  for (const auto& [path, hash] : first) {
    if (path == "CHANGES" || path == "participants.tsv") continue;
    ASSERT_TRUE(second.count(path)) << path;
    EXPECT_EQ(second.at(path), hash) << path;
  }
  const auto key = read_json(dir_ / "bids.key.json");
  EXPECT_EQ(key["subjects"].size(), 3u);
  EXPECT_EQ(key["subjects"][0]["pseudonym"], pseudonym);
  const std::string changes = read_all(dataset_ / "CHANGES");
  EXPECT_EQ(changes.rfind("1.0.1\n", 0), 0u) << changes;
  EXPECT_NE(changes.find("\n1.0.0\n"), std::string::npos) << changes;
}

TEST_F(SharedDicomIngest, DiffusionWithoutBvaluesIsRefusedAndNothingIsWritten) {
  const fs::path mapping = dir_ / "mapping.json";
  std::ofstream(mapping) << R"({"series": [{"match": {"ProtocolName": "ax_asc_35sl"},
                                            "class": "dwi"}]})";
  const fs::path err = dir_ / "stderr.txt";
  const std::string input = (shared_dicom() / "dcm_qa_subset/In").string();
  EXPECT_EQ(run_strokefair("ingest " + input + " --bids " + dataset_.string() + " --config " +
                               mapping.string(),
                           "/dev/null", err.string()),
            3);
  EXPECT_NE(read_all(err).find("series 6: diffusion series without b-values"), std::string::npos)
      << read_all(err);
  EXPECT_FALSE(fs::exists(dataset_));
  EXPECT_FALSE(fs::exists(dir_ / "bids.key.json"));
}

TEST_F(SharedDicomIngest, BadClinicalTableIsRefusedBeforeAnythingIsWritten) {
  const fs::path csv = dir_ / "clinical.csv";
  std::ofstream(csv) << "\xEF\xBB\xBFpatient_id,age\nFRUIT,50\n";
  const fs::path err = dir_ / "stderr.txt";
  EXPECT_EQ(run_strokefair(ingest_args(dataset_, dicom_inputs(), "--participants " + csv.string()),
                           "/dev/null", err.string()),
            3);
  const std::string message = read_all(err);
  EXPECT_NE(message.find("clinical.csv: starts with a byte-order mark"), std::string::npos)
      << message;
  EXPECT_FALSE(fs::exists(dataset_));
  EXPECT_FALSE(fs::exists(dir_ / "bids.key.json"));
}

TEST_F(SharedDicomIngest, ExistingFolderThatIsNotBidsIsNotOverwritten) {
  fs::create_directories(dataset_);
  std::ofstream(dataset_ / "mine.txt") << "keep";
  EXPECT_EQ(run_strokefair(ingest_args(dataset_, dicom_inputs())), 5);
  EXPECT_EQ(read_all(dataset_ / "mine.txt"), "keep");
}

TEST_F(SharedDicomIngest, DamagedDicomFileIsCountedAsNotConverted) {
  // dcm2niix drops a truncated file silently and converts the rest; ingest must say so.
  const fs::path input = dir_ / "dicom";
  fs::create_directories(input);
  for (const auto& e :
       fs::directory_iterator(shared_dicom() / "dcm_qa_subset/In/Orientation/ax/axasc35")) {
    if (e.path().filename().string().rfind("MR.", 0) == 0)
      fs::copy_file(e.path(), input / e.path().filename());
  }
  ASSERT_EQ(shell("chmod u+w " + input.string() + "/* && f=$(ls " + input.string() +
                  "/MR* | head -1) && truncate -s 2000 $f"),
            0);
  const fs::path out = dir_ / "stdout.txt";
  ASSERT_EQ(run_strokefair(ingest_args(dataset_, input.string()), out.string()), 0);
  EXPECT_NE(read_all(out).find("dicom_files_not_converted\t1"), std::string::npos) << read_all(out);
}

TEST_F(SharedDicomIngest, KeyInsideTheDatasetOrDatasetInsideTheInputIsRefused) {
  const std::string philips = (shared_dicom() / "dcm_qa_philips_dwi/In").string();
  EXPECT_EQ(
      run_strokefair(ingest_args(dataset_, philips, "--key " + (dataset_ / "key.json").string())),
      2);
  EXPECT_FALSE(fs::exists(dataset_));

  const fs::path input = dir_ / "export";
  fs::create_directories(input);
  EXPECT_EQ(run_strokefair(ingest_args(input / "bids", input.string())), 2);
  EXPECT_FALSE(fs::exists(input / "bids"));
}
