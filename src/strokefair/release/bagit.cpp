// Writing and re-verifying BagIt 1.0 bags with SHA-256 manifests.
#include "strokefair/release/bagit.hpp"

#include <fstream>
#include <sstream>

#include "strokefair/core/error.hpp"
#include "strokefair/data/data_store.hpp"
#include "strokefair/deid/text.hpp"
#include "strokefair/io/output_stage.hpp"

namespace strokefair {
namespace fs = std::filesystem;

namespace {

// RFC 8493 section 2.1.3: CR, LF and % in manifest paths are percent-encoded.
std::string encode_path(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '%')
      out += "%25";
    else if (c == '\n')
      out += "%0A";
    else if (c == '\r')
      out += "%0D";
    else
      out += c;
  }
  return out;
}

std::string decode_path(const std::string& path) {
  std::string out;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size()) {
      const std::string code = path.substr(i + 1, 2);
      if (code == "25" || code == "0A" || code == "0D" || code == "0a" || code == "0d") {
        out += static_cast<char>(std::stoi(code, nullptr, 16));
        i += 2;
        continue;
      }
    }
    out += path[i];
  }
  return out;
}

std::string manifest_text(const std::map<std::string, std::string>& hashes) {
  std::string text;
  for (const auto& [path, hash] : hashes) text += hash + "  " + encode_path(path) + "\n";
  return text;
}

void make_read_only(const fs::path& file) {
  fs::permissions(file, fs::perms::owner_write | fs::perms::group_write | fs::perms::others_write,
                  fs::perm_options::remove);
}

// Total payload bytes and file count: BagIt's Payload-Oxum "octets.streamcount".
std::pair<std::uintmax_t, std::size_t> payload_oxum(const fs::path& data) {
  std::uintmax_t bytes = 0;
  std::size_t count = 0;
  for (const auto& entry : fs::recursive_directory_iterator(data)) {
    if (!entry.is_regular_file()) continue;
    bytes += entry.file_size();
    ++count;
  }
  return {bytes, count};
}

std::string human_size(std::uintmax_t bytes) {
  std::ostringstream out;
  out.precision(1);
  out << std::fixed;
  if (bytes >= (1u << 30))
    out << bytes / double(1u << 30) << " GB";
  else if (bytes >= (1u << 20))
    out << bytes / double(1u << 20) << " MB";
  else
    out << bytes / 1024.0 << " KB";
  return out.str();
}

void write_tag(const fs::path& bag, const std::string& relative, const std::string& text) {
  fs::create_directories((bag / relative).parent_path());
  write_text_file(bag / relative, text);
  make_read_only(bag / relative);
}

}  // namespace

std::map<std::string, std::string> hash_tree(const fs::path& root) {
  std::map<std::string, std::string> hashes;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const std::string relative = fs::relative(entry.path(), root).generic_string();
    if (entry.is_symlink())
      throw input_error(entry.path().string(), "is a symbolic link; a release holds files only");
    if (entry.is_regular_file()) hashes[relative] = sha256_file(entry.path());
  }
  return hashes;
}

std::map<std::string, std::string> read_bag_manifest(const fs::path& manifest) {
  if (!fs::exists(manifest)) throw input_error(manifest.string(), "does not exist");
  std::map<std::string, std::string> entries;
  std::istringstream lines(read_text_file(manifest));
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    const std::size_t space = line.find(' ');
    if (space == std::string::npos || space == 0)
      throw input_error(manifest.string(), "has a line that is not '<checksum> <path>'");
    const std::size_t path_start = line.find_first_not_of(' ', space);
    entries[decode_path(line.substr(path_start))] = line.substr(0, space);
  }
  return entries;
}

void write_bag(const BagContent& content, const fs::path& bag) {
  if (fs::exists(bag)) throw Error(bag.string() + " exists", ExitCode::output_exists);
  fs::create_directories(bag / "data");
  write_tag(bag, "bagit.txt", "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n");

  std::map<std::string, std::string> manifest;
  for (const auto& [relative, source_hash] : content.payload_hashes) {
    const fs::path target = bag / "data" / relative;
    fs::create_directories(target.parent_path());
    const auto replacement = content.payload_replacements.find(relative);
    if (replacement != content.payload_replacements.end()) {
      write_text_file(target, replacement->second);
    } else {
      fs::copy_file(content.payload_source / relative, target);
      // Hash the copy: a file changed while it was being copied must not enter the bag.
      if (sha256_file(target) != source_hash)
        throw input_error((content.payload_source / relative).string(),
                          "changed while the release was being made");
    }
    manifest["data/" + relative] = sha256_file(target);
    make_read_only(target);
  }
  for (const auto& [relative, text] : content.payload_replacements) {
    if (manifest.count("data/" + relative)) continue;
    write_text_file(bag / "data" / relative, text);
    manifest["data/" + relative] = sha256_file(bag / "data" / relative);
    make_read_only(bag / "data" / relative);
  }

  std::string info;
  for (const auto& [label, value] : content.bag_info) info += label + ": " + value + "\n";
  const auto [bytes, count] = payload_oxum(bag / "data");
  info += "Payload-Oxum: " + std::to_string(bytes) + "." + std::to_string(count) + "\n";
  info += "Bag-Size: " + human_size(bytes) + "\n";
  write_tag(bag, "bag-info.txt", info);
  write_tag(bag, "manifest-sha256.txt", manifest_text(manifest));
  for (const auto& [relative, text] : content.tag_files) write_tag(bag, relative, text);

  std::map<std::string, std::string> tags;
  for (const std::string name : {"bagit.txt", "bag-info.txt", "manifest-sha256.txt"})
    tags[name] = sha256_file(bag / name);
  for (const auto& [relative, text] : content.tag_files)
    tags[relative] = sha256_file(bag / relative);
  write_tag(bag, "tagmanifest-sha256.txt", manifest_text(tags));
}

std::vector<std::string> verify_bag(const fs::path& bag) {
  std::vector<std::string> problems;
  if (!fs::is_regular_file(bag / "bagit.txt") || !fs::is_directory(bag / "data"))
    throw input_error(bag.string(), "is not a BagIt bag (no bagit.txt or data/)");
  const auto check = [&](const std::map<std::string, std::string>& listed) {
    for (const auto& [relative, hash] : listed) {
      if (!fs::is_regular_file(bag / relative))
        problems.push_back(relative + ": listed but missing");
      else if (sha256_file(bag / relative) != hash)
        problems.push_back(relative + ": checksum differs from the manifest");
    }
  };
  const auto payload = read_bag_manifest(bag / "manifest-sha256.txt");
  check(payload);
  for (const auto& [relative, hash] : hash_tree(bag / "data")) {
    if (!payload.count("data/" + relative))
      problems.push_back("data/" + relative + ": not in the manifest");
  }
  if (fs::exists(bag / "tagmanifest-sha256.txt"))
    check(read_bag_manifest(bag / "tagmanifest-sha256.txt"));

  std::istringstream info(fs::exists(bag / "bag-info.txt") ? read_text_file(bag / "bag-info.txt")
                                                           : "");
  for (std::string line; std::getline(info, line);) {
    if (line.rfind("Payload-Oxum: ", 0) != 0) continue;
    const auto [bytes, count] = payload_oxum(bag / "data");
    const std::string actual = std::to_string(bytes) + "." + std::to_string(count);
    if (line.substr(14) != actual)
      problems.push_back("bag-info.txt: Payload-Oxum " + line.substr(14) + " but the payload is " +
                         actual);
  }
  return problems;
}

}  // namespace strokefair
