// The ingest pipeline: gather, convert, classify, name, de-identify, stage, audit, move.
#include "strokefair/ingest/ingest.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <future>
#include <map>
#include <set>
#include <thread>

#include "strokefair/bids/layout.hpp"
#include "strokefair/bids/participants.hpp"
#include "strokefair/core/error.hpp"
#include "strokefair/deface/deface.hpp"
#include "strokefair/deid/nifti_deid.hpp"
#include "strokefair/deid/pseudonym_key.hpp"
#include "strokefair/deid/sidecar_allow_list.hpp"
#include "strokefair/deid/text.hpp"
#include "strokefair/ingest/series.hpp"
#include "strokefair/io/image_io.hpp"

namespace strokefair {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Reports stages to the observer with the time since the previous report.
class StageClock {
 public:
  explicit StageClock(const IngestObserver& observer) : observer_(observer) {}
  void done(const std::string& stage) {
    const auto now = std::chrono::steady_clock::now();
    if (observer_) observer_(stage, std::chrono::duration<double>(now - last_).count());
    last_ = now;
  }

 private:
  const IngestObserver& observer_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

// Face masks of the defaced images, a derivative dataset inside the raw one.
constexpr const char* kDefaceDerivatives = "derivatives/strokefair-deface";

struct PlannedSeries {
  const ConvertedSeries* series = nullptr;
  Classification classification;
  BidsTarget target;
  std::string original_id;
  std::string pseudonym;
  int session = 0;
  std::string relative_stem;  // "sub-X/ses-1/anat/sub-X_ses-1_T1w"
};

bool is_inside(const fs::path& inner, const fs::path& outer) {
  const fs::path a = fs::weakly_canonical(fs::absolute(inner));
  const fs::path b = fs::weakly_canonical(fs::absolute(outer));
  auto mismatch = std::mismatch(b.begin(), b.end(), a.begin(), a.end());
  return mismatch.first == b.end();
}

void check_locations(const IngestOptions& options, const fs::path& key_path) {
  for (const auto& input : options.inputs) {
    if (is_inside(options.dataset, input) || is_inside(input, options.dataset))
      throw Error(options.dataset.string() +
                      ": the dataset and the DICOM input must not contain "
                      "each other",
                  ExitCode::usage);
  }
  if (is_inside(key_path, options.dataset))
    throw Error(key_path.string() + ": the key file must be outside the dataset", ExitCode::usage);
  if (fs::exists(options.dataset) && !fs::is_empty(options.dataset) &&
      !fs::exists(options.dataset / "dataset_description.json"))
    throw Error(options.dataset.string() + ": exists and is not a BIDS dataset; give a new folder",
                ExitCode::output_exists);
}

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out.flush()) throw Error(path.string() + ": cannot be written", ExitCode::output_failed);
}

std::string existing_text(const fs::path& path) {
  return fs::exists(path) ? read_text_file(path) : std::string();
}

std::string series_number(const ConvertedSeries& s) {
  return s.raw.contains("SeriesNumber") ? s.raw["SeriesNumber"].dump() : "0";
}

// Session numbers for studies the key does not know yet, in order of acquisition time.
void assign_sessions(PseudonymKey& key, const std::vector<PlannedSeries>& planned,
                     std::size_t& new_subjects, std::size_t& new_sessions) {
  std::map<std::string, std::map<std::string, std::string>> studies;  // id -> uid -> earliest
  for (const auto& p : planned) {
    auto& earliest = studies[p.original_id][p.series->study_uid()];
    const std::string when = p.series->acquisition_datetime();
    if (earliest.empty() || (!when.empty() && when < earliest)) earliest = when;
  }
  for (const auto& [original_id, uids] : studies) {
    if (!key.find(original_id)) ++new_subjects;
    KeySubject& subject = key.subject_for(original_id);
    std::vector<std::pair<std::string, std::string>> fresh;  // (time, uid)
    for (const auto& [uid, when] : uids) {
      if (!subject.session(uid)) fresh.emplace_back(when.empty() ? "~" : when, uid);
    }
    std::sort(fresh.begin(), fresh.end());
    for (const auto& [when, uid] : fresh) {
      subject.sessions.push_back({uid, subject.next_session_number(), when == "~" ? "" : when});
      ++new_sessions;
    }
  }
}

