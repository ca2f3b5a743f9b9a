// Derivatives of a whole dataset: a pool of subject workers, atomic placement, the table.
#include "strokefair/derivatives/derivatives.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "strokefair/deid/text.hpp"
#include "strokefair/derivatives/dataset_sessions.hpp"
#include "strokefair/derivatives/subject_derivatives.hpp"
#include "strokefair/io/output_stage.hpp"
#include "strokefair/pipeline/analysis.hpp"

namespace strokefair {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Hidden names, so that a validator run during processing sees only finished subjects.
const std::string kStagingPrefix = ".partial-sub-";
const std::string kReplacedPrefix = ".replaced-sub-";
const char* kTableName = "strokefair_sessions.tsv";
const char* kTableSidecarName = "strokefair_sessions.json";

json dataset_description() {
  return {{"Name", "strokefair derivatives"},
          {"BIDSVersion", "1.11.1"},
          {"DatasetType", "derivative"},
          {"GeneratedBy",
           json::array({{{"Name", "strokefair"},
                         {"Version", STROKEFAIR_VERSION},
                         {"Description",
                          "Images in template space (skull-stripped, normalised), acute infarct "
                          "analysis of every DWI, curated manual lesion masks"}}})}};
}

// The report pages analyze writes at the top (sub-X_ses-Y.html) and the dataset table are
// not BIDS files; BIDS lets a dataset list such files in .bidsignore.
std::string bidsignore() {
  return std::string("*.html\n") + kTableName + "\n" + kTableSidecarName + "\n";
}

bool finished(const fs::path& root, const std::string& subject) {
  return fs::exists(root / subject_record_path(subject));
}

void remove_stale_staging(const fs::path& root) {
  for (const auto& entry : fs::directory_iterator(root)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(kStagingPrefix, 0) == 0 || name.rfind(kReplacedPrefix, 0) == 0)
      fs::remove_all(entry.path());
  }
}

std::vector<std::string> requested_subjects(const DerivativesOptions& options) {
  const std::vector<std::string> present = dataset_subjects(options.dataset);
  if (options.subjects.empty()) return present;
  std::vector<std::string> chosen;
  for (std::string label : options.subjects) {
    if (label.rfind("sub-", 0) == 0) label = label.substr(4);
    checked_label(label, "subject");
    if (std::find(present.begin(), present.end(), label) == present.end())
      throw Error("subject " + label + " is not in " + options.dataset.string(), ExitCode::usage);
    if (std::find(chosen.begin(), chosen.end(), label) == chosen.end()) chosen.push_back(label);
  }
  return chosen;
}

// Report pages first: if the run stops between the two steps the subject is not finished,
// is redone next time, and its pages are replaced by the same rename.
void place_subject(const fs::path& root, const fs::path& stage_root, const std::string& subject) {
  for (const auto& entry : fs::directory_iterator(stage_root)) {
    if (entry.is_regular_file() && entry.path().extension() == ".html")
      fs::rename(entry.path(), root / entry.path().filename());
  }
  const fs::path target = root / ("sub-" + subject);
  const fs::path replaced = root / (kReplacedPrefix + subject);
  if (fs::exists(target)) fs::rename(target, replaced);
  fs::rename(stage_root / ("sub-" + subject), target);
  fs::remove_all(replaced);
}

std::vector<std::string> failed_checks(const json& record) {
  std::vector<std::string> warnings;
  for (const json& session : record["sessions"]) {
    std::vector<json> steps(session["anatomical"].begin(), session["anatomical"].end());
    if (!session["diffusion"].is_null()) steps.push_back(session["diffusion"]);
    for (const json& step : steps) {
      if (step.value("registration", "") == "failed")
        warnings.push_back(step.value("image", "") + ": registration to the template failed (" +
                           step.value("failure", "") + "); no derivatives for this image");
    }
  }
  return warnings;
}

