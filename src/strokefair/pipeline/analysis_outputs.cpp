// Derivatives layout, sidecars, regions table and summary of an analysis.
#include "strokefair/pipeline/analysis_outputs.hpp"

#include <chrono>
#include <cmath>
#include <ctime>
#include <iomanip>
#include <sstream>

#include "strokefair/core/resample.hpp"
#include "strokefair/io/image_io.hpp"
#include "strokefair/pipeline/report_step.hpp"
#include "strokefair/qc/qc_figure.hpp"
#include "strokefair/registration/affine_registration.hpp"

namespace strokefair {
namespace fs = std::filesystem;
using nlohmann::json;

AnalysisFiles analysis_files(const std::string& subject, const std::string& session,
                             const std::string& space) {
  AnalysisFiles f;
  f.folder = bids_subject_folder(subject, session);
  const std::string p = bids_prefix(subject, session);
  f.lesion_mask = f.folder / (p + "_space-orig_label-L_desc-auto_mask.nii.gz");
  f.lesion_mask_template = f.folder / (p + "_space-" + space + "_label-L_desc-auto_mask.nii.gz");
  f.brain_mask = f.folder / (p + "_space-orig_desc-brain_mask.nii.gz");
  f.regions_table = f.folder / (p + "_desc-lesionregions_stats.tsv");
  f.regions_sidecar = f.folder / (p + "_desc-lesionregions_stats.json");
  f.qc_figure = f.folder / (p + "_desc-qc_dwi.png");
  f.summary = f.folder / (p + "_summary.json");
  f.transform = f.folder / (p + "_from-orig_to-" + space + "_mode-image_xfm.txt");
  f.arterial_native = f.folder / (p + "_space-orig_atlas-JHUArterialL2_dseg.nii.gz");
  return f;
}

namespace {

// Volumes to 0.01 mL and fractions to 4 decimals: finer digits are below what the
// resampling between grids can resolve.
double round_to(double value, double step) { return std::round(value / step) * step; }

std::string sidecar_path(const fs::path& image) {
  std::string s = image.string();
  return s.substr(0, s.size() - std::string(".nii.gz").size()) + ".json";
}

std::string iso_now() {
  const std::time_t now = std::time(nullptr);
  std::ostringstream out;
  out << std::put_time(std::gmtime(&now), "%Y-%m-%dT%H:%M:%SZ");
  return out.str();
}

json region_json(const RegionRow& row) {
  return {{"label", row.label},
          {"name", row.name},
          {"description", row.description},
          {"side", to_string(row.side)},
          {"region_ml", round_to(row.region_ml, 0.01)},
          {"lesion_ml", round_to(row.lesion_ml, 0.01)},
          {"lesion_ml_native", round_to(row.lesion_ml_native, 0.01)},
          {"fraction_of_region", round_to(row.fraction_of_region, 1e-4)},
          {"fraction_of_lesion", round_to(row.fraction_of_lesion, 1e-4)}};
}

std::string regions_tsv(const std::vector<RegionRow>& rows) {
  std::ostringstream out;
  out << "atlas\tlabel\tname\tdescription\tside\tregion_ml\tlesion_ml\tlesion_ml_native\t"
         "fraction_of_region\tfraction_of_lesion\n";
  out << std::fixed;
  for (const RegionRow& r : rows) {
    out << r.atlas << '\t' << r.label << '\t' << r.name << '\t' << r.description << '\t'
        << to_string(r.side) << '\t' << std::setprecision(2) << r.region_ml << '\t' << r.lesion_ml
        << '\t' << r.lesion_ml_native << '\t' << std::setprecision(4) << r.fraction_of_region
        << '\t' << r.fraction_of_lesion << '\n';
  }
  return out.str();
}

json regions_sidecar() {
  return {{"atlas",
           {{"Description", "Atlas the row belongs to"},
            {"Levels",
             {{"arterial_level1", "JHU arterial territories, level 1 (Liu et al. 2023)"},
              {"arterial_level2", "JHU arterial territories, level 2"},
              {"jhu189", "JHU-MNI anatomical atlas, 189 labels (mricron-data)"}}}}},
          {"label", {{"Description", "Label value in the atlas image"}}},
          {"name", {{"Description", "Region name from the atlas's own label table"}}},
          {"description", {{"Description", "Long region name"}}},
          {"side",
           {{"Description", "Hemisphere of the region"},
            {"Levels", {{"left", "left"}, {"right", "right"}, {"midline", "neither side"}}}}},
          {"region_ml", {{"Description", "Region volume in the atlas image"}, {"Units", "mL"}}},
          {"lesion_ml",
           {{"Description", "Lesion volume inside the region, template space"}, {"Units", "mL"}}},
          {"lesion_ml_native",
           {{"Description",
             "Lesion volume inside the region mapped into the "
             "DWI's native space"},
            {"Units", "mL"}}},
          {"fraction_of_region", {{"Description", "lesion_ml / region_ml"}, {"Units", "1"}}},
          {"fraction_of_lesion",
           {{"Description",
             "lesion_ml / whole lesion volume in template "
             "space"},
            {"Units", "1"}}}};
}

json dataset_description() {
  return {{"Name", "strokefair acute infarct analysis"},
          {"BIDSVersion", "1.10.0"},
          {"DatasetType", "derivative"},
          {"GeneratedBy", json::array({{{"Name", "strokefair"},
                                        {"Version", STROKEFAIR_VERSION},
                                        {"Description",
                                         "Acute infarct segmentation and "
                                         "quantification from clinical DWI"}}})}};
}

}  // namespace

void check_outputs_absent(const OutputStage& stage, const AnalysisFiles& f) {
  for (const fs::path& p : {f.lesion_mask, f.lesion_mask_template, f.brain_mask, f.regions_table,
                            f.summary, f.qc_figure}) {
    stage.require_absent(p);
  }
}

json summarise(const AnalysisResult& r, const AnalysisOptions& options, const AnalysisFiles& f) {
  json territories = json::object();
  for (const RegionRow& row : r.regions) {
    // A territory whose share rounds to 0.00 mL is a resampling trace, not a finding.
    const double ml = round_to(row.lesion_ml, 0.01);
    if (row.atlas != "arterial_level2" || ml <= 0) continue;
    territories[row.name] = {{"ml", ml},
                             {"fraction", round_to(row.fraction_of_lesion, 1e-4)},
                             {"fraction_of_territory", round_to(row.fraction_of_region, 1e-4)}};
  }
  json regions = json::object();
  for (const RegionRow& row : r.regions) {
    if (!regions.contains(row.atlas)) regions[row.atlas] = json::array();
    if (row.lesion_ml > 0 || row.lesion_ml_native > 0)
      regions[row.atlas].push_back(region_json(row));
  }
  json inputs = json::array();
  for (const InputFile& file : r.inputs.files) {
    inputs.push_back(
        {{"role", file.role}, {"path", fs::absolute(file.path).string()}, {"sha256", file.sha256}});
  }
  json timings = json::object();
  double total = 0;
  for (const auto& [stage, seconds] : r.stage_seconds) {
    timings[stage] = round_to(seconds, 0.001);
    total += seconds;
  }
  timings["total"] = round_to(total, 0.001);
  const auto& check = r.alignment.check;

  return {{"subject", r.subject},
          {"session", r.session.empty() ? json(nullptr) : json(r.session)},
          {"lesion_volume_ml", round_to(volume_ml(r.segmentation.lesion), 0.01)},
          {"lesion_volume_ml_template", round_to(volume_ml(r.lesion_template), 0.01)},
          {"lesion_count", lesion_count(r.segmentation.lesion)},
          {"brain_volume_ml", round_to(volume_ml(r.brain), 0.1)},
          {"hemisphere", lesion_hemisphere(r.segmentation.lesion, r.alignment.template_to_subject)},
          {"template", r.target.space},
          {"segmentation_method", options.model.empty() ? "rules" : "model"},
          {"territories", territories},
          {"regions", regions},
          {"registration",
           {{"brain_dice", round_to(check.brain_dice, 1e-3)},
            {"minimum_brain_dice", kMinimumBrainDice},
            {"axis_scales",
             {round_to(check.axis_scales[0], 1e-3), round_to(check.axis_scales[1], 1e-3),
              round_to(check.axis_scales[2], 1e-3)}},
            {"passed", check.passed}}},
          {"normal_tissue",
           {{"dwi_mode", round_to(r.normal.dwi_mode, 0.01)},
            {"adc_mode_1e-6_mm2_per_s", round_to(r.normal.adc_mode, 1)}}},
          {"adc",
           {{"unit", r.inputs.adc_unit},
            {"unit_source", r.inputs.adc_unit_source},
            {"b_value", r.inputs.b_value ? json(*r.inputs.b_value) : json(nullptr)},
            {"b_value_source", r.inputs.b_value_source}}},
          {"files",
           {{"lesion_mask", f.lesion_mask.generic_string()},
            {"lesion_mask_mni", f.lesion_mask_template.generic_string()},
            {"brain_mask", f.brain_mask.generic_string()},
            {"regions_table", f.regions_table.generic_string()},
            {"qc_figure", f.qc_figure.generic_string()},
            {"transform", f.transform.generic_string()},
            {"arterial_atlas_native", f.arterial_native.generic_string()},
            {"summary", f.summary.generic_string()}}},
          {"software", {{"name", "strokefair"}, {"version", STROKEFAIR_VERSION}}},
          {"command_line", options.command_line},
          {"analysis_date", options.record_analysis_date ? json(iso_now()) : json(nullptr)},
          {"inputs", inputs},
          {"warnings", r.warnings},
          {"timings_s", timings}};
}

json write_analysis(const AnalysisResult& r, const AnalysisOptions& options, const DataStore& store,
                    OutputStage& stage) {
  const AnalysisFiles f = analysis_files(r.subject, r.session, r.target.space);
  const std::string dwi_source = "bids:raw:" + fs::path(options.inputs.dwi).filename().string();

  write_mask(r.segmentation.lesion, stage.path(f.lesion_mask));
  write_text_file(stage.path(sidecar_path(f.lesion_mask)),
                  json{{"Type", "Lesion"},
                       {"Manual", false},
                       {"Sources", {dwi_source}},
                       {"Description", "Acute infarct, automatic segmentation on the DWI grid"}}
                      .dump(2));
  write_mask(r.lesion_template, stage.path(f.lesion_mask_template));
  write_text_file(stage.path(sidecar_path(f.lesion_mask_template)),
                  json{{"Type", "Lesion"},
                       {"Manual", false},
                       {"Sources", {dwi_source}},
                       {"SpatialReference", r.target.space},
                       {"Description", "Acute infarct mapped to the template by an affine"}}
                      .dump(2));
  write_mask(r.brain, stage.path(f.brain_mask));
  write_text_file(stage.path(sidecar_path(f.brain_mask)),
                  json{{"Type", "Brain"}, {"Sources", {dwi_source}}}.dump(2));

  const Atlas level2 = load_atlas(store, "arterial_level2");
  const LabelImage native = resample_nearest(level2.labels, r.inputs.dwi.geometry,
                                             r.alignment.template_to_subject.inverse());
  {
    Image as_float(native.geometry);
    for (std::size_t n = 0; n < native.size(); ++n) as_float[n] = static_cast<float>(native[n]);
    write_image(as_float, stage.path(f.arterial_native));
  }
  write_itk_transform(r.alignment.template_to_subject, stage.path(f.transform));
  write_text_file(stage.path(f.regions_table), regions_tsv(r.regions));
  write_text_file(stage.path(f.regions_sidecar), regions_sidecar().dump(2));

  QcInputs qc;
  qc.relative_dwi = &r.segmentation.evidence.relative_dwi;
  qc.adc = &r.inputs.adc;
  qc.lesion = &r.segmentation.lesion;
  qc.brain = &r.brain;
  qc.anatomy = r.inputs.b0 ? &*r.inputs.b0 : &r.inputs.dwi;
  qc.template_t1 = &r.target.t1;
  qc.template_brain = &r.target.brain;
  qc.template_to_subject = r.alignment.template_to_subject;
  write_png(render_qc_figure(qc), stage.path(f.qc_figure));

  if (!stage.exists_in_root("dataset_description.json")) {
    write_text_file(stage.path("dataset_description.json"), dataset_description().dump(2));
  }
  json summary = summarise(r, options, f);
  // MRI-ASPECTS and the radiological report (issue 4): adds "aspects" and the report files.
  add_aspects_and_report(r, store, native, level2, stage, summary);
  write_text_file(stage.path(f.summary), summary.dump(2));
  return summary;
}

}  // namespace strokefair
