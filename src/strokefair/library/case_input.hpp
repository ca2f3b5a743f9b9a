// Where library cases come from: `analyze` output folders (BIDS derivatives with a summary
// JSON per subject and session) and folders of MNI lesion masks named sub-<label>_*.nii.gz.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "strokefair/library/store.hpp"

namespace strokefair {

struct CaseSource {
  std::string id;                   // "sub-<label>" or "sub-<label>_ses-<session>"
  std::filesystem::path mask_path;  // the lesion mask in MNI space
  std::string source;               // what the user named: the analysis folder or the mask
};

// Every summary JSON under an analysis folder, with the MNI lesion mask it names. Throws
// Error(bad_input) when the folder holds none, or a summary names no readable mask.
std::vector<CaseSource> cases_in_analysis(const std::filesystem::path& analysis_dir);

// Every *.nii / *.nii.gz in `masks_dir` (not recursive), sorted; the id is the file name up to
// the first '_' and must start with "sub-".
std::vector<CaseSource> cases_in_mask_folder(const std::filesystem::path& masks_dir);

// Reads the mask of `source`, measures its features and checksum. Errors name the mask.
NewCase measure_case(const CaseSource& source, const FeatureAtlases& atlases);

}  // namespace strokefair
