// Rendering of similar-case results.
#include "strokefair/library/report.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include "strokefair/report/html_text.hpp"

namespace strokefair {

namespace {

double quantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const double at = q * double(values.size() - 1);
  const auto below = std::size_t(std::floor(at));
  const auto above = std::min(below + 1, values.size() - 1);
  return values[below] + (at - double(below)) * (values[above] - values[below]);
}

std::string format_number(double value, int decimals) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(decimals) << value;
  return out.str();
}

std::string field_text(const ClinicalRecord& record, const std::string& field) {
  const auto it = record.find(field);
  if (it == record.end()) return "n/a";
  if (it->is_number()) {
    const double v = it->get<double>();
    return v == std::round(v) ? format_number(v, 0) : format_number(v, 1);
  }
  return it->is_string() ? it->get<std::string>() : it->dump();
}

std::string interval_text(const std::optional<Interval>& interval) {
  if (!interval) return "n/a (no neighbour has it)";
  return format_number(interval->value, 1) + " (" + format_number(interval->low, 0) + "-" +
         format_number(interval->high, 0) + ", from " + std::to_string(interval->cases) + " cases)";
}

nlohmann::json interval_json(const std::optional<Interval>& interval) {
  if (!interval) return nullptr;
  return {{"value", interval->value},
          {"low", interval->low},
          {"high", interval->high},
          {"cases", interval->cases}};
}

// Columns shown for every neighbour, in this order, besides id and similarity.
const std::vector<std::string> shown_fields = {"nihss", "mrs", "age", "sex"};

}  // namespace

SimilarResult find_similar(const CaseIndex& index, const LesionProfile& lesion, std::size_t k,
                           const std::string& query, std::optional<double> age) {
  SimilarResult result;
  result.query = query;
  result.lesion = lesion;
  const auto candidates =
      index.nearest(lesion, std::max(k, prediction_candidates(index.settings().k)), "", age);
  result.prediction = index.predict(candidates, {lesion, age});
  result.neighbours.assign(candidates.begin(), candidates.begin() + std::min(k, candidates.size()));
  result.index_description = index.index().description();
  result.library_size = index.cases().size();
  return result;
}

nlohmann::json outcome_summary(const std::vector<SimilarCase>& neighbours) {
  nlohmann::json summary = nlohmann::json::object();
  std::vector<double> nihss, age;
  std::map<int, int> mrs_counts;
  std::size_t mrs_cases = 0, mrs_good = 0;
  std::map<std::string, std::map<std::string, int>> text_counts;
  for (const auto& n : neighbours) {
    const auto& record = n.stored->clinical;
    if (auto v = clinical_number(record, "nihss")) nihss.push_back(*v);
    if (auto v = clinical_number(record, "age")) age.push_back(*v);
    if (auto v = clinical_number(record, "mrs")) {
      ++mrs_counts[int(std::lround(*v))];
      ++mrs_cases;
      mrs_good += *v <= 2;
    }
    for (const auto& [field, value] : record.items()) {
      if (value.is_string()) ++text_counts[field][value.get<std::string>()];
    }
  }
  if (!nihss.empty()) {
    summary["nihss"] = {{"cases", nihss.size()},       {"median", quantile(nihss, 0.5)},
                        {"q1", quantile(nihss, 0.25)}, {"q3", quantile(nihss, 0.75)},
                        {"min", quantile(nihss, 0)},   {"max", quantile(nihss, 1)}};
  }
  if (mrs_cases) {
    nlohmann::json grades = nlohmann::json::object();
    for (const auto& [grade, count] : mrs_counts) grades[std::to_string(grade)] = count;
    summary["mrs"] = {{"cases", mrs_cases},
                      {"grades", grades},
                      {"share_0_2", double(mrs_good) / double(mrs_cases)}};
  }
  if (!age.empty()) {
    summary["age"] = {{"cases", age.size()},
                      {"median", quantile(age, 0.5)},
                      {"q1", quantile(age, 0.25)},
                      {"q3", quantile(age, 0.75)}};
  }
  for (const auto& [field, counts] : text_counts) summary[field] = counts;
  return summary;
}