// Runs are numbered only where one session has several series of one kind.
void assign_names(std::vector<PlannedSeries>& planned, const fs::path& dataset) {
  std::map<std::string, std::vector<PlannedSeries*>> groups;
  for (auto& p : planned) {
    const std::string folder =
        "sub-" + p.pseudonym + "/ses-" + std::to_string(p.session) + "/" + p.target.datatype;
    const std::string base = bids_stem(p.pseudonym, p.session, p.classification.task,
                                       p.classification.acquisition, 0, p.target.suffix);
    groups[folder + "/" + base].push_back(&p);
  }
  for (auto& [base_path, members] : groups) {
    std::sort(members.begin(), members.end(), [](auto* a, auto* b) {
      return std::stod(series_number(*a->series)) < std::stod(series_number(*b->series));
    });
    // Runs already in the dataset (an exam added to later) are kept and continued.
    int existing = fs::exists(dataset / (base_path + ".nii.gz")) ? 1 : 0;
    while (fs::exists(dataset / (base_path.substr(0, base_path.rfind('_')) + "_run-" +
                                 std::to_string(existing + 1) +
                                 base_path.substr(base_path.rfind('_')) + ".nii.gz")))
      ++existing;
    const bool numbered = members.size() + existing > 1;
    int run = existing;
    for (auto* p : members) {
      const std::string folder = base_path.substr(0, base_path.rfind('/') + 1);
      p->relative_stem =
          folder + bids_stem(p->pseudonym, p->session, p->classification.task,
                             p->classification.acquisition, numbered ? ++run : 0, p->target.suffix);
    }
  }
}

// What defacing did to one series.
struct DefaceOutcome {
  enum class Kind { not_applicable, defaced, not_full_head, refused };
  Kind kind = Kind::not_applicable;
  std::string reason;
};

// 3D anatomical images are defaced; diffusion, perfusion and functional series are not.
bool needs_defacing(const PlannedSeries& p) {
  const SeriesClass kind = p.classification.kind;
  return (kind == SeriesClass::t1w || kind == SeriesClass::t2w || kind == SeriesClass::flair) &&
         p.series->volumes == 1;
}

json sidecar_for(const PlannedSeries& p, const std::optional<DefaceVerification>& defacing) {
  json sidecar = filter_sidecar(p.series->raw);
  const json record = deidentification_record();
  for (const auto& [field, value] : record.items()) sidecar[field] = value;
  if (p.classification.kind == SeriesClass::bold) sidecar["TaskName"] = p.classification.task;
  std::string method = sidecar["DeidentificationMethod"];
  if (!defacing) {
    sidecar["DeidentificationMethod"] = method + " Facial features not removed.";
    return sidecar;
  }
  sidecar["DeidentificationMethod"] =
      method + " Face, teeth and ears removed (strokefair deface, verified).";
  sidecar["DeidentificationMethodCodeSequence"].push_back(
      clean_recognizable_visual_features_code());
  sidecar["Defacing"] = defacing_record(*defacing);
  return sidecar;
}

// "sub-X/ses-1/anat/sub-X_ses-1_T1w" -> "derivatives/strokefair-deface/sub-X/ses-1/anat/
// sub-X_ses-1_label-face_desc-T1w_mask": the desc keeps masks of several contrasts apart.
std::string face_mask_stem(const PlannedSeries& p) {
  const std::string& stem = p.relative_stem;
  const std::size_t cut = stem.rfind('_');
  return std::string(kDefaceDerivatives) + "/" + stem.substr(0, cut) + "_label-face_desc-" +
         stem.substr(cut + 1) + "_mask";
}

void write_face_mask(const PlannedSeries& p, const Mask& face, const fs::path& tree) {
  const fs::path stem = tree / face_mask_stem(p);
  fs::create_directories(stem.parent_path());
  write_mask(face, stem.string() + ".nii.gz");
  const json sidecar = {{"Type", "Face"},
                        {"Description", "voxels set to zero by strokefair deface"},
                        {"Sources", {"bids::" + p.relative_stem + ".nii.gz"}}};
  write_text(stem.string() + ".json", sidecar.dump(2) + "\n");
}

