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
      nihss_model_(cases_, "nihss", layout_, settings_.eloquent_covariates),
      mrs_model_(cases_, "mrs", layout_, settings_.eloquent_covariates) {}

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

namespace {

// JHU-MNI regions of the eloquent groups: the corticospinal path (precentral gyrus, corona
// radiata, posterior limb of the internal capsule, peduncle, CST), the insula, the perisylvian
// language regions of the left hemisphere, the right parietal cortex (neglect), the brainstem
// and cerebellum, the thalamus, and the visual cortex. Chosen by leave-one-out on the odd SOOP
// ids only (bench/library_results.md).
const std::vector<std::vector<std::string>> eloquent_groups = {
    {"PrCG_L", "PrCG_R", "SCR_L", "SCR_R", "PLIC_L", "PLIC_R", "CP_L", "CP_R", "CST_L", "CST_R"},
    {"Ins_L", "Ins_R", "PIns_L", "PIns_R"},
    {"IFG_opercularis_L", "IFG_triangularis_L", "STG_L", "PSTG_L", "SMG_L", "PSMG_L", "AG_L",
     "MTG_L", "SLF_L"},
    {"SMG_R", "PSMG_R", "AG_R", "SPG_R", "STG_R", "PSTG_R"},
    {"Pons_L", "Pons_R", "Midbrain_L", "Midbrain_R", "Medulla_L", "Medulla_R", "cerebellum_L",
     "cerebellum_R", "MCP_L", "MCP_R"},
    {"Thal_L", "Thal_R"},
    {"Cu_L", "Cu_R", "LG_L", "LG_R", "SOG_L", "SOG_R", "MOG_L", "MOG_R", "IOG_L", "IOG_R"},
};

// Solves the symmetric system a x = b (n x n, row-major) by Gaussian elimination with partial
// pivoting; all zeros when it is singular.
std::vector<double> solve(std::vector<double> a, std::vector<double> b) {
  const std::size_t n = b.size();
  for (std::size_t col = 0; col < n; ++col) {
    std::size_t pivot = col;
    for (std::size_t r = col + 1; r < n; ++r)
      if (std::abs(a[r * n + col]) > std::abs(a[pivot * n + col])) pivot = r;
    if (std::abs(a[pivot * n + col]) < 1e-9) return std::vector<double>(n, 0.0);
    for (std::size_t j = 0; j < n; ++j) std::swap(a[col * n + j], a[pivot * n + j]);
    std::swap(b[col], b[pivot]);
    for (std::size_t r = 0; r < n; ++r) {
      if (r == col) continue;
      const double f = a[r * n + col] / a[col * n + col];
      for (std::size_t j = 0; j < n; ++j) a[r * n + j] -= f * a[col * n + j];
      b[r] -= f * b[col];
    }
  }
  for (std::size_t i = 0; i < n; ++i) b[i] /= a[i * n + i];
  return b;
}

}  // namespace

CovariateModel::CovariateModel(const std::vector<StoredCase>& cases, const std::string& field,
                               const FeatureLayout& layout, bool eloquent)
    : field_(field) {
  std::size_t with_outcome = 0;
  for (const auto& c : cases) with_outcome += clinical_number(c.clinical, field).has_value();
  // The eloquent loads are fitted only with ten cases per coefficient; a small library keeps to
  // volume and age.
  const std::size_t eloquent_dimension = 4 + eloquent_groups.size();
  if (eloquent && with_outcome >= 10 * eloquent_dimension) {
    for (std::size_t r = 0; r < layout.territories.size(); ++r)
      if (layout.territories[r].side == Hemisphere::left) left_territories_.push_back(r);
    for (const auto& names : eloquent_groups) {
      std::vector<std::size_t> group;
      for (std::size_t r = 0; r < layout.anatomy.size(); ++r)
        if (std::find(names.begin(), names.end(), layout.anatomy[r].name) != names.end())
          group.push_back(r);
      region_groups_.push_back(std::move(group));
    }
  }
  dimension_ = region_groups_.empty() ? 3 : eloquent_dimension;
  std::size_t with_age = 0;
  for (const auto& c : cases) {
    if (const auto age = clinical_number(c.clinical, "age")) {
      mean_age_ += *age;
      ++with_age;
    }
  }
  if (with_age) mean_age_ /= double(with_age);
  xtx_.assign(dimension_ * dimension_, 0.0);
  xty_.assign(dimension_, 0.0);
  bool first = true;
  for (const auto& c : cases) {
    const auto y = clinical_number(c.clinical, field);
    if (!y) continue;
    lowest_ = first ? *y : std::min(lowest_, *y);
    highest_ = first ? *y : std::max(highest_, *y);
    first = false;
    const auto row = design_row(c);
    for (std::size_t i = 0; i < dimension_; ++i) {
      for (std::size_t j = 0; j < dimension_; ++j) xtx_[i * dimension_ + j] += row[i] * row[j];
      xty_[i] += row[i] * *y;
    }
  }
}

