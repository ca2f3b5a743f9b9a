// Label atlases in MNI space with their region tables, loaded so that names, label numbers
// and region volumes always come from one image file and its one label table.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "strokefair/core/volume.hpp"
#include "strokefair/data/data_store.hpp"

namespace strokefair {

enum class Hemisphere { left, right, midline };
std::string to_string(Hemisphere side);

struct AtlasRegion {
  std::int32_t label = 0;
  std::string name;         // short name as the atlas spells it, e.g. "MCAFL", "SFG_L", "L_M1"
  std::string description;  // long name, e.g. "frontal pars of middle cerebral artery left"
  Hemisphere side = Hemisphere::midline;
};

struct Atlas {
  std::string id;     // "arterial_level1", "arterial_level2", "jhu189", "aspects"
  std::string title;  // for tables and reports
  std::string image_path;
  std::string table_path;            // same as image_path when names are stored in the image file
  LabelImage labels;                 // geometry in LPS physical space of the atlas's MNI variant
  std::vector<AtlasRegion> regions;  // sorted by label

  const AtlasRegion* region(std::int32_t label) const;
  // Voxel count of every label present in `labels`, times the voxel volume.
  std::map<std::int32_t, double> region_volumes_ml() const;
};

// The atlases strokefair knows, by asset id of their image.
std::vector<std::string> known_atlases();
Atlas load_atlas(const DataStore& store, const std::string& id);

// Parses "index<whitespace>name" lines, as the label text of NIfTI extensions and
// mricron's .txt tables hold them; other lines are ignored.
std::map<std::int32_t, std::string> parse_label_lines(const std::string& text);

// The text of all extensions stored in a NIfTI-1 file (gzip or not), concatenated.
std::string read_nifti_extension_text(const std::string& path);

}  // namespace strokefair
