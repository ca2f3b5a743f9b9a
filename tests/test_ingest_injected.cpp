// Identifiers injected with DCMTK into copies of the shared DICOM (names with non-ASCII and
// Latin-1 letters, IDs with leading zeros, ages, every date/time field, free text) never reach
// the dataset: not in names, file contents, decompressed images or gzip headers.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <tuple>

#include "ingest_support.hpp"

using namespace strokefair;
using namespace strokefair::test;
namespace fs = std::filesystem;

namespace {

struct Injection {
  std::string folder;  // under dcm_qa_*/In
  std::string patient_id;
  std::string age;
};

// Writes a bash script: the Latin-1 bytes are produced by printf, not by this source file.
void write_injection_script(const fs::path& script, const fs::path& files, const Injection& who) {
  std::ofstream out(script);
  out << "set -e\n"
      << "name=$(printf 'M\\374ller^Zo\\353 Fran\\347ois')\n"
      << "inst=$(printf 'Klinikum S\\374d')\n"
      << "dcmodify -nb -i '(0008,0005)=ISO_IR 100' -i \"(0010,0010)=$name\""
      << " -i '(0010,0020)=" << who.patient_id << "' -i '(0010,1000)=OTHERID778'"
      << " -i '(0010,1010)=" << who.age << "' -i '(0010,0030)=19290101'"
      << " -i '(0008,0020)=20240305' -i '(0008,0021)=20240305' -i '(0008,0022)=20240305'"
      << " -i '(0008,0023)=20240305' -i '(0008,0012)=20240305' -i '(0008,002a)=20240305101010'"
      << " -i '(0008,0030)=101010' -i '(0008,0031)=101010' -i '(0008,0032)=101010'"
      << " -i '(0008,0033)=101010' -i '(0008,0013)=101010'"
      << " -i '(0008,0050)=ACC98765' -i '(0008,0090)=Strange^Stephen'"
      << " -i '(0008,1070)=Operatorova^Olga' -i \"(0008,0080)=$inst\""
      << " -i '(0008,0081)=Hauptstrasse 12, Ulm' -i '(0010,1040)=Elm Street 5 Springfield'"
      << " -i '(0010,2154)=555-0199' -i '(0020,4000)=patient said hello'"
      << " -i '(0010,4000)=PATCOMMENTX' -i '(0008,1030)=STUDYDESCRX'"
      << " " << files.string() << "/*\n";
}

// Byte strings that must not appear anywhere in the dataset.
const std::vector<std::string>& forbidden() {
  static const std::vector<std::string> values = {
      "M\xC3\xBCller", "M\xFCller", "Zo\xC3\xAB", "Fran\xC3\xA7ois", "Fran\xE7ois", "000123",
      "0042", "OTHERID778", "19290101", "1929-01-01", "20240305", "2024-03-05", "10:10:10",
      "101010", "ACC98765", "Strange", "Operatorova", "Klinikum", "Hauptstrasse", "Springfield",
      "555-0199", "said hello", "PATCOMMENTX", "STUDYDESCRX", "095Y", "045Y", "006M",
      // Present in the original headers of the shared data.
      "Queens Medical", "Columbia", "MRC35131", "35131", "45190", "stc_test", "crlab", "1969-07-14",
      "19690714"};
  return values;
}

}  // namespace

