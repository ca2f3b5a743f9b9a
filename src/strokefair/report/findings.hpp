// Findings in plain clinical language, generated only from the measurements of the summary.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace strokefair {

// What the wording may say. A territory or structure is named only when it holds at least
// the stated fraction of the lesion: a few voxels spilling into a neighbouring territory
// through registration error must not become "involves the ACA territory".
struct ReportWording {
  double territory_min_fraction = 0.10;  // of the lesion volume
  double structure_min_fraction = 0.10;  // of the lesion volume
  std::size_t max_structures = 6;
};

struct Findings {
  bool infarct = false;
  std::vector<std::string> sentences;  // findings, in reading order
  std::string text() const;            // the sentences joined by spaces
};

// `summary` is the object analyze prints (lesion_volume_ml, lesion_count, territories,
// regions, aspects, ...). Sides come only from the atlas names of the territories and from
// the ASPECTS object, both in template space, never from voxel order on disk.
Findings write_findings(const nlohmann::json& summary, const ReportWording& wording = {});

// "23.4 mL", "0.22 mL", "152 mL": two significant decimals below 1 mL, one below 100.
std::string format_ml(double ml);
// "35%", "<1%".
std::string format_percent(double fraction);
// Plain name of a JHU-MNI (or other) anatomical label without its side: "Put_L" -> "putamen".
std::string plain_structure_name(const std::string& atlas_name);
// "MCAL" -> {"MCA", "left"}; the side is the last letter of level-2 and level-1 names.
std::pair<std::string, std::string> split_territory_name(const std::string& name);

}  // namespace strokefair
