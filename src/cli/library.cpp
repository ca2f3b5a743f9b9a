// `strokefair library`: builds and inspects the similar-case library (add, import, map,
// evaluate, benchmark).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <random>

#include "cli/command.hpp"
#include "strokefair/core/error.hpp"
#include "strokefair/core/resample.hpp"
#include "strokefair/io/image_io.hpp"
#include "strokefair/library/case_input.hpp"
#include "strokefair/library/evaluation.hpp"
#include "strokefair/library/frequency_map.hpp"
#include "strokefair/library/retrieval.hpp"

namespace strokefair::cli {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

struct LibraryOptions {
  fs::path library;
  // add
  fs::path analysis_dir;
  fs::path mask;
  std::string id;
  fs::path clinical;
  bool replace = false;
  // import
  fs::path masks_dir;
  fs::path participants;
  bool skip_invalid = false;
  bool require_clinical = false;
  // map
  std::string where;
  fs::path map_output;
  // evaluate, benchmark
  RetrievalSettings settings;
  std::string ids;  // evaluate: "odd", "even" or empty for all
  bool json = false;
  std::size_t synthetic = 0;
  std::size_t queries = 200;
  double noise = 0.05;
};

// Attaches clinical rows to new cases; a case whose id the table lacks is an error.
void attach_clinical(std::vector<NewCase>& cases, const ClinicalTable& table,
                     const fs::path& path) {
  for (auto& c : cases) {
    const auto row = table.find(c.id);
    if (row == table.end()) {
      throw input_error(path.string(), "has no row for " + c.id + " (participant_id must match)");
    }
    c.clinical = row->second;
  }
}

// Adds cases to the library in one transaction; a library this call created is removed again
// when the add fails, so a failed add leaves no trace.
void add_to_library(const fs::path& path, const FeatureAtlases& atlases,
                    const std::vector<NewCase>& cases, bool replace) {
  const bool existed = fs::exists(path);
  try {
    Library library = Library::open(path, OpenMode::create_or_update, &atlases);
    library.add(cases, replace);
  } catch (...) {
    if (!existed) fs::remove(path);
    throw;
  }
}

int run_add(const LibraryOptions& o, const GlobalOptions& globals) {
  const bool has_case = !o.analysis_dir.empty() || !o.mask.empty();
  if (!has_case && o.clinical.empty()) {
    throw Error("give an analysis folder, --mask with --id, or --clinical", ExitCode::usage);
  }
  if (!o.mask.empty() && o.id.empty()) throw Error("--mask needs --id", ExitCode::usage);
  if (!o.mask.empty() && !o.analysis_dir.empty()) {
    throw Error("give either an analysis folder or --mask, not both", ExitCode::usage);
  }

  std::optional<ClinicalTable> table;
  if (!o.clinical.empty()) table = read_clinical_table(o.clinical);
  if (!has_case) {
    if (!fs::exists(o.library)) {
      throw input_error(o.library.string(),
                        "no such library; clinical fields are added with the "
                        "cases (library add ... --clinical)");
    }
    Library library = Library::open(o.library, OpenMode::create_or_update);
    library.update_clinical(*table);
    spdlog::info("updated clinical fields of {} case(s)", table->size());
    return 0;
  }

  const FeatureAtlases atlases = load_feature_atlases(DataStore(globals.data_dir));
  std::vector<CaseSource> sources;
  if (!o.mask.empty()) {
    sources.push_back({o.id, fs::absolute(o.mask).lexically_normal(), o.mask.string()});
  } else {
    sources = cases_in_analysis(o.analysis_dir);
  }
  std::vector<NewCase> cases;
  for (const auto& source : sources) cases.push_back(measure_case(source, atlases));
  if (table) attach_clinical(cases, *table, o.clinical);

  add_to_library(o.library, atlases, cases, o.replace);
  for (const auto& c : cases) {
    spdlog::info("added {}: {:.1f} mL, {}", c.id, c.features.volume_ml, to_string(c.features.side));
  }
  return 0;
}

int run_import(const LibraryOptions& o, const GlobalOptions& globals) {
  const auto start = Clock::now();
  const ClinicalTable table = read_clinical_table(o.participants);
  const auto sources = cases_in_mask_folder(o.masks_dir);
  const FeatureAtlases atlases = load_feature_atlases(DataStore(globals.data_dir));

  std::vector<NewCase> cases;
  std::vector<std::string> unknown;
  const bool progress = isatty(STDERR_FILENO) && !globals.quiet;
  for (std::size_t s = 0; s < sources.size(); ++s) {
    if (progress) std::fprintf(stderr, "\rmeasuring lesions: %zu/%zu", s + 1, sources.size());
    if (!table.count(sources[s].id)) unknown.push_back(sources[s].id);
    try {
      cases.push_back(measure_case(sources[s], atlases));
    } catch (const Error& e) {
      if (!o.skip_invalid) throw;
      spdlog::warn("skipped: {}", e.what());
    }
  }
  if (progress) std::fprintf(stderr, "\n");
  if (!unknown.empty() && o.require_clinical) {
    throw input_error(o.participants.string(), "has no row for " + std::to_string(unknown.size()) +
                                                   " mask(s), e.g. " + unknown.front() +
                                                   "; nothing was imported");
  }
  if (!unknown.empty()) {
    spdlog::warn(
        "{} has no row for {} mask(s), e.g. {}: they are imported without clinical "
        "fields",
        o.participants.string(), unknown.size(), unknown.front());
  }
  std::size_t with_clinical = 0;
  for (auto& c : cases) {
    const auto row = table.find(c.id);
    if (row == table.end()) continue;
    c.clinical = row->second;
    ++with_clinical;
  }

  if (with_clinical == 0 && !table.empty()) {
    spdlog::warn(
        "no row of {} matches any mask: do its participant_id values match the "
        "mask file names (sub-<id>_...)?",
        o.participants.string());
  }

  add_to_library(o.library, atlases, cases, o.replace);
  spdlog::info(
      "imported {} case(s), {} with clinical fields, in {:.1f} s; {} participant row(s) "
      "have no mask",
      cases.size(), with_clinical, seconds_since(start), table.size() - with_clinical);
  return 0;
}

int run_map(const LibraryOptions& o, const GlobalOptions& globals) {
  std::optional<SqlCondition> where;
  if (!o.where.empty()) where = parse_where(o.where);
  const Library library = Library::open(o.library, OpenMode::read);
  const auto cases = library.cases(where, true);
  if (cases.empty())
    throw Error("no case matches --where \"" + o.where + "\"", ExitCode::bad_input);

  const FrequencyMaps maps = frequency_maps(cases, library.layout().library_grid);
  const std::string name = o.map_output.filename().string();
  const auto stem_end = name.find(".nii");
  const std::string stem = stem_end == std::string::npos ? name : name.substr(0, stem_end);
  const fs::path proportion_path = o.map_output.parent_path() / (stem + "_proportion.nii.gz");
  const fs::path png_path = o.map_output.parent_path() / (stem + ".png");
  if (!o.map_output.parent_path().empty()) fs::create_directories(o.map_output.parent_path());
  write_image(maps.count, o.map_output);
  write_image(maps.proportion, proportion_path);

  std::optional<Image> background;
  const DataStore store(globals.data_dir);
  if (const auto t1 = store.find("template_t1")) {
    background = resample_linear(read_image(*t1), library.layout().library_grid);
  }
  write_montage_png(maps, background, png_path);

  float peak = 0;
  for (float v : maps.count.voxels) peak = std::max(peak, v);
  spdlog::info("{} case(s); at most {} lesioned in one voxel", maps.cases, peak);
  std::cout << "count\t" << o.map_output.string() << "\nproportion\t" << proportion_path.string()
            << "\nmontage\t" << png_path.string() << "\ncases\t" << maps.cases << "\n";
  return 0;
}

nlohmann::json metrics_json(const PredictionMetrics& m) {
  return {{"cases", m.cases},
          {"pearson_r", m.pearson_r},
          {"mae", m.mean_absolute_error},
          {"interval_coverage", m.interval_coverage},
          {"mean_interval_width", m.mean_interval_width}};
}

// Whether a case id's label ends in an odd digit ("sub-1001"): a fixed split of the library
// into two halves, to check settings tuned on one half on the other.
bool odd_id(const std::string& id) {
  const auto last = id.find_last_of("0123456789");
  return last != std::string::npos && (id[last] - '0') % 2 == 1;
}

int run_evaluate(const LibraryOptions& o) {
  const Library library = Library::open(o.library, OpenMode::read);
  auto cases = library.cases();
  if (!o.ids.empty()) {
    const bool keep_odd = o.ids == "odd";
    cases.erase(std::remove_if(cases.begin(), cases.end(),
                               [&](const StoredCase& c) { return odd_id(c.id) != keep_odd; }),
                cases.end());
  }
  const CaseIndex index(std::move(cases), library.layout(), o.settings, IndexKind::exact);
  const Evaluation e = cross_validate(index, 10);
  const auto& s = o.settings;
  if (o.json) {
    const auto& r = e.retrieval;
    std::cout << nlohmann::json{{"settings",
                                 {{"k", s.k},
                                  {"territory_weight", s.territory_weight},
                                  {"anatomy_weight", s.anatomy_weight},
                                  {"volume_weight", s.volume_weight},
                                  {"side_weight", s.side_weight},
                                  {"bandwidth", s.bandwidth},
                                  {"covariate_adjustment", s.covariate_adjustment},
                                  {"eloquent_covariates", s.eloquent_covariates},
                                  {"prior_weight", s.prior_weight},
                                  {"ids", o.ids.empty() ? "all" : o.ids},
                                  {"interval", {s.interval_low, s.interval_high}}}},
                                {"nihss", metrics_json(e.nihss)},
                                {"mrs", metrics_json(e.mrs)},
                                {"retrieval",
                                 {{"queries", r.queries},
                                  {"top", r.top},
                                  {"same_territory", r.same_territory},
                                  {"same_side", r.same_side},
                                  {"chance_territory", r.chance_territory},
                                  {"chance_side", r.chance_side}}}}
                     .dump(2)
              << "\n";
    return 0;
  }
  std::printf("k=%zu territory=%.2f anatomy=%.2f volume=%.2f side=%.2f bandwidth=%.2f\n", s.k,
              s.territory_weight, s.anatomy_weight, s.volume_weight, s.side_weight, s.bandwidth);
  for (const auto& [name, m] :
       {std::pair<const char*, PredictionMetrics>{"NIHSS", e.nihss}, {"mRS", e.mrs}}) {
    std::printf("%-6s n=%zu r=%.3f MAE=%.2f coverage=%.3f width=%.2f\n", name, m.cases, m.pearson_r,
                m.mean_absolute_error, m.interval_coverage, m.mean_interval_width);
  }
  std::printf("top-%zu same territory %.3f (chance %.3f), same side %.3f (chance %.3f)\n",
              e.retrieval.top, e.retrieval.same_territory, e.retrieval.chance_territory,
              e.retrieval.same_side, e.retrieval.chance_side);
  return 0;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

// Query latency on the real library and on a synthetic one of `synthetic` vectors, built by
// drawing real feature vectors and adding Gaussian noise.
int run_benchmark(const LibraryOptions& o) {
  const Library library = Library::open(o.library, OpenMode::read);
  const CaseIndex real(library.cases(), library.layout(), o.settings);
  std::mt19937 random(7);
  std::uniform_int_distribution<std::size_t> pick(0, real.cases().size() - 1);

  std::vector<double> latencies;
  for (std::size_t q = 0; q < o.queries; ++q) {
    const LesionProfile lesion = profile_of(real.cases()[pick(random)]);
    const auto start = Clock::now();
    const auto found = real.nearest(lesion, o.settings.k);
    latencies.push_back(seconds_since(start) * 1000);
  }
  std::printf(
      "library\t%zu cases\t%s\tquery median %.3f ms (%zu queries, k=%zu, incl. feature vector)\n",
      real.cases().size(), real.index().description().c_str(), median(latencies), o.queries,
      o.settings.k);
  if (o.synthetic == 0) return 0;

  std::vector<std::vector<float>> real_vectors;
  for (const auto& c : real.cases())
    real_vectors.push_back(feature_vector(profile_of(c), library.layout(), o.settings));
  const std::size_t dimension = real_vectors.front().size();
  std::normal_distribution<float> noise(0.f, float(o.noise));
  const auto synthesise = [&] {
    std::vector<float> v = real_vectors[pick(random)];
    for (auto& x : v) x += noise(random);
    return v;
  };
  std::vector<float> rows;
  rows.reserve(o.synthetic * dimension);
  for (std::size_t n = 0; n < o.synthetic; ++n) {
    const auto v = synthesise();
    rows.insert(rows.end(), v.begin(), v.end());
  }
  auto start = Clock::now();
  const VectorIndex approximate(rows, dimension, IndexKind::automatic);
  const double build_s = seconds_since(start);
  std::vector<std::vector<float>> queries;
  for (std::size_t q = 0; q < o.queries; ++q) queries.push_back(synthesise());
  latencies.clear();
  std::vector<std::vector<Neighbour>> found;
  for (const auto& query : queries) {
    start = Clock::now();
    found.push_back(approximate.search(query, o.settings.k));
    latencies.push_back(seconds_since(start) * 1000);
  }
  std::printf("synthetic\t%zu vectors\t%s\tbuild %.1f s\tquery median %.3f ms (%zu queries)\n",
              o.synthetic, approximate.description().c_str(), build_s, median(latencies),
              o.queries);
  if (approximate.exact()) return 0;

  // Recall: share of the exact k nearest (by a plain scan) that the approximate index returned.
  latencies.clear();
  double recall = 0;
  const std::size_t checked = std::min<std::size_t>(o.queries, 50);
  for (std::size_t q = 0; q < checked; ++q) {
    start = Clock::now();
    std::vector<std::pair<float, std::size_t>> all(o.synthetic);
    for (std::size_t r = 0; r < o.synthetic; ++r) {
      float sum = 0;
      for (std::size_t c = 0; c < dimension; ++c) {
        const float diff = rows[r * dimension + c] - queries[q][c];
        sum += diff * diff;
      }
      all[r] = {sum, r};
    }
    const std::size_t k = std::min(o.settings.k, all.size());
    std::partial_sort(all.begin(), all.begin() + k, all.end());
    latencies.push_back(seconds_since(start) * 1000);
    std::size_t hits = 0;
    for (std::size_t t = 0; t < k; ++t)
      for (const auto& f : found[q]) hits += all[t].second == f.row;
    recall += double(hits) / double(k);
  }
  std::printf(
      "synthetic\t%zu vectors\texact plain scan\tquery median %.1f ms\trecall@%zu of the "
      "approximate index %.3f (%zu queries)\n",
      o.synthetic, median(latencies), o.settings.k, recall / double(checked), checked);
  return 0;
}

void add_settings_options(CLI::App* app, RetrievalSettings& s) {
  app->add_option("-k", s.k, "Neighbours used for prediction")->capture_default_str();
  app->add_option("--territory-weight", s.territory_weight, "Weight of the territory shares")
      ->capture_default_str();
  app->add_option("--anatomy-weight", s.anatomy_weight, "Weight of the anatomical region shares")
      ->capture_default_str();
  app->add_option("--volume-weight", s.volume_weight, "Weight of log lesion volume")
      ->capture_default_str();
  app->add_option("--side-weight", s.side_weight, "Weight of the left-right balance")
      ->capture_default_str();
  app->add_option("--bandwidth", s.bandwidth,
                  "Gaussian neighbour weights, relative to the k-th distance (0: equal weights)")
      ->capture_default_str();
  app->add_flag("--region-log-ml,!--region-shares", s.region_log_ml,
                "Regions as ln(1 + lesion mL) instead of sqrt of the lesion's share");
  app->add_option("--age-weight", s.age_weight, "Re-rank by age difference (per decade)")
      ->capture_default_str();
  app->add_option("--covariate-adjustment", s.covariate_adjustment,
                  "Share of the library-wide covariate slopes applied to neighbours' outcomes")
      ->capture_default_str();
  app->add_flag("--eloquent-covariates,!--no-eloquent-covariates", s.eloquent_covariates,
                "Adjust for lesion load in the left hemisphere, corticospinal path, insula and "
                "language regions as well as volume and age");
  app->add_option("--prior-weight", s.prior_weight,
                  "Shrink the neighbours' estimate towards the library-wide regression (0-1)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_option("--interval-low", s.interval_low, "Lower quantile of the interval")
      ->capture_default_str();
  app->add_option("--interval-high", s.interval_high, "Upper quantile of the interval")
      ->capture_default_str();
}

}  // namespace

Command add_library(CLI::App& program, const GlobalOptions& globals) {
  auto o = std::make_shared<LibraryOptions>();
  CLI::App* app = program.add_subcommand(
      "library",
      "Build the similar-case library: add analysed cases, import a cohort, map lesions");
  app->require_subcommand(1);

  CLI::App* add = app->add_subcommand(
      "add",
      "Add analysed case(s) to LIBRARY (created when missing), or with --clinical only, "
      "update clinical fields of cases already there");
  add->add_option("LIBRARY", o->library, "Library file (SQLite)")->required();
  add->add_option("ANALYSIS_DIR", o->analysis_dir, "'strokefair analyze' output folder");
  add->add_option("--mask", o->mask, "Lesion mask in MNI space (instead of an analysis folder)");
  add->add_option("--id", o->id, "Case id for --mask, e.g. sub-001");
  add->add_option("--clinical", o->clinical, "participants.tsv-style table with the case's row");
  add->add_flag("--replace", o->replace, "Replace cases that are already in the library");

  CLI::App* import = app->add_subcommand(
      "import",
      "Import a cohort: every sub-<label>_*.nii.gz MNI lesion mask of a folder with "
      "its participants.tsv row, in one transaction");
  import->add_option("LIBRARY", o->library, "Library file (SQLite)")->required();
  import->add_option("--masks", o->masks_dir, "Folder of MNI lesion masks")->required();
  import->add_option("--participants", o->participants, "participants.tsv")->required();
  import->add_flag("--skip-invalid", o->skip_invalid,
                   "Skip (with a warning) masks that are empty "
                   "or not in MNI space instead of failing");
  import->add_flag("--require-clinical", o->require_clinical,
                   "Fail when a mask has no participants.tsv row (default: import it without "
                   "clinical fields)");
  import->add_flag("--replace", o->replace, "Replace cases that are already in the library");

  CLI::App* map = app->add_subcommand(
      "map", "Lesion frequency maps (count and proportion per voxel, NIfTI and PNG montage)");
  map->add_option("LIBRARY", o->library, "Library file (SQLite)")->required();
  map->add_option("--where", o->where, "Subgroup, e.g. \"nihss >= 10 and sex = F\"");
  map->add_option("-o,--output", o->map_output,
                  "Count map (.nii.gz); the proportion map and the "
                  "PNG are written beside it")
      ->required();

  CLI::App* evaluate = app->add_subcommand(
      "evaluate", "Leave-one-out cross-validation of NIHSS/mRS prediction and retrieval");
  evaluate->add_option("LIBRARY", o->library, "Library file (SQLite)")->required();
  add_settings_options(evaluate, o->settings);
  evaluate->add_flag("--json", o->json, "Print one JSON object");
  evaluate
      ->add_option("--ids", o->ids,
                   "Evaluate within the cases whose id ends in an odd or an even digit")
      ->check(CLI::IsMember({"odd", "even"}));

  CLI::App* benchmark = app->add_subcommand(
      "benchmark", "Query latency on LIBRARY and on a synthetic library built from it");
  benchmark->add_option("LIBRARY", o->library, "Library file (SQLite)")->required();
  benchmark->add_option("--synthetic", o->synthetic, "Synthetic vectors (e.g. 1000000)");
  benchmark->add_option("--queries", o->queries, "Queries timed")->capture_default_str();
  benchmark->add_option("--noise", o->noise, "Gaussian noise added to each drawn vector")
      ->capture_default_str();
  add_settings_options(benchmark, o->settings);

  return {app, [o, &globals, add, import, map, evaluate, benchmark] {
            if (add->parsed()) return run_add(*o, globals);
            if (import->parsed()) return run_import(*o, globals);
            if (map->parsed()) return run_map(*o, globals);
            if (evaluate->parsed()) return run_evaluate(*o);
            if (benchmark->parsed()) return run_benchmark(*o);
            return static_cast<int>(ExitCode::usage);
          }};
}

}  // namespace strokefair::cli
