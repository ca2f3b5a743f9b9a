// Atlas loading: arterial territories (JHU), JHU-MNI 189 anatomical labels, ASPECTS regions.
#include "strokefair/quantify/atlas.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "strokefair/core/error.hpp"
#include "strokefair/io/image_io.hpp"

namespace strokefair {

std::string to_string(Hemisphere side) {
  switch (side) {
    case Hemisphere::left:
      return "left";
    case Hemisphere::right:
      return "right";
    case Hemisphere::midline:
      return "midline";
  }
  return "midline";
}

const AtlasRegion* Atlas::region(std::int32_t label) const {
  auto it = std::lower_bound(regions.begin(), regions.end(), label,
                             [](const AtlasRegion& r, std::int32_t l) { return r.label < l; });
  return (it != regions.end() && it->label == label) ? &*it : nullptr;
}

std::map<std::int32_t, double> Atlas::region_volumes_ml() const {
  std::map<std::int32_t, std::size_t> counts;
  for (std::int32_t v : labels.voxels) {
    if (v != 0) ++counts[v];
  }
  std::map<std::int32_t, double> volumes;
  const double voxel_ml = labels.geometry.voxel_volume_mm3() / 1000.0;
  for (const auto& [label, count] : counts) volumes[label] = count * voxel_ml;
  return volumes;
}

std::vector<std::string> known_atlases() {
  return {"arterial_level1", "arterial_level2", "jhu189", "aspects"};
}

std::map<std::int32_t, std::string> parse_label_lines(const std::string& text) {
  std::map<std::int32_t, std::string> names;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    long label = 0;
    std::string name;
    if (!(fields >> label >> name) || label <= 0) continue;
    names[static_cast<std::int32_t>(label)] = name;
  }
  return names;
}

std::string read_nifti_extension_text(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");  // reads plain files too
  if (!file) throw input_error(path, "cannot be opened");
  std::vector<char> header(352);
  const int got = gzread(file, header.data(), static_cast<unsigned>(header.size()));
  if (got < 352) {
    gzclose(file);
    throw input_error(path, "NIfTI header is truncated");
  }
  float vox_offset = 0;
  std::memcpy(&vox_offset, header.data() + 108, sizeof vox_offset);
  std::string text;
  if (vox_offset > 352) {
    std::vector<char> extensions(static_cast<std::size_t>(vox_offset) - 352);
    gzread(file, extensions.data(), static_cast<unsigned>(extensions.size()));
    if (header[348] == 0) {
      // MRIcron stores label text right after the header with the extension flag unset.
      text.assign(extensions.begin(), extensions.end());
    } else {
      std::size_t at = 0;
      while (at + 8 <= extensions.size()) {
        std::int32_t esize = 0;
        std::memcpy(&esize, extensions.data() + at, 4);
        if (esize < 8 || at + esize > extensions.size()) break;
        text.append(extensions.data() + at + 8, esize - 8);
        text += '\n';
        at += esize;
      }
    }
  }
  gzclose(file);
  return text;
}

namespace {

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, '\t')) {
    while (!field.empty() && (field.back() == '\r' || field.back() == ' ')) field.pop_back();
    out.push_back(field);
  }
  return out;
}

Hemisphere side_from_words(const std::string& text) {
  if (text.size() >= 4 && text.compare(text.size() - 4, 4, "left") == 0) return Hemisphere::left;
  if (text.size() >= 5 && text.compare(text.size() - 5, 5, "right") == 0) return Hemisphere::right;
  return Hemisphere::midline;
}

Hemisphere side_from_suffix(const std::string& name) {
  const auto ends = [&](const char* s) {
    const std::size_t n = std::strlen(s);
    return name.size() >= n && name.compare(name.size() - n, n, s) == 0;
  };
  if (ends("_L") || ends("_l")) return Hemisphere::left;
  if (ends("_R") || ends("_r")) return Hemisphere::right;
  if (name.rfind("L_", 0) == 0) return Hemisphere::left;
  if (name.rfind("R_", 0) == 0) return Hemisphere::right;
  return Hemisphere::midline;
}

std::string side_letter(Hemisphere side) { return side == Hemisphere::left ? "L" : "R"; }

