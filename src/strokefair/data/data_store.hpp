// Finds templates and atlases in the data directory, as listed in data/manifest.json.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace strokefair {

struct Asset {
  std::string id;
  std::filesystem::path path;         // relative to the data directory
  std::filesystem::path debian_path;  // absolute, used first when present; may be empty
  std::string url;
  std::string sha256;
  std::string licence;
  std::string what;
};

class DataStore {
 public:
  // `data_dir` empty: $STROKEFAIR_DATA, else the directory configured at build time.
  // `manifest` empty: $STROKEFAIR_MANIFEST, else data/manifest.json in the source tree.
  explicit DataStore(std::filesystem::path data_dir = {}, std::filesystem::path manifest = {});

  const std::filesystem::path& root() const { return root_; }
  const std::vector<Asset>& assets() const { return assets_; }
  const Asset& asset(const std::string& id) const;

  // The file of an asset, or Error(missing_asset) saying which asset and how to get it.
  std::filesystem::path locate(const std::string& id) const;
  std::optional<std::filesystem::path> find(const std::string& id) const;

 private:
  std::filesystem::path root_;
  std::vector<Asset> assets_;
};

// Hex SHA-256 of a file's bytes.
std::string sha256_file(const std::filesystem::path& path);

// Downloads `url` (http, https or file) to `destination` atomically and checks its SHA-256.
void fetch_asset(const Asset& asset, const std::string& url,
                 const std::filesystem::path& destination);

}  // namespace strokefair
