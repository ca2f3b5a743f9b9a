// The report checked in a real browser: Debian's headless Chromium opens the HTML report and
// the NiiVue viewer by file URL, and neither logs a console error nor shows a blank page.
#include <gtest/gtest.h>
#include <png.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>

#include "report_fixtures.hpp"
#include "strokefair/report/niivue_bundle.hpp"
#include "test_support.hpp"

using namespace strokefair;
namespace fs = std::filesystem;

namespace {

std::string find_chromium() {
  for (const char* name : {"chromium", "chromium-browser"}) {
    const std::string probe = std::string("command -v ") + name + " >/dev/null 2>&1";
    if (std::system(probe.c_str()) == 0) return name;
  }
  return "";
}

// In CI (CI=true) the browser is installed by scripts/install-deps.sh and must be there.
#define REQUIRE_CHROMIUM(chromium)                                                                 \
  do {                                                                                             \
    if ((chromium).empty()) {                                                                      \
      if (std::getenv("CI")) FAIL() << "chromium is missing; scripts/install-deps.sh installs it"; \
      GTEST_SKIP() << "chromium not installed (apt-get install chromium): browser test skipped";   \
    }                                                                                              \
  } while (0)

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

struct BrowserRun {
  int status = -1;
  std::string dom;  // --dump-dom output
  std::string log;  // the browser's stderr
};

// One headless Chromium run with its own profile; `mode` is "--dump-dom" or "--screenshot=F".
BrowserRun run_chromium(const std::string& chromium, const fs::path& page, const std::string& mode,
                        const fs::path& work, const std::string& window = "1200,1000") {
  static int runs = 0;
  const fs::path out = work / ("browser-" + std::to_string(++runs));
  fs::create_directories(out);
  const std::string command =
      "timeout 180 " + chromium +
      " --headless --disable-gpu --no-sandbox "
      "--enable-unsafe-swiftshader --no-first-run --user-data-dir=" +
      (out / "profile").string() + " --enable-logging=stderr --v=0 --window-size=" + window +
      " --virtual-time-budget=20000 " + mode + " 'file://" + fs::absolute(page).string() + "' >" +
      (out / "stdout").string() + " 2>" + (out / "stderr").string();
  BrowserRun run;
  const int status = std::system(command.c_str());
  run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  run.dom = read_text(out / "stdout");
  run.log = read_text(out / "stderr");
  return run;
}

std::string attribute(const std::string& dom, const std::string& name) {
  const std::regex pattern(name + "=\"([^\"]*)\"");
  std::smatch match;
  return std::regex_search(dom, match, pattern) ? match[1].str() : "(absent)";
}

struct Picture {
  int width = 0, height = 0;
  std::vector<std::uint8_t> rgb;
};

Picture read_png(const fs::path& path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  Picture p;
  if (!png_image_begin_read_from_file(&image, path.c_str())) return p;
  image.format = PNG_FORMAT_RGB;
  p.rgb.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, p.rgb.data(), 0, nullptr)) return {};
  p.width = static_cast<int>(image.width);
  p.height = static_cast<int>(image.height);
  return p;
}

// Standard deviation of the grey level over a box of the picture, 0-255.
double grey_spread(const Picture& p, int x0, int y0, int x1, int y1) {
  double sum = 0, sum2 = 0;
  std::size_t n = 0;
  for (int y = std::max(0, y0); y < std::min(p.height, y1); ++y)
    for (int x = std::max(0, x0); x < std::min(p.width, x1); ++x) {
      const std::uint8_t* c = &p.rgb[(std::size_t(y) * p.width + x) * 3];
      const double grey = 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
      sum += grey;
      sum2 += grey * grey;
      ++n;
    }
  if (n == 0) return 0;
  const double mean = sum / n;
  return std::sqrt(std::max(0.0, sum2 / n - mean * mean));
}

