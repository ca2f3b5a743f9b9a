// BagIt (RFC 8493) bags: the checksummed, self-describing folder a release is stored as.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace strokefair {

// Relative path (as in the dataset, '/'-separated) -> SHA-256, for every regular file under
// `root` in name order. Throws Error(bad_input) for a symbolic link: a release copies files.
std::map<std::string, std::string> hash_tree(const std::filesystem::path& root);

// Reads a manifest-<alg>.txt: path (with the data/ prefix, percent-decoded) -> checksum.
std::map<std::string, std::string> read_bag_manifest(const std::filesystem::path& manifest);

struct BagContent {
  std::filesystem::path payload_source;                       // copied into data/
  std::map<std::string, std::string> payload_hashes;          // of the source, from hash_tree
  std::vector<std::pair<std::string, std::string>> bag_info;  // label: value, in order
  std::map<std::string, std::string> tag_files;  // extra tag files: relative path -> text
  std::map<std::string, std::string> payload_replacements;  // payload path -> text written instead
};

// Writes a complete bag into `bag` (which must not exist): bagit.txt, data/, bag-info.txt
// (with Payload-Oxum and Bag-Size added), manifest-sha256.txt, the extra tag files and
// tagmanifest-sha256.txt. Every copied file is hashed again after copying. Files are made
// read-only.
void write_bag(const BagContent& content, const std::filesystem::path& bag);

// Every problem found re-verifying a bag: missing, changed or unlisted payload files, tag
// files that differ from the tag manifest, a wrong Payload-Oxum. Empty: the bag is intact.
std::vector<std::string> verify_bag(const std::filesystem::path& bag);

}  // namespace strokefair
