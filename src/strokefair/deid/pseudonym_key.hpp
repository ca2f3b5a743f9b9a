// The key file: original patient IDs, their pseudonyms, and which exams and series are in the
// dataset. It lives outside the dataset with owner-only permissions.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace strokefair {

struct KeySession {
  std::string study_uid;
  int number = 0;                    // ses-<number>
  std::string acquisition_datetime;  // ordering only; never leaves the key file
};

struct KeySeries {
  std::string identity;  // ConvertedSeries::identity()
  std::string path;      // the NIfTI file, relative to the dataset root
};

struct KeySubject {
  std::string original_id;
  std::string pseudonym;  // the BIDS label, without "sub-"
  std::vector<KeySession> sessions;
  std::vector<KeySeries> series;

  const KeySession* session(const std::string& study_uid) const;
  int next_session_number() const;
  const KeySeries* series_entry(const std::string& identity) const;
};

class PseudonymKey {
 public:
  // An absent file gives an empty key; an unreadable one throws Error(bad_input).
  static PseudonymKey load(const std::filesystem::path& path);

  // Writes atomically (temporary file + rename) with permissions 0600.
  void save(const std::filesystem::path& path) const;

  const std::vector<KeySubject>& subjects() const { return subjects_; }
  KeySubject* find(const std::string& original_id);
  const KeySubject* find_pseudonym(const std::string& pseudonym) const;

  // The subject of `original_id`, created with a fresh random pseudonym when new.
  KeySubject& subject_for(const std::string& original_id);

 private:
  std::vector<KeySubject> subjects_;
};

// A random label of 8 letters and digits (BIDS labels are alphanumeric); look-alike
// characters (0/O, 1/I) are left out.
std::string random_pseudonym();

}  // namespace strokefair
