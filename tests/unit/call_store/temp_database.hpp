#pragma once
// Test helpers: a fresh database path in a temporary directory (removed afterwards) and a
// second, independent SQLite connection to look at the file as another process would.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <unistd.h>

#include "recorder/call_store.hpp"

namespace sipgw::recorder::test {

class TempDatabase {
 public:
  TempDatabase() {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           ("sipgw-call-store-" + std::to_string(::getpid()) + "-" +
            std::to_string(counter++));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~TempDatabase() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string path() const { return (dir_ / "calls.sqlite").string(); }
  const std::filesystem::path& dir() const { return dir_; }

  std::unique_ptr<CallStore> open() const { return CallStore::open({.path = path()}); }

 private:
  std::filesystem::path dir_;
};

/// Another connection to the same file (read-write, so tests can also tamper with it).
class RawConnection {
 public:
  explicit RawConnection(const std::string& path) {
    EXPECT_EQ(sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    sqlite3_busy_timeout(db_, 5000);
  }
  ~RawConnection() { sqlite3_close_v2(db_); }
  sqlite3* get() const { return db_; }

  void exec(const std::string& sql) {
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << sql << ": " << (err ? err : "");
    sqlite3_free(err);
  }
  /// First column of the first row as text (nullopt: no row or NULL).
  std::optional<std::string> text(const std::string& sql) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db_, sql.c_str(), -1, &st, nullptr), SQLITE_OK)
        << sql << ": " << sqlite3_errmsg(db_);
    std::optional<std::string> out;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return out;
  }
  int64_t integer(const std::string& sql) { return std::stoll(text(sql).value_or("-1")); }

 private:
  sqlite3* db_ = nullptr;
};

/// The session of every call outgoing_call() makes (a leg is (call_id, session_id)).
inline constexpr uint64_t kSession = 7924161977477011ULL;

inline CallStart outgoing_call(std::string call_id, int64_t started_at_ms,
                               std::string client_id = "agent-42") {
  CallStart c;
  c.call_id = std::move(call_id);
  c.session_id = kSession;
  c.client_id = std::move(client_id);
  c.direction = CallDirection::outgoing;
  c.caller = "1001";
  c.callee = "1002";
  c.caller_name = "Alice";
  c.callee_name = "Bob";
  c.pbx = "pbx.example.net:5060";
  c.started_at_ms = started_at_ms;
  return c;
}

}  // namespace sipgw::recorder::test
