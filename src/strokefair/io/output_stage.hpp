// Atomic outputs: files are written into a hidden staging folder and moved into place only
// when everything succeeded, so a failed run leaves nothing behind.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "strokefair/io/interrupt_cleanup.hpp"

namespace strokefair {

class OutputStage {
 public:
  // `root` is the output folder (created on commit if absent). Existing files are replaced
  // only with `overwrite`.
  OutputStage(std::filesystem::path root, bool overwrite);
  ~OutputStage();
  OutputStage(const OutputStage&) = delete;
  OutputStage& operator=(const OutputStage&) = delete;

  const std::filesystem::path& root() const { return root_; }
  // Where to write `relative` now; parent folders are created in the staging area.
  std::filesystem::path path(const std::filesystem::path& relative);
  // Throws Error(output_exists) if `relative` exists in the final folder and overwriting is off.
  void require_absent(const std::filesystem::path& relative) const;
  bool exists_in_root(const std::filesystem::path& relative) const;

  // Moves every staged file into place. Conflicts are checked for all files before any move.
  std::vector<std::filesystem::path> commit();

 private:
  std::filesystem::path root_;
  std::filesystem::path staging_;
  bool overwrite_;
  bool committed_ = false;
  std::vector<std::filesystem::path> files_;
  std::optional<InterruptCleanup> cleanup_on_signal_;
};

// Refuses an output folder inside the folder of any input file: inputs are never written to.
void require_outside_inputs(const std::filesystem::path& output,
                            const std::vector<std::filesystem::path>& inputs);

// Writes text atomically (temporary file, then rename).
void write_text_file(const std::filesystem::path& path, const std::string& text);

}  // namespace strokefair