std::vector<double> CovariateModel::covariates(const LesionProfile& lesion,
                                               std::optional<double> age) const {
  std::vector<double> x{std::log(lesion.volume_ml + 0.1), age.value_or(mean_age_)};
  if (dimension_ > 3) {
    double left = 0;
    for (std::size_t r : left_territories_)
      if (r < lesion.territory_ml.size()) left += lesion.territory_ml[r];
    x.push_back(std::log1p(left));
    for (const auto& group : region_groups_) {
      double load = 0;
      for (std::size_t r : group)
        if (r < lesion.anatomy_ml.size()) load += lesion.anatomy_ml[r];
      x.push_back(std::log1p(load));
    }
  }
  return x;
}

std::vector<double> CovariateModel::design_row(const StoredCase& c) const {
  auto row = covariates(profile_of(c), clinical_number(c.clinical, "age"));
  row.insert(row.begin(), 1.0);
  return row;
}

std::vector<double> CovariateModel::coefficients(const StoredCase* excluded) const {
  auto a = xtx_;
  auto b = xty_;
  if (excluded) {
    if (const auto y = clinical_number(excluded->clinical, field_)) {
      const auto row = design_row(*excluded);
      for (std::size_t i = 0; i < dimension_; ++i) {
        for (std::size_t j = 0; j < dimension_; ++j) a[i * dimension_ + j] -= row[i] * row[j];
        b[i] -= row[i] * *y;
      }
    }
  }
  return solve(std::move(a), std::move(b));
}

double CovariateModel::fitted(const std::vector<double>& coefficients,
                              const std::vector<double>& x) const {
  double value = coefficients[0];
  for (std::size_t i = 0; i < x.size(); ++i) value += coefficients[i + 1] * x[i];
  return value;
}

std::optional<Interval> predict_field(const std::vector<SimilarCase>& neighbours,
                                      const std::string& field, const RetrievalSettings& settings,
                                      const CovariateModel& model,
                                      const std::vector<double>& coefficients,
                                      const QueryCovariates& query) {
  // The k nearest that have the field; the caller passes a longer list for this. Each value is
  // moved to the query's covariates (age only when both ages are known).
  const auto query_x = model.covariates(query.lesion, query.age);
  std::vector<std::pair<double, double>> values_distances;
  for (const auto& n : neighbours) {
    if (values_distances.size() == settings.k) break;
    const auto value = clinical_number(n.stored->clinical, field);
    if (!value) continue;
    const auto case_age = clinical_number(n.stored->clinical, "age");
    const auto x = model.covariates(profile_of(*n.stored), case_age);
    double adjusted = *value;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (i == CovariateModel::age_covariate && !(query.age && case_age)) continue;
      adjusted += settings.covariate_adjustment * coefficients[i + 1] * (query_x[i] - x[i]);
    }
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
  const bool has_fit =
      std::any_of(coefficients.begin(), coefficients.end(), [](double c) { return c != 0; });
  if (settings.prior_weight > 0 && has_fit) {
    // The interval keeps the neighbours' spread around the shrunken estimate.
    const double prior = model.clamp(model.fitted(coefficients, query_x));
    const double shift = settings.prior_weight * (prior - interval.value);
    interval.value += shift;
    interval.low = model.clamp(interval.low + shift);
    interval.high = model.clamp(interval.high + shift);
  }
  return interval;
}

Prediction CaseIndex::predict(const std::vector<SimilarCase>& neighbours,
                              const QueryCovariates& query, const StoredCase* excluded) const {
  return {predict_field(neighbours, "nihss", settings_, nihss_model_,
                        nihss_model_.coefficients(excluded), query),
          predict_field(neighbours, "mrs", settings_, mrs_model_, mrs_model_.coefficients(excluded),
                        query)};
}

}  // namespace strokefair
