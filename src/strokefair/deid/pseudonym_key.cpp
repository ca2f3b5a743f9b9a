// Key file reading and owner-only atomic writing; random pseudonyms from the system's CSPRNG.
#include "strokefair/deid/pseudonym_key.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>

#include "strokefair/core/error.hpp"
#include "strokefair/deid/text.hpp"

namespace strokefair {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
constexpr const char* kFormat = "strokefair-key-1";
}

const KeySession* KeySubject::session(const std::string& study_uid) const {
  for (const auto& s : sessions) {
    if (s.study_uid == study_uid) return &s;
  }
  return nullptr;
}

int KeySubject::next_session_number() const {
  int highest = 0;
  for (const auto& s : sessions) highest = std::max(highest, s.number);
  return highest + 1;
}

const KeySeries* KeySubject::series_entry(const std::string& identity) const {
  for (const auto& s : series) {
    if (s.identity == identity) return &s;
  }
  return nullptr;
}

PseudonymKey PseudonymKey::load(const fs::path& path) {
  PseudonymKey key;
  if (!fs::exists(path)) return key;
  const json doc = json::parse(read_text_file(path), nullptr, false);
  if (doc.is_discarded() || doc.value("format", "") != kFormat || !doc.contains("subjects"))
    throw input_error(path.string(), "is not a strokefair key file");
  try {
    for (const auto& s : doc["subjects"]) {
      KeySubject subject;
      subject.original_id = s.at("original_id").get<std::string>();
      subject.pseudonym = s.at("pseudonym").get<std::string>();
      for (const auto& e : s.at("sessions"))
        subject.sessions.push_back({e.at("study_uid").get<std::string>(), e.at("number").get<int>(),
                                    e.value("acquisition_datetime", "")});
      for (const auto& e : s.at("series"))
        subject.series.push_back(
            {e.at("identity").get<std::string>(), e.at("path").get<std::string>()});
      key.subjects_.push_back(std::move(subject));
    }
  } catch (const json::exception&) {
    throw input_error(path.string(), "is a damaged strokefair key file");
  }
  return key;
}

void PseudonymKey::save(const fs::path& path) const {
  json doc = {{"format", kFormat},
              {"warning", "Re-identification key: keep it outside the shared dataset."},
              {"subjects", json::array()}};
  for (const auto& s : subjects_) {
    json subject = {{"original_id", s.original_id},
                    {"pseudonym", s.pseudonym},
                    {"sessions", json::array()},
                    {"series", json::array()}};
    for (const auto& e : s.sessions)
      subject["sessions"].push_back({{"study_uid", e.study_uid},
                                     {"number", e.number},
                                     {"acquisition_datetime", e.acquisition_datetime}});
    for (const auto& e : s.series)
      subject["series"].push_back({{"identity", e.identity}, {"path", e.path}});
    doc["subjects"].push_back(subject);
  }
  const std::string text = doc.dump(2) + "\n";

  const fs::path temporary = path.string() + ".partial";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) throw Error(path.string() + ": key file cannot be written", ExitCode::output_failed);
  ::fchmod(fd, 0600);  // also when the file existed with wider permissions
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = ::fsync(fd) == 0;
  ::close(fd);
  if (!written || !synced) {
    fs::remove(temporary);
    throw Error(path.string() + ": key file cannot be written", ExitCode::output_failed);
  }
  fs::rename(temporary, path);
}

KeySubject* PseudonymKey::find(const std::string& original_id) {
  for (auto& s : subjects_) {
    if (s.original_id == original_id) return &s;
  }
  return nullptr;
}

const KeySubject* PseudonymKey::find_pseudonym(const std::string& pseudonym) const {
  for (const auto& s : subjects_) {
    if (s.pseudonym == pseudonym) return &s;
  }
  return nullptr;
}

KeySubject& PseudonymKey::subject_for(const std::string& original_id) {
  if (KeySubject* existing = find(original_id)) return *existing;
  std::string pseudonym;
  do {
    pseudonym = random_pseudonym();
  } while (find_pseudonym(pseudonym));
  subjects_.push_back({original_id, pseudonym, {}, {}});
  return subjects_.back();
}

std::string random_pseudonym() {
  static const std::string alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::random_device entropy;  // /dev/urandom on Linux
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::string label;
  for (int i = 0; i < 8; ++i) label += alphabet[pick(entropy)];
  return label;
}

}  // namespace strokefair
