// Leave-one-out cross-validation of similar-case prediction and retrieval on a library.
#pragma once

#include "strokefair/library/retrieval.hpp"

namespace strokefair {

struct PredictionMetrics {
  std::size_t cases = 0;  // held-out cases with the field and at least one neighbour value
  double pearson_r = 0;
  double mean_absolute_error = 0;
  double interval_coverage = 0;  // share of held-out values inside [low, high]
  double mean_interval_width = 0;
};

struct RetrievalMetrics {
  std::size_t queries = 0;
  std::size_t top = 10;
  double same_territory = 0;  // mean share of the top neighbours with the query's level-2 territory
  double same_side = 0;       // ... with the query's side
  double chance_territory = 0;  // the same shares for neighbours drawn at random
  double chance_side = 0;
};

struct Evaluation {
  PredictionMetrics nihss;
  PredictionMetrics mrs;
  RetrievalMetrics retrieval;
};

// Every case is left out in turn and predicted from its k nearest among the others.
Evaluation cross_validate(const CaseIndex& index, std::size_t top = 10);

double pearson_correlation(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace strokefair
