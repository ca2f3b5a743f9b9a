// Leave-one-out evaluation of the similar-case library.
#include "strokefair/library/evaluation.hpp"

#include <cmath>
#include <map>

namespace strokefair {

namespace {

struct Collected {
  std::vector<double> truth, predicted;
  std::size_t covered = 0;
  double width = 0;

  void add(double value, const Interval& interval) {
    truth.push_back(value);
    predicted.push_back(interval.value);
    covered += value >= interval.low && value <= interval.high;
    width += interval.high - interval.low;
  }

  PredictionMetrics metrics() const {
    PredictionMetrics m;
    m.cases = truth.size();
    if (truth.empty()) return m;
    m.pearson_r = pearson_correlation(truth, predicted);
    for (std::size_t i = 0; i < truth.size(); ++i)
      m.mean_absolute_error += std::abs(truth[i] - predicted[i]);
    m.mean_absolute_error /= double(truth.size());
    m.interval_coverage = double(covered) / double(truth.size());
    m.mean_interval_width = width / double(truth.size());
    return m;
  }
};

}  // namespace

double pearson_correlation(const std::vector<double>& x, const std::vector<double>& y) {
  const double n = double(x.size());
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
}

Evaluation cross_validate(const CaseIndex& index, std::size_t top) {
  const auto& settings = index.settings();
  const auto& cases = index.cases();
  Collected nihss, mrs;
  Evaluation evaluation;
  RetrievalMetrics& retrieval = evaluation.retrieval;
  retrieval.top = top;

  std::map<std::string, std::size_t> territory_counts;
  std::map<Hemisphere, std::size_t> side_counts;
  for (const auto& c : cases) {
    ++territory_counts[dominant_territory(profile_of(c), index.layout())];
    ++side_counts[lesion_side(profile_of(c), index.layout())];
  }

  for (const auto& c : cases) {
    const LesionProfile lesion = profile_of(c);
    const auto age = clinical_number(c.clinical, "age");
    const auto neighbours =
        index.nearest(lesion, std::max(prediction_candidates(settings.k), top), c.id, age);
    const Prediction prediction = index.predict(neighbours, {lesion, age}, &c);
    if (auto v = clinical_number(c.clinical, "nihss"); v && prediction.nihss)
      nihss.add(*v, *prediction.nihss);
    if (auto v = clinical_number(c.clinical, "mrs"); v && prediction.mrs)
      mrs.add(*v, *prediction.mrs);

    const std::string territory = dominant_territory(lesion, index.layout());
    const Hemisphere side = lesion_side(lesion, index.layout());
    const std::size_t shown = std::min(top, neighbours.size());
    if (shown == 0) continue;
    double same_territory = 0, same_side = 0;
    for (std::size_t n = 0; n < shown; ++n) {
      const LesionProfile other = profile_of(*neighbours[n].stored);
      same_territory += dominant_territory(other, index.layout()) == territory;
      same_side += lesion_side(other, index.layout()) == side;
    }
    retrieval.same_territory += same_territory / double(shown);
    retrieval.same_side += same_side / double(shown);
    // A random other case shares the territory with probability (count - 1) / (N - 1).
    const double others = double(cases.size() - 1);
    retrieval.chance_territory += double(territory_counts[territory] - 1) / others;
    retrieval.chance_side += double(side_counts[side] - 1) / others;
    ++retrieval.queries;
  }
  if (retrieval.queries) {
    const double q = double(retrieval.queries);
    retrieval.same_territory /= q;
    retrieval.same_side /= q;
    retrieval.chance_territory /= q;
    retrieval.chance_side /= q;
  }
  evaluation.nihss = nihss.metrics();
  evaluation.mrs = mrs.metrics();
  return evaluation;
}

}  // namespace strokefair
