// `strokefair evaluate`: agreement of predicted lesion masks with reference masks.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iomanip>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "strokefair/core/error.hpp"
#include "strokefair/evaluate/segmentation_metrics.hpp"
#include "strokefair/io/image_io.hpp"

namespace strokefair::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct EvaluateOptions {
  fs::path predicted;
  fs::path reference;
  bool json_only = false;
};

// Pairs files by name: a folder of predictions against a folder of references.
std::vector<std::pair<fs::path, fs::path>> pair_files(const fs::path& predicted,
                                                      const fs::path& reference) {
  if (!fs::exists(predicted)) throw input_error(predicted.string(), "does not exist");
  if (!fs::exists(reference)) throw input_error(reference.string(), "does not exist");
  if (!fs::is_directory(predicted)) return {{predicted, reference}};
  if (!fs::is_directory(reference)) {
    throw input_error(reference.string(), "must be a folder when the prediction is a folder");
  }
  std::vector<std::pair<fs::path, fs::path>> pairs;
  for (const auto& entry : fs::directory_iterator(predicted)) {
    if (!is_image_file_name(entry.path())) continue;
    const fs::path match = reference / entry.path().filename();
    if (!fs::exists(match)) {
      throw input_error(entry.path().string(),
                        "has no reference of the same name in " + reference.string());
    }
    pairs.emplace_back(entry.path(), match);
  }
  std::sort(pairs.begin(), pairs.end());
  if (pairs.empty()) throw input_error(predicted.string(), "holds no NIfTI or MetaImage masks");
  return pairs;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

Command add_evaluate(CLI::App& program, const GlobalOptions&) {
  auto options = std::make_shared<EvaluateOptions>();
  CLI::App* app = program.add_subcommand(
      "evaluate",
      "Compare predicted lesion masks with reference masks (ISLES'22 metrics: Dice, "
      "volume and lesion-count difference, lesion-wise F1)");
  app->add_option("predicted", options->predicted, "Predicted mask, or a folder of masks")
      ->required();
  app->add_option("reference", options->reference,
                  "Reference mask, or a folder with masks of the same file names")
      ->required();
  app->add_flag("--json", options->json_only,
                "Print one JSON object (per-case metrics and medians) instead of the table");

  return {app, [options] {
            json cases = json::array();
            std::vector<double> dice, f1, volume_difference, count_difference;
            for (const auto& [predicted_path, reference_path] :
                 pair_files(options->predicted, options->reference)) {
              const Mask predicted = read_binary_mask(predicted_path);
              const Mask reference = read_binary_mask(reference_path);
              SegmentationAgreement a;
              try {
                a = compare_masks(predicted, reference);
              } catch (const Error& e) {
                throw e.with_context(predicted_path.string());
              }
              dice.push_back(a.dice);
              f1.push_back(a.lesion_f1);
              volume_difference.push_back(a.volume_difference_ml);
              count_difference.push_back(static_cast<double>(a.lesion_count_difference));
              cases.push_back({{"predicted", predicted_path.string()},
                               {"reference", reference_path.string()},
                               {"dice", a.dice},
                               {"volume_difference_ml", a.volume_difference_ml},
                               {"predicted_ml", a.predicted_ml},
                               {"reference_ml", a.reference_ml},
                               {"lesion_count_difference", a.lesion_count_difference},
                               {"lesion_f1", a.lesion_f1},
                               {"true_positive_lesions", a.true_positives},
                               {"false_positive_lesions", a.false_positives},
                               {"false_negative_lesions", a.false_negatives}});
            }
            const json result = {{"cases", cases},
                                 {"median",
                                  {{"dice", median(dice)},
                                   {"volume_difference_ml", median(volume_difference)},
                                   {"lesion_count_difference", median(count_difference)},
                                   {"lesion_f1", median(f1)}}}};
            if (options->json_only) {
              std::cout << result.dump(2) << std::endl;
              return 0;
            }
            std::cout << std::fixed << std::setprecision(3);
            std::cout << "dice\tvolume_difference_ml\tlesion_count_difference\tlesion_f1\tcase\n";
            for (const auto& c : cases) {
              std::cout << c["dice"].get<double>() << '\t'
                        << c["volume_difference_ml"].get<double>() << '\t'
                        << c["lesion_count_difference"].get<long>() << '\t'
                        << c["lesion_f1"].get<double>() << '\t'
                        << fs::path(c["predicted"].get<std::string>()).filename().string() << '\n';
            }
            std::cout << median(dice) << '\t' << median(volume_difference) << '\t'
                      << median(count_difference) << '\t' << median(f1) << "\tmedian\n";
            return 0;
          }};
}

}  // namespace strokefair::cli