class InjectedIdentifiers : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(shared_dicom() / "dcm_qa_deident/In")) GTEST_SKIP() << "shared DICOM absent";
    if (!have_program("dcm2niix") || !have_program("dcmodify"))
      GTEST_SKIP() << "dcm2niix or dcmodify (dcmtk) not installed";
    dir_ = temp_dir("ingest-injected");
    const std::vector<std::pair<std::string, Injection>> sources = {
        {"dcm_qa_subset/In/Orientation/ax/axasc35", {"ax", "0042", "095Y"}},
        {"dcm_qa_subset/In/Orientation/cor/corasc35", {"cor", "0007", "006M"}},
        {"dcm_qa_deident/In", {"ge", "000123", "045Y"}}};
    for (const auto& [source, who] : sources) {
      const fs::path files = dir_ / "dicom" / who.folder;
      fs::create_directories(files);
      for (const auto& e : fs::directory_iterator(shared_dicom() / source)) {
        if (e.path().filename().string().rfind("MR.", 0) == 0 || e.path().extension() == ".dcm")
          fs::copy_file(e.path(), files / e.path().filename());
      }
      ASSERT_EQ(shell("chmod -R u+w " + files.string()), 0);
      write_injection_script(dir_ / ("inject-" + who.folder + ".sh"), files, who);
      ASSERT_EQ(shell("bash " + (dir_ / ("inject-" + who.folder + ".sh")).string()), 0);
    }
    std::ofstream(dir_ / "clinical.csv") << "patient_id,age,sex\n000123,95,F\n0042,61,M\n";
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  fs::path dir_;
};

TEST_F(InjectedIdentifiers, TheInjectionWorksAndDcm2niixAloneLeaksThem) {
  // Control: without strokefair's filtering the identifiers do reach a converter's output, so
  // the test below is able to fail.
  const fs::path raw = dir_ / "raw";
  fs::create_directories(raw);
  ASSERT_EQ(
      shell("dcm2niix -b y -ba n -z y -o " + raw.string() + " " + (dir_ / "dicom/ax").string()), 0);
  std::string sidecars;
  for (const auto& e : fs::directory_iterator(raw))
    if (e.path().extension() == ".json") sidecars += file_bytes(e.path());
  EXPECT_NE(sidecars.find("ACC98765"), std::string::npos);
  EXPECT_NE(sidecars.find("M\xC3\xBCller"), std::string::npos);
  EXPECT_NE(sidecars.find("0042"), std::string::npos);
  EXPECT_NE(sidecars.find("2024-03-05"), std::string::npos);
  EXPECT_NE(sidecars.find("Hauptstrasse"), std::string::npos);
}

TEST_F(InjectedIdentifiers, NoneReachesTheDataset) {
  const fs::path dataset = dir_ / "bids";
  const fs::path out = dir_ / "stdout.txt", err = dir_ / "stderr.txt";
  ASSERT_EQ(run_strokefair("ingest " + (dir_ / "dicom").string() + " --bids " + dataset.string() +
                               " --config " + example("site-mapping.json") + " --participants " +
                               (dir_ / "clinical.csv").string(),
                           out.string(), err.string()),
            0)
      << file_bytes(err);
  // 2, not 3: the GE series images an object, not a head, and defacing refuses it.
  EXPECT_NE(file_bytes(out).find("series_written\t2"), std::string::npos) << file_bytes(out);

  std::size_t files = 0;
  for (const auto& e : fs::recursive_directory_iterator(dataset)) {
    const std::string relative = fs::relative(e.path(), dataset).string();
    for (const auto& value : forbidden())
      EXPECT_EQ(relative.find(value), std::string::npos) << relative;
    if (!e.is_regular_file()) continue;
    ++files;
    std::string bytes = file_bytes(e.path());
    if (e.path().extension() == ".gz") bytes += gunzip_bytes(e.path());
    for (const auto& value : forbidden())
      EXPECT_EQ(bytes.find(value), std::string::npos) << value << " in " << relative;
  }
  EXPECT_GE(files, 10u);

  // Nor do the logs carry them.
  for (const auto& value : forbidden()) {
    EXPECT_EQ(file_bytes(err).find(value), std::string::npos) << value << " in the log";
    EXPECT_EQ(file_bytes(out).find(value), std::string::npos) << value << " on stdout";
  }

  // The key keeps the leading zeros, and the CSV row of 000123 lands on that pseudonym.
  const auto key = nlohmann::json::parse(file_bytes(dir_ / "bids.key.json"));
  std::string ge;
  for (const auto& s : key["subjects"])
    if (s["original_id"] == "000123") ge = s["pseudonym"];
  ASSERT_FALSE(ge.empty());
  EXPECT_NE(file_bytes(dataset / "participants.tsv").find("sub-" + ge + "\t90\tF"),
            std::string::npos);

  // The audit, given the original DICOM, agrees.
  EXPECT_EQ(
      run_strokefair("audit " + dataset.string() + " --key " + (dir_ / "bids.key.json").string() +
                     " --dicom " + (dir_ / "dicom").string()),
      0);
}

