#include "recorder/call_store_sqlite.hpp"

#include <stdexcept>

namespace sipgw::recorder::sqlite {

ConnectionPtr open_connection(const std::string& path, int busy_timeout_ms) {
  sqlite3* raw = nullptr;
  // NOMUTEX: one thread uses the connection at a time (the opener, then the store thread).
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  ConnectionPtr db(raw);
  if (rc != SQLITE_OK) {
    std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    throw std::runtime_error("call store " + path + ": cannot open: " + msg);
  }
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), busy_timeout_ms);

  // WAL: readers (a second connection, the sqlite3 shell) never block the writer and see only
  // committed transactions. synchronous=NORMAL in WAL mode: a commit survives a process crash
  // (SIGKILL); only a power loss may drop the last transactions.
  sqlite3_stmt* st = nullptr;
  std::string mode;
  if (sqlite3_prepare_v2(db.get(), "PRAGMA journal_mode=WAL", -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    mode = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  if (mode != "wal") {
    throw std::runtime_error("call store " + path + ": cannot enable WAL mode: " +
                             (mode.empty() ? std::string(sqlite3_errmsg(db.get())) : mode));
  }
  for (const char* pragma : {"PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON"}) {
    if (auto err = exec(db.get(), pragma); !err.empty()) {
      throw std::runtime_error("call store " + path + ": " + pragma + ": " + err);
    }
  }
  return db;
}

std::string exec(sqlite3* db, std::string_view sql) {
  char* err = nullptr;
  std::string text(sql);
  if (sqlite3_exec(db, text.c_str(), nullptr, nullptr, &err) == SQLITE_OK) return {};
  std::string msg = err ? err : sqlite3_errmsg(db);
  sqlite3_free(err);
  return msg;
}

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  st_.reset(raw);
  if (rc != SQLITE_OK) {
    throw std::runtime_error(std::string("cannot prepare \"") + std::string(sql) +
                             "\": " + sqlite3_errmsg(db));
  }
}

Statement& Statement::bind(int i, int64_t v) {
  sqlite3_bind_int64(st_.get(), i, v);
  return *this;
}
Statement& Statement::bind(int i, double v) {
  sqlite3_bind_double(st_.get(), i, v);
  return *this;
}
Statement& Statement::bind(int i, std::string_view v) {
  sqlite3_bind_text(st_.get(), i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::bind(int i, const std::optional<int64_t>& v) {
  return v ? bind(i, *v) : bind_null(i);
}
Statement& Statement::bind(int i, const std::optional<double>& v) {
  return v ? bind(i, *v) : bind_null(i);
}
Statement& Statement::bind(int i, const std::optional<std::string>& v) {
  return v ? bind(i, std::string_view(*v)) : bind_null(i);
}
Statement& Statement::bind_null(int i) {
  sqlite3_bind_null(st_.get(), i);
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(st_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc != SQLITE_DONE) error_ = sqlite3_errmsg(db_);
  return false;
}

std::string Statement::run() {
  error_.clear();
  while (step()) {
  }
  return error_;
}

void Statement::reset() {
  sqlite3_reset(st_.get());
  sqlite3_clear_bindings(st_.get());
  error_.clear();
}

int64_t Statement::column_int64(int i) const { return sqlite3_column_int64(st_.get(), i); }
double Statement::column_double(int i) const { return sqlite3_column_double(st_.get(), i); }
std::string Statement::column_text(int i) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st_.get(), i));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(st_.get(), i))) : "";
}
bool Statement::column_is_null(int i) const {
  return sqlite3_column_type(st_.get(), i) == SQLITE_NULL;
}
std::optional<int64_t> Statement::column_optional_int64(int i) const {
  if (column_is_null(i)) return std::nullopt;
  return column_int64(i);
}
std::optional<double> Statement::column_optional_double(int i) const {
  if (column_is_null(i)) return std::nullopt;
  return column_double(i);
}
std::optional<std::string> Statement::column_optional_text(int i) const {
  if (column_is_null(i)) return std::nullopt;
  return column_text(i);
}

}  // namespace sipgw::recorder::sqlite