// The JHU arterial label table. Its acronym column has left/right typos for some
// right-side MCA rows (e.g. "MCAPL" for the right parietal MCA), and its level-2 column
// for the temporal PCA rows; the side is therefore taken from the full name, which is right.
std::vector<AtlasRegion> arterial_regions(const std::string& table_path, bool level2) {
  std::ifstream in(table_path);
  if (!in) throw input_error(table_path, "arterial label table cannot be read");
  std::map<std::int32_t, AtlasRegion> regions;
  std::string line;
  bool in_rows = false;
  while (std::getline(in, line)) {
    const auto f = split_tabs(line);
    if (!in_rows) {
      in_rows = f.size() >= 2 && f[1] == "Level1_intensity";
      continue;
    }
    if (f.size() < 7 || f[0].empty()) continue;
    const Hemisphere side = side_from_words(f[0]);
    AtlasRegion r;
    r.side = side;
    if (!level2) {
      r.label = std::stoi(f[1]);
      std::string base = f[2];
      if (!base.empty() && (base.back() == 'L' || base.back() == 'R')) base.pop_back();
      r.name = base + side_letter(side);
      r.description = f[0];
    } else {
      r.label = std::stoi(f[3]);
      r.name = f[5] + side_letter(side);
      static const std::map<std::string, std::string> long_names = {
          {"ACA", "anterior cerebral artery"},
          {"MCA", "middle cerebral artery"},
          {"PCA", "posterior cerebral artery"},
          {"VB", "vertebro-basilar"},
          {"LV", "lateral ventricle"}};
      auto it = long_names.find(f[5]);
      r.description = (it != long_names.end() ? it->second : f[5]) + " " + to_string(side);
    }
    auto [pos, inserted] = regions.emplace(r.label, r);
    if (!inserted && pos->second.name != r.name) {
      throw input_error(table_path, "label " + std::to_string(r.label) + " is named both " +
                                        pos->second.name + " and " + r.name);
    }
  }
  std::vector<AtlasRegion> out;
  for (auto& [label, region] : regions) out.push_back(region);
  if (out.empty()) throw input_error(table_path, "no label rows found in the arterial table");
  return out;
}

std::vector<AtlasRegion> regions_from_names(const std::map<std::int32_t, std::string>& names) {
  std::vector<AtlasRegion> out;
  for (const auto& [label, name] : names) {
    AtlasRegion r;
    r.label = label;
    r.name = name;
    r.description = name;
    r.side = side_from_suffix(name);
    out.push_back(r);
  }
  return out;
}

std::map<std::int32_t, std::string> names_by_line(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw input_error(path, "label table cannot be read");
  std::map<std::int32_t, std::string> names;
  std::string line;
  std::int32_t label = 0;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    ++label;
    if (!line.empty()) names[label] = line;
  }
  return names;
}

// Every label value in the image must have a name in the table; names without voxels are
// dropped, so a table row can never report a region the image does not have.
void check_consistency(Atlas& atlas) {
  const auto volumes = atlas.region_volumes_ml();
  for (const auto& [label, ml] : volumes) {
    if (!atlas.region(label)) {
      throw input_error(atlas.image_path,
                        "label " + std::to_string(label) + " has no name in " + atlas.table_path);
    }
  }
  atlas.regions.erase(std::remove_if(atlas.regions.begin(), atlas.regions.end(),
                                     [&](const AtlasRegion& r) { return !volumes.count(r.label); }),
                      atlas.regions.end());
}

}  // namespace

Atlas load_atlas(const DataStore& store, const std::string& id) {
  Atlas atlas;
  atlas.id = id;
  atlas.image_path = store.locate(id).string();
  atlas.labels = read_labels(atlas.image_path);
  if (id == "arterial_level1" || id == "arterial_level2") {
    atlas.title = id == "arterial_level1" ? "Arterial territories, level 1 (JHU)"
                                          : "Arterial territories, level 2 (JHU)";
    atlas.table_path = store.locate("arterial_labels").string();
    atlas.regions = arterial_regions(atlas.table_path, id == "arterial_level2");
    // The label files store an origin of (1,1,1); their grid is the 1 mm MNI 181x217x181
    // grid whose correct placement the probabilistic maps of the same atlas carry.
    const Geometry correct = read_geometry(store.locate("arterial_probabilistic"));
    if (correct.size != atlas.labels.geometry.size) {
      throw input_error(atlas.image_path, "grid differs from the arterial probabilistic maps");
    }
    atlas.labels.geometry = correct;
  } else if (id == "jhu189") {
    atlas.title = "JHU-MNI anatomical labels (189)";
    atlas.table_path = atlas.image_path;
    atlas.regions =
        regions_from_names(parse_label_lines(read_nifti_extension_text(atlas.image_path)));
  } else if (id == "aspects") {
    atlas.title = "ASPECTS regions";
    atlas.table_path = store.locate("aspects_labels").string();
    atlas.regions = regions_from_names(names_by_line(atlas.table_path));
  } else {
    throw Error("unknown atlas '" + id + "'");
  }
  check_consistency(atlas);
  return atlas;
}

}  // namespace strokefair
