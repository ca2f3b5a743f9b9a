// SQLite storage of the case library.
#include "strokefair/library/store.hpp"

#include <sqlite3.h>

#include <chrono>
#include <cstring>
#include <ctime>

#include "strokefair/core/error.hpp"

namespace strokefair {

namespace {

constexpr int schema_version = 1;

const char* schema_sql = R"(
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE cases(
  id TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  mask_path TEXT NOT NULL,
  mask_sha256 TEXT NOT NULL,
  lesion_volume_ml REAL NOT NULL,
  side TEXT NOT NULL,
  features BLOB NOT NULL,      -- float32 lesion mL per region: territories, vascular, anatomy
  lesion_runs BLOB NOT NULL,   -- uint32 (first voxel, length) pairs on the library grid
  clinical TEXT NOT NULL,      -- JSON object
  added TEXT NOT NULL);
)";

Error database_error(sqlite3* db, const std::string& what) {
  return Error(what + ": " + (db ? sqlite3_errmsg(db) : "cannot open"), ExitCode::bad_input);
}

// One prepared statement, finalized when it goes out of scope.
class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &statement_, nullptr) != SQLITE_OK)
      throw database_error(db, "library query failed");
  }
  ~Statement() { sqlite3_finalize(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  void bind(int at, const std::string& text) {
    sqlite3_bind_text(statement_, at, text.c_str(), int(text.size()), SQLITE_TRANSIENT);
  }
  void bind(int at, double value) { sqlite3_bind_double(statement_, at, value); }
  void bind_blob(int at, const void* data, std::size_t bytes) {
    sqlite3_bind_blob(statement_, at, bytes ? data : "", int(bytes), SQLITE_TRANSIENT);
  }
  void bind(int at, const nlohmann::json& value) {
    if (value.is_number())
      bind(at, value.get<double>());
    else
      bind(at, value.get<std::string>());
  }
  // True while there is a row to read.
  bool step() {
    const int rc = sqlite3_step(statement_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw database_error(db_, "library update failed");
  }
  std::string text(int column) const {
    const auto* p = sqlite3_column_text(statement_, column);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  double number(int column) const { return sqlite3_column_double(statement_, column); }
  template <class T>
  std::vector<T> blob(int column) const {
    const auto bytes = static_cast<std::size_t>(sqlite3_column_bytes(statement_, column));
    std::vector<T> values(bytes / sizeof(T));
    if (bytes) std::memcpy(values.data(), sqlite3_column_blob(statement_, column), bytes);
    return values;
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* statement_ = nullptr;
};

// BEGIN IMMEDIATE ... COMMIT; rolled back when left without commit (an exception).
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) { run("BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void commit() {
    run("COMMIT");
    done_ = true;
  }

 private:
  void run(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
      throw database_error(db_, std::string("library ") + sql + " failed");
  }
  sqlite3* db_;
  bool done_ = false;
};

nlohmann::json regions_to_json(const std::vector<AtlasRegion>& regions) {
  auto list = nlohmann::json::array();
  for (const auto& r : regions)
    list.push_back({{"label", r.label}, {"name", r.name}, {"side", to_string(r.side)}});
  return list;
}

std::vector<AtlasRegion> regions_from_json(const nlohmann::json& list) {
  std::vector<AtlasRegion> regions;
  for (const auto& item : list) {
    AtlasRegion r;
    r.label = item.at("label").get<std::int32_t>();
    r.name = item.at("name").get<std::string>();
    const auto side = item.at("side").get<std::string>();
    r.side = side == "left"    ? Hemisphere::left
             : side == "right" ? Hemisphere::right
                               : Hemisphere::midline;
    regions.push_back(r);
  }
  return regions;
}

Hemisphere side_from_text(const std::string& side) {
  return side == "left"    ? Hemisphere::left
         : side == "right" ? Hemisphere::right
                           : Hemisphere::midline;
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

std::vector<float> feature_blob(const LesionFeatures& f) {
  std::vector<float> values;
  for (const auto* part : {&f.territory_ml, &f.vascular_ml, &f.anatomy_ml})
    for (double v : *part) values.push_back(static_cast<float>(v));
  return values;
}

}  // namespace

FeatureLayout FeatureLayout::of(const FeatureAtlases& atlases) {
  return {atlases.territories.regions, atlases.vascular.regions, atlases.anatomy.regions,
          atlases.library_grid()};
}

nlohmann::json FeatureLayout::to_json() const {
  const Geometry& g = library_grid;
  return {{"territories", regions_to_json(territories)},
          {"vascular", regions_to_json(vascular)},
          {"anatomy", regions_to_json(anatomy)},
          {"library_grid",
           {{"size", g.size},
            {"spacing", g.spacing},
            {"origin", g.origin},
            {"direction", g.direction}}}};
}

FeatureLayout FeatureLayout::from_json(const nlohmann::json& json) {
  FeatureLayout layout;
  layout.territories = regions_from_json(json.at("territories"));
  layout.vascular = regions_from_json(json.at("vascular"));
  layout.anatomy = regions_from_json(json.at("anatomy"));
  const auto& g = json.at("library_grid");
  layout.library_grid.size = g.at("size").get<std::array<std::size_t, 3>>();
  layout.library_grid.spacing = g.at("spacing").get<Vec3>();
  layout.library_grid.origin = g.at("origin").get<Vec3>();
  layout.library_grid.direction = g.at("direction").get<std::array<double, 9>>();
  return layout;
}

bool FeatureLayout::same_as(const FeatureLayout& other) const {
  return to_json()["territories"] == other.to_json()["territories"] &&
         to_json()["vascular"] == other.to_json()["vascular"] &&
         to_json()["anatomy"] == other.to_json()["anatomy"] &&
         library_grid.same_grid(other.library_grid);
}

Library Library::open(const std::filesystem::path& path, OpenMode mode,
                      const FeatureAtlases* atlases) {
  const bool exists = std::filesystem::exists(path);
  if (!exists && mode == OpenMode::read) {
    throw input_error(path.string(),
                      "no such library (create one with 'strokefair library add' "
                      "or 'library import')");
  }
  Library library;
  library.path_ = path;
  const int flags =
      mode == OpenMode::read ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &library.db_, flags, nullptr) != SQLITE_OK) {
    throw database_error(library.db_, path.string());
  }
  sqlite3_busy_timeout(library.db_, 5000);

  if (!exists) {
    if (!atlases) throw Error("a new library needs the feature atlases", ExitCode::internal);
    library.layout_ = FeatureLayout::of(*atlases);
    Transaction transaction(library.db_);
    library.execute(schema_sql);
    for (const auto& [key, value] :
         {std::pair<std::string, std::string>{"schema_version", std::to_string(schema_version)},
          {"feature_layout", library.layout_.to_json().dump()},
          {"created", utc_now()},
          {"created_by", std::string("strokefair ") + STROKEFAIR_VERSION}}) {
      Statement row(library.db_, "INSERT INTO meta(key, value) VALUES (?, ?)");
      row.bind(1, key);
      row.bind(2, value);
      row.step();
    }
    transaction.commit();
    return library;
  }

  try {
    Statement meta(library.db_, "SELECT value FROM meta WHERE key = 'feature_layout'");
    if (!meta.step()) throw Error("no feature layout", ExitCode::bad_input);
    library.layout_ = FeatureLayout::from_json(nlohmann::json::parse(meta.text(0)));
  } catch (const std::exception& e) {
    throw input_error(path.string(), std::string("not a strokefair library (") + e.what() + ")");
  }
  return library;
}

Library::Library(Library&& other) noexcept
    : path_(std::move(other.path_)), db_(other.db_), layout_(std::move(other.layout_)) {
  other.db_ = nullptr;
}

Library& Library::operator=(Library&& other) noexcept {
  std::swap(path_, other.path_);
  std::swap(db_, other.db_);
  std::swap(layout_, other.layout_);
  return *this;
}

Library::~Library() {
  if (db_) sqlite3_close(db_);
}

void Library::execute(const std::string& sql) const {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string text = message ? message : "unknown error";
    sqlite3_free(message);
    throw Error(path_.string() + ": " + text, ExitCode::bad_input);
  }
}