nlohmann::json similar_to_json(const SimilarResult& result, const FeatureLayout& layout,
                               const RetrievalSettings& settings) {
  nlohmann::json neighbours = nlohmann::json::array();
  for (const auto& n : result.neighbours) {
    nlohmann::json item = n.stored->clinical;
    item["id"] = n.stored->id;
    item["similarity"] = n.similarity;
    item["distance"] = n.distance;
    item["lesion_volume_ml"] = n.stored->volume_ml;
    item["territory"] = dominant_territory(profile_of(*n.stored), layout);
    item["side"] = to_string(lesion_side(profile_of(*n.stored), layout));
    neighbours.push_back(item);
  }
  return {{"query",
           {{"source", result.query},
            {"lesion_volume_ml", result.lesion.volume_ml},
            {"territory", dominant_territory(result.lesion, layout)},
            {"side", to_string(lesion_side(result.lesion, layout))}}},
          {"library_size", result.library_size},
          {"index", result.index_description},
          {"k", result.neighbours.size()},
          {"neighbors", neighbours},
          {"prediction",
           {{"nihss", interval_json(result.prediction.nihss)},
            {"mrs", interval_json(result.prediction.mrs)},
            {"interval", {settings.interval_low, settings.interval_high}}}},
          {"summary", outcome_summary(result.neighbours)}};
}

std::string similar_to_text(const SimilarResult& result, const FeatureLayout& layout,
                            const RetrievalSettings& settings) {
  std::ostringstream out;
  out << "Query: " << format_number(result.lesion.volume_ml, 1) << " mL, "
      << dominant_territory(result.lesion, layout) << ", "
      << to_string(lesion_side(result.lesion, layout)) << "\n";
  out << result.neighbours.size() << " most similar of " << result.library_size << " cases\n\n";
  out << std::left << std::setw(22) << "id" << std::setw(11) << "similarity" << std::setw(10)
      << "volume_mL" << std::setw(10) << "territory" << std::setw(8) << "side";
  for (const auto& f : shown_fields) out << std::setw(7) << f;
  out << "\n";
  for (const auto& n : result.neighbours) {
    const LesionProfile other = profile_of(*n.stored);
    out << std::setw(22) << n.stored->id << std::setw(11) << format_number(n.similarity, 3)
        << std::setw(10) << format_number(n.stored->volume_ml, 1) << std::setw(10)
        << dominant_territory(other, layout) << std::setw(8)
        << to_string(lesion_side(other, layout));
    for (const auto& f : shown_fields) out << std::setw(7) << field_text(n.stored->clinical, f);
    out << "\n";
  }
  const int nominal = int(std::lround((settings.interval_high - settings.interval_low) * 100));
  out << "\nPredicted admission NIHSS: " << interval_text(result.prediction.nihss) << "\n";
  out << "Predicted 90-day mRS:      " << interval_text(result.prediction.mrs) << "\n";
  out << "(weighted mean of the neighbours; range: their " << nominal << "% weighted interval)\n";
  const auto summary = outcome_summary(result.neighbours);
  if (summary.contains("mrs")) {
    out << "90-day mRS 0-2 among neighbours: "
        << format_number(100 * summary["mrs"]["share_0_2"].get<double>(), 0) << "% of "
        << summary["mrs"]["cases"].get<std::size_t>() << "\n";
  }
  return out.str();
}

std::string similar_to_html(const SimilarResult& result, const FeatureLayout& layout,
                            const RetrievalSettings& settings) {
  std::ostringstream out;
  out << "<section class=\"similar-cases\">\n<h2>Similar cases</h2>\n";
  out << "<p>" << result.neighbours.size() << " most similar of " << result.library_size
      << " library cases (lesion territory, anatomy, volume and side).</p>\n";
  out << "<p>Predicted admission NIHSS: " << html_escape(interval_text(result.prediction.nihss))
      << "<br>Predicted 90-day mRS: " << html_escape(interval_text(result.prediction.mrs))
      << "<br><small>Weighted mean of the neighbours with their "
      << int(std::lround((settings.interval_high - settings.interval_low) * 100))
      << "% interval; not a validated clinical prediction.</small></p>\n";
  out << "<table>\n<tr><th>id</th><th>similarity</th><th>volume (mL)</th><th>territory</th>"
         "<th>side</th>";
  for (const auto& f : shown_fields) out << "<th>" << html_escape(f) << "</th>";
  out << "</tr>\n";
  for (const auto& n : result.neighbours) {
    const LesionProfile other = profile_of(*n.stored);
    out << "<tr><td>" << html_escape(n.stored->id) << "</td><td>" << format_number(n.similarity, 3)
        << "</td><td>" << format_number(n.stored->volume_ml, 1) << "</td><td>"
        << html_escape(dominant_territory(other, layout)) << "</td><td>"
        << to_string(lesion_side(other, layout)) << "</td>";
    for (const auto& f : shown_fields)
      out << "<td>" << html_escape(field_text(n.stored->clinical, f)) << "</td>";
    out << "</tr>\n";
  }
  out << "</table>\n</section>\n";
  return out.str();
}

}  // namespace strokefair
