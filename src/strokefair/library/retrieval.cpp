// Feature vectors, neighbour search and outcome prediction from similar cases.
#include "strokefair/library/retrieval.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "strokefair/core/error.hpp"

namespace strokefair {

namespace {

void append_regions(std::vector<float>& vector, const RegionVolumes& volumes, double weight,
                    bool log_ml) {
  const double total = std::accumulate(volumes.begin(), volumes.end(), 0.0);
  for (double v : volumes) {
    if (log_ml)
      vector.push_back(float(weight * std::log1p(v)));
    else
      vector.push_back(float(total > 0 ? weight * std::sqrt(v / total) : 0.0));
  }
}

double side_balance(const LesionProfile& lesion, const FeatureLayout& layout) {
  double left = 0, right = 0;
  for (std::size_t r = 0; r < lesion.territory_ml.size(); ++r) {
    if (layout.territories[r].side == Hemisphere::left) left += lesion.territory_ml[r];
    if (layout.territories[r].side == Hemisphere::right) right += lesion.territory_ml[r];
  }
  return left + right > 0 ? (left - right) / (left + right) : 0.0;
}

// Weighted quantile: the smallest value whose cumulative weight reaches q of the total.
double weighted_quantile(std::vector<std::pair<double, double>> values_weights, double q) {
  std::sort(values_weights.begin(), values_weights.end());
  double total = 0;
  for (const auto& vw : values_weights) total += vw.second;
  double cumulative = 0;
  for (const auto& [value, weight] : values_weights) {
    cumulative += weight;
    if (cumulative >= q * total - 1e-12) return value;
  }
  return values_weights.back().first;
}

}  // namespace

LesionProfile profile_of(const StoredCase& c) {
  return {c.volume_ml, c.territory_ml, c.vascular_ml, c.anatomy_ml};
}

LesionProfile profile_of(const LesionFeatures& f) {
  return {f.volume_ml, f.territory_ml, f.vascular_ml, f.anatomy_ml};
}

std::vector<float> feature_vector(const LesionProfile& lesion, const FeatureLayout& layout,
                                  const RetrievalSettings& settings) {
  std::vector<float> vector;
  vector.reserve(lesion.territory_ml.size() + lesion.anatomy_ml.size() + 2);
  append_regions(vector, lesion.territory_ml, settings.territory_weight, settings.region_log_ml);
  append_regions(vector, lesion.anatomy_ml, settings.anatomy_weight, settings.region_log_ml);
  vector.push_back(float(settings.volume_weight * std::log(lesion.volume_ml + 0.1)));
  vector.push_back(float(settings.side_weight * side_balance(lesion, layout)));
  return vector;
}

std::string dominant_territory(const LesionProfile& lesion, const FeatureLayout& layout) {
  const auto& v = lesion.vascular_ml;
  if (v.empty()) return "none";
  const auto largest = std::max_element(v.begin(), v.end());
  if (*largest <= 0) return "none";
  return layout.vascular[largest - v.begin()].name;
}

Hemisphere lesion_side(const LesionProfile& lesion, const FeatureLayout& layout) {
  const double balance = side_balance(lesion, layout);
  if (balance == 0) return Hemisphere::midline;
  return balance > 0 ? Hemisphere::left : Hemisphere::right;
}

CaseIndex::CaseIndex(std::vector<StoredCase> cases, FeatureLayout layout,
                     RetrievalSettings settings, IndexKind kind)
    : cases_(std::move(cases)),
      layout_(std::move(layout)),
      settings_(settings),
      index_([&] {
        if (cases_.empty()) throw Error("the library holds no cases", ExitCode::bad_input);
        std::vector<float> rows;
        std::size_t dimension = 0;
        for (const auto& c : cases_) {
          const auto v = feature_vector(profile_of(c), layout_, settings_);
          dimension = v.size();
          rows.insert(rows.end(), v.begin(), v.end());
        }
        return VectorIndex(std::move(rows), dimension, kind);
      }()),
      nihss_model_(cases_, "nihss"),
      mrs_model_(cases_, "mrs") {}

std::vector<SimilarCase> CaseIndex::nearest(const LesionProfile& lesion, std::size_t k,
                                            const std::string& exclude_id,
                                            std::optional<double> age) const {
  const auto query = feature_vector(lesion, layout_, settings_);
  const bool rerank = age && settings_.age_weight > 0;
  // Re-ranking by age looks among more lesion neighbours than it returns.
  const std::size_t candidates = rerank ? std::max<std::size_t>(4 * k, 100) : k;
  auto found = index_.search(query, exclude_id.empty() ? candidates : candidates + 1);
  if (rerank) {
    for (Neighbour& n : found) {
      const auto case_age = clinical_number(cases_[n.row].clinical, "age");
      const double decades = case_age ? (*case_age - *age) / 10.0 : 1.0;
      n.distance = std::sqrt(n.distance * n.distance + std::pow(settings_.age_weight * decades, 2));
    }
    std::stable_sort(found.begin(), found.end(), [](const Neighbour& a, const Neighbour& b) {
      return a.distance < b.distance;
    });
  }

  std::vector<SimilarCase> neighbours;
  for (const Neighbour& n : found) {
    const StoredCase& c = cases_[n.row];
    if (c.id == exclude_id || neighbours.size() == k) continue;
    neighbours.push_back({&c, n.distance, 1.0 / (1.0 + n.distance)});
  }
  return neighbours;
}

std::optional<double> clinical_number(const ClinicalRecord& record, const std::string& field) {
  const auto it = record.find(field);
  if (it == record.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

CovariateModel::CovariateModel(const std::vector<StoredCase>& cases, const std::string& field)
    : field_(field) {
  std::size_t with_age = 0;
  for (const auto& c : cases) {
    if (const auto age = clinical_number(c.clinical, "age")) {
      mean_age_ += *age;
      ++with_age;
    }
  }
  if (with_age) mean_age_ /= double(with_age);
  bool first = true;
  for (const auto& c : cases) {
    const auto y = clinical_number(c.clinical, field);
    if (!y) continue;
    lowest_ = first ? *y : std::min(lowest_, *y);
    highest_ = first ? *y : std::max(highest_, *y);
    first = false;
    const auto x = covariates(c.volume_ml, clinical_number(c.clinical, "age"));
    const std::array<double, 3> row{1.0, x[0], x[1]};
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) xtx_[i * 3 + j] += row[i] * row[j];
      xty_[i] += row[i] * *y;
    }
  }
}

std::array<double, 2> CovariateModel::covariates(double volume_ml,
                                                 std::optional<double> age) const {
  return {std::log(volume_ml + 0.1), age.value_or(mean_age_)};
}

std::array<double, 2> CovariateModel::slopes(const StoredCase* excluded) const {
  auto a = xtx_;
  auto b = xty_;
  if (excluded) {
    if (const auto y = clinical_number(excluded->clinical, field_)) {
      const auto x = covariates(excluded->volume_ml, clinical_number(excluded->clinical, "age"));
      const std::array<double, 3> row{1.0, x[0], x[1]};
      for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < 3; ++j) a[i * 3 + j] -= row[i] * row[j];
        b[i] -= row[i] * *y;
      }
    }
  }
  // Gaussian elimination with partial pivoting on the 3x3 normal equations.
  for (int col = 0; col < 3; ++col) {
    int pivot = col;
    for (int r = col + 1; r < 3; ++r)
      if (std::abs(a[r * 3 + col]) > std::abs(a[pivot * 3 + col])) pivot = r;
    if (std::abs(a[pivot * 3 + col]) < 1e-9) return {0.0, 0.0};  // too few cases to fit
    for (int j = 0; j < 3; ++j) std::swap(a[col * 3 + j], a[pivot * 3 + j]);
    std::swap(b[col], b[pivot]);
    for (int r = 0; r < 3; ++r) {
      if (r == col) continue;
      const double f = a[r * 3 + col] / a[col * 3 + col];
      for (int j = 0; j < 3; ++j) a[r * 3 + j] -= f * a[col * 3 + j];
      b[r] -= f * b[col];
    }
  }
  return {b[1] / a[4], b[2] / a[8]};
}

