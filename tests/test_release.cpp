// release: refuses a dataset that fails a check, writes a BagIt bag whose manifests re-verify
// (and catch a tampered file), never changes a released version, and lists exactly what
// changed in the next release.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "head_dicom_support.hpp"
#include "ingest_support.hpp"
#include "strokefair/release/bagit.hpp"
#include "strokefair/release/release.hpp"

using namespace strokefair;
using namespace strokefair::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

json read_json(const fs::path& path) { return json::parse(file_bytes(path)); }

fs::path first_file(const fs::path& root, const std::string& ending) {
  std::vector<fs::path> found;
  for (const auto& e : fs::recursive_directory_iterator(root)) {
    const std::string name = e.path().filename().string();
    if (name.size() >= ending.size() &&
        name.compare(name.size() - ending.size(), ending.size(), ending) == 0)
      found.push_back(e.path());
  }
  std::sort(found.begin(), found.end());
  return found.empty() ? fs::path() : found.front();
}

std::string relative_to(const fs::path& path, const fs::path& root) {
  return fs::relative(path, root).generic_string();
}

// What defacing records in a head image's sidecar (DICOM code 113102).
void record_defacing(const fs::path& sidecar) {
  json doc = read_json(sidecar);
  doc["DeidentificationMethodCodeSequence"].push_back(
      {{"CodeValue", "113102"},
       {"CodingSchemeDesignator", "DCM"},
       {"CodeMeaning", "Clean Recognizable Visual Features Option"}});
  write(sidecar, doc.dump(2));
}

}  // namespace

class ReleaseOfIngestedDicom : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string missing = missing_for_example_ingest(); !missing.empty()) {
      GTEST_SKIP() << missing;
    }
    dir_ = temp_dir("release");
    dataset_ = dir_ / "bids";
    releases_ = dir_ / "bids-releases";
    ASSERT_EQ(ingest_example(dir_, dataset_), 0);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // The curator's part: metadata DataCite needs, and the defacing record of the T1.
  void complete_dataset() {
    json description = read_json(dataset_ / "dataset_description.json");
    description["Authors"] = {"Ada Lovelace", "Alan Turing"};
    description["License"] = "CC0";
    description["Funding"] = {"Example Foundation grant 42"};
    description["ReferencesAndLinks"] = {"https://doi.org/10.1038/sdata.2016.44",
                                         "https://example.org/protocol"};
    description["DatasetDOI"] = "doi:10.5281/zenodo.0000001";
    write(dataset_ / "dataset_description.json", description.dump(2));
    record_defacing(first_file(dataset_, "_T1w.json"));
  }

  int release(const std::string& version, const std::string& out = "/dev/null") {
    return run_strokefair("release " + dataset_.string() + " --version " + version +
                              " --releases " + releases_.string() + " --date 2026-12-04 --key " +
                              (dir_ / "bids.key.json").string(),
                          out);
  }

  fs::path dir_, dataset_, releases_;
};

