// Staging folder management.
#include "strokefair/io/output_stage.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <random>

#include "strokefair/core/error.hpp"

namespace strokefair {
namespace fs = std::filesystem;

namespace {

std::string random_suffix() {
  std::random_device device;
  std::uniform_int_distribution<unsigned> digit(0, 35);
  std::string s;
  for (int i = 0; i < 10; ++i) s += "0123456789abcdefghijklmnopqrstuvwxyz"[digit(device)];
  return s;
}

}  // namespace

OutputStage::OutputStage(fs::path root, bool overwrite)
    : root_(fs::absolute(root).lexically_normal()), overwrite_(overwrite) {
  if (root_.filename().empty()) root_ = root_.parent_path();
  std::error_code ec;
  if (fs::exists(root_, ec) && !fs::is_directory(root_, ec)) {
    throw Error(root_.string() + ": exists and is not a folder", ExitCode::output_exists);
  }
  // Stage beside the output folder, on the same file system, so moves are renames.
  const fs::path parent = root_.parent_path();
  if (!fs::exists(parent, ec)) {
    throw Error(parent.string() + ": parent folder of the output does not exist",
                ExitCode::output_failed);
  }
  staging_ = parent / ("." + root_.filename().string() + ".staging-" + random_suffix());
  if (!fs::create_directory(staging_, ec)) {
    throw Error(staging_.string() + ": cannot create staging folder: " + ec.message(),
                ExitCode::output_failed);
  }
  cleanup_on_signal_.emplace(staging_);
}

OutputStage::~OutputStage() {
  std::error_code ec;
  fs::remove_all(staging_, ec);
}

fs::path OutputStage::path(const fs::path& relative) {
  const fs::path target = staging_ / relative;
  fs::create_directories(target.parent_path());
  files_.push_back(relative);
  return target;
}

bool OutputStage::exists_in_root(const fs::path& relative) const {
  std::error_code ec;
  return fs::exists(root_ / relative, ec);
}

void OutputStage::require_absent(const fs::path& relative) const {
  if (!overwrite_ && exists_in_root(relative)) {
    throw Error((root_ / relative).string() + ": already exists; use --force to replace it",
                ExitCode::output_exists);
  }
}

std::vector<fs::path> OutputStage::commit() {
  for (const fs::path& relative : files_) require_absent(relative);
  std::vector<fs::path> moved;
  for (const fs::path& relative : files_) {
    const fs::path from = staging_ / relative;
    if (!fs::exists(from)) continue;  // a path handed out but never written
    const fs::path to = root_ / relative;
    fs::create_directories(to.parent_path());
    fs::rename(from, to);
    moved.push_back(to);
  }
  committed_ = true;
  return moved;
}

void require_outside_inputs(const fs::path& output, const std::vector<fs::path>& inputs) {
  const fs::path out = fs::weakly_canonical(fs::absolute(output));
  for (const fs::path& input : inputs) {
    if (input.empty()) continue;
    const fs::path folder = fs::weakly_canonical(fs::absolute(input)).parent_path();
    const auto mismatch = std::mismatch(folder.begin(), folder.end(), out.begin(), out.end());
    if (mismatch.first == folder.end()) {
      throw Error(output.string() + ": output folder is inside the folder of input " +
                      input.string() + "; strokefair never writes into input folders",
                  ExitCode::usage);
    }
  }
}

void write_text_file(const fs::path& path, const std::string& text) {
  const fs::path partial = path.string() + ".partial";
  {
    std::ofstream out(partial, std::ios::binary);
    if (!out) throw Error(partial.string() + ": cannot be written", ExitCode::output_failed);
    out << text;
    if (!out) throw Error(partial.string() + ": write failed", ExitCode::output_failed);
  }
  fs::rename(partial, path);
}

}  // namespace strokefair
