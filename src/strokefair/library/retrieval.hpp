// Similar-case retrieval: weighted lesion feature vectors, the k nearest library cases, and
// the outcome of those cases summarised as a prediction with an interval.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "strokefair/library/index.hpp"
#include "strokefair/library/store.hpp"

namespace strokefair {

// How lesions are compared and neighbours are weighted. The defaults were chosen by
// leave-one-out cross-validation on the SOOP development subset (bench/library_results.md).
struct RetrievalSettings {
  std::size_t k = 30;             // neighbours that have the outcome, for prediction
  double territory_weight = 1.0;  // on sqrt of the lesion's share per level-1 territory
  double anatomy_weight = 1.0;    // on sqrt of the lesion's share per JHU-MNI region
  double volume_weight = 0.25;    // on ln(lesion mL + 0.1)
  double side_weight = 0.5;       // on (left - right) / (left + right) territory volume
  // Regions as sqrt of the lesion's share in each (location only) or as ln(1 + mL) (location
  // and amount).
  bool region_log_ml = false;
  // When the query's age is known, candidates are re-ranked with this weight on the age
  // difference in decades; cases without age count as a decade apart.
  double age_weight = 0;
  // Neighbour weights: exp(-(distance / (bandwidth * distance of the k-th))^2); 0: equal.
  double bandwidth = 1.0;
  // Each neighbour's outcome is moved to the query's covariates (lesion volume, age and, with
  // eloquent_covariates, lesion load in eloquent regions) along slopes fitted over the whole
  // library (0: off, 1: the fitted slopes).
  double covariate_adjustment = 1.0;
  // Covariates beyond volume and age: ln(1 + mL) of the lesion in the left hemisphere, the
  // corticospinal path, the insula, the left-hemisphere language regions, the right parietal
  // cortex, the brainstem and cerebellum, the thalamus and the visual cortex (NIHSS scores
  // motor deficits, aphasia, neglect and visual fields). Used with at least ten cases per
  // coefficient that have the outcome; smaller libraries keep to volume and age.
  bool eloquent_covariates = true;
  // Shrinks the neighbours' estimate towards the library-wide regression on the covariates:
  // prediction = (1 - w) neighbours + w regression; the interval moves with it.
  double prior_weight = 0;
  double interval_low = 0.1;  // weighted quantiles of the neighbours' outcomes
  double interval_high = 0.9;
};

// What a lesion is compared on; built from a stored case or freshly measured features.
struct LesionProfile {
  double volume_ml = 0;
  RegionVolumes territory_ml;
  RegionVolumes vascular_ml;
  RegionVolumes anatomy_ml;
};
LesionProfile profile_of(const StoredCase& c);
LesionProfile profile_of(const LesionFeatures& f);

std::vector<float> feature_vector(const LesionProfile& lesion, const FeatureLayout& layout,
                                  const RetrievalSettings& settings);

// The dominant level-2 territory (e.g. "MCAL") and side of a lesion, for reports.
std::string dominant_territory(const LesionProfile& lesion, const FeatureLayout& layout);
Hemisphere lesion_side(const LesionProfile& lesion, const FeatureLayout& layout);

struct Interval {
  double value = 0, low = 0, high = 0;
  std::size_t cases = 0;  // neighbours that had the field
};

struct SimilarCase {
  const StoredCase* stored = nullptr;
  double distance = 0;
  double similarity = 0;  // 1 / (1 + distance): 1 for an identical lesion
};

struct Prediction {
  std::optional<Interval> nihss;
  std::optional<Interval> mrs;
};

struct QueryCovariates {
  LesionProfile lesion;
  std::optional<double> age;
};

// Least-squares fit of outcome = a + b . x over the cases that have the outcome, where x is
// ln(lesion mL + 0.1), age (the mean age when missing) and, with eloquent covariates in a
// library large enough, the eloquent region loads (see RetrievalSettings::eloquent_covariates).
class CovariateModel {
 public:
  CovariateModel() = default;
  CovariateModel(const std::vector<StoredCase>& cases, const std::string& field,
                 const FeatureLayout& layout, bool eloquent);

  // (a, b...), fitted without `excluded` when given (for cross-validation); all zero when the
  // library has too few cases to fit.
  std::vector<double> coefficients(const StoredCase* excluded = nullptr) const;
  // x of a lesion; x[1] is the age (the mean age when missing).
  std::vector<double> covariates(const LesionProfile& lesion, std::optional<double> age) const;
  static constexpr std::size_t age_covariate = 1;
  double fitted(const std::vector<double>& coefficients, const std::vector<double>& x) const;
  // Adjusted outcomes stay within the range the library's cases have (e.g. mRS 0-6).
  double clamp(double value) const { return std::min(std::max(value, lowest_), highest_); }

 private:
  std::vector<double> design_row(const StoredCase& c) const;

  std::string field_;
  double mean_age_ = 0;
  double lowest_ = 0, highest_ = 0;
  std::vector<std::size_t> left_territories_;
  std::vector<std::vector<std::size_t>> region_groups_;  // anatomy indices per eloquent group
  std::size_t dimension_ = 0;                            // 1 + covariates
  std::vector<double> xtx_;                              // sums over cases of row row^T
  std::vector<double> xty_;
};

// The library's cases indexed for search under given settings.
class CaseIndex {
 public:
  CaseIndex(std::vector<StoredCase> cases, FeatureLayout layout, RetrievalSettings settings,
            IndexKind kind = IndexKind::automatic);

  // Nearest cases first. `exclude_id` leaves one case out (cross-validation).
  std::vector<SimilarCase> nearest(const LesionProfile& lesion, std::size_t k,
                                   const std::string& exclude_id = "",
                                   std::optional<double> age = std::nullopt) const;

  // Predicted NIHSS and mRS from the neighbours (pass prediction_candidates(k) of them).
  Prediction predict(const std::vector<SimilarCase>& neighbours, const QueryCovariates& query,
                     const StoredCase* excluded = nullptr) const;

  const std::vector<StoredCase>& cases() const { return cases_; }
  const VectorIndex& index() const { return index_; }
  const RetrievalSettings& settings() const { return settings_; }
  const FeatureLayout& layout() const { return layout_; }

 private:
  std::vector<StoredCase> cases_;
  FeatureLayout layout_;
  RetrievalSettings settings_;
  VectorIndex index_;
  CovariateModel nihss_model_;
  CovariateModel mrs_model_;
};

// Weighted mean and weighted quantiles of a numeric clinical field over the first
// `settings.k` neighbours that have it, each adjusted to the query's covariates by the
// model's `coefficients`, then shrunk towards the model's fit by settings.prior_weight.
std::optional<Interval> predict_field(const std::vector<SimilarCase>& neighbours,
                                      const std::string& field, const RetrievalSettings& settings,
                                      const CovariateModel& model,
                                      const std::vector<double>& coefficients,
                                      const QueryCovariates& query);

// How many nearest cases to fetch so that k of them likely have a given clinical field.
inline std::size_t prediction_candidates(std::size_t k) { return 4 * k; }

// Numeric value of a clinical field, if present.
std::optional<double> clinical_number(const ClinicalRecord& record, const std::string& field);

}  // namespace strokefair
