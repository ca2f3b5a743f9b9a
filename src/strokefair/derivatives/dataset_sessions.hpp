// What a raw BIDS dataset holds per subject and session: the images derivatives start from.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace strokefair {

// One raw image, named by its BIDS parts.
struct RawImage {
  std::filesystem::path relative;  // to the dataset root
  std::string entities;            // "sub-X_ses-1_run-2": the name up to the suffix
  std::string suffix;              // T1w, T2w, FLAIR, dwi
};

struct SessionImages {
  std::string subject;               // label, without "sub-"
  std::string session;               // label, without "ses-"; empty when there are no sessions
  std::vector<RawImage> anatomical;  // T1w, T2w, FLAIR, in name order
  std::vector<RawImage> dwi;         // in name order; analyze uses the first
};

// Subject labels of the dataset (folders sub-<label>), sorted.
std::vector<std::string> dataset_subjects(const std::filesystem::path& dataset);

// The sessions of one subject (one entry with an empty session when it has none).
std::vector<SessionImages> subject_sessions(const std::filesystem::path& dataset,
                                            const std::string& subject);

// "sub-X[_ses-Y]" and "sub-X[/ses-Y]".
std::string session_prefix(const SessionImages& session);
std::filesystem::path session_folder(const SessionImages& session);

}  // namespace strokefair