std::optional<Interval> predict_field(const std::vector<SimilarCase>& neighbours,
                                      const std::string& field, const RetrievalSettings& settings,
                                      const CovariateModel& model,
                                      const std::array<double, 2>& slopes,
                                      const QueryCovariates& query) {
  // The k nearest that have the field; the caller passes a longer list for this. Each value is
  // moved to the query's volume and age (age only when both are known).
  const auto query_x = model.covariates(query.volume_ml, query.age);
  std::vector<std::pair<double, double>> values_distances;
  for (const auto& n : neighbours) {
    if (values_distances.size() == settings.k) break;
    const auto value = clinical_number(n.stored->clinical, field);
    if (!value) continue;
    const auto case_age = clinical_number(n.stored->clinical, "age");
    const auto x = model.covariates(n.stored->volume_ml, case_age);
    double adjusted = *value + settings.covariate_adjustment * slopes[0] * (query_x[0] - x[0]);
    if (query.age && case_age)
      adjusted += settings.covariate_adjustment * slopes[1] * (query_x[1] - x[1]);
    values_distances.emplace_back(model.clamp(adjusted), n.distance);
  }
  if (values_distances.empty()) return std::nullopt;

  const double scale = std::max(settings.bandwidth * values_distances.back().second, 1e-6);
  std::vector<std::pair<double, double>> values_weights;
  double weighted_sum = 0, total_weight = 0;
  for (const auto& [value, distance] : values_distances) {
    const double weight = settings.bandwidth > 0 ? std::exp(-std::pow(distance / scale, 2)) : 1.0;
    values_weights.emplace_back(value, weight);
    weighted_sum += weight * value;
    total_weight += weight;
  }
  if (values_weights.empty() || total_weight <= 0) return std::nullopt;
  Interval interval;
  interval.value = weighted_sum / total_weight;
  interval.low = weighted_quantile(values_weights, settings.interval_low);
  interval.high = weighted_quantile(values_weights, settings.interval_high);
  interval.cases = values_weights.size();
  return interval;
}

Prediction CaseIndex::predict(const std::vector<SimilarCase>& neighbours,
                              const QueryCovariates& query, const StoredCase* excluded) const {
  return {
      predict_field(neighbours, "nihss", settings_, nihss_model_, nihss_model_.slopes(excluded),
                    query),
      predict_field(neighbours, "mrs", settings_, mrs_model_, mrs_model_.slopes(excluded), query)};
}

}  // namespace strokefair
