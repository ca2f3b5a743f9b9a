// The case library: one SQLite file holding each case's id, clinical fields, lesion features,
// lesion map on the library grid and a reference to its mask. Every change is one transaction.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "strokefair/library/clinical.hpp"
#include "strokefair/library/features.hpp"
#include "strokefair/library/where.hpp"

struct sqlite3;

namespace strokefair {

// Which regions the stored feature columns are, in order; fixed when the library is created
// and checked whenever features measured with the current atlases are added.
struct FeatureLayout {
  std::vector<AtlasRegion> territories;
  std::vector<AtlasRegion> vascular;
  std::vector<AtlasRegion> anatomy;
  Geometry library_grid;

  static FeatureLayout of(const FeatureAtlases& atlases);
  nlohmann::json to_json() const;
  static FeatureLayout from_json(const nlohmann::json& json);
  bool same_as(const FeatureLayout& other) const;
};

struct NewCase {
  std::string id;
  std::string source;               // the analysis folder or mask it was added from
  std::filesystem::path mask_path;  // absolute
  std::string mask_sha256;
  LesionFeatures features;
  ClinicalRecord clinical = ClinicalRecord::object();
};

struct StoredCase {
  std::string id;
  std::string mask_path;
  double volume_ml = 0;
  Hemisphere side = Hemisphere::midline;
  RegionVolumes territory_ml, vascular_ml, anatomy_ml;
  std::vector<std::uint32_t> lesion_runs;  // filled only when asked for
  ClinicalRecord clinical = ClinicalRecord::object();
};

enum class OpenMode { read, create_or_update };

class Library {
 public:
  // read: the file must exist and be a strokefair library. create_or_update: a missing file
  // is created with the layout of `atlases`, which must then be given.
  static Library open(const std::filesystem::path& path, OpenMode mode,
                      const FeatureAtlases* atlases = nullptr);
  Library(Library&&) noexcept;
  Library& operator=(Library&&) noexcept;
  ~Library();

  const FeatureLayout& layout() const { return layout_; }
  std::size_t size() const;

  // Adds all cases in one transaction: on any error (duplicate id without `replace`, a
  // feature layout that differs from the library's) none is added.
  void add(const std::vector<NewCase>& cases, bool replace = false);

  // Merges clinical fields into existing cases in one transaction; an id of the table that is
  // not in the library is an error and nothing changes.
  void update_clinical(const ClinicalTable& table);

  // All cases, or those matching a --where condition, ordered by id.
  std::vector<StoredCase> cases(const std::optional<SqlCondition>& where = std::nullopt,
                                bool with_lesion_runs = false) const;

  const std::filesystem::path& path() const { return path_; }

 private:
  Library() = default;
  void execute(const std::string& sql) const;

  std::filesystem::path path_;
  sqlite3* db_ = nullptr;
  FeatureLayout layout_;
};

}  // namespace strokefair
