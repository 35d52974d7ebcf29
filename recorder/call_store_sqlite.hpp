#pragma once
// Thin RAII over the sqlite3 C API for the call store: the connection and a reusable prepared
// statement. Internal to recorder/ (the public header call_store.hpp does not include sqlite3.h).
//
// Threads: a Connection and its Statements belong to one thread at a time (the store thread
// once CallStore::open has handed them over); nothing here locks.
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sipgw::recorder::sqlite {

struct ConnectionDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementDeleter {
  void operator()(sqlite3_stmt* st) const { sqlite3_finalize(st); }
};
using ConnectionPtr = std::unique_ptr<sqlite3, ConnectionDeleter>;

/// Opens (creating if needed) the database file in WAL mode with synchronous=NORMAL and the
/// given busy timeout. Throws std::runtime_error naming the file (start-up only).
ConnectionPtr open_connection(const std::string& path, int busy_timeout_ms);

/// Runs SQL without results (pragmas, BEGIN/COMMIT, DDL). Returns "" or SQLite's message.
std::string exec(sqlite3* db, std::string_view sql);

/// A prepared statement, prepared once and reset after each use.
class Statement {
 public:
  Statement() = default;
  /// Prepares with SQLITE_PREPARE_PERSISTENT; throws std::runtime_error on a bad SQL (a bug).
  Statement(sqlite3* db, std::string_view sql);

  /// Binds by 1-based index. Empty optionals bind NULL.
  Statement& bind(int i, int64_t v);
  Statement& bind(int i, double v);
  Statement& bind(int i, std::string_view v);
  Statement& bind(int i, const std::string& v) { return bind(i, std::string_view(v)); }
  Statement& bind(int i, const char* v) { return bind(i, std::string_view(v)); }
  Statement& bind(int i, const std::optional<int64_t>& v);
  Statement& bind(int i, const std::optional<double>& v);
  Statement& bind(int i, const std::optional<std::string>& v);
  Statement& bind_null(int i);

  /// SQLITE_ROW → true, SQLITE_DONE → false; any other code leaves `error()` set and returns
  /// false.
  bool step();
  /// Runs to completion (for writes). Returns "" or the error.
  std::string run();
  /// Resets and clears bindings so the statement is ready for the next use.
  void reset();

  int64_t column_int64(int i) const;
  double column_double(int i) const;
  std::string column_text(int i) const;
  bool column_is_null(int i) const;
  std::optional<int64_t> column_optional_int64(int i) const;
  std::optional<double> column_optional_double(int i) const;
  std::optional<std::string> column_optional_text(int i) const;

  /// The error of the last step (empty when none).
  const std::string& error() const { return error_; }
  sqlite3_stmt* get() const { return st_.get(); }

 private:
  std::unique_ptr<sqlite3_stmt, StatementDeleter> st_;
  sqlite3* db_ = nullptr;
  std::string error_;
};

/// Resets a statement when the scope ends, whatever path leaves it.
class ResetOnExit {
 public:
  explicit ResetOnExit(Statement& st) : st_(st) {}
  ~ResetOnExit() { st_.reset(); }
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;

 private:
  Statement& st_;
};

}  // namespace sipgw::recorder::sqlite
