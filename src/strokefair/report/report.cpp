// Report writing: HTML (self-contained), plain text and the NiiVue viewer page.
#include "strokefair/report/report.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "strokefair/aspects/aspects.hpp"
#include "strokefair/core/error.hpp"
#include "strokefair/io/image_io.hpp"
#include "strokefair/report/canvas.hpp"
#include "strokefair/report/figures.hpp"
#include "strokefair/report/html_text.hpp"
#include "strokefair/report/niivue_bundle.hpp"

namespace fs = std::filesystem;

namespace strokefair {

namespace {

const char* kDisclaimer =
    "Generated automatically by strokefair for research. It is not a diagnostic device and "
    "has not been cleared or approved for clinical use: its findings must not be used for "
    "diagnosis or treatment without review of the images by a qualified physician.";

// "LV" -> "lateral ventricle", "VB" -> "vertebro-basilar"; ACA, MCA, PCA as they are.
std::string territory_name(const std::string& base) {
  if (base == "LV") return "lateral ventricle";
  if (base == "VB") return "vertebro-basilar";
  return base;
}

std::string atlas_title(const std::string& id) {
  if (id == "arterial_level1") return "Arterial territories, level 1 (JHU)";
  if (id == "arterial_level2") return "Arterial territories, level 2 (JHU)";
  if (id == "jhu189") return "Anatomical structures (JHU-MNI, 189 labels)";
  return id;
}

std::string json_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "n/a";
  if (value.is_number_float()) {
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.3g", value.get<double>());
    return buffer;
  }
  return value.dump();
}

double number(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return (it != j.end() && it->is_number()) ? it->get<double>() : 0.0;
}

void write_file(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out) throw Error(path.string() + ": cannot write report file", ExitCode::output_failed);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string entities(const std::string& subject, const std::optional<std::string>& session) {
  return "sub-" + subject + (session ? "_ses-" + *session : "");
}

std::string wrap(const std::string& text, std::size_t width = 88) {
  std::istringstream words(text);
  std::string word, line, out;
  while (words >> word) {
    if (!line.empty() && line.size() + 1 + word.size() > width) {
      out += line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
  }
  return out + line + "\n";
}

std::string software(const nlohmann::json& summary) {
  if (summary.contains("software") && summary["software"].is_object()) {
    return summary["software"].value("name", "strokefair") + " " +
           summary["software"].value("version", STROKEFAIR_VERSION);
  }
  return std::string("strokefair ") + STROKEFAIR_VERSION;
}

// The methods paragraph: what was done, with which references and thresholds.
std::string methods_text(const ReportInputs& in) {
  const auto& s = in.summary;
  std::string template_name = s.value("template", std::string("an MNI template"));
  std::string rule = "ASPECTS rule not recorded";
  if (s.contains("aspects") && s["aspects"].contains("rule")) {
    rule = s["aspects"]["rule"].value("justification", rule);
  }
  std::ostringstream m;
  m << "The DWI was brain-extracted and registered to the " << template_name
    << " template; the acute lesion was segmented automatically from the DWI and ADC "
       "relative to normal-appearing tissue and measured in native space. Volumes are "
       "native-space voxel counts times the voxel volume. Arterial territories come from the "
       "JHU arterial territory atlas (Liu et al., Sci Data 2023), levels 1 and 2, brought to "
       "the DWI through the registration; anatomical structures from the atlases listed in "
       "the regions tables. A territory or structure is named in the findings only when it "
       "holds at least "
    << format_percent(in.wording.territory_min_fraction)
    << " of the lesion volume. DWI-ASPECTS was computed from the lesion in template space "
       "against an ASPECTS region atlas in MNI space (2 mm; drawing of unstated provenance, "
       "distributed with rapidtide): "
    << rule
    << " The ACA (A) and PCA (P) regions are reported but not scored. Images are shown in "
       "the radiological convention (patient's right on the viewer's left). "
    << kDisclaimer;
  return m.str();
}

std::string aspects_table_text(const nlohmann::json& aspects) {
  if (!aspects.is_object() || !aspects.contains("left")) return "  not computed\n";
  std::ostringstream t;
  char line[128];
  std::snprintf(line, sizeof line, "  %-6s %12s %12s\n", "Region", "Right", "Left");
  t << line;
  std::vector<std::string> order = aspects_scored_regions();
  for (const auto& n : aspects_unscored_regions()) order.push_back(n);
  for (const auto& name : order) {
    std::string cells[2];
    int c = 0;
    for (const char* side : {"right", "left"}) {
      const auto& s = aspects[side];
      const double f = s["regions"].value(name, 0.0);
      const auto affected = s["affected"].get<std::vector<std::string>>();
      const bool hit = std::find(affected.begin(), affected.end(), name) != affected.end();
      cells[c++] = format_percent(f) + (hit ? " *" : "  ");
    }
    const bool scored = std::find(aspects_scored_regions().begin(), aspects_scored_regions().end(),
                                  name) != aspects_scored_regions().end();
    std::snprintf(line, sizeof line, "  %-6s %12s %12s\n", (name + (scored ? "" : " (ns)")).c_str(),
                  cells[0].c_str(), cells[1].c_str());
    t << line;
  }
  const auto score = [&](const char* side) {
    return aspects[side]["score"].is_null() ? std::string("n/a")
                                            : std::to_string(aspects[side]["score"].get<int>());
  };
  std::snprintf(line, sizeof line, "  %-6s %12s %12s\n", "Score", score("right").c_str(),
                score("left").c_str());
  t << line << "  (* affected; ns: reported, not scored; % of the region lesioned)\n";
  return t.str();
}

}  // namespace

std::vector<fs::path> ReportFiles::all() const {
  std::vector<fs::path> out{html, text, viewer};
  out.insert(out.end(), figures.begin(), figures.end());
  return out;
}

ReportFiles report_file_names(const std::string& subject,
                              const std::optional<std::string>& session) {
  const std::string base = entities(subject, session);
  fs::path folder = fs::path("sub-" + subject);
  if (session) folder /= "ses-" + *session;
  ReportFiles f;
  f.html = base + ".html";
  f.text = folder / "dwi" / (base + "_report.txt");
  f.viewer = folder / "figures" / (base + "_desc-viewer_dwi.html");
  for (const char* desc : {"reportlesion", "reportaspects", "reportqc"}) {
    f.figures.push_back(folder / "figures" / (base + "_desc-" + desc + "_dwi.png"));
  }
  return f;
}

std::string report_text(const ReportInputs& in, const Findings& findings) {
  const auto& s = in.summary;
  std::ostringstream t;
  t << "strokefair report: sub-" << in.subject << (in.session ? ", ses-" + *in.session : "")
    << "\nDate of analysis: " << in.analysis_date << "    Software: " << software(s) << "\n"
    << "RESEARCH USE ONLY - NOT A DIAGNOSTIC DEVICE\n\n";
  t << "FINDINGS\n" << wrap(findings.text()) << "\n";
  t << "MEASUREMENTS\n";
  t << "  Lesion volume (native): " << format_ml(number(s, "lesion_volume_ml")) << "\n";
  t << "  Separate lesions: " << static_cast<int>(number(s, "lesion_count")) << "\n";
  t << "  Lesion side: " << s.value("hemisphere", std::string("n/a")) << "\n";
  t << "  Brain volume: " << format_ml(number(s, "brain_volume_ml")) << "\n";
  if (s.contains("territories") && s["territories"].is_object()) {
    for (const auto& [name, v] : s["territories"].items()) {
      if (number(v, "ml") <= 0) continue;
      const auto [base, side] = split_territory_name(name);
      t << "  " << side << " " << territory_name(base)
        << " territory: " << format_ml(number(v, "ml")) << " in template space ("
        << format_percent(number(v, "fraction")) << " of the lesion, "
        << format_percent(number(v, "fraction_of_territory")) << " of the territory)\n";
    }
  }
  t << "\nDWI-ASPECTS\n" << aspects_table_text(s.value("aspects", nlohmann::json())) << "\n";
  t << "METHODS\n" << wrap(methods_text(in));
  return t.str();
}

namespace {

// Records console errors, uncaught exceptions, failed loads and broken images on the page's
// root element (data-console-errors, data-broken-images), where a headless browser's DOM
// dump shows them: the browser test reads these instead of parsing browser logs.
std::string error_capture_script() {
  return R"(<script>(function () {
  const root = document.documentElement, errors = [];
  const note = (m) => { errors.push(String(m)); root.dataset.consoleErrors = String(errors.length);
                        root.dataset.lastError = String(m).slice(0, 300); };
  root.dataset.consoleErrors = '0';
  const original = console.error.bind(console);
  console.error = (...args) => { note(args.join(' ')); original(...args); };
  window.addEventListener('error', (e) => note(e.message || 'failed to load a resource'), true);
  window.addEventListener('unhandledrejection', (e) => note(e.reason));
  window.addEventListener('load', () => {
    let broken = 0;
    for (const image of document.images) if (!image.complete || image.naturalWidth === 0) ++broken;
    root.dataset.brokenImages = String(broken);
  });
})();</script>
)";
}