// Defaces the staged image in place. A series that fails verification is removed from the
// staging tree; one without full head coverage stays as it was.
DefaceOutcome deface_series(const PlannedSeries& p, const HeadTemplate& head_template,
                            const fs::path& image_file, std::vector<char>& bytes,
                            std::optional<DefaceVerification>& verification, const fs::path& tree) {
  const std::string neutral = p.series->neutral_label();
  const std::string problem = head_coverage_problem(read_geometry(p.series->nifti));
  if (!problem.empty()) return {DefaceOutcome::Kind::not_full_head, problem};
  const Image original = read_image(p.series->nifti);
  DefaceResult result;
  try {
    result = find_face(head_template, original, neutral);
  } catch (const Error& e) {
    return {DefaceOutcome::Kind::refused, e.what()};
  }
  if (result.verification.registration.passed && !result.full_head)
    return {DefaceOutcome::Kind::not_full_head, result.coverage_problem};

  bytes = clear_nifti_voxels(std::move(bytes), result.face, neutral);
  write_anonymous_gzip(bytes, image_file);
  verify_defacing(original, read_image(image_file), result);
  if (!result.verification.passed) {
    fs::remove(image_file);
    return {DefaceOutcome::Kind::refused,
            "defacing failed verification: " + result.verification.failure};
  }
  write_face_mask(p, result.face, tree);
  verification = result.verification;
  return {DefaceOutcome::Kind::defaced, ""};
}

DefaceOutcome write_series(const PlannedSeries& p, const fs::path& tree,
                           const HeadTemplate* head_template) {
  const fs::path stem = tree / p.relative_stem;
  fs::create_directories(stem.parent_path());
  const std::string neutral = p.series->neutral_label();
  const fs::path image_file = stem.string() + ".nii.gz";
  std::vector<char> bytes = deidentify_nifti(read_nifti_bytes(p.series->nifti), neutral);
  std::optional<DefaceVerification> verification;
  DefaceOutcome outcome;
  if (head_template && needs_defacing(p))
    outcome = deface_series(p, *head_template, image_file, bytes, verification, tree);
  if (outcome.kind == DefaceOutcome::Kind::refused) return outcome;
  if (outcome.kind != DefaceOutcome::Kind::defaced) write_anonymous_gzip(bytes, image_file);
  write_text(stem.string() + ".json", sidecar_for(p, verification).dump(2) + "\n");
  if (p.target.suffix != "dwi") return outcome;

  std::string bvals;
  for (double b : read_bvalues(p.series->bval)) {
    std::ostringstream value;
    value << b;
    bvals += (bvals.empty() ? "" : " ") + value.str();
  }
  write_text(stem.string() + ".bval", bvals + "\n");
  fs::copy_file(p.series->bvec, stem.string() + ".bvec");
  return outcome;
}

// Compression and defacing dominate the time of ingest, so series are written in parallel.
std::vector<DefaceOutcome> write_all_series(const std::vector<PlannedSeries>& planned,
                                            const fs::path& tree,
                                            const HeadTemplate* head_template) {
  const std::size_t workers =
      std::min<std::size_t>(planned.size(), std::max(1u, std::thread::hardware_concurrency()));
  std::vector<DefaceOutcome> outcomes(planned.size());
  std::atomic<std::size_t> next{0};
  std::vector<std::future<void>> running;
  for (std::size_t w = 0; w < workers; ++w) {
    running.push_back(std::async(std::launch::async, [&] {
      for (std::size_t i = next++; i < planned.size(); i = next++)
        outcomes[i] = write_series(planned[i], tree, head_template);
    }));
  }
  for (auto& worker : running) worker.get();  // rethrows the first failure
  return outcomes;
}

// Counts the defacing outcomes into the report; refused series leave the key again.
void record_defacing(const std::vector<PlannedSeries>& written,
                     const std::vector<DefaceOutcome>& outcomes, PseudonymKey& key,
                     IngestReport& report) {
  for (std::size_t i = 0; i < written.size(); ++i) {
    const PlannedSeries& p = written[i];
    const DefaceOutcome& outcome = outcomes[i];
    if (outcome.kind == DefaceOutcome::Kind::defaced) ++report.series_defaced;
    if (outcome.kind == DefaceOutcome::Kind::not_full_head)
      report.not_defaced.push_back({p.series->neutral_label(), outcome.reason});
    if (outcome.kind != DefaceOutcome::Kind::refused) {
      ++report.series_written;
      continue;
    }
    report.left_out.push_back({p.series->neutral_label(), outcome.reason});
    auto& entries = key.find(p.original_id)->series;
    entries.erase(
        std::remove_if(entries.begin(), entries.end(),
                       [&](const KeySeries& s) { return s.identity == p.series->identity(); }),
        entries.end());
  }
}

