// ASPECTS scoring and report writing for one analysis, into the output stage.
#include "strokefair/pipeline/report_step.hpp"

#include <chrono>
#include <cmath>

#include "strokefair/aspects/aspects.hpp"
#include "strokefair/report/report.hpp"

namespace strokefair {

void add_aspects_and_report(const AnalysisResult& r, const DataStore& store,
                            const LabelImage& territories_native, const Atlas& level2,
                            OutputStage& stage, nlohmann::json& summary) {
  const auto start = std::chrono::steady_clock::now();
  Atlas aspects = load_atlas(store, "aspects");
  summary["aspects"] = score_aspects(r.lesion_template, aspects);

  ReportInputs in;
  in.subject = r.subject;
  if (!r.session.empty()) in.session = r.session;
  in.analysis_date = summary["analysis_date"].is_string()
                         ? summary["analysis_date"].get<std::string>().substr(0, 10)
                         : std::string("not recorded");
  in.dwi = r.inputs.dwi;
  in.adc = r.inputs.adc;
  in.lesion = r.segmentation.lesion;
  in.brain = r.brain;
  in.territories = territories_native;
  in.territory_regions = level2.regions;
  in.aspects_atlas = std::move(aspects);
  in.lesion_mni = r.lesion_template;

  // Register every report file with the stage, so that commit moves them and refuses to
  // replace existing ones without --force; the report is written under the staging root.
  const ReportFiles names = report_file_names(in.subject, in.session);
  std::filesystem::path staging_root;
  for (const auto& relative : names.all()) {
    const std::filesystem::path staged = stage.path(relative);
    if (relative == names.html) staging_root = staged.parent_path();
  }
  summary["files"]["report_html"] = names.html.generic_string();
  summary["files"]["report_text"] = names.text.generic_string();
  summary["files"]["report_viewer"] = names.viewer.generic_string();
  in.summary = summary;
  write_report(in, staging_root);

  // The report's time joins the stage timings (written after the report: it cannot list itself).
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto& timings = summary["timings_s"];
  timings["aspects and report"] = std::round(seconds * 1000) / 1000;
  if (timings.contains("total")) {
    timings["total"] = std::round((timings["total"].get<double>() + seconds) * 1000) / 1000;
  }
}

}  // namespace strokefair
