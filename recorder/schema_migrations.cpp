#include "recorder/schema_migrations.hpp"

#include <sqlite3.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "recorder/call_store_sqlite.hpp"

namespace sipgw::recorder {
namespace {

// Outcome and direction are not CHECK-constrained: SQLite cannot alter a CHECK without
// rebuilding the table, and the code (CallOutcome) is the one writer. Nullable columns are
// unknown or not yet happened.
//
// One row per call leg of a client session, not per SIP Call-ID: when two clients of the same
// gateway call each other the PBX passes the INVITE through, so the caller's outgoing leg and the
// callee's incoming leg carry the same Call-ID. A leg is (call_id, session_id); `id` is the row's
// own key (AUTOINCREMENT: never reused, so it also orders the legs by when they started).
constexpr std::string_view kMigration1 = R"sql(
CREATE TABLE calls (
  id                    INTEGER PRIMARY KEY AUTOINCREMENT,
  call_id               TEXT NOT NULL,              -- SIP Call-ID (shared by both legs of a
                                                    -- call between two clients of the gateway)
  session_id            INTEGER NOT NULL,           -- the client session the leg belongs to
  client_id             TEXT NOT NULL,
  direction             TEXT NOT NULL,              -- outgoing | incoming
  caller                TEXT NOT NULL,
  callee                TEXT NOT NULL,
  caller_name           TEXT NOT NULL DEFAULT '',
  callee_name           TEXT NOT NULL DEFAULT '',
  pbx                   TEXT NOT NULL,              -- host:port
  started_at            INTEGER NOT NULL,           -- ms since epoch, UTC
  answered_at           INTEGER,
  ended_at              INTEGER,                    -- NULL while in progress
  duration_ms           INTEGER,                    -- answered_at → ended_at; 0 if unanswered
  outcome               TEXT,                       -- answered | no-answer | busy | rejected |
                                                    -- failed | cancelled | interrupted
  sip_code              INTEGER,
  reason                TEXT NOT NULL DEFAULT '',
  recording_path        TEXT,                       -- NULL: none, or deleted by retention
  recording_bytes       INTEGER,
  recording_duration_ms INTEGER,
  packets_sent          INTEGER,                    -- media summary (more in migration 2)
  packets_received      INTEGER,
  packets_lost          INTEGER,
  jitter_ms             REAL,
  last_known_at         INTEGER NOT NULL,           -- latest time heard of; ends interrupted calls
  UNIQUE (call_id, session_id)                      -- one leg; its index also finds a Call-ID
);
CREATE INDEX calls_started_at ON calls(started_at);
CREATE INDEX calls_client_started_at ON calls(client_id, started_at);
CREATE INDEX calls_ended_at ON calls(ended_at);

-- Subscriber events. `seq` is assigned by the control thread (strictly increasing) so live
-- subscribers see it before the row lands; AUTOINCREMENT keeps the highest seq ever used in
-- sqlite_sequence even after retention deleted every row, so numbering never restarts.
CREATE TABLE events (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  at_ms      INTEGER NOT NULL,
  session_id INTEGER NOT NULL,
  client_id  TEXT NOT NULL,
  event      TEXT NOT NULL,
  body       TEXT NOT NULL                          -- the JSON sent to subscribers
);
CREATE INDEX events_at_ms ON events(at_ms);
)sql";

// The media quality summary per leg and direction (recorder/call_record.hpp MediaSummary).
// packets_lost and jitter_ms of version 1 keep their names and become the totals: lost in both
// directions the gateway receives, the worse leg's jitter. Rows written before stay NULL.
constexpr std::string_view kMigration2 = R"sql(
ALTER TABLE calls ADD COLUMN browser_packets_lost INTEGER;   -- browser → gateway, RFC 3550 A.3
ALTER TABLE calls ADD COLUMN browser_jitter_ms REAL;         -- its A.8 jitter, mean over the call
ALTER TABLE calls ADD COLUMN remote_packets_lost INTEGER;    -- PBX → gateway
ALTER TABLE calls ADD COLUMN remote_jitter_ms REAL;
ALTER TABLE calls ADD COLUMN browser_rtcp_lost INTEGER;      -- gateway → browser, the browser's
ALTER TABLE calls ADD COLUMN browser_rtcp_jitter_ms REAL;    -- RTCP reports (§6.4.1)
ALTER TABLE calls ADD COLUMN remote_rtcp_lost INTEGER;       -- gateway → PBX, the PBX's reports
ALTER TABLE calls ADD COLUMN remote_rtcp_jitter_ms REAL;
)sql";

constexpr Migration kMigrations[] = {
    {1, "calls and events tables", kMigration1},
    {2, "media quality per leg and direction", kMigration2},
};

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

[[noreturn]] void fail(std::string_view path, const std::string& what) {
  throw std::runtime_error("call store " + std::string(path) + ": " + what);
}

}  // namespace

std::span<const Migration> schema_migrations() { return kMigrations; }

int schema_version(sqlite3* db) {
  sqlite::Statement st(db, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
  return st.step() ? static_cast<int>(st.column_int64(0)) : 0;
}

int apply_schema_migrations(sqlite3* db, std::string_view path) {
  if (auto err = sqlite::exec(db,
                              "CREATE TABLE IF NOT EXISTS schema_version ("
                              " version INTEGER PRIMARY KEY NOT NULL,"
                              " description TEXT NOT NULL,"
                              " applied_at_ms INTEGER NOT NULL)");
      !err.empty()) {
    fail(path, "cannot create schema_version: " + err);
  }
  const int newest = kMigrations[std::size(kMigrations) - 1].version;
  for (const Migration& m : kMigrations) {
    // BEGIN IMMEDIATE takes the write lock first, so two processes opening the same file at
    // once cannot both apply a migration: the second re-reads the version under the lock.
    if (auto err = sqlite::exec(db, "BEGIN IMMEDIATE"); !err.empty()) {
      fail(path, "cannot begin migration " + std::to_string(m.version) + ": " + err);
    }
    const int current = schema_version(db);
    if (current > newest) {
      sqlite::exec(db, "ROLLBACK");
      fail(path, "schema version " + std::to_string(current) +
                     " is newer than this gateway knows (" + std::to_string(newest) + ")");
    }
    if (m.version <= current) {
      sqlite::exec(db, "ROLLBACK");
      continue;
    }
    std::string err = sqlite::exec(db, m.sql);
    if (err.empty()) {
      sqlite::Statement ins(
          db, "INSERT INTO schema_version(version, description, applied_at_ms) VALUES(?,?,?)");
      ins.bind(1, static_cast<int64_t>(m.version)).bind(2, m.description).bind(3, now_ms());
      err = ins.run();
    }
    if (err.empty()) err = sqlite::exec(db, "COMMIT");
    if (!err.empty()) {
      sqlite::exec(db, "ROLLBACK");
      fail(path, "migration " + std::to_string(m.version) + " (" + std::string(m.description) +
                     ") failed: " + err);
    }
  }
  return schema_version(db);
}

}  // namespace sipgw::recorder