TEST_F(ReleaseOfIngestedDicom, RefusesUntilChecksPassThenBagsVerifiesAndListsChanges) {
  // Ingest defaced the T1; a T1 that entered without it (by hand, or from an older tool) is
  // what the defacing check must catch, so its record is taken away here.
  const fs::path t1_sidecar = first_file(dataset_, "_T1w.json");
  ASSERT_FALSE(t1_sidecar.empty());
  json t1 = read_json(t1_sidecar);
  json kept = json::array();
  for (const auto& code : t1["DeidentificationMethodCodeSequence"])
    if (code["CodeValue"] != "113102") kept.push_back(code);
  t1["DeidentificationMethodCodeSequence"] = kept;
  fs::permissions(t1_sidecar, fs::perms::owner_write, fs::perm_options::add);
  write(t1_sidecar, t1.dump(2));

  // No Authors/License, no defacing record on the T1 -> refused, nothing made.
  const fs::path refusal = dir_ / "refusal.txt";
  EXPECT_EQ(release("1.0.0", refusal.string()), 8);
  const std::string reasons = file_bytes(refusal);
  EXPECT_NE(reasons.find("defacing\t"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("metadata\tdataset_description.json: Authors"), std::string::npos);
  EXPECT_EQ(reasons.find("validate\t"), std::string::npos) << reasons;
  EXPECT_EQ(reasons.find("audit\t"), std::string::npos) << reasons;
  EXPECT_FALSE(fs::exists(releases_ / "v1.0.0"));

  complete_dataset();
  ASSERT_EQ(release("1.0.0"), 0);
  const fs::path v1 = releases_ / "v1.0.0";
  for (const char* tag : {"bagit.txt", "bag-info.txt", "manifest-sha256.txt",
                          "tagmanifest-sha256.txt", "metadata/datacite.json", "data/CHANGES"})
    EXPECT_TRUE(fs::exists(v1 / tag)) << tag;
  EXPECT_TRUE(verify_bag(v1).empty());
  EXPECT_EQ(run_strokefair("release --verify " + v1.string()), 0);
  // The manifest covers every dataset file, byte for byte.
  const auto manifest = read_bag_manifest(v1 / "manifest-sha256.txt");
  const auto dataset_hashes = tree_hashes(dataset_);
  EXPECT_EQ(manifest.size(), dataset_hashes.size());
  for (const auto& [path, hash] : dataset_hashes) EXPECT_EQ(manifest.at("data/" + path), hash);
  EXPECT_EQ(file_bytes(dataset_ / "CHANGES").rfind("1.0.0\n  - Initial release: ", 0), 0u);

  const json attributes = read_json(v1 / "metadata/datacite.json")["data"]["attributes"];
  EXPECT_EQ(attributes["doi"], "10.5281/zenodo.0000001");
  EXPECT_EQ(attributes["creators"][1]["name"], "Alan Turing");
  EXPECT_EQ(attributes["rightsList"][0]["rights"], "CC0");
  EXPECT_EQ(attributes["fundingReferences"][0]["funderName"], "Example Foundation grant 42");
  EXPECT_EQ(attributes["relatedIdentifiers"][0]["relatedIdentifier"], "10.1038/sdata.2016.44");
  EXPECT_EQ(attributes["version"], "1.0.0");

  // A released version is never made again, nor an older one after it.
  EXPECT_EQ(release("1.0.0"), 5);
  EXPECT_EQ(release("0.9.0"), 2);
  EXPECT_EQ(release("1.0"), 2);

  // Tampering with a copy of the bag is caught, file named.
  const fs::path tampered = dir_ / "tampered";
  fs::copy(v1, tampered, fs::copy_options::recursive);
  const fs::path victim = first_file(tampered / "data", "_T1w.json");
  fs::permissions(victim, fs::perms::owner_write, fs::perm_options::add);
  write(victim, file_bytes(victim) + " ");
  const fs::path verdict = dir_ / "verdict.txt";
  EXPECT_EQ(run_strokefair("release --verify " + tampered.string(), verdict.string()), 8);
  EXPECT_NE(file_bytes(verdict).find("data/" + relative_to(victim, tampered / "data") +
                                     ": checksum differs"),
            std::string::npos)
      << file_bytes(verdict);

  // Changes for 1.1.0: one file added, one changed, one series (image + sidecar) withdrawn.
  write(dataset_ / "LICENSE", "CC0 1.0 Universal\n");
  std::vector<fs::path> bold_images;
  for (const auto& e : fs::recursive_directory_iterator(dataset_)) {
    if (e.path().filename().string().find("_bold.nii.gz") != std::string::npos)
      bold_images.push_back(e.path());
  }
  std::sort(bold_images.begin(), bold_images.end());
  ASSERT_GE(bold_images.size(), 2u);
  const auto sidecar_of = [](fs::path image) {
    return image.replace_extension("").replace_extension(".json");
  };
  const fs::path changed_json = sidecar_of(bold_images.back());
  json bold = read_json(changed_json);
  bold["TaskDescription"] = "eyes closed";
  write(changed_json, bold.dump(2));
  std::vector<std::string> changed = {relative_to(changed_json, dataset_)};
  const fs::path withdrawn_image = bold_images.front();
  std::vector<std::string> withdrawn = {relative_to(withdrawn_image, dataset_),
                                        relative_to(sidecar_of(withdrawn_image), dataset_)};
  fs::remove(withdrawn_image);
  fs::remove(sidecar_of(withdrawn_image));
  // A scans table that lists the withdrawn image changes too.
  for (const auto& e : fs::recursive_directory_iterator(dataset_)) {
    if (e.path().filename().string().find("_scans.tsv") == std::string::npos) continue;
    const std::string text = file_bytes(e.path());
    const std::string name = withdrawn_image.filename().string();
    if (text.find(name) == std::string::npos) continue;
    std::istringstream lines(text);
    std::string kept;
    for (std::string line; std::getline(lines, line);)
      if (line.find(name) == std::string::npos) kept += line + "\n";
    write(e.path(), kept);
    changed.push_back(relative_to(e.path(), dataset_));
  }
  std::sort(changed.begin(), changed.end());
  std::sort(withdrawn.begin(), withdrawn.end());

  const fs::path entry_file = dir_ / "entry.txt";
  ASSERT_EQ(release("1.1.0", entry_file.string()), 0) << file_bytes(entry_file);
  std::string expected = "1.1.0\n  - Since 1.0.0:\n  - Added 1 file:\n    - LICENSE\n";
  const auto list = [&](const std::string& verb, const std::vector<std::string>& files) {
    if (files.empty()) return;
    expected += "  - " + verb + " " + std::to_string(files.size()) +
                (files.size() == 1 ? " file:\n" : " files:\n");
    for (const auto& f : files) expected += "    - " + f + "\n";
  };
  list("Changed", changed);
  list("Withdrawn", withdrawn);
  expected += "\n";
  EXPECT_EQ(file_bytes(entry_file), expected);
  EXPECT_EQ(file_bytes(dataset_ / "CHANGES").rfind(expected, 0), 0u);
  EXPECT_NE(file_bytes(dataset_ / "CHANGES").find("1.0.0\n  - Initial release"), std::string::npos);

  // Both versions intact; 1.0.0 still holds the withdrawn image.
  EXPECT_TRUE(verify_bag(v1).empty());
  EXPECT_TRUE(verify_bag(releases_ / "v1.1.0").empty());
  EXPECT_TRUE(fs::exists(v1 / "data" / withdrawn.front()));
  EXPECT_EQ(release("1.2.0"), 2) << "nothing changed since 1.1.0";
}

TEST_F(ReleaseOfIngestedDicom, DatasetThatFailsAuditIsNotReleased) {
  complete_dataset();
  const fs::path sidecar = first_file(dataset_, "_bold.json");
  json doc = read_json(sidecar);
  doc["AcquisitionDateTime"] = "2024-03-05T10:10:10";
  write(sidecar, doc.dump(2));
  const std::string changes_before = file_bytes(dataset_ / "CHANGES");
  const fs::path out = dir_ / "out.txt";
  EXPECT_EQ(release("1.0.0", out.string()), 8);
  EXPECT_NE(file_bytes(out).find("audit\t" + relative_to(sidecar, dataset_)), std::string::npos)
      << file_bytes(out);
  EXPECT_FALSE(fs::exists(releases_ / "v1.0.0"));
  EXPECT_EQ(file_bytes(dataset_ / "CHANGES"), changes_before);
}
