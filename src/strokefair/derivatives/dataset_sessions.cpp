// Finding each session's anatomical and diffusion images in a raw BIDS dataset.
#include "strokefair/derivatives/dataset_sessions.hpp"

#include <algorithm>

namespace strokefair {
namespace fs = std::filesystem;

namespace {

std::vector<fs::path> sorted_entries(const fs::path& folder) {
  std::vector<fs::path> entries;
  if (!fs::is_directory(folder)) return entries;
  for (const auto& entry : fs::directory_iterator(folder)) entries.push_back(entry.path());
  std::sort(entries.begin(), entries.end());
  return entries;
}

// "sub-X_ses-1_T1w.nii.gz" -> {"sub-X_ses-1", "T1w"} when the suffix is one of `suffixes`.
std::optional<RawImage> raw_image(const fs::path& file, const fs::path& dataset,
                                  const std::vector<std::string>& suffixes) {
  const std::string name = file.filename().string();
  for (const std::string extension : {".nii.gz", ".nii"}) {
    if (name.size() <= extension.size() ||
        name.compare(name.size() - extension.size(), extension.size(), extension) != 0)
      continue;
    const std::string stem = name.substr(0, name.size() - extension.size());
    const std::size_t underscore = stem.rfind('_');
    if (underscore == std::string::npos) return std::nullopt;
    const std::string suffix = stem.substr(underscore + 1);
    if (std::find(suffixes.begin(), suffixes.end(), suffix) == suffixes.end()) return std::nullopt;
    return RawImage{fs::relative(file, dataset), stem.substr(0, underscore), suffix};
  }
  return std::nullopt;
}

SessionImages scan_session(const fs::path& dataset, const fs::path& folder,
                           const std::string& subject, const std::string& session) {
  SessionImages images{subject, session, {}, {}};
  for (const fs::path& file : sorted_entries(folder / "anat")) {
    if (auto image = raw_image(file, dataset, {"T1w", "T2w", "FLAIR"}))
      images.anatomical.push_back(*image);
  }
  for (const fs::path& file : sorted_entries(folder / "dwi")) {
    if (auto image = raw_image(file, dataset, {"dwi"})) images.dwi.push_back(*image);
  }
  return images;
}

}  // namespace

std::vector<std::string> dataset_subjects(const fs::path& dataset) {
  std::vector<std::string> subjects;
  for (const fs::path& entry : sorted_entries(dataset)) {
    const std::string name = entry.filename().string();
    if (fs::is_directory(entry) && name.rfind("sub-", 0) == 0) subjects.push_back(name.substr(4));
  }
  return subjects;
}

std::vector<SessionImages> subject_sessions(const fs::path& dataset, const std::string& subject) {
  const fs::path folder = dataset / ("sub-" + subject);
  std::vector<SessionImages> sessions;
  for (const fs::path& entry : sorted_entries(folder)) {
    const std::string name = entry.filename().string();
    if (fs::is_directory(entry) && name.rfind("ses-", 0) == 0)
      sessions.push_back(scan_session(dataset, entry, subject, name.substr(4)));
  }
  if (sessions.empty()) sessions.push_back(scan_session(dataset, folder, subject, ""));
  return sessions;
}

std::string session_prefix(const SessionImages& session) {
  return "sub-" + session.subject + (session.session.empty() ? "" : "_ses-" + session.session);
}

fs::path session_folder(const SessionImages& session) {
  fs::path folder = "sub-" + session.subject;
  if (!session.session.empty()) folder /= "ses-" + session.session;
  return folder;
}

}  // namespace strokefair
