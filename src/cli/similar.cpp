// `strokefair similar`: the library cases whose lesions are most like a new one, what became of
// them, and a predicted NIHSS and mRS.
#include <spdlog/spdlog.h>

#include <fstream>
#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "strokefair/core/error.hpp"
#include "strokefair/io/image_io.hpp"
#include "strokefair/library/case_input.hpp"
#include "strokefair/library/report.hpp"

namespace strokefair::cli {
namespace fs = std::filesystem;

namespace {

struct SimilarOptions {
  fs::path library;
  fs::path analysis_dir;
  fs::path mask;
  std::size_t k = 20;
  bool json = false;
  fs::path html;
  double age = -1;
};

CaseSource query_source(const SimilarOptions& o) {
  if (o.analysis_dir.empty() == o.mask.empty()) {
    throw Error("give either an analysis folder or --mask", ExitCode::usage);
  }
  if (!o.mask.empty()) return {"query", o.mask, o.mask.string()};
  const auto cases = cases_in_analysis(o.analysis_dir);
  if (cases.size() != 1) {
    throw input_error(o.analysis_dir.string(), "holds " + std::to_string(cases.size()) +
                                                   " analysed cases; name one subject's folder");
  }
  return cases.front();
}

int run_similar(const SimilarOptions& o, const GlobalOptions& globals) {
  if (o.k == 0) throw Error("-k must be at least 1", ExitCode::usage);
  const Library library = Library::open(o.library, OpenMode::read);
  const FeatureAtlases atlases = load_feature_atlases(DataStore(globals.data_dir));
  if (!FeatureLayout::of(atlases).same_as(library.layout())) {
    throw Error(o.library.string() +
                    ": the library was built with other atlases than the "
                    "data directory holds",
                ExitCode::bad_input);
  }

  const CaseSource source = query_source(o);
  Mask lesion_mask = read_mask(source.mask_path);
  LesionFeatures features;
  try {
    features = extract_features(lesion_mask, atlases);
  } catch (const Error& e) {
    throw e.with_context(source.mask_path.string());
  }

  const RetrievalSettings settings;  // prediction uses its own, cross-validated k
  const CaseIndex index(library.cases(), library.layout(), settings);
  std::optional<double> age;
  if (o.age >= 0) age = o.age;
  const SimilarResult result = find_similar(index, profile_of(features), o.k, source.source, age);
  spdlog::debug("searched {} cases with {}", result.library_size, result.index_description);

  if (!o.html.empty()) {
    std::ofstream out(o.html);
    out << similar_to_html(result, library.layout(), settings);
    if (!out) throw Error(o.html.string() + ": cannot be written", ExitCode::output_failed);
  }
  if (o.json) {
    std::cout << similar_to_json(result, library.layout(), settings).dump(2) << "\n";
  } else {
    std::cout << similar_to_text(result, library.layout(), settings);
  }
  return 0;
}

}  // namespace

Command add_similar(CLI::App& program, const GlobalOptions& globals) {
  auto o = std::make_shared<SimilarOptions>();
  CLI::App* app = program.add_subcommand(
      "similar",
      "Find the library cases with the most similar lesions and summarise their outcome");
  app->add_option("LIBRARY", o->library, "Library file made by 'strokefair library'")->required();
  app->add_option("ANALYSIS_DIR", o->analysis_dir,
                  "'strokefair analyze' output folder of one case");
  app->add_option("--mask", o->mask, "Lesion mask in MNI space (instead of an analysis folder)");
  app->add_option("-k", o->k, "Number of similar cases")->capture_default_str();
  app->add_option("--age", o->age, "Patient's age in years; adjusts the prediction");
  app->add_flag("--json", o->json, "Print one JSON object instead of a table");
  app->add_option("--html", o->html, "Also write an HTML section (for the analyze report)");
  return {app, [o, &globals] { return run_similar(*o, globals); }};
}

}  // namespace strokefair::cli