TEST(IngestSessions, ExamsOfOnePatientBecomeSessionsInTimeOrderWithoutDates) {
  // The later exam is ingested first; session numbers still follow acquisition time.
  if (!fs::exists(shared_dicom() / "dcm_qa_subset/In")) GTEST_SKIP() << "shared DICOM absent";
  if (!have_program("dcm2niix") || !have_program("dcmodify"))
    GTEST_SKIP() << "dcm2niix or dcmodify (dcmtk) not installed";
  const fs::path dir = temp_dir("ingest-sessions");
  const std::vector<std::tuple<std::string, std::string, std::string>> exams = {
      {"ax", "20240306", "1.2.826.0.1.3680043.2.1125.1"},
      {"cor", "20240305", "1.2.826.0.1.3680043.2.1125.2"}};
  for (const auto& [orientation, date, study] : exams) {
    const fs::path files = dir / "dicom" / orientation;
    fs::create_directories(files);
    const auto source =
        shared_dicom() / "dcm_qa_subset/In/Orientation" / orientation / (orientation + "asc35");
    for (const auto& e : fs::directory_iterator(source)) {
      if (e.path().filename().string().rfind("MR.", 0) == 0)
        fs::copy_file(e.path(), files / e.path().filename());
    }
    ASSERT_EQ(shell("chmod u+w " + files.string() + "/* && dcmodify -nb -i \"(0010,0020)=P1\" " +
                    "-i \"(0020,000d)=" + study + "\" -i \"(0008,0020)=" + date + "\" " +
                    "-i \"(0008,0022)=" + date + "\" -i \"(0008,002a)=" + date + "120000\" " +
                    files.string() + "/*"),
              0);
  }
  const fs::path dataset = dir / "bids";
  const std::string mapping = " --config " + example("site-mapping.json");
  ASSERT_EQ(run_strokefair("ingest " + (dir / "dicom/ax").string() + " --bids " + dataset.string() +
                           mapping),
            0);
  ASSERT_EQ(run_strokefair("ingest " + (dir / "dicom").string() + " --bids " + dataset.string() +
                           mapping),
            0);

  const auto key = nlohmann::json::parse(file_bytes(dir / "bids.key.json"));
  ASSERT_EQ(key["subjects"].size(), 1u);
  const std::string subject = "sub-" + key["subjects"][0]["pseudonym"].get<std::string>();
  // The ax exam came first in the run order, so it keeps ses-1 (never renumbered); the cor
  // exam is added as ses-2 although it is older: existing sessions are never renumbered.
  EXPECT_TRUE(fs::exists(dataset / subject / "ses-1/func" /
                         (subject + "_ses-1_task-orientation_bold.nii.gz")));
  EXPECT_TRUE(fs::exists(dataset / subject / "ses-2/func" /
                         (subject + "_ses-2_task-orientation_bold.nii.gz")));

  // Ingested together, the older exam (cor, whose study UID sorts last) gets ses-1.
  const fs::path together = dir / "together";
  ASSERT_EQ(run_strokefair("ingest " + (dir / "dicom").string() + " --bids " + together.string() +
                           mapping),
            0);
  const auto key2 = nlohmann::json::parse(file_bytes(dir / "together.key.json"));
  for (const auto& session : key2["subjects"][0]["sessions"]) {
    const std::string uid = session["study_uid"];
    EXPECT_EQ(session["number"].get<int>(), uid.back() == '2' ? 1 : 2) << uid;
  }
  fs::remove_all(dir);
}