void keep_screenshot(const fs::path& png, const std::string& name) {
  // STROKEFAIR_SCREENSHOT_DIR=docs/screenshots keeps the pictures, for the documentation.
  if (const char* dir = std::getenv("STROKEFAIR_SCREENSHOT_DIR")) {
    fs::create_directories(dir);
    fs::copy_file(png, fs::path(dir) / name, fs::copy_options::overwrite_existing);
  }
}

}  // namespace

TEST(ReportBrowser, ReportPageLoadsWithoutConsoleErrorsAndShowsItsFigures) {
  STROKEFAIR_REQUIRE_DATA("cases/ads-subject01/Subject01_DWI.nii.gz");
  const std::string chromium = find_chromium();
  REQUIRE_CHROMIUM(chromium);
  const auto root = test::temp_dir("report-browser");
  const ReportFiles files = write_report(test::subject01_report_inputs(), root);

  const BrowserRun dom = run_chromium(chromium, root / files.html, "--dump-dom", root);
  ASSERT_EQ(dom.status, 0) << dom.log.substr(0, 2000);
  EXPECT_EQ(attribute(dom.dom, "data-console-errors"), "0")
      << attribute(dom.dom, "data-last-error");
  EXPECT_EQ(attribute(dom.dom, "data-broken-images"), "0");
  EXPECT_EQ(dom.log.find("Uncaught"), std::string::npos) << dom.log.substr(0, 2000);

  const fs::path shot = root / "report.png";
  const BrowserRun screenshot =
      run_chromium(chromium, root / files.html, "--screenshot=" + shot.string(), root, "1100,1400");
  ASSERT_EQ(screenshot.status, 0);
  const Picture p = read_png(shot);
  ASSERT_GT(p.width, 0) << "no screenshot written";
  // Text and figures on a white page: a blank page has no spread at all.
  EXPECT_GT(grey_spread(p, 0, 0, p.width, p.height), 20.0);
  keep_screenshot(shot, "report-ads-subject01-test.png");
  fs::remove_all(root);
}

TEST(ReportBrowser, ViewerLoadsNiiVueOfflineWithoutConsoleErrorsAndDrawsTheImages) {
  STROKEFAIR_REQUIRE_DATA("cases/ads-subject01/Subject01_DWI.nii.gz");
  const std::string chromium = find_chromium();
  REQUIRE_CHROMIUM(chromium);
  if (niivue_bundle().empty()) {
    if (std::getenv("CI")) FAIL() << "built without NiiVue: scripts/fetch-web-deps.sh failed";
    GTEST_SKIP() << "built without the NiiVue bundle (run scripts/fetch-web-deps.sh)";
  }
  const auto root = test::temp_dir("viewer-browser");
  const ReportFiles files = write_report(test::subject01_report_inputs(), root);

  const BrowserRun dom = run_chromium(chromium, root / files.viewer, "--dump-dom", root);
  ASSERT_EQ(dom.status, 0) << dom.log.substr(0, 2000);
  EXPECT_EQ(attribute(dom.dom, "data-viewer"), "ready") << attribute(dom.dom, "data-last-error");
  EXPECT_EQ(attribute(dom.dom, "data-console-errors"), "0")
      << attribute(dom.dom, "data-last-error");
  EXPECT_EQ(dom.log.find("Uncaught"), std::string::npos) << dom.log.substr(0, 2000);

  const fs::path shot = root / "viewer.png";
  const BrowserRun screenshot =
      run_chromium(chromium, root / files.viewer, "--screenshot=" + shot.string(), root);
  ASSERT_EQ(screenshot.status, 0);
  const Picture p = read_png(shot);
  ASSERT_GT(p.width, 0) << "no screenshot written";
  // The WebGL canvas below the 60-pixel tool bar: black without images, brain slices with.
  const double spread = grey_spread(p, 0, 60, p.width, p.height);
  std::cout << "viewer canvas grey spread: " << spread << "\n";
  EXPECT_GT(spread, 15.0);
  keep_screenshot(shot, "viewer-ads-subject01-test.png");
  fs::remove_all(root);
}