SubjectReport process_subject(const DerivativesOptions& options, const std::string& subject,
                              const Template& target, const SkullStripTemplate& head,
                              const DataStore& store, const fs::path& root) {
  SubjectReport report;
  report.subject = subject;
  if (finished(root, subject) && !options.overwrite) {
    report.outcome = SubjectOutcome::skipped;
    return report;
  }
  const fs::path staging = root / (kStagingPrefix + subject);
  fs::remove_all(staging);
  const fs::path stage_root = staging / "tree";
  fs::create_directories(stage_root);
  try {
    const SubjectDerivativesInput input{options.dataset, subject, options.manual_masks,
                                        options.command_line};
    const json record = derive_subject(input, target, head, store, stage_root);
    fs::create_directories((stage_root / subject_record_path(subject)).parent_path());
    write_text_file(stage_root / subject_record_path(subject), record.dump(2) + "\n");
    place_subject(root, stage_root, subject);
    report.warnings = failed_checks(record);
  } catch (const Error& e) {
    report.outcome = SubjectOutcome::failed;
    report.error = e.what();
    report.code = e.code();
  } catch (const std::exception& e) {
    report.outcome = SubjectOutcome::failed;
    report.error = std::string("sub-") + subject + ": " + e.what();
    report.code = ExitCode::output_failed;
  }
  fs::remove_all(staging);
  return report;
}

std::string cell(const json& value) {
  if (value.is_null()) return "n/a";
  if (value.is_string()) return value.get<std::string>().empty() ? "n/a" : value.get<std::string>();
  if (value.is_number_float()) {
    std::ostringstream text;
    text << value.get<double>();  // 6 significant digits: the records hold rounded figures
    return text.str();
  }
  return value.dump();
}

std::string territories_cell(const json& territories) {
  std::string text;
  for (const auto& [name, figures] : territories.items()) {
    if (!text.empty()) text += ";";
    std::ostringstream ml;
    ml << name << ":" << figures["ml"].get<double>();
    text += ml.str();
  }
  return text.empty() ? "none" : text;
}

// One row of the dataset table from one session of a subject record.
std::vector<std::string> table_row(const json& session) {
  const json& dwi = session["diffusion"];
  const bool analysed = !dwi.is_null() && dwi.contains("lesion");
  const json& lesion = analysed ? dwi["lesion"] : json(nullptr);
  const auto lesion_cell = [&](const char* key) {
    return analysed ? cell(lesion[key]) : std::string("n/a");
  };

  std::string anat_flag = "n/a", anat_dice = "n/a";
  double lowest_dice = 2;
  json manual = json(nullptr);
  for (const json& step : session["anatomical"]) {
    anat_flag = (anat_flag == "failed" || step["registration"] == "failed") ? "failed" : "passed";
    lowest_dice = std::min(lowest_dice, step.value("brain_dice", 0.0));
    if (step.contains("manual_mask")) manual = step["manual_mask"]["volume_ml"];
  }
  if (lowest_dice <= 1) anat_dice = cell(lowest_dice);
  if (!dwi.is_null() && dwi.contains("manual_mask")) manual = dwi["manual_mask"]["volume_ml"];

  return {cell(session["participant_id"]),
          cell(session["session_id"]),
          dwi.is_null() ? "n/a" : cell(dwi["image"]),
          lesion_cell("volume_ml"),
          lesion_cell("count"),
          lesion_cell("hemisphere"),
          analysed ? territories_cell(lesion["territories"]) : "n/a",
          lesion_cell("aspects_left"),
          lesion_cell("aspects_right"),
          dwi.is_null() ? "n/a" : cell(dwi["registration"]),
          dwi.is_null() ? "n/a" : cell(dwi.value("brain_dice", json(nullptr))),
          std::to_string(session["anatomical"].size()),
          anat_flag,
          anat_dice,
          cell(manual)};
}

const std::vector<std::pair<std::string, std::string>>& table_columns() {
  static const std::vector<std::pair<std::string, std::string>> columns = {
      {"participant_id", "Subject"},
      {"session_id", "Session (n/a when the dataset has no sessions)"},
      {"dwi", "The DWI that analyze processed (the session's first), relative to the dataset"},
      {"lesion_volume_ml", "Acute infarct volume on the DWI grid, mL (analyze)"},
      {"lesion_count", "Connected lesion components (26-connected)"},
      {"hemisphere", "left, right, bilateral or none"},
      {"territories",
       "Level-2 arterial territories with lesion, as name:mL separated by semicolons "
       "(none when the lesion is empty)"},
      {"aspects_left", "MRI-ASPECTS of the left hemisphere (n/a when not scored)"},
      {"aspects_right", "MRI-ASPECTS of the right hemisphere (n/a when not scored)"},
      {"qc_dwi_registration", "DWI-to-template registration check: passed or failed"},
      {"dwi_brain_dice", "Brain Dice of the DWI registration check"},
      {"anatomical_images", "T1w, T2w and FLAIR images in the session"},
      {"qc_anat_registration", "passed when every anatomical registration check passed"},
      {"anat_min_brain_dice", "Lowest brain Dice of the anatomical registration checks"},
      {"manual_lesion_volume_ml", "Volume of the curator's manual lesion mask, mL"},
  };
  return columns;
}

