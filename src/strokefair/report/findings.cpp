// Findings wording: which territories, structures and ASPECTS regions to name, and how.
#include "strokefair/report/findings.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <set>

namespace strokefair {

namespace {

std::string fmt(const char* pattern, double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, pattern, v);
  return buffer;
}

std::string join_words(const std::vector<std::string>& items) {
  if (items.empty()) return "";
  if (items.size() == 1) return items[0];
  std::string out;
  for (std::size_t n = 0; n + 1 < items.size(); ++n) out += (n ? ", " : "") + items[n];
  return out + " and " + items.back();
}

std::string join_commas(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t n = 0; n < items.size(); ++n) out += (n ? ", " : "") + items[n];
  return out;
}

double number(const nlohmann::json& j, const char* key, double fallback = 0) {
  auto it = j.find(key);
  return (it != j.end() && it->is_number()) ? it->get<double>() : fallback;
}

struct Named {
  std::string base;  // "MCA"
  std::string side;  // "left" | "right" | ""
  double ml = 0;
  double fraction = 0;  // of the lesion
};

std::string territory_words(const std::string& base) {
  if (base == "VB") return "vertebro-basilar";
  return base;  // ACA, MCA, PCA are how clinicians say them
}

// Level-2 territories holding at least the stated fraction of the lesion, largest first.
std::vector<Named> named_territories(const nlohmann::json& summary, double min_fraction) {
  std::vector<Named> out;
  auto it = summary.find("territories");
  if (it == summary.end() || !it->is_object()) return out;
  for (const auto& [name, t] : it->items()) {
    auto [base, side] = split_territory_name(name);
    if (base == "LV") continue;  // the ventricle is not an arterial territory
    const double fraction = number(t, "fraction");
    if (fraction < min_fraction) continue;
    out.push_back({base, side, number(t, "ml"), fraction});
  }
  std::sort(out.begin(), out.end(), [](const Named& a, const Named& b) { return a.ml > b.ml; });
  return out;
}

// MCA divisions (level 1) holding at least the stated fraction of the lesion, for one side.
std::vector<std::string> mca_divisions(const nlohmann::json& summary, const std::string& side,
                                       double min_fraction) {
  static const std::vector<std::pair<std::string, std::string>> divisions = {
      {"MCAF", "frontal"},   {"MCAP", "parietal"}, {"MCAT", "temporal"},
      {"MCAO", "occipital"}, {"MCAI", "insular"},  {"LLS", "lenticulostriate"}};
  std::vector<std::pair<double, std::string>> found;
  const auto regions = summary.find("regions");
  if (regions == summary.end() || !regions->contains("arterial_level1")) return {};
  for (const auto& row : (*regions)["arterial_level1"]) {
    const std::string name = row.value("name", "");
    const auto [base, row_side] = split_territory_name(name);
    if (row_side != side || number(row, "fraction_of_lesion") < min_fraction) continue;
    for (const auto& [prefix, words] : divisions) {
      if (base == prefix) found.push_back({number(row, "lesion_ml"), words});
    }
  }
  std::sort(found.rbegin(), found.rend());
  std::vector<std::string> out;
  for (const auto& f : found) out.push_back(f.second);
  return out;
}

std::string side_of_label(const nlohmann::json& row) {
  const std::string side = row.value("side", "");
  if (side == "left" || side == "right") return side;
  return "";
}

// Anatomical structures (any atlas that is not arterial) above the stated fraction.
std::vector<Named> named_structures(const nlohmann::json& summary, const ReportWording& w) {
  std::vector<Named> out;
  const auto regions = summary.find("regions");
  if (regions == summary.end() || !regions->is_object()) return out;
  for (const auto& [atlas_id, rows] : regions->items()) {
    if (atlas_id.rfind("arterial", 0) == 0 || atlas_id == "aspects") continue;
    for (const auto& row : rows) {
      const double fraction = number(row, "fraction_of_lesion");
      if (fraction < w.structure_min_fraction) continue;
      out.push_back({plain_structure_name(row.value("name", "")), side_of_label(row),
                     number(row, "lesion_ml"), fraction});
    }
    break;  // one anatomical atlas is enough for the wording
  }
  std::sort(out.begin(), out.end(), [](const Named& a, const Named& b) { return a.ml > b.ml; });
  if (out.size() > w.max_structures) out.resize(w.max_structures);
  return out;
}

