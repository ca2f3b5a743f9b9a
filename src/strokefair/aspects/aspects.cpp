// MRI-ASPECTS scoring from a lesion mask in MNI space and the ASPECTS region atlas.
#include "strokefair/aspects/aspects.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "strokefair/core/error.hpp"

namespace strokefair {

const std::vector<std::string>& aspects_scored_regions() {
  static const std::vector<std::string> names = {"C",  "L",  "IC", "I",  "M1",
                                                 "M2", "M3", "M4", "M5", "M6"};
  return names;
}

const std::vector<std::string>& aspects_unscored_regions() {
  static const std::vector<std::string> names = {"A", "P"};
  return names;
}

namespace {

struct SideTally {
  double hemisphere_lesion_ml = 0;          // all lesion on this side of the MNI midline
  std::map<std::string, double> lesion_ml;  // by short region name
  std::map<std::string, double> region_ml;
};

// "L_M1" -> (left, "M1"); the atlas table spells the side as a prefix.
std::pair<Hemisphere, std::string> split_name(const AtlasRegion& region) {
  const std::string& n = region.name;
  if (n.size() > 2 && n[1] == '_' && (n[0] == 'L' || n[0] == 'R')) {
    return {n[0] == 'L' ? Hemisphere::left : Hemisphere::right, n.substr(2)};
  }
  return {region.side, n};
}

bool is_scored(const std::string& name) {
  const auto& s = aspects_scored_regions();
  return std::find(s.begin(), s.end(), name) != s.end();
}

std::map<Hemisphere, SideTally> tally(const Mask& lesion, const Atlas& aspects) {
  std::map<Hemisphere, SideTally> sides{{Hemisphere::left, {}}, {Hemisphere::right, {}}};
  std::map<std::int32_t, std::pair<Hemisphere, std::string>> by_label;
  const auto volumes = aspects.region_volumes_ml();
  for (const auto& region : aspects.regions) {
    const auto side_name = split_name(region);
    if (side_name.first == Hemisphere::midline) continue;
    by_label[region.label] = side_name;
    auto it = volumes.find(region.label);
    sides[side_name.first].region_ml[side_name.second] = it == volumes.end() ? 0 : it->second;
  }

  // Lesion voxel -> MNI point -> nearest atlas voxel.
  const Affine to_mni = lesion.geometry.voxel_to_physical();
  const Affine to_atlas = aspects.labels.geometry.physical_to_voxel() * to_mni;
  const auto& as = aspects.labels.geometry.size;
  const double voxel_ml = lesion.geometry.voxel_volume_mm3() / 1000.0;
  const auto& g = lesion.geometry;
  for (std::size_t k = 0; k < g.size[2]; ++k) {
    for (std::size_t j = 0; j < g.size[1]; ++j) {
      for (std::size_t i = 0; i < g.size[0]; ++i) {
        if (!lesion.at(i, j, k)) continue;
        const Vec3 index{double(i), double(j), double(k)};
        // LPS: +x is the patient's left; the MNI midline is x = 0.
        const Hemisphere side = to_mni.apply(index)[0] > 0 ? Hemisphere::left : Hemisphere::right;
        sides[side].hemisphere_lesion_ml += voxel_ml;
        const Vec3 a = to_atlas.apply(index);
        const long ai = std::lround(a[0]), aj = std::lround(a[1]), ak = std::lround(a[2]);
        if (ai < 0 || aj < 0 || ak < 0 || ai >= long(as[0]) || aj >= long(as[1]) ||
            ak >= long(as[2])) {
          continue;
        }
        auto it = by_label.find(aspects.labels.at(ai, aj, ak));
        if (it == by_label.end()) continue;
        sides[it->second.first].lesion_ml[it->second.second] += voxel_ml;
      }
    }
  }
  return sides;
}

// Why a hemisphere with lesion is not scored, from where its lesion lies.
std::string reason_not_scored(const SideTally& side) {
  if (side.hemisphere_lesion_ml <= 0) return "no lesion in this hemisphere";
  const auto ml = [&](const char* name) {
    auto it = side.lesion_ml.find(name);
    return it == side.lesion_ml.end() ? 0.0 : it->second;
  };
  if (ml("P") > 0 && ml("P") >= ml("A")) {
    return "no lesion in the MCA-territory ASPECTS regions; lesion in the PCA region "
           "(posterior circulation): ASPECTS does not apply";
  }
  if (ml("A") > 0) {
    return "no lesion in the MCA-territory ASPECTS regions; lesion in the ACA region: "
           "ASPECTS does not apply";
  }
  return "no lesion in the MCA-territory ASPECTS regions (lesion outside the ganglionic and "
         "supraganglionic levels, e.g. brainstem or cerebellum): ASPECTS does not apply";
}

nlohmann::json score_side(const SideTally& side, double total_lesion_ml, const AspectsRule& rule) {
  nlohmann::json out;
  nlohmann::json fractions = nlohmann::json::object();
  nlohmann::json lesion_ml = nlohmann::json::object();
  std::vector<std::string> affected;
  double scored_lesion_ml = 0;
  std::vector<std::string> order = aspects_scored_regions();
  for (const auto& n : aspects_unscored_regions()) order.push_back(n);
  for (const auto& name : order) {
    auto region = side.region_ml.find(name);
    if (region == side.region_ml.end() || region->second <= 0) continue;
    auto lesion = side.lesion_ml.find(name);
    const double ml = lesion == side.lesion_ml.end() ? 0.0 : lesion->second;
    const double fraction = std::min(1.0, ml / region->second);
    fractions[name] = std::round(fraction * 1e4) / 1e4;
    lesion_ml[name] = std::round(ml * 1e3) / 1e3;
    if (!is_scored(name)) continue;
    scored_lesion_ml += ml;
    if (fraction >= rule.min_fraction) affected.push_back(name);
  }
  out["regions"] = fractions;
  out["lesion_ml"] = lesion_ml;
  out["affected"] = affected;
  const bool lesion_side =
      side.hemisphere_lesion_ml > 0 &&
      side.hemisphere_lesion_ml >= rule.min_hemisphere_fraction * total_lesion_ml;
  if (side.hemisphere_lesion_ml > 0 && !lesion_side) {
    out["score"] = nullptr;
    out["applies"] = false;
    char buffer[160];
    std::snprintf(buffer, sizeof buffer,
                  "this hemisphere holds %.1f%% of the lesion, less than the %.0f%% that makes "
                  "it a lesion hemisphere",
                  100.0 * side.hemisphere_lesion_ml / total_lesion_ml,
                  100.0 * rule.min_hemisphere_fraction);
    out["reason"] = buffer;
  } else if (scored_lesion_ml > 0) {
    out["score"] = 10 - static_cast<int>(affected.size());
    out["applies"] = true;
    out["reason"] = nullptr;
  } else {
    out["score"] = nullptr;
    out["applies"] = false;
    out["reason"] = reason_not_scored(side);
  }
  return out;
}

}  // namespace

nlohmann::json score_aspects(const Mask& lesion_mni, const Atlas& aspects,
                             const AspectsRule& rule) {
  if (aspects.regions.empty()) throw Error("the ASPECTS atlas has no regions");
  if (lesion_mni.size() != lesion_mni.geometry.voxel_count()) {
    throw Error("lesion mask in MNI space has no voxels");
  }
  const auto sides = tally(lesion_mni, aspects);
  nlohmann::json out;
  const double total = sides.at(Hemisphere::left).hemisphere_lesion_ml +
                       sides.at(Hemisphere::right).hemisphere_lesion_ml;
  out["left"] = score_side(sides.at(Hemisphere::left), total, rule);
  out["right"] = score_side(sides.at(Hemisphere::right), total, rule);
  out["applies"] = out["left"]["applies"].get<bool>() || out["right"]["applies"].get<bool>();
  out["rule"] = {{"name", rule.name},
                 {"min_fraction", rule.min_fraction},
                 {"justification", rule.justification},
                 {"min_hemisphere_fraction", rule.min_hemisphere_fraction},
                 {"scored_regions", aspects_scored_regions()},
                 {"reported_not_scored", aspects_unscored_regions()}};
  out["atlas"] = aspects.title;
  return out;
}

}  // namespace strokefair
