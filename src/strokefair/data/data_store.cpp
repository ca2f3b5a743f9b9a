// Data directory lookup, asset checksums and downloads.
#include "strokefair/data/data_store.hpp"

#include <curl/curl.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "strokefair/core/error.hpp"

namespace strokefair {
namespace fs = std::filesystem;

extern const char* const embedded_manifest_json;

namespace {

std::vector<Asset> parse_manifest(const std::string& text, const std::string& origin) {
  nlohmann::json manifest;
  try {
    manifest = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(origin + ": data manifest is not valid JSON: " + e.what());
  }
  std::vector<Asset> assets;
  for (const auto& entry : manifest.at("assets")) {
    Asset a;
    a.id = entry.at("id").get<std::string>();
    a.path = entry.at("path").get<std::string>();
    a.debian_path = entry.value("debian_path", std::string{});
    a.url = entry.value("url", std::string{});
    a.sha256 = entry.value("sha256", std::string{});
    a.licence = entry.value("licence", std::string{});
    a.what = entry.value("what", std::string{});
    assets.push_back(std::move(a));
  }
  return assets;
}

}  // namespace

DataStore::DataStore(fs::path data_dir, fs::path manifest) {
  if (data_dir.empty()) {
    const char* env = std::getenv("STROKEFAIR_DATA");
    data_dir = (env && *env) ? fs::path(env) : fs::path(STROKEFAIR_DEFAULT_DATA_DIR);
  }
  root_ = data_dir.lexically_normal();
  if (manifest.empty()) {
    if (const char* env = std::getenv("STROKEFAIR_MANIFEST"); env && *env) manifest = env;
  }
  if (manifest.empty()) {
    assets_ = parse_manifest(embedded_manifest_json, "built-in manifest");
  } else {
    std::ifstream in(manifest);
    if (!in) throw input_error(manifest.string(), "data manifest cannot be read");
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    assets_ = parse_manifest(text, manifest.string());
  }
}

const Asset& DataStore::asset(const std::string& id) const {
  for (const Asset& a : assets_) {
    if (a.id == id) return a;
  }
  throw Error("no asset '" + id + "' in the data manifest");
}

std::optional<fs::path> DataStore::find(const std::string& id) const {
  const Asset& a = asset(id);
  std::error_code ec;
  if (!a.debian_path.empty() && fs::is_regular_file(a.debian_path, ec)) return a.debian_path;
  const fs::path local = root_ / a.path;
  if (fs::is_regular_file(local, ec)) return local;
  return std::nullopt;
}

fs::path DataStore::locate(const std::string& id) const {
  if (auto path = find(id)) return *path;
  const Asset& a = asset(id);
  std::string how = "run 'strokefair data fetch' or download " + a.url;
  if (!a.debian_path.empty()) how = "install the Debian package mricron-data, or " + how;
  throw Error("data asset '" + id + "' (" + a.what + ") not found at " + (root_ / a.path).string() +
                  "; " + how + ", or point --data-dir / STROKEFAIR_DATA at a folder that has it",
              ExitCode::missing_asset);
}

std::string sha256_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw input_error(path.string(), "cannot be read");
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::vector<char> buffer(1 << 16);
  while (in) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    EVP_DigestUpdate(ctx.get(), buffer.data(), static_cast<std::size_t>(in.gcount()));
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_DigestFinal_ex(ctx.get(), digest, &length);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

namespace {

std::size_t write_to_file(char* data, std::size_t size, std::size_t count, void* file) {
  return std::fwrite(data, size, count, static_cast<std::FILE*>(file));
}

}  // namespace

void fetch_asset(const Asset& asset, const std::string& url, const fs::path& destination) {
  fs::create_directories(destination.parent_path());
  const fs::path partial = destination.string() + ".partial";
  std::FILE* file = std::fopen(partial.c_str(), "wb");
  if (!file) throw Error(partial.string() + ": cannot be created", ExitCode::output_failed);

  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_to_file);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, file);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
  const CURLcode result = curl_easy_perform(curl);
  curl_easy_cleanup(curl);
  std::fclose(file);

  if (result != CURLE_OK) {
    fs::remove(partial);
    throw Error(
        "asset '" + asset.id + "': download from " + url + " failed: " + curl_easy_strerror(result),
        ExitCode::missing_asset);
  }
  const std::string digest = sha256_file(partial);
  if (!asset.sha256.empty() && digest != asset.sha256) {
    fs::remove(partial);
    throw Error("asset '" + asset.id + "': downloaded file from " + url + " has SHA-256 " + digest +
                    ", expected " + asset.sha256,
                ExitCode::missing_asset);
  }
  fs::rename(partial, destination);
}

}  // namespace strokefair