std::string territory_phrase(const std::vector<Named>& named, const nlohmann::json& summary,
                             double min_fraction) {
  // Group by side, keeping the largest-first order within each side.
  std::vector<std::string> sides;
  for (const auto& n : named) {
    if (std::find(sides.begin(), sides.end(), n.side) == sides.end()) sides.push_back(n.side);
  }
  std::vector<std::string> parts;
  for (const auto& side : sides) {
    // "left MCA (frontal and insular divisions) and ACA territories": the divisions follow
    // the MCA itself, so they cannot be read as divisions of another territory.
    std::vector<std::string> bases;
    for (const auto& n : named) {
      if (n.side != side) continue;
      std::string words = territory_words(n.base);
      if (n.base == "MCA") {
        const auto divisions = mca_divisions(summary, side, min_fraction);
        if (!divisions.empty()) {
          words +=
              " (" + join_words(divisions) + (divisions.size() > 1 ? " divisions)" : " division)");
        }
      }
      bases.push_back(words);
    }
    parts.push_back((side.empty() ? "" : side + " ") + join_words(bases) +
                    (bases.size() > 1 ? " territories" : " territory"));
  }
  return join_words(parts);
}

std::string structures_sentence(const std::vector<Named>& structures) {
  std::set<std::string> sides;
  for (const auto& s : structures) sides.insert(s.side);
  std::vector<std::string> items;
  if (sides.size() == 1) {
    for (const auto& s : structures) items.push_back(s.base);
    const std::string side = *sides.begin();
    return "Involving the " + (side.empty() ? "" : side + " ") + join_words(items) + ".";
  }
  for (const auto& s : structures) {
    items.push_back("the " + (s.side.empty() ? "" : s.side + " ") + s.base);
  }
  return "Involving " + join_words(items) + ".";
}

std::vector<std::string> aspects_sentences(const nlohmann::json& summary, bool posterior) {
  std::vector<std::string> out;
  const auto it = summary.find("aspects");
  if (it == summary.end() || !it->is_object()) return out;
  const nlohmann::json& aspects = *it;
  const double rule = aspects.contains("rule") ? number(aspects["rule"], "min_fraction") : 0;
  bool any = false;
  for (const char* side : {"left", "right"}) {
    if (!aspects.contains(side) || aspects[side]["score"].is_null()) continue;
    any = true;
    const auto& s = aspects[side];
    const auto affected = s["affected"].get<std::vector<std::string>>();
    std::string sentence =
        "DWI-ASPECTS " + std::to_string(s["score"].get<int>()) + " on the " + side;
    if (affected.empty()) {
      sentence += " (no ASPECTS region is " + format_percent(rule) + " or more lesioned)";
    } else {
      sentence += ": " + join_commas(affected) + " affected";
    }
    out.push_back(sentence + ".");
  }
  if (!any) {
    out.push_back(posterior ? "ASPECTS does not apply (posterior circulation infarct)."
                            : "ASPECTS does not apply (no lesion in the MCA-territory ASPECTS "
                              "regions).");
  }
  return out;
}

}  // namespace

std::string Findings::text() const {
  std::string out;
  for (const auto& s : sentences) out += (out.empty() ? "" : " ") + s;
  return out;
}

std::string format_ml(double ml) {
  if (ml <= 0) return "0 mL";
  if (ml < 0.01) return "<0.01 mL";
  if (ml < 1) return fmt("%.2f mL", ml);
  if (ml < 100) return fmt("%.1f mL", ml);
  return fmt("%.0f mL", ml);
}

std::string format_percent(double fraction) {
  if (fraction > 0 && fraction < 0.005) return "<1%";
  return fmt("%.0f%%", fraction * 100);
}

std::pair<std::string, std::string> split_territory_name(const std::string& name) {
  if (name.size() < 2) return {name, ""};
  const char last = name.back();
  if (last == 'L') return {name.substr(0, name.size() - 1), "left"};
  if (last == 'R') return {name.substr(0, name.size() - 1), "right"};
  return {name, ""};
}