std::size_t Library::size() const {
  Statement count(db_, "SELECT count(*) FROM cases");
  count.step();
  return static_cast<std::size_t>(count.number(0));
}

void Library::add(const std::vector<NewCase>& cases, bool replace) {
  Transaction transaction(db_);
  const std::string verb = replace ? "INSERT OR REPLACE" : "INSERT";
  for (const NewCase& c : cases) {
    if (c.features.territory_ml.size() != layout_.territories.size() ||
        c.features.vascular_ml.size() != layout_.vascular.size() ||
        c.features.anatomy_ml.size() != layout_.anatomy.size()) {
      throw Error(c.id + ": features were measured with other atlases than the library's",
                  ExitCode::bad_input);
    }
    if (!replace) {
      Statement existing(db_, "SELECT 1 FROM cases WHERE id = ?");
      existing.bind(1, c.id);
      if (existing.step()) {
        throw Error(c.id + " is already in the library (use --replace to update it)",
                    ExitCode::bad_input);
      }
    }
    Statement insert(db_, verb +
                              " INTO cases(id, source, mask_path, mask_sha256, "
                              "lesion_volume_ml, side, features, lesion_runs, clinical, added) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    const auto features = feature_blob(c.features);
    insert.bind(1, c.id);
    insert.bind(2, c.source);
    insert.bind(3, c.mask_path.string());
    insert.bind(4, c.mask_sha256);
    insert.bind(5, c.features.volume_ml);
    insert.bind(6, to_string(c.features.side));
    insert.bind_blob(7, features.data(), features.size() * sizeof(float));
    insert.bind_blob(8, c.features.lesion_runs.data(),
                     c.features.lesion_runs.size() * sizeof(std::uint32_t));
    insert.bind(9, c.clinical.dump());
    insert.bind(10, utc_now());
    insert.step();
  }
  transaction.commit();
}

void Library::update_clinical(const ClinicalTable& table) {
  Transaction transaction(db_);
  for (const auto& [id, record] : table) {
    Statement current(db_, "SELECT clinical FROM cases WHERE id = ?");
    current.bind(1, id);
    if (!current.step()) {
      throw Error("the clinical table lists " + id +
                      ", which is not in the library; nothing "
                      "was changed",
                  ExitCode::bad_input);
    }
    auto merged = nlohmann::json::parse(current.text(0));
    merged.update(record);
    Statement update(db_, "UPDATE cases SET clinical = ? WHERE id = ?");
    update.bind(1, merged.dump());
    update.bind(2, id);
    update.step();
  }
  transaction.commit();
}

std::vector<StoredCase> Library::cases(const std::optional<SqlCondition>& where,
                                       bool with_lesion_runs) const {
  std::string sql = "SELECT id, mask_path, lesion_volume_ml, side, features, clinical";
  sql += with_lesion_runs ? ", lesion_runs" : "";
  sql += " FROM cases";
  if (where) sql += " WHERE " + where->sql;
  sql += " ORDER BY id";
  Statement query(db_, sql);
  if (where) {
    for (std::size_t p = 0; p < where->parameters.size(); ++p)
      query.bind(int(p + 1), where->parameters[p]);
  }

  const std::size_t n_territories = layout_.territories.size();
  const std::size_t n_vascular = layout_.vascular.size();
  std::vector<StoredCase> cases;
  while (query.step()) {
    StoredCase c;
    c.id = query.text(0);
    c.mask_path = query.text(1);
    c.volume_ml = query.number(2);
    c.side = side_from_text(query.text(3));
    const auto features = query.blob<float>(4);
    c.territory_ml.assign(features.begin(), features.begin() + n_territories);
    c.vascular_ml.assign(features.begin() + n_territories,
                         features.begin() + n_territories + n_vascular);
    c.anatomy_ml.assign(features.begin() + n_territories + n_vascular, features.end());
    c.clinical = nlohmann::json::parse(query.text(5));
    if (with_lesion_runs) c.lesion_runs = query.blob<std::uint32_t>(6);
    cases.push_back(std::move(c));
  }
  return cases;
}

}  // namespace strokefair
