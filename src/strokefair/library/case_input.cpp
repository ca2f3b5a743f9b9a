// Finding lesion masks and case ids in analysis folders and mask folders.
#include "strokefair/library/case_input.hpp"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "strokefair/core/error.hpp"
#include "strokefair/deid/text.hpp"
#include "strokefair/io/image_io.hpp"

namespace strokefair {

namespace fs = std::filesystem;

namespace {

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string with_prefix(const std::string& value, const std::string& prefix) {
  return value.rfind(prefix, 0) == 0 ? value : prefix + value;
}

CaseSource case_from_summary(const fs::path& summary_path, const fs::path& analysis_dir) {
  std::ifstream in(summary_path);
  nlohmann::json summary;
  try {
    in >> summary;
  } catch (const std::exception& e) {
    throw input_error(summary_path.string(), std::string("is not valid JSON: ") + e.what());
  }
  if (!summary.contains("subject") || !summary["subject"].is_string()) {
    throw input_error(summary_path.string(), "has no \"subject\"");
  }
  CaseSource source;
  source.id = with_prefix(summary["subject"].get<std::string>(), "sub-");
  if (summary.contains("session") && summary["session"].is_string() &&
      !summary["session"].get<std::string>().empty()) {
    source.id += "_" + with_prefix(summary["session"].get<std::string>(), "ses-");
  }
  source.source = analysis_dir.string();

  const auto files = summary.value("files", nlohmann::json::object());
  if (files.contains("lesion_mask_mni") && files["lesion_mask_mni"].is_string()) {
    source.mask_path = analysis_dir / files["lesion_mask_mni"].get<std::string>();
  } else {
    // Older summaries: the mask sits beside the summary under its BIDS name.
    for (const auto& entry : fs::directory_iterator(summary_path.parent_path())) {
      const std::string name = entry.path().filename().string();
      if (name.find("_space-MNI") != std::string::npos &&
          ends_with(name, "_label-L_desc-auto_mask.nii.gz"))
        source.mask_path = entry.path();
    }
  }
  if (source.mask_path.empty() || !fs::exists(source.mask_path)) {
    throw input_error(summary_path.string(),
                      "names no lesion mask in MNI space that exists "
                      "(files.lesion_mask_mni)");
  }
  source.mask_path = fs::absolute(source.mask_path).lexically_normal();
  return source;
}

}  // namespace

std::vector<CaseSource> cases_in_analysis(const fs::path& analysis_dir) {
  if (!fs::is_directory(analysis_dir)) {
    throw input_error(analysis_dir.string(), "is not an analysis folder");
  }
  std::vector<fs::path> summaries;
  for (const auto& entry : fs::recursive_directory_iterator(analysis_dir)) {
    if (entry.is_regular_file() && ends_with(entry.path().filename().string(), "_summary.json"))
      summaries.push_back(entry.path());
  }
  std::sort(summaries.begin(), summaries.end());
  if (summaries.empty()) {
    throw input_error(analysis_dir.string(),
                      "holds no *_summary.json (is it a 'strokefair "
                      "analyze' output folder?)");
  }
  std::vector<CaseSource> cases;
  for (const auto& summary : summaries) cases.push_back(case_from_summary(summary, analysis_dir));
  return cases;
}

std::vector<CaseSource> cases_in_mask_folder(const fs::path& masks_dir) {
  if (!fs::is_directory(masks_dir)) throw input_error(masks_dir.string(), "is not a folder");
  std::vector<CaseSource> cases;
  for (const auto& entry : fs::directory_iterator(masks_dir)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || !(ends_with(name, ".nii.gz") || ends_with(name, ".nii")))
      continue;
    const std::string id = name.substr(0, name.find('_'));
    if (id.rfind("sub-", 0) != 0 || id.size() <= 4 || id.find('.') != std::string::npos) {
      throw input_error(entry.path().string(), "file name does not start with sub-<label>_");
    }
    cases.push_back({id, fs::absolute(entry.path()).lexically_normal(), entry.path().string()});
  }
  std::sort(cases.begin(), cases.end(),
            [](const CaseSource& a, const CaseSource& b) { return a.id < b.id; });
  for (std::size_t i = 1; i < cases.size(); ++i) {
    if (cases[i].id == cases[i - 1].id) {
      throw input_error(masks_dir.string(), "two masks for " + cases[i].id + ": " +
                                                cases[i - 1].mask_path.filename().string() +
                                                " and " + cases[i].mask_path.filename().string());
    }
  }
  if (cases.empty()) throw input_error(masks_dir.string(), "holds no .nii or .nii.gz masks");
  return cases;
}

NewCase measure_case(const CaseSource& source, const FeatureAtlases& atlases) {
  // Ids become JSON and HTML text; a file name in another encoding would break both later.
  if (!is_valid_utf8(source.id)) {
    throw input_error(source.source, "the case id taken from it is not UTF-8 text");
  }
  NewCase measured;
  measured.id = source.id;
  measured.source = source.source;
  measured.mask_path = source.mask_path;
  try {
    measured.features = extract_features(read_mask(source.mask_path), atlases);
  } catch (const Error& e) {
    const std::string path = source.mask_path.string();
    if (std::string(e.what()).rfind(path, 0) == 0) throw;
    throw e.with_context(path);
  }
  measured.mask_sha256 = sha256_file(source.mask_path);
  return measured;
}

}  // namespace strokefair