// The face-mask derivative dataset needs its own description once.
void stage_deface_description(const fs::path& tree, const fs::path& dataset) {
  const fs::path relative = fs::path(kDefaceDerivatives) / "dataset_description.json";
  if (!fs::exists(tree / kDefaceDerivatives) || fs::exists(dataset / relative)) return;
  const json description = {
      {"Name", "strokefair defacing masks"},
      {"BIDSVersion", "1.11.1"},
      {"DatasetType", "derivative"},
      {"GeneratedBy",
       {{{"Name", "strokefair"},
         {"Version", STROKEFAIR_VERSION},
         {"Description", "face, teeth and ears masks removed from the raw images"}}}}};
  write_text(tree / relative, description.dump(2) + "\n");
}

std::string readme_text(const std::string& name) {
  return "# " + name +
         "\n\n"
         "Acute stroke MRI exams converted from DICOM by strokefair ingest.\n\n"
         "Subject labels are random pseudonyms. Sidecars keep only acquisition parameters from "
         "an allow-list; all dates and clock times are removed; NIfTI header text is cleared. "
         "Faces, teeth and ears are removed from T1w, T2w and FLAIR images that cover the whole "
         "head, and each defaced image is verified (brain unchanged, face empty); their masks "
         "are in derivatives/strokefair-deface. Other images are not defaced.\n\n"
         "Scanner ADC and trace maps (_ADC, _trace; BIDS 1.10.1) and BIDS-like DSC perfusion "
         "(_dsc) and CT (_ct) files are listed in .bidsignore because bids-validator 1.x does "
         "not know them.\n";
}

std::string changes_entry(const std::string& previous, const IngestReport& report) {
  std::size_t versions = 0;
  for (std::size_t at = previous.find("1.0."); at != std::string::npos;
       at = previous.find("1.0.", at + 1)) {
    if (at == 0 || previous[at - 1] == '\n') ++versions;
  }
  return "1.0." + std::to_string(versions) +
         "\n  - strokefair " STROKEFAIR_VERSION " ingest: " + std::to_string(report.new_subjects) +
         " new subject(s), " + std::to_string(report.new_sessions) + " new session(s), " +
         std::to_string(report.series_written) + " series written.\n\n";
}

SiteClinicalTable merged_participants(const std::optional<fs::path>& csv, const fs::path& dataset,
                                      const PseudonymKey& key) {
  // Values already in participants.tsv are kept unless a new clinical table replaces them.
  const SiteClinicalTable existing = read_participants_tsv(dataset / "participants.tsv");
  SiteClinicalTable merged;
  merged.columns = existing.columns;
  for (const auto& subject : key.subjects()) {
    const auto row = existing.rows.find("sub-" + subject.pseudonym);
    if (row != existing.rows.end()) merged.rows[subject.original_id] = row->second;
  }
  if (!csv) return merged;
  const SiteClinicalTable fresh = read_site_clinical_table(*csv);
  for (const auto& column : fresh.columns) {
    if (!std::count(merged.columns.begin(), merged.columns.end(), column))
      merged.columns.push_back(column);
  }
  for (const auto& [id, values] : fresh.rows) {
    for (const auto& [column, value] : values) merged.rows[id][column] = value;
  }
  return merged;
}

// Writes the top-level files into `tree` where their content changes.
void stage_top_level(const fs::path& tree, const fs::path& dataset, const IngestOptions& options,
                     const PseudonymKey& key, const SiteClinicalTable& participants,
                     IngestReport& report) {
  auto stage = [&](const std::string& name, const std::string& text) {
    if (existing_text(dataset / name) != text) write_text(tree / name, text);
  };
  if (!fs::exists(dataset / "dataset_description.json")) {
    const json description = {{"Name", options.dataset_name},
                              {"BIDSVersion", "1.11.1"},
                              {"DatasetType", "raw"},
                              {"GeneratedBy",
                               {{{"Name", "strokefair"},
                                 {"Version", STROKEFAIR_VERSION},
                                 {"Description",
                                  "strokefair ingest (dcm2niix conversion, allow-list "
                                  "de-identification)"}}}}};
    stage("dataset_description.json", description.dump(2) + "\n");
    stage("README", readme_text(options.dataset_name));
  }
  stage(".bidsignore", bidsignore_text());

  std::vector<Participant> people;
  for (const auto& s : key.subjects()) people.push_back({s.original_id, s.pseudonym});
  const std::string tsv = participants_tsv(people, participants);
  const bool participants_changed = existing_text(dataset / "participants.tsv") != tsv;
  stage("participants.tsv", tsv);
  stage("participants.json", participants_json(participants).dump(2) + "\n");

  report.changed = report.series_written > 0 || participants_changed;
  if (report.changed) {
    const std::string previous = existing_text(dataset / "CHANGES");
    write_text(tree / "CHANGES", changes_entry(previous, report) + previous);
  }
}

