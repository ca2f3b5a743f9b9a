// The result of a similar-case query as JSON, as an HTML section (which the `analyze` report
// can include) and as a plain-text table for the terminal.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "strokefair/library/retrieval.hpp"

namespace strokefair {

struct SimilarResult {
  std::string query;  // what was queried (folder or mask), never a patient name
  LesionProfile lesion;
  std::vector<SimilarCase> neighbours;
  Prediction prediction;
  std::string index_description;
  std::size_t library_size = 0;
};

// The k most similar cases and the prediction; `age` (years) sharpens the prediction.
SimilarResult find_similar(const CaseIndex& index, const LesionProfile& lesion, std::size_t k,
                           const std::string& query, std::optional<double> age = std::nullopt);

// Distribution of the neighbours' outcomes: admission NIHSS (median, quartiles), 90-day mRS
// (count per grade and share with mRS 0-2), age, and counts of every text field (sex, treatment).
nlohmann::json outcome_summary(const std::vector<SimilarCase>& neighbours);

// {"query", "library_size", "index", "neighbors": [{"id", "similarity", ...clinical}],
//  "prediction": {"nihss": {"value","low","high","cases"}, "mrs": {...}}, "summary": {...}}
nlohmann::json similar_to_json(const SimilarResult& result, const FeatureLayout& layout,
                               const RetrievalSettings& settings);
std::string similar_to_html(const SimilarResult& result, const FeatureLayout& layout,
                            const RetrievalSettings& settings);
std::string similar_to_text(const SimilarResult& result, const FeatureLayout& layout,
                            const RetrievalSettings& settings);

}  // namespace strokefair
