// `strokefair data`: lists, checks and fetches the templates and atlases strokefair needs.
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "cli/command.hpp"
#include "strokefair/core/error.hpp"
#include "strokefair/data/data_store.hpp"

namespace strokefair::cli {
namespace fs = std::filesystem;

namespace {

struct DataOptions {
  std::string base_url;  // replaces each asset's upstream URL prefix, e.g. a local mirror
  bool fetch = false;
};

int check_assets(const DataStore& store) {
  int missing = 0;
  for (const Asset& a : store.assets()) {
    const auto path = store.find(a.id);
    std::string state = "missing";
    if (path)
      state = (a.sha256.empty() || sha256_file(*path) == a.sha256) ? "ok" : "checksum-differs";
    if (state != "ok") ++missing;
    std::cout << a.id << '\t' << state << '\t'
              << (path ? path->string() : (store.root() / a.path).string()) << '\n';
  }
  if (missing)
    spdlog::warn("{} asset(s) missing or different; 'strokefair data fetch' gets them", missing);
  return missing ? static_cast<int>(ExitCode::missing_asset) : 0;
}

int fetch_missing(const DataStore& store, const std::string& base_url) {
  for (const Asset& a : store.assets()) {
    if (store.find(a.id)) continue;
    // A mirror keeps the data directory's layout, so the asset's relative path names it.
    const std::string url = base_url.empty() ? a.url : base_url + "/" + a.path.generic_string();
    spdlog::info("fetching {} from {}", a.id, url);
    fetch_asset(a, url, store.root() / a.path);
  }
  return check_assets(store);
}

}  // namespace

Command add_data(CLI::App& program, const GlobalOptions& globals) {
  auto options = std::make_shared<DataOptions>();
  CLI::App* app = program.add_subcommand("data", "List, check and fetch templates and atlases");
  CLI::App* check = app->add_subcommand("check",
                                        "Print each asset, where it is and whether its "
                                        "checksum matches the manifest");
  CLI::App* fetch = app->add_subcommand("fetch", "Download missing assets into the data directory");
  fetch->add_option("--base-url", options->base_url,
                    "Mirror with the data directory's layout (http, https or file URL)");
  app->require_subcommand(1);
  (void)check;

  return {app, [options, &globals, fetch] {
            const DataStore store(globals.data_dir);
            if (fetch->parsed()) return fetch_missing(store, options->base_url);
            return check_assets(store);
          }};
}

}  // namespace strokefair::cli
