// Building blocks of ingest on small inputs the tests write: NIfTI cleaning, gzip headers,
// classification, b-values, clinical tables, the key file.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zlib.h>

#include <cstring>
#include <fstream>

#include "strokefair/bids/participants.hpp"
#include "strokefair/core/error.hpp"
#include "strokefair/deid/nifti_deid.hpp"
#include "strokefair/deid/pseudonym_key.hpp"
#include "strokefair/deid/sidecar_allow_list.hpp"
#include "strokefair/deid/text.hpp"
#include "strokefair/ingest/series.hpp"
#include "test_support.hpp"

using namespace strokefair;
namespace fs = std::filesystem;

namespace {

// A 2x2x1 int16 NIfTI-1 with text in every free-text field and one header extension.
std::vector<char> nifti_with_text() {
  std::vector<char> bytes(352 + 16 + 8, 0);
  const std::int32_t header_size = 348;
  std::memcpy(bytes.data(), &header_size, 4);
  const std::int16_t dims[8] = {3, 2, 2, 1, 1, 1, 1, 1};
  std::memcpy(bytes.data() + 40, dims, sizeof dims);
  const float vox_offset = 368;
  std::memcpy(bytes.data() + 108, &vox_offset, 4);
  std::strcpy(bytes.data() + 4, "PATIENTX");
  std::strcpy(bytes.data() + 14, "DBNAME");
  std::strcpy(bytes.data() + 148, "TE=30;Time=134935.305");
  std::strcpy(bytes.data() + 228, "aux");
  std::strcpy(bytes.data() + 328, "intent");
  std::memcpy(bytes.data() + 344, "n+1", 4);
  bytes[348] = 1;  // an extension follows
  const std::int32_t extension[2] = {16, 0};
  std::memcpy(bytes.data() + 352, extension, 8);
  std::strcpy(bytes.data() + 360, "DOE^JO");
  for (int i = 0; i < 8; ++i) bytes[368 + i] = static_cast<char>(i + 1);
  return bytes;
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

ConvertedSeries sidecar_only(const nlohmann::json& raw, bool with_bval = false) {
  ConvertedSeries series;
  series.raw = raw;
  series.volumes = raw.value("volumes", 1);
  if (with_bval) series.bval = "x.bval", series.bvec = "x.bvec";
  return series;
}

}  // namespace

TEST(NiftiDeidentification, ClearsEveryTextFieldAndDropsExtensionsKeepingVoxels) {
  const auto cleaned = deidentify_nifti(nifti_with_text(), "test");
  ASSERT_EQ(cleaned.size(), 352u + 8u);
  for (std::size_t i = 148; i < 228 + 24; ++i) EXPECT_EQ(cleaned[i], 0) << "byte " << i;
  for (std::size_t i = 4; i < 32; ++i) EXPECT_EQ(cleaned[i], 0) << "byte " << i;
  for (std::size_t i = 328; i < 344; ++i) EXPECT_EQ(cleaned[i], 0) << "byte " << i;
  float vox_offset = 0;
  std::memcpy(&vox_offset, cleaned.data() + 108, 4);
  EXPECT_EQ(vox_offset, 352.0f);
  EXPECT_EQ(cleaned[348], 0);
  for (int i = 0; i < 8; ++i) EXPECT_EQ(cleaned[352 + i], i + 1);
}

TEST(NiftiDeidentification, RefusesWhatIsNotNifti1) {
  std::vector<char> not_nifti(400, 'x');
  EXPECT_THROW(deidentify_nifti(not_nifti, "test"), Error);
}

TEST(AnonymousGzip, HeaderHasNoNameNoCommentAndZeroTimeAndRoundTrips) {
  const fs::path dir = test::temp_dir("gzip");
  const fs::path path = dir / "image.nii.gz";
  const auto bytes = deidentify_nifti(nifti_with_text(), "test");
  write_anonymous_gzip(bytes, path);

  const GzipHeaderInfo header = read_gzip_header(path);
  EXPECT_TRUE(header.is_gzip);
  EXPECT_FALSE(header.has_name);
  EXPECT_FALSE(header.has_comment);
  EXPECT_EQ(header.mtime, 0u);
  EXPECT_EQ(read_nifti_bytes(path), bytes);
  const NiftiTextFields fields = read_nifti_text_fields(path);
  EXPECT_TRUE(fields.descrip.empty());
  EXPECT_FALSE(fields.has_extensions);
  fs::remove_all(dir);
}

TEST(SidecarAllowList, KeepsAcquisitionParametersAndDropsEverythingElse) {
  const nlohmann::json raw = {{"EchoTime", 0.03},          {"RepetitionTime", 3},
                              {"InstitutionName", "USC"},  {"StationName", "MRC35131"},
                              {"DeviceSerialNumber", "1"}, {"AcquisitionTime", "13:49:35"},
                              {"SeriesDescription", "x"},  {"ImageComments", "hello"},
                              {"PatientName", "A^B"},      {"SomethingNew", "site text"}};
  const auto kept = filter_sidecar(raw);
  EXPECT_EQ(kept.size(), 2u);
  EXPECT_EQ(kept["EchoTime"], 0.03);
  EXPECT_EQ(kept["RepetitionTime"], 3);
}

TEST(SeriesClassification, StandardContrastsFromTheirParameters) {
  using nlohmann::json;
  const std::vector<MappingRule> none;
  // GE IR-SPGR of the shared data: TE 2.8 ms, TR 7 ms, TI 400 ms.
  EXPECT_EQ(classify_series(
                sidecar_only(
                    {{"EchoTime", 0.002832}, {"RepetitionTime", 0.006964}, {"InversionTime", 0.4}}),
                none)
                .kind,
            SeriesClass::t1w);
  EXPECT_EQ(
      classify_series(
          sidecar_only({{"EchoTime", 0.09}, {"RepetitionTime", 9.0}, {"InversionTime", 2.5}}), none)
          .kind,
      SeriesClass::flair);
  EXPECT_EQ(classify_series(sidecar_only({{"EchoTime", 0.1}, {"RepetitionTime", 4.0}}), none).kind,
            SeriesClass::t2w);
  EXPECT_EQ(classify_series(
                sidecar_only({{"ImageType", {"DERIVED", "PRIMARY", "DIFFUSION", "ADC"}}}), none)
                .kind,
            SeriesClass::adc);
  EXPECT_EQ(classify_series(
                sidecar_only({{"ImageType", {"ORIGINAL", "PRIMARY", "DIFFUSION", "TRACEW"}}}), none)
                .kind,
            SeriesClass::trace);
  EXPECT_EQ(classify_series(sidecar_only({{"EchoTime", 0.07}}, true), none).kind, SeriesClass::dwi);
  EXPECT_EQ(classify_series(sidecar_only({{"Modality", "CT"}}), none).kind, SeriesClass::ct);
  EXPECT_EQ(classify_series(sidecar_only({{"SeriesDescription", "3-plane localizer"}}), none).kind,
            SeriesClass::localizer);
}

TEST(SeriesClassification, DiffusionWithoutBvaluesIsRefused) {
  const auto c = classify_series(sidecar_only({{"SeriesDescription", "ep2d_diff DWI"}}), {});
  EXPECT_EQ(c.kind, SeriesClass::dwi);
  EXPECT_TRUE(c.refused);
}

TEST(SeriesClassification, EpiTimeSeriesIsNotGuessedButMappingDecides) {
  const nlohmann::json raw = {{"ScanningSequence", "EP"},
                              {"ProtocolName", "ax_asc_35sl"},
                              {"EchoTime", 0.03},
                              {"RepetitionTime", 3},
                              {"volumes", 2}};
  EXPECT_EQ(classify_series(sidecar_only(raw), {}).kind, SeriesClass::unknown);
  MappingRule rule;
  rule.match["ProtocolName"] = "AX_*";  // case-insensitive glob
  rule.kind = SeriesClass::dsc;
  EXPECT_EQ(classify_series(sidecar_only(raw), {rule}).kind, SeriesClass::dsc);
}

TEST(Bvalues, PhilipsTinyBzeroBecomesZero) {
  const fs::path dir = test::temp_dir("bval");
  write_file(dir / "dwi.bval", "0 1000 1000 0.001 1000 0.004 1000.5\n");
  EXPECT_EQ(read_bvalues(dir / "dwi.bval"),
            (std::vector<double>{0, 1000, 1000, 0, 1000, 0, 1000.5}));
  fs::remove_all(dir);
}

TEST(Text, Utf8ValidationAndLatin1Repair) {
  EXPECT_TRUE(is_valid_utf8("M\xC3\xBCller"));
  EXPECT_FALSE(is_valid_utf8("M\xFCller"));
  EXPECT_EQ(repair_utf8_as_latin1("M\xFCller"), "M\xC3\xBCller");
  EXPECT_TRUE(glob_match("*asc_35sl", "AX_ASC_35SL"));
  EXPECT_FALSE(glob_match("fMRI_*", "ax_asc"));
}

class ClinicalTableErrors : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(ClinicalTableErrors, RefusedWithOneLineNamingTheProblemAndNoId) {
  const fs::path dir = test::temp_dir("clinical-bad");
  write_file(dir / "clinical.csv", GetParam().first);
  try {
    read_site_clinical_table(dir / "clinical.csv");
    ADD_FAILURE() << "accepted: " << GetParam().first;
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(e.code(), ExitCode::bad_input);
    EXPECT_NE(message.find(GetParam().second), std::string::npos) << message;
    EXPECT_NE(message.find("clinical.csv"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos);
    EXPECT_EQ(message.find("P0077"), std::string::npos) << "message quotes a patient ID";
  }
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(
    BadExports, ClinicalTableErrors,
    ::testing::Values(
        std::make_pair(std::string("\xEF\xBB\xBFpatient_id,age\nP0077,50\n"),
                       std::string("byte-order mark")),
        std::make_pair(std::string("patient_id,age,sex\nP0077,50,M\xFC\n"),
                       std::string("not UTF-8")),
        std::make_pair(std::string("patient_id,age\n,50\n"),
                       std::string("line 2: patient_id is missing")),
        std::make_pair(std::string("patient_id,age\nP0077,50\nP0077,51\n"),
                       std::string("line 3: a second row")),
        std::make_pair(std::string("patient_id,age,date_of_birth\nP0077,50,1970-01-01\n"),
                       std::string("column 'date_of_birth' is not a known clinical column")),
        std::make_pair(std::string("patient_id,sex\nP0077,X\n"), std::string("levels of sex")),
        std::make_pair(std::string("patient_id,age\nP0077,fifty\n"),
                       std::string("age is not a number")),
        std::make_pair(std::string("patient_id;age\nP0077;50\n"),
                       std::string("separated by semicolons"))));

TEST(SiteClinicalTable, AgesOver89BecomeNinetyIdsKeepLeadingZerosMissingIsNa) {
  const fs::path dir = test::temp_dir("clinical-good");
  write_file(dir / "clinical.tsv",
             "patient_id\tage\tsex\tnotes\n000123\t95\tf\tcalled the family\n0042\t045\t\tn/a\n");
  const SiteClinicalTable table = read_site_clinical_table(dir / "clinical.tsv");
  EXPECT_EQ(table.columns, (std::vector<std::string>{"age", "sex"}));
  EXPECT_EQ(table.dropped_free_text_columns, 1u);
  ASSERT_TRUE(table.rows.count("000123"));
  ASSERT_TRUE(table.rows.count("0042"));
  EXPECT_EQ(table.rows.at("000123").at("age"), "90");
  EXPECT_EQ(table.rows.at("000123").at("sex"), "F");
  EXPECT_EQ(table.rows.at("0042").at("age"), "45");
  EXPECT_EQ(table.rows.at("0042").at("sex"), "n/a");

  const std::string tsv = participants_tsv({{"000123", "AAAA2222"}, {"0042", "BBBB3333"}}, table);
  EXPECT_EQ(tsv, "participant_id\tage\tsex\nsub-AAAA2222\t90\tF\nsub-BBBB3333\t45\tn/a\n");
  const auto sidecar = participants_json(table);
  EXPECT_EQ(sidecar["age"]["Units"], "year");
  EXPECT_EQ(sidecar["sex"]["Levels"]["F"], "female");
  fs::remove_all(dir);
}

TEST(PseudonymKey, OwnerOnlyFileAndStablePseudonymsAcrossLoads) {
  const fs::path dir = test::temp_dir("key");
  PseudonymKey key;
  const std::string first = key.subject_for("000123").pseudonym;
  const std::string second = key.subject_for("0042").pseudonym;
  EXPECT_NE(first, second);
  EXPECT_EQ(first.size(), 8u);
  EXPECT_EQ(first.find("123"), std::string::npos);
  key.save(dir / "key.json");

  struct stat info {};
  ASSERT_EQ(::stat((dir / "key.json").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  PseudonymKey loaded = PseudonymKey::load(dir / "key.json");
  EXPECT_EQ(loaded.subject_for("000123").pseudonym, first);
  EXPECT_EQ(loaded.subject_for("0042").pseudonym, second);
  fs::remove_all(dir);
}
