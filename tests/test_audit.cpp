// The audit finds each kind of identifier in a small dataset the test writes, and reports
// the kind, never the value.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "ingest_support.hpp"
#include "strokefair/audit/audit.hpp"
#include "strokefair/deid/nifti_deid.hpp"

using namespace strokefair;
using namespace strokefair::test;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

bool found(const std::vector<Finding>& findings, const std::string& file,
           const std::string& problem) {
  for (const auto& f : findings) {
    if (f.file == file && f.problem.find(problem) != std::string::npos) return true;
  }
  return false;
}

// A clean minimal dataset: the audit must find nothing in it.
fs::path clean_dataset(const std::string& name) {
  const fs::path root = temp_dir(name) / "ds";
  write(root / "dataset_description.json", R"({"Name": "Stroke", "BIDSVersion": "1.11.1"})");
  write(root / "participants.tsv", "participant_id\tage\nsub-ABCD2345\t90\n");
  write(root / "sub-ABCD2345/ses-1/anat/sub-ABCD2345_ses-1_T1w.json",
        R"({"EchoTime": 0.003, "ConversionSoftwareVersion": "v1.0.20220720"})");
  return root;
}

}  // namespace

TEST(Audit, CleanDatasetHasNoFindings) {
  const fs::path root = clean_dataset("audit-clean");
  EXPECT_TRUE(audit_dataset(root, {"000123", "Mueller"}).empty());
  EXPECT_EQ(run_strokefair("audit " + root.string()), 0);
  fs::remove_all(root.parent_path());
}

TEST(Audit, FindsEachKindOfIdentifier) {
  const fs::path root = clean_dataset("audit-dirty");
  const std::string anat = "sub-ABCD2345/ses-1/anat/";
  write(root / (anat + "sub-ABCD2345_ses-1_T2w.json"),
        R"({"InstitutionName": "St Elsewhere", "AcquisitionDateTime": "2024-03-05T10:10:10",
            "Note": "call 555-123-4567 or jo@example.org", "Who": "DOE^JOHN",
            "Age": "095Y", "Where": "Hauptstrasse 12"})");
  write(root / "participants.tsv", "participant_id\tage\nsub-ABCD2345\t95\n");
  write(root / "README", "Scanned 2024-03-05 for patient 000123.\n");
  write(root / ".cache/index", "x");
  write(root / "sub-000123_notes.txt", "x");

  // A NIfTI with text left in descrip, gzip with a name and a time stamp.
  std::vector<char> nifti(352 + 8, 0);
  const std::int32_t size = 348;
  std::memcpy(nifti.data(), &size, 4);
  const float offset = 352;
  std::memcpy(nifti.data() + 108, &offset, 4);
  std::memcpy(nifti.data() + 344, "n+1", 4);
  std::strcpy(nifti.data() + 148, "Time=101010");
  const fs::path image = root / (anat + "sub-ABCD2345_ses-1_T2w.nii.gz");
  write_anonymous_gzip(nifti, image);
  ASSERT_EQ(
      shell("cd " + image.parent_path().string() + " && gunzip -c " + image.filename().string() +
            " > raw.nii && gzip -c raw.nii > " + image.filename().string() +
            " && rm raw.nii && touch -d 2020-01-01 " + image.filename().string()),
      0);
  ASSERT_EQ(shell("cd " + image.parent_path().string() + " && cp " + image.filename().string() +
                  " x.nii && gzip -f x.nii && mv x.nii.gz sub-ABCD2345_ses-1_FLAIR.nii.gz"),
            0);

  const auto findings = audit_dataset(root, {"000123"});
  const std::string json = anat + "sub-ABCD2345_ses-1_T2w.json";
  EXPECT_TRUE(found(findings, json, "identifiers or clock times"));
  EXPECT_TRUE(found(findings, json, "date"));
  EXPECT_TRUE(found(findings, json, "phone"));
  EXPECT_TRUE(found(findings, json, "e-mail"));
  EXPECT_TRUE(found(findings, json, "person name"));
  EXPECT_TRUE(found(findings, json, "age over 89"));
  EXPECT_TRUE(found(findings, json, "street address"));
  EXPECT_TRUE(found(findings, "participants.tsv", "not aggregated"));
  EXPECT_TRUE(found(findings, "README", "original identifying value"));
  EXPECT_TRUE(found(findings, "README", "date"));
  EXPECT_TRUE(found(findings, ".cache", "hidden"));
  EXPECT_TRUE(found(findings, "sub-000123_notes.txt", "original identifying value"));
  EXPECT_TRUE(found(findings, anat + "sub-ABCD2345_ses-1_T2w.nii.gz", "not empty"));
  EXPECT_TRUE(found(findings, anat + "sub-ABCD2345_ses-1_FLAIR.nii.gz", "file name"));
  EXPECT_TRUE(found(findings, anat + "sub-ABCD2345_ses-1_FLAIR.nii.gz", "time stamp"));
  for (const auto& f : findings) {
    EXPECT_EQ(f.problem.find("000123"), std::string::npos);
    EXPECT_EQ(f.problem.find("DOE"), std::string::npos);
  }

  const fs::path out = root.parent_path() / "out.txt";
  EXPECT_EQ(run_strokefair("audit " + root.string(), out.string()), 8);
  EXPECT_NE(file_bytes(out).find("InstitutionName"), std::string::npos);
  fs::remove_all(root.parent_path());
}

TEST(Audit, UnitsAndBinaryFilesAreNotMistakenForIdentifiers) {
  // "10^-6 mm^2/s" has carets but is no person name; a PNG's bytes match patterns by chance.
  const fs::path root = clean_dataset("audit-units");
  write(root / "derivatives/x/sub-ABCD2345/dwi/sub-ABCD2345_desc-x_stats.json",
        R"({"warnings": ["ADC in 10^-6 mm^2/s"]})");
  std::string png = "\x89PNG\r\n\x1a\n";
  png += std::string(1, '\0') + "ab^cd 1995Y x@y.org";
  write(root / "derivatives/x/sub-ABCD2345/dwi/sub-ABCD2345_desc-qc_dwi.png", png);
  EXPECT_TRUE(audit_dataset(root, {}).empty());
  fs::remove_all(root.parent_path());
}
