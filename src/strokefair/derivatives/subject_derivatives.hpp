// One subject's derivatives: images in template space, analyze outputs, manual lesion masks.
#pragma once

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "strokefair/data/data_store.hpp"
#include "strokefair/registration/template_space.hpp"

namespace strokefair {

struct SubjectDerivativesInput {
  std::filesystem::path dataset;       // raw BIDS dataset
  std::string subject;                 // label without "sub-"
  std::filesystem::path manual_masks;  // optional: see manual_mask_path()
  std::string command_line;
};

// Where a curator's manual lesion mask for one image is looked for:
// MANUAL_DIR/sub-<label>[_ses-<label>]_<suffix>_lesion.nii.gz, drawn on the grid of the
// session's first image with that suffix (dwi, T1w, T2w or FLAIR).
std::filesystem::path manual_mask_path(const std::filesystem::path& manual_dir,
                                       const std::string& session_prefix,
                                       const std::string& suffix);

// Writes every derivative of the subject under `stage_root`, laid out as the derivatives
// root (sub-<label>/..., plus the report pages analyze puts at the top). Returns the
// subject's record: one entry per session with each step's outcome and the lesion figures.
// A failed registration check is recorded in the record, not thrown; unreadable or
// mismatched inputs throw Error(bad_input) naming the file.
nlohmann::json derive_subject(const SubjectDerivativesInput& input, const Template& target,
                              const SkullStripTemplate& head, const DataStore& store,
                              const std::filesystem::path& stage_root);

}  // namespace strokefair
