// Test fixtures for the report: a summary measured from masks with the real atlases, the
// way analyze measures it, without running segmentation or registration.
#pragma once

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "strokefair/aspects/aspects.hpp"
#include "strokefair/core/resample.hpp"
#include "strokefair/io/image_io.hpp"
#include "strokefair/quantify/atlas.hpp"
#include "strokefair/report/report.hpp"
#include "test_support.hpp"

namespace strokefair::test {

// Lesion mL per atlas label, sampling the atlas (nearest) at each lesion voxel in MNI space.
inline std::map<std::int32_t, double> lesion_ml_by_label(const Mask& lesion_mni,
                                                         const Atlas& atlas) {
  std::map<std::int32_t, double> out;
  const Affine to_atlas =
      atlas.labels.geometry.physical_to_voxel() * lesion_mni.geometry.voxel_to_physical();
  const auto& g = lesion_mni.geometry;
  const auto& s = atlas.labels.geometry.size;
  const double voxel_ml = g.voxel_volume_mm3() / 1000.0;
  for (std::size_t k = 0; k < g.size[2]; ++k)
    for (std::size_t j = 0; j < g.size[1]; ++j)
      for (std::size_t i = 0; i < g.size[0]; ++i) {
        if (!lesion_mni.at(i, j, k)) continue;
        const Vec3 a = to_atlas.apply({double(i), double(j), double(k)});
        const long ai = std::lround(a[0]), aj = std::lround(a[1]), ak = std::lround(a[2]);
        if (ai < 0 || aj < 0 || ak < 0 || ai >= long(s[0]) || aj >= long(s[1]) || ak >= long(s[2]))
          continue;
        if (auto label = atlas.labels.at(ai, aj, ak)) out[label] += voxel_ml;
      }
  return out;
}

// The summary fields the report reads, measured from an MNI-space lesion.
inline nlohmann::json summary_from_mni_lesion(const Mask& lesion_mni, double native_ml,
                                              int lesion_count) {
  const DataStore store;
  const Atlas level2 = load_atlas(store, "arterial_level2");
  const Atlas level1 = load_atlas(store, "arterial_level1");
  const Atlas aspects = load_atlas(store, "aspects");
  const double mni_ml = volume_ml(lesion_mni);
  nlohmann::json s;
  s["subject"] = "test";
  s["lesion_volume_ml"] = native_ml;
  s["lesion_count"] = lesion_count;
  s["brain_volume_ml"] = 1250.0;
  s["template"] = "MNI152NLin2009cSym";
  s["territories"] = nlohmann::json::object();
  const auto volumes2 = level2.region_volumes_ml();
  std::set<std::string> sides;
  for (const auto& [label, ml] : lesion_ml_by_label(lesion_mni, level2)) {
    const AtlasRegion* r = level2.region(label);
    s["territories"][r->name] = {
        {"ml", ml}, {"fraction", ml / mni_ml}, {"fraction_of_territory", ml / volumes2.at(label)}};
    sides.insert(to_string(r->side));
  }
  s["hemisphere"] = sides.empty() ? "none" : sides.size() > 1 ? "bilateral" : *sides.begin();
  const auto volumes1 = level1.region_volumes_ml();
  s["regions"]["arterial_level1"] = nlohmann::json::array();
  for (const auto& [label, ml] : lesion_ml_by_label(lesion_mni, level1)) {
    const AtlasRegion* r = level1.region(label);
    s["regions"]["arterial_level1"].push_back({{"label", label},
                                               {"name", r->name},
                                               {"description", r->description},
                                               {"side", to_string(r->side)},
                                               {"lesion_ml", ml},
                                               {"region_ml", volumes1.at(label)},
                                               {"fraction_of_region", ml / volumes1.at(label)},
                                               {"fraction_of_lesion", ml / mni_ml}});
  }
  s["aspects"] = score_aspects(lesion_mni, aspects);
  s["software"] = {{"name", "strokefair"}, {"version", STROKEFAIR_VERSION}};
  s["command_line"] = "strokefair_tests";
  return s;
}

// A ball of `radius_mm` around an MNI point given in RAS millimetres (as papers give them),
// on `grid` (a grid of MNI space).
inline Mask ball_at_ras(const Geometry& grid, Vec3 ras, double radius_mm) {
  const Vec3 lps{-ras[0], -ras[1], ras[2]};
  Mask m(grid);
  const Affine to_lps = grid.voxel_to_physical();
  for (std::size_t k = 0; k < grid.size[2]; ++k)
    for (std::size_t j = 0; j < grid.size[1]; ++j)
      for (std::size_t i = 0; i < grid.size[0]; ++i) {
        const Vec3 p = to_lps.apply({double(i), double(j), double(k)});
        m.at(i, j, k) = std::hypot(p[0] - lps[0], p[1] - lps[1], p[2] - lps[2]) <= radius_mm;
      }
  return m;
}

// The level-2 atlas placed on a native grid by matching the bounding boxes of the atlas and
// of the native brain mask: a crude stand-in for registration, enough for figures.
inline LabelImage territories_by_bounding_box(const Atlas& level2, const Mask& brain) {
  const auto box = [](const auto& volume) {
    Vec3 low{1e30, 1e30, 1e30}, high{-1e30, -1e30, -1e30};
    const Affine to_lps = volume.geometry.voxel_to_physical();
    const auto& g = volume.geometry;
    for (std::size_t k = 0; k < g.size[2]; ++k)
      for (std::size_t j = 0; j < g.size[1]; ++j)
        for (std::size_t i = 0; i < g.size[0]; ++i)
          if (volume.at(i, j, k)) {
            const Vec3 p = to_lps.apply({double(i), double(j), double(k)});
            for (int a = 0; a < 3; ++a) {
              low[a] = std::min(low[a], p[a]);
              high[a] = std::max(high[a], p[a]);
            }
          }
    return std::make_pair(low, high);
  };
  const auto [nl, nh] = box(brain);
  const auto [al, ah] = box(level2.labels);
  Affine native_to_atlas;
  for (int a = 0; a < 3; ++a) {
    const double scale = (ah[a] - al[a]) / std::max(1e-6, nh[a] - nl[a]);
    native_to_atlas.m[a * 4 + a] = scale;
    native_to_atlas.m[a * 4 + 3] = al[a] - scale * nl[a];
  }
  return resample_nearest(level2.labels, brain.geometry, native_to_atlas);
}

// A full report input from ADS Subject01: DWI, ADC computed from DWI and b0 at b=1000, the
// DAGMNet lesion and brain mask, the atlas placed by bounding boxes.
inline ReportInputs subject01_report_inputs() {
  const auto dir = case_dir("ads-subject01");
  ReportInputs in;
  in.subject = "01";
  in.analysis_date = "2026-12-03";
  in.dwi = read_image(dir / "Subject01_DWI.nii.gz");
  const Image b0 = read_image(dir / "Subject01_b0.nii.gz");
  in.adc = Image(in.dwi.geometry);
  for (std::size_t n = 0; n < in.adc.size(); ++n) {
    const double ratio = in.dwi[n] > 0 && b0[n] > 0 ? in.dwi[n] / b0[n] : 1.0;
    in.adc[n] = static_cast<float>(std::max(0.0, -std::log(ratio) / 1000.0 * 1e6));
  }
  in.lesion = read_mask(dir / "Subject01_DAGMNet_CH3_Lesion_Predict.nii.gz");
  in.brain = read_mask(dir / "Subject01_Mask.nii.gz");
  const DataStore store;
  const Atlas level2 = load_atlas(store, "arterial_level2");
  in.territories = territories_by_bounding_box(level2, in.brain);
  in.territory_regions = level2.regions;
  in.aspects_atlas = load_atlas(store, "aspects");
  in.lesion_mni = read_mask(dir / "Subject01_DAGMNet_CH3_Lesion_Predict_MNI.nii.gz");
  in.summary = summary_from_mni_lesion(*in.lesion_mni, volume_ml(in.lesion), 1);
  in.summary["subject"] = "01";
  in.summary["registration"] = {{"method", "bounding boxes (test stand-in)"}};
  return in;
}

}  // namespace strokefair::test