std::string plain_structure_name(const std::string& atlas_name) {
  static const std::map<std::string, std::string> names = {
      {"SFG", "superior frontal gyrus"},
      {"MFG", "middle frontal gyrus"},
      {"IFG_opercularis", "pars opercularis"},
      {"IFG_orbitalis", "pars orbitalis"},
      {"IFG_triangularis", "pars triangularis"},
      {"PoCG", "postcentral gyrus"},
      {"PrCG", "precentral gyrus"},
      {"SPG", "superior parietal gyrus"},
      {"SMG", "supramarginal gyrus"},
      {"AG", "angular gyrus"},
      {"PrCu", "precuneus"},
      {"STG", "superior temporal gyrus"},
      {"MTG", "middle temporal gyrus"},
      {"ITG", "inferior temporal gyrus"},
      {"PHG", "parahippocampal gyrus"},
      {"FuG", "fusiform gyrus"},
      {"SOG", "superior occipital gyrus"},
      {"MOG", "middle occipital gyrus"},
      {"IOG", "inferior occipital gyrus"},
      {"Cu", "cuneus"},
      {"LG", "lingual gyrus"},
      {"Ins", "insula"},
      {"PIns", "posterior insula"},
      {"Amyg", "amygdala"},
      {"Hippo", "hippocampus"},
      {"Caud", "caudate"},
      {"Put", "putamen"},
      {"GP", "globus pallidus"},
      {"Thal", "thalamus"},
      {"Midbrain", "midbrain"},
      {"Pons", "pons"},
      {"Medulla", "medulla"},
      {"cerebellum", "cerebellum"},
      {"CP", "cerebral peduncle"},
      {"CST", "corticospinal tract"},
      {"ACR", "anterior corona radiata"},
      {"SCR", "superior corona radiata"},
      {"PCR", "posterior corona radiata"},
      {"GCC", "genu of the corpus callosum"},
      {"BCC", "body of the corpus callosum"},
      {"SCC", "splenium of the corpus callosum"},
      {"ALIC", "anterior limb of the internal capsule"},
      {"PLIC", "posterior limb of the internal capsule"},
      {"RLIC", "retrolenticular internal capsule"},
      {"EC", "external capsule"},
      {"SLF", "superior longitudinal fasciculus"},
      {"SS", "sagittal stratum"},
      {"PTR", "posterior thalamic radiation"},
      {"IFO", "inferior fronto-occipital fasciculus"},
      {"PSTG", "posterior superior temporal gyrus"},
      {"PSMG", "posterior supramarginal gyrus"},
      {"LFOG", "lateral fronto-orbital gyrus"},
      {"MFOG", "medial fronto-orbital gyrus"},
      {"RG", "gyrus rectus"},
      {"PCC", "posterior cingulate"},
      {"TAP", "tapetum"},
      {"UNC", "uncinate fasciculus"},
      {"CGC", "cingulum"},
      {"SFO", "superior fronto-occipital fasciculus"},
  };
  std::string base = atlas_name;
  for (const char* suffix : {"_L", "_R", "_l", "_r"}) {
    if (base.size() > 2 && base.compare(base.size() - 2, 2, suffix) == 0)
      base.resize(base.size() - 2);
  }
  auto it = names.find(base);
  return it != names.end() ? it->second : base;
}

Findings write_findings(const nlohmann::json& summary, const ReportWording& wording) {
  Findings findings;
  const double volume = number(summary, "lesion_volume_ml");
  const int count = static_cast<int>(number(summary, "lesion_count"));
  if (volume <= 0 || count <= 0) {
    findings.sentences.push_back("No acute infarct detected.");
    return findings;
  }
  findings.infarct = true;

  const auto territories = named_territories(summary, wording.territory_min_fraction);
  std::set<std::string> sides;
  bool posterior = !territories.empty();
  for (const auto& t : territories) {
    sides.insert(t.side);
    if (t.base != "PCA" && t.base != "VB") posterior = false;
  }
  const std::string count_words =
      count == 1 ? "" : " in " + std::to_string(count) + " separate lesions";
  const std::string hemisphere = summary.value("hemisphere", "");
  if (territories.empty()) {
    std::string where = (hemisphere == "left" || hemisphere == "right")
                            ? " in the " + hemisphere + " hemisphere"
                            : (hemisphere == "bilateral" ? " in both hemispheres" : "");
    findings.sentences.push_back("Acute infarct" + where + ", " + format_ml(volume) + count_words +
                                 ", without a predominant arterial territory (no territory holds " +
                                 format_percent(wording.territory_min_fraction) +
                                 " or more of the lesion).");
  } else {
    const bool both = sides.count("left") && sides.count("right");
    findings.sentences.push_back(
        std::string(both ? "Acute infarcts" : "Acute infarct") + " in the " +
        territory_phrase(territories, summary, wording.territory_min_fraction) + ", " +
        format_ml(volume) + count_words + ".");
  }

  // Analyze calls a lesion bilateral when each side holds 10% of it; if the territories named
  // above all lie on one side, the other side's share is said, so the sides never disagree.
  if (hemisphere == "bilateral" && sides.size() == 1 && !sides.begin()->empty()) {
    const std::string other = *sides.begin() == "left" ? "right" : "left";
    findings.sentences.push_back(
        "Smaller lesion component in the " + other + " hemisphere, in no territory above " +
        format_percent(wording.territory_min_fraction) + " of the lesion.");
  }

  const auto structures = named_structures(summary, wording);
  if (!structures.empty()) findings.sentences.push_back(structures_sentence(structures));
  for (auto& s : aspects_sentences(summary, posterior)) findings.sentences.push_back(s);
  return findings;
}

}  // namespace strokefair