std::string css() {
  return R"(
body{font:15px/1.45 "DejaVu Sans",Arial,sans-serif;margin:0;background:#f4f5f7;color:#1d232b}
main{max-width:1100px;margin:0 auto;padding:18px 28px 40px;background:#fff}
h1{font-size:22px;margin:6px 0}
h2{font-size:18px;border-bottom:2px solid #d9dde3;padding-bottom:3px;margin-top:28px}
.meta{color:#4a5563}
.banner{background:#fff4d6;border:1px solid #e8c66a;padding:6px 10px;margin:10px 0}
.findings{font-size:17px;background:#eef5ff;border-left:5px solid #2f6fd6;padding:10px 14px}
table{border-collapse:collapse;margin:8px 0}
td,th{border:1px solid #d3d8df;padding:3px 8px;text-align:left}th{background:#eef1f4}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.hit{background:#fbd5d5;font-weight:bold}
img{max-width:100%;image-rendering:pixelated;border:1px solid #333}
.small{font-size:13px;color:#4a5563}
a.viewer{display:inline-block;background:#2f6fd6;color:#fff;padding:6px 12px;border-radius:4px;
text-decoration:none})";
}

std::string figure_html(const std::string& png, const std::string& alt,
                        const std::string& caption) {
  return "<figure><img src=\"" + png_data_uri(png) + "\" alt=\"" + html_escape(alt) +
         "\"><figcaption class=\"small\">" + html_escape(caption) + "</figcaption></figure>\n";
}

std::string aspects_html(const nlohmann::json& aspects) {
  if (!aspects.is_object() || !aspects.contains("left")) return "<p>ASPECTS was not computed.</p>";
  std::ostringstream h;
  h << "<table><tr><th>Region</th><th>Right: % lesioned</th><th>Left: % lesioned</th></tr>\n";
  std::vector<std::string> order = aspects_scored_regions();
  for (const auto& n : aspects_unscored_regions()) order.push_back(n);
  for (const auto& name : order) {
    const bool scored = std::find(aspects_scored_regions().begin(), aspects_scored_regions().end(),
                                  name) != aspects_scored_regions().end();
    h << "<tr><td>" << name << (scored ? "" : " (not scored)") << "</td>";
    for (const char* side : {"right", "left"}) {
      const auto& s = aspects[side];
      const auto affected = s["affected"].get<std::vector<std::string>>();
      const bool hit = std::find(affected.begin(), affected.end(), name) != affected.end();
      h << "<td class=\"n" << (hit ? " hit" : "") << "\">"
        << format_percent(s["regions"].value(name, 0.0)) << (hit ? " affected" : "") << "</td>";
    }
    h << "</tr>\n";
  }
  h << "<tr><th>DWI-ASPECTS</th>";
  for (const char* side : {"right", "left"}) {
    const auto& s = aspects[side];
    h << "<th>" << (s["score"].is_null() ? "not applicable" : std::to_string(s["score"].get<int>()))
      << "</th>";
  }
  h << "</tr></table>\n";
  for (const char* side : {"right", "left"}) {
    const auto& s = aspects[side];
    if (s["score"].is_null() && s.contains("reason") && s["reason"].is_string()) {
      h << "<p class=\"small\">" << (std::string(side) == "left" ? "Left" : "Right") << ": "
        << html_escape(s["reason"].get<std::string>()) << ".</p>\n";
    }
  }
  if (aspects.contains("rule")) {
    h << "<p class=\"small\"><b>Rule</b> (<code>" << html_escape(aspects["rule"].value("name", ""))
      << "</code>): " << html_escape(aspects["rule"].value("justification", "")) << "</p>\n";
  }
  return h.str();
}

std::string regions_html(const nlohmann::json& summary) {
  std::ostringstream h;
  if (summary.contains("territories") && summary["territories"].is_object()) {
    h << "<h3>Arterial territories (level 2)</h3><table><tr><th>Territory</th>"
         "<th>Lesion (template space)</th>"
         "<th>% of lesion</th><th>% of territory</th></tr>\n";
    for (const auto& [name, v] : summary["territories"].items()) {
      if (number(v, "ml") <= 0) continue;
      const auto [base, side] = split_territory_name(name);
      h << "<tr><td>" << html_escape(side + " " + territory_name(base)) << "</td><td class=\"n\">"
        << format_ml(number(v, "ml")) << "</td><td class=\"n\">"
        << format_percent(number(v, "fraction")) << "</td><td class=\"n\">"
        << format_percent(number(v, "fraction_of_territory")) << "</td></tr>\n";
    }
    h << "</table>\n";
  }
  if (summary.contains("regions") && summary["regions"].is_object()) {
    for (const auto& [atlas, rows] : summary["regions"].items()) {
      h << "<h3>" << html_escape(atlas_title(atlas))
        << "</h3><table><tr><th>Label</th>"
           "<th>Region</th><th>Side</th><th>Lesion (template space)</th><th>% of lesion</th>"
           "<th>% of region</th></tr>\n";
      for (const auto& row : rows) {
        h << "<tr><td class=\"n\">" << json_text(row.value("label", nlohmann::json()))
          << "</td><td>" << html_escape(row.value("description", row.value("name", "")))
          << "</td><td>" << html_escape(row.value("side", "")) << "</td><td class=\"n\">"
          << format_ml(number(row, "lesion_ml")) << "</td><td class=\"n\">"
          << format_percent(number(row, "fraction_of_lesion")) << "</td><td class=\"n\">"
          << format_percent(number(row, "fraction_of_region")) << "</td></tr>\n";
      }
      h << "</table>\n";
    }
  }
  return h.str();
}

std::string key_value_html(const nlohmann::json& object) {
  if (!object.is_object() || object.empty()) return "<p class=\"small\">Not recorded.</p>";
  std::ostringstream h;
  h << "<table>";
  for (const auto& [k, v] : object.items()) {
    h << "<tr><th>" << html_escape(k) << "</th><td>" << html_escape(json_text(v)) << "</td></tr>";
  }
  h << "</table>\n";
  return h.str();
}

std::string provenance_html(const nlohmann::json& s) {
  std::ostringstream h;
  h << "<p>Software: " << html_escape(software(s)) << "<br>Command line: <code>"
    << html_escape(s.value("command_line", std::string())) << "</code></p>\n";
  if (s.contains("inputs") && s["inputs"].is_array()) {
    h << "<table><tr><th>Role</th><th>File</th><th>SHA-256</th></tr>";
    for (const auto& input : s["inputs"]) {
      h << "<tr><td>" << html_escape(input.value("role", "")) << "</td><td>"
        << html_escape(input.value("path", "")) << "</td><td><code>"
        << html_escape(input.value("sha256", "")) << "</code></td></tr>";
    }
    h << "</table>\n";
  }
  h << "<h3>Stage timings (s)</h3>" << key_value_html(s.value("timings_s", nlohmann::json()));
  return h.str();
}

// The lesion's centre in NIfTI RAS millimetres, where the viewer puts its crosshair.
std::array<double, 3> lesion_centre_ras(const Mask& lesion) {
  const auto& g = lesion.geometry;
  const Affine to_lps = g.voxel_to_physical();
  double sum[3] = {0, 0, 0};
  std::size_t n = 0;
  for (std::size_t k = 0; k < g.size[2]; ++k)
    for (std::size_t j = 0; j < g.size[1]; ++j)
      for (std::size_t i = 0; i < g.size[0]; ++i)
        if (lesion.at(i, j, k)) {
          const Vec3 p = to_lps.apply({double(i), double(j), double(k)});
          for (int a = 0; a < 3; ++a) sum[a] += p[a];
          ++n;
        }
  if (n == 0) {
    const Vec3 c =
        to_lps.apply({(g.size[0] - 1) / 2.0, (g.size[1] - 1) / 2.0, (g.size[2] - 1) / 2.0});
    return {-c[0], -c[1], c[2]};
  }
  return {-sum[0] / n, -sum[1] / n, sum[2] / n};  // LPS -> RAS
}

// Gzipped NIfTI bytes of a volume, through the project's writer and a temporary file.
template <class Write>
std::string nifti_bytes(const fs::path& scratch, const std::string& name, Write write) {
  const fs::path path = scratch / name;
  write(path);
  std::string bytes = read_file(path);
  fs::remove(path);
  return bytes;
}

nlohmann::json territory_lut(const std::vector<AtlasRegion>& regions) {
  // Level-2 colours: ACA green, MCA blue, PCA orange, vertebro-basilar violet, ventricle grey.
  nlohmann::json lut = {{"R", {0}}, {"G", {0}}, {"B", {0}},
                        {"A", {0}}, {"I", {0}}, {"labels", {""}}};
  for (const auto& r : regions) {
    const auto [base, side] = split_territory_name(r.name);
    std::array<int, 3> c{128, 128, 128};
    if (base == "ACA") c = {60, 180, 75};
    if (base == "MCA") c = {0, 130, 200};
    if (base == "PCA") c = {245, 130, 48};
    if (base == "VB") c = {145, 30, 180};
    lut["R"].push_back(c[0]);
    lut["G"].push_back(c[1]);
    lut["B"].push_back(c[2]);
    lut["A"].push_back(255);
    lut["I"].push_back(r.label);
    lut["labels"].push_back(side + " " + base);
  }
  return lut;
}

std::string viewer_html(const ReportInputs& in, const fs::path& scratch) {
  const std::string title = entities(in.subject, in.session) + " - strokefair viewer";
  const std::string_view bundle = niivue_bundle();
  std::ostringstream h;
  h << "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
    << html_escape(title)
    << "</title>\n<style>body{margin:0;background:#111;color:#eee;"
       "font:14px \"DejaVu Sans\",Arial,sans-serif}#bar{padding:6px 10px;height:48px}"
       "#view{position:absolute;top:60px;left:0;right:0;bottom:0}"
       "label{margin-right:14px}</style>\n"
    << error_capture_script();
  if (bundle.empty()) {
    h << "</head><body data-viewer=\"unavailable\"><p>This program was built without the "
         "NiiVue viewer (scripts/fetch-web-deps.sh could not fetch it); the HTML report holds "
         "the same images as figures.</p></body></html>\n";
    return h.str();
  }
  // The bundle holds no "</script"; it is checked so a future version cannot end the tag.
  if (bundle.find("</script") != std::string_view::npos) {
    throw Error("the NiiVue bundle contains a closing script tag and cannot be inlined");
  }
  h << "<script>/* NiiVue " << niivue_version() << ", BSD-2-Clause, github.com/niivue/niivue */\n"
    << bundle << "\n</script>\n</head>\n<body data-viewer=\"loading\">\n<div id=\"bar\"><b>"
    << html_escape(entities(in.subject, in.session)) << "</b> &nbsp; DWI with "
    << "<label><input type=\"checkbox\" id=\"lesion\" checked> lesion (red)</label>"
    << "<label><input type=\"checkbox\" id=\"atlas\" checked> arterial territories "
       "(ACA green, MCA blue, PCA orange, VB violet)</label>"
    << "<span id=\"status\">loading...</span> &nbsp; Radiological convention: patient's "
       "right on the left. Not a diagnostic device.</div>\n"
       "<div id=\"view\"><canvas id=\"gl\"></canvas></div>\n";

  const std::string dwi =
      nifti_bytes(scratch, "dwi.nii.gz", [&](const fs::path& p) { write_image(in.dwi, p); });
  const std::string lesion =
      nifti_bytes(scratch, "lesion.nii.gz", [&](const fs::path& p) { write_mask(in.lesion, p); });
  Image territories(in.territories.geometry);
  for (std::size_t n = 0; n < territories.size(); ++n) territories[n] = float(in.territories[n]);
  const std::string atlas = nifti_bytes(scratch, "territories.nii.gz",
                                        [&](const fs::path& p) { write_image(territories, p); });
  const auto centre = lesion_centre_ras(in.lesion);

  h << "<script>\n(function () {\n"
    << "  const errors = [];\n"
    << "  const fail = (m) => { errors.push(String(m)); document.body.dataset.viewer = 'error';"
       " document.getElementById('status').textContent = 'viewer error: ' + m; };\n"
    << "  window.addEventListener('error', (e) => fail(e.message));\n"
    << "  window.addEventListener('unhandledrejection', (e) => fail(e.reason));\n"
    << "  const images = {dwi: '" << base64_encode(dwi) << "',\n    lesion: '"
    << base64_encode(lesion) << "',\n    atlas: '" << base64_encode(atlas) << "'};\n"
    << "  const lut = " << territory_lut(in.territory_regions).dump() << ";\n"
    << "  const centre = [" << centre[0] << ", " << centre[1] << ", " << centre[2] << "];\n"
    << R"(  async function start() {
    const nv = new niivue.Niivue({backColor: [0, 0, 0, 1], show3Dcrosshair: true,
                                  isRadiologicalConvention: true, crosshairColor: [1, 1, 0, 0.8]});
    await nv.attachToCanvas(document.getElementById('gl'));
    const dwi = await niivue.NVImage.loadFromBase64({base64: images.dwi, name: 'dwi.nii.gz'});
    const atlas = await niivue.NVImage.loadFromBase64({base64: images.atlas,
                                                       name: 'territories.nii.gz', opacity: 0.25});
    atlas.setColormapLabel(lut);
    const lesion = await niivue.NVImage.loadFromBase64({base64: images.lesion,
        name: 'lesion.nii.gz', colormap: 'red', opacity: 0.7, cal_min: 0.5, cal_max: 1});
    nv.addVolume(dwi);
    nv.addVolume(atlas);
    nv.addVolume(lesion);
    nv.setRadiologicalConvention(true);
    nv.setSliceType(nv.sliceTypeMultiplanar);
    nv.scene.crosshairPos = nv.mm2frac(centre);
    nv.drawScene();
    const toggle = (id, volume, opacity) => {
      const box = document.getElementById(id);
      box.onchange = () => nv.setOpacity(volume, box.checked ? opacity : 0);
    };
    toggle('lesion', 2, 0.7);
    toggle('atlas', 1, 0.25);
    if (errors.length === 0) {
      document.body.dataset.viewer = 'ready';
      document.getElementById('status').textContent = 'ready';
    }
  }
  start().catch(fail);
})();
</script>
</body></html>
)";
  return h.str();
}

std::string report_html(const ReportInputs& in, const Findings& findings, const ReportFiles& files,
                        const std::vector<std::string>& pngs) {
  const auto& s = in.summary;
  std::ostringstream h;
  h << "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>"
    << html_escape(entities(in.subject, in.session)) << " - strokefair report</title>\n<style>"
    << css() << "</style>\n"
    << error_capture_script() << "</head>\n<body><main>\n";
  h << "<h1>Acute stroke MRI report: sub-" << html_escape(in.subject)
    << (in.session ? ", ses-" + html_escape(*in.session) : "") << "</h1>\n"
    << "<p class=\"meta\">Date of analysis: " << html_escape(in.analysis_date)
    << " &middot; Software: " << html_escape(software(s))
    << " &middot; Template: " << html_escape(s.value("template", std::string("n/a"))) << "</p>\n"
    << "<p class=\"banner\"><b>Research use only.</b> " << html_escape(kDisclaimer) << "</p>\n";

  h << "<h2 id=\"findings\">Findings</h2>\n<div class=\"findings\">";
  for (const auto& sentence : findings.sentences) h << "<p>" << html_escape(sentence) << "</p>";
  h << "</div>\n<p><a class=\"viewer\" href=\"" << html_escape(files.viewer.generic_string())
    << "\">Open the interactive viewer</a> <span class=\"small\">(DWI with lesion and arterial "
       "territories; works offline)</span></p>\n";

  h << "<h2 id=\"measurements\">Measurements</h2>\n<table>"
    << "<tr><th>Lesion volume (native space)</th><td class=\"n\">"
    << format_ml(number(s, "lesion_volume_ml")) << "</td></tr>"
    << "<tr><th>Separate lesions (26-connected)</th><td class=\"n\">"
    << static_cast<int>(number(s, "lesion_count")) << "</td></tr>"
    << "<tr><th>Lesion side</th><td>" << html_escape(s.value("hemisphere", std::string("n/a")))
    << "</td></tr><tr><th>Brain volume</th><td class=\"n\">"
    << format_ml(number(s, "brain_volume_ml")) << "</td></tr></table>\n";

  h << "<h2 id=\"aspects\">DWI-ASPECTS</h2>\n"
    << aspects_html(s.value("aspects", nlohmann::json()));
  if (!pngs[1].empty()) {
    h << figure_html(pngs[1], "ASPECTS levels",
                     "Ganglionic and supraganglionic ASPECTS levels of the atlas in template "
                     "space; regions counted as affected in red, the lesion in yellow.");
  }

  h << "<h2 id=\"images\">Lesion on DWI and ADC</h2>\n"
    << figure_html(pngs[0], "Lesion slices",
                   "Axial slices holding lesion, DWI (b=1000) left and ADC (0 to 2000 "
                   "x10^-6 mm2/s) right, lesion outlined in red.");

  h << "<h2 id=\"regions\">Regions</h2>\n<p class=\"small\">Lesion volume per region (template "
       "space for the atlases), fraction of the lesion in the region, and fraction of the "
       "region lesioned. Only regions holding lesion are listed.</p>\n"
    << regions_html(s);

  h << "<h2 id=\"qc\">Quality control</h2>\n"
    << figure_html(pngs[2], "Brain mask and registration",
                   "Brain mask (green) and arterial territory borders of the atlas brought to "
                   "the DWI by the registration (cyan): the borders should follow the brain's "
                   "outline and midline.")
    << "<h3>Registration</h3>" << key_value_html(s.value("registration", nlohmann::json()));

  h << "<h2 id=\"methods\">Methods</h2>\n<p>" << html_escape(methods_text(in)) << "</p>\n";
  h << "<h2 id=\"provenance\">Provenance</h2>\n" << provenance_html(s);
  h << "</main></body></html>\n";
  return h.str();
}

}  // namespace

ReportFiles write_report(const ReportInputs& in, const fs::path& output_root) {
  const ReportFiles files = report_file_names(in.subject, in.session);
  const Findings findings = write_findings(in.summary, in.wording);
  const nlohmann::json aspects = in.summary.value("aspects", nlohmann::json::object());

  std::vector<std::string> pngs(3);
  pngs[0] = lesion_figure(in.dwi, in.adc, in.lesion, &in.brain).png();
  if (in.aspects_atlas && aspects.contains("left")) {
    pngs[1] =
        aspects_figure(*in.aspects_atlas, aspects, in.lesion_mni ? &*in.lesion_mni : nullptr).png();
  }
  pngs[2] = qc_figure(in.dwi, in.brain, in.territories).png();

  ReportFiles written = files;
  written.figures.clear();
  for (std::size_t n = 0; n < pngs.size(); ++n) {
    if (pngs[n].empty()) continue;
    write_file(output_root / files.figures[n], pngs[n]);
    written.figures.push_back(files.figures[n]);
  }

  const fs::path scratch =
      output_root / files.viewer.parent_path() / (".viewer-scratch-" + std::to_string(::getpid()));
  fs::create_directories(scratch);
  try {
    write_file(output_root / files.viewer, viewer_html(in, scratch));
  } catch (...) {
    fs::remove_all(scratch);
    throw;
  }
  fs::remove_all(scratch);

  // The viewer link is relative to the HTML report, which sits at output_root.
  write_file(output_root / files.html, report_html(in, findings, files, pngs));
  write_file(output_root / files.text, report_text(in, findings));
  return written;
}

}  // namespace strokefair