// Moves the staged tree into the dataset: whole subjects or sessions when new, else files.
void move_into_place(const fs::path& staged, const fs::path& target) {
  if (!fs::exists(target)) {
    fs::create_directories(target.parent_path());
    fs::rename(staged, target);
    return;
  }
  if (!fs::is_directory(staged)) {
    fs::rename(staged, target);  // replaces atomically
    return;
  }
  for (const auto& entry : fs::directory_iterator(staged))
    move_into_place(entry.path(), target / entry.path().filename());
}

std::vector<std::string> literal_identifiers(const std::vector<ConvertedSeries>& series,
                                             const PseudonymKey& key) {
  std::vector<std::string> values;
  for (const auto& s : series) {
    const auto found = identifying_values(s.raw);
    values.insert(values.end(), found.begin(), found.end());
  }
  for (const auto& subject : key.subjects()) values.push_back(subject.original_id);
  return values;
}

std::vector<PlannedSeries> plan_series(const std::vector<ConvertedSeries>& converted,
                                       const std::vector<MappingRule>& mapping,
                                       IngestReport& report) {
  std::vector<PlannedSeries> planned;
  for (const auto& series : converted) {
    const Classification c = classify_series(series, mapping);
    if (c.refused)
      throw Error(series.neutral_label() + ": " + c.reason +
                      "; refused (a DWI is not written "
                      "without gradients), nothing was written",
                  ExitCode::bad_input);
    const auto target = bids_target(c.kind);
    if (!target) {
      report.left_out.push_back({series.neutral_label(), to_string(c.kind) + ": " + c.reason});
      continue;
    }
    if (c.kind == SeriesClass::dwi && series.bvec.empty())
      throw Error(series.neutral_label() + ": b-values without gradient directions; refused",
                  ExitCode::bad_input);
    if (series.patient_id().empty() || series.study_uid().empty())
      throw Error(series.neutral_label() +
                      ": no PatientID or StudyInstanceUID in the DICOM; "
                      "cannot tell whose exam it is",
                  ExitCode::bad_input);
    planned.push_back({&series, c, *target, series.patient_id(), "", 0, ""});
  }
  return planned;
}

void record_conversion(const ConversionSummary& conversion, IngestReport& report) {
  report.series_converted = conversion.series.size();
  report.converter_exit_code = conversion.converter_exit_code;
  const std::size_t accounted = conversion.files_converted + conversion.files_non_image;
  report.dicom_files_not_converted =
      conversion.files_found > accounted ? conversion.files_found - accounted : 0;
}

// Series already in the dataset are skipped (or replaced with --force, under their old name);
// new ones get names and are recorded in the key.
std::vector<PlannedSeries> select_series_to_write(std::vector<PlannedSeries>& planned,
                                                  PseudonymKey& key, const fs::path& dataset,
                                                  bool force, IngestReport& report) {
  std::vector<PlannedSeries> to_write;
  for (auto& p : planned) {
    KeySubject& subject = *key.find(p.original_id);
    p.pseudonym = subject.pseudonym;
    p.session = subject.session(p.series->study_uid())->number;
    const KeySeries* known = subject.series_entry(p.series->identity());
    if (known && fs::exists(dataset / known->path) && !force) {
      ++report.series_already_present;
      continue;
    }
    to_write.push_back(p);
  }
  assign_names(to_write, dataset);

  for (auto& p : to_write) {
    KeySubject& subject = *key.find(p.original_id);
    if (const KeySeries* known = subject.series_entry(p.series->identity())) {
      const std::string path = known->path;
      p.relative_stem = path.substr(0, path.size() - std::string(".nii.gz").size());
    } else {
      subject.series.push_back({p.series->identity(), p.relative_stem + ".nii.gz"});
    }
  }
  return to_write;
}