fs::path write_table(const fs::path& root) {
  std::ostringstream tsv;
  for (std::size_t c = 0; c < table_columns().size(); ++c)
    tsv << (c ? "\t" : "") << table_columns()[c].first;
  tsv << '\n';
  for (const std::string& subject : dataset_subjects(root)) {
    if (!finished(root, subject)) continue;
    const json record = json::parse(read_text_file(root / subject_record_path(subject)));
    for (const json& session : record["sessions"]) {
      const auto row = table_row(session);
      for (std::size_t c = 0; c < row.size(); ++c) tsv << (c ? "\t" : "") << row[c];
      tsv << '\n';
    }
  }
  json sidecar = json::object();
  for (const auto& [name, description] : table_columns())
    sidecar[name] = {{"Description", description}};
  sidecar["lesion_volume_ml"]["Units"] = "mL";
  sidecar["manual_lesion_volume_ml"]["Units"] = "mL";
  write_text_file(root / kTableName, tsv.str());
  write_text_file(root / kTableSidecarName, sidecar.dump(2) + "\n");
  return root / kTableName;
}

void prepare_root(const DerivativesOptions& options, const fs::path& root,
                  const std::vector<std::string>& subjects) {
  for (const std::string& subject : subjects) {
    const fs::path folder = root / ("sub-" + subject);
    if (fs::exists(folder) && !finished(root, subject) && !options.overwrite)
      throw Error(folder.string() + " exists and was not written by derivatives (use --force)",
                  ExitCode::output_exists);
  }
  fs::create_directories(root);
  if (!fs::exists(root / "dataset_description.json"))
    write_text_file(root / "dataset_description.json", dataset_description().dump(2) + "\n");
  write_text_file(root / ".bidsignore", bidsignore());
  remove_stale_staging(root);
}

}  // namespace

fs::path derivatives_root(const fs::path& dataset) {
  return dataset / "derivatives" / "strokefair";
}

fs::path subject_record_path(const std::string& subject) {
  return fs::path("sub-" + subject) / ("sub-" + subject + "_desc-derivatives_summary.json");
}

DerivativesRun make_derivatives(const DerivativesOptions& options, const DataStore& store,
                                const SubjectObserver& observer) {
  if (!fs::is_regular_file(options.dataset / "dataset_description.json"))
    throw input_error(options.dataset.string(),
                      "is not a BIDS dataset (no dataset_description.json)");
  if (!options.manual_masks.empty() && !fs::is_directory(options.manual_masks))
    throw input_error(options.manual_masks.string(), "is not a folder");
  const std::vector<std::string> subjects = requested_subjects(options);
  const Template target = load_template(store);
  const SkullStripTemplate head = load_skull_strip_template(store);
  DerivativesRun run;
  run.root = derivatives_root(options.dataset);
  prepare_root(options, run.root, subjects);

  run.subjects.resize(subjects.size());
  std::atomic<std::size_t> next{0};
  std::size_t finished_count = 0;
  std::mutex report_mutex;
  const auto worker = [&] {
    for (std::size_t i = next++; i < subjects.size(); i = next++) {
      SubjectReport report = process_subject(options, subjects[i], target, head, store, run.root);
      const std::lock_guard<std::mutex> lock(report_mutex);
      run.subjects[i] = report;
      ++finished_count;
      if (observer) observer(report, finished_count, subjects.size());
    }
  };
  const int jobs = std::max(1, std::min<int>(options.jobs, static_cast<int>(subjects.size())));
  std::vector<std::thread> pool;
  for (int j = 0; j < jobs; ++j) pool.emplace_back(worker);
  for (std::thread& thread : pool) thread.join();

  run.table = write_table(run.root);
  return run;
}

}  // namespace strokefair