// Throws Error(findings) listing the first findings, so that nothing is moved.
void refuse_identifiers(const std::vector<Finding>& findings) {
  if (findings.empty()) return;
  std::string listed;
  for (std::size_t i = 0; i < findings.size() && i < 5; ++i) {
    const Finding& f = findings[i];
    listed += (i ? "; " : "") + f.file + " " + f.field + ": " + f.problem;
  }
  throw Error("audit of the new files found " + std::to_string(findings.size()) +
                  " possible identifier(s), nothing was moved into the dataset: " + listed,
              ExitCode::findings);
}

}  // namespace

fs::path default_key_path(const fs::path& dataset) {
  const fs::path absolute = fs::absolute(dataset).lexically_normal();
  const fs::path folder = absolute.has_filename() ? absolute : absolute.parent_path();
  return folder.parent_path() / (folder.filename().string() + ".key.json");
}

IngestReport ingest_dicom(const IngestOptions& given) {
  IngestOptions options = given;
  options.dataset = fs::absolute(options.dataset).lexically_normal();
  if (!options.dataset.has_filename()) options.dataset = options.dataset.parent_path();
  IngestReport report;
  StageClock clock(options.on_stage);
  report.key_file = options.key.empty() ? default_key_path(options.dataset) : options.key;
  check_locations(options, report.key_file);
  PseudonymKey key = PseudonymKey::load(report.key_file);
  if (key.subjects().empty() && fs::exists(options.dataset / "participants.tsv"))
    throw input_error(report.key_file.string(),
                      "not found, but the dataset has subjects: without the key their "
                      "pseudonyms cannot be kept");
  const auto mapping =
      options.mapping ? read_mapping(*options.mapping) : std::vector<MappingRule>{};
  if (options.participants) read_site_clinical_table(*options.participants);  // refuse early

  // If the process is killed (not on errors), this folder stays behind with dcm2niix's raw
  // sidecars, which hold identifiers; it is readable by the owner only.
  const FolderGuard work(make_private_folder(fs::temp_directory_path()));
  fs::create_directories(work.path() / "dicom");
  fs::create_directories(work.path() / "converted");
  report.input = gather_dicom_files(options.inputs, work.path() / "dicom");
  clock.done("found " + std::to_string(report.input.dicom_files + report.input.gzip_dicom_files) +
             " DICOM file(s), skipped " + std::to_string(report.input.skipped_files) +
             " other file(s)");
  if (report.input.dicom_files + report.input.gzip_dicom_files == 0)
    throw Error("no DICOM files in the input (" + std::to_string(report.input.skipped_files) +
                    " other file(s) skipped)",
                ExitCode::bad_input);

  const ConversionSummary conversion =
      convert_dicom(work.path() / "dicom", work.path() / "converted");
  record_conversion(conversion, report);
  clock.done("dcm2niix converted " + std::to_string(report.series_converted) + " series");

  std::vector<PlannedSeries> planned = plan_series(conversion.series, mapping, report);
  assign_sessions(key, planned, report.new_subjects, report.new_sessions);

  const std::vector<PlannedSeries> to_write =
      select_series_to_write(planned, key, options.dataset, options.force, report);

  const fs::path parent = fs::absolute(options.dataset).parent_path();
  fs::create_directories(parent);
  const FolderGuard staging(make_private_folder(parent, ".strokefair-staging-"));
  const fs::path tree = staging.path() / "dataset";
  fs::create_directories(tree);
  std::optional<HeadTemplate> head_template;
  if (std::any_of(to_write.begin(), to_write.end(), needs_defacing))
    head_template = load_head_template(DataStore(options.data_dir));
  const auto outcomes = write_all_series(to_write, tree, head_template ? &*head_template : nullptr);
  record_defacing(to_write, outcomes, key, report);
  stage_deface_description(tree, options.dataset);
  const SiteClinicalTable participants =
      merged_participants(options.participants, options.dataset, key);
  stage_top_level(tree, options.dataset, options, key, participants, report);
  clock.done("staged " + std::to_string(report.series_written) + " series (" +
             std::to_string(report.series_defaced) + " defaced, " +
             std::to_string(report.series_already_present) + " already present, " +
             std::to_string(report.left_out.size()) + " left out)");

  const auto literals = literal_identifiers(conversion.series, key);
  refuse_identifiers(audit_dataset(tree, literals));

  if (report.changed || !fs::exists(options.dataset)) {
    key.save(report.key_file);
    move_into_place(tree, options.dataset);
  }
  clock.done(report.changed ? "audited and moved into the dataset" : "dataset unchanged");
  report.audit_findings = audit_dataset(options.dataset, literals);
  clock.done("audited the whole dataset");
  return report;
}

}  // namespace strokefair
