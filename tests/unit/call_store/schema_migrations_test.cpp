// Schema migrations at open: a fresh file gets every migration, a version-1 file is upgraded in
// place, re-opening applies nothing twice, a file from a newer gateway is refused, and a file
// that cannot be opened is named.
#include "recorder/schema_migrations.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <stdexcept>

#include "temp_database.hpp"

namespace sipgw::recorder::test {
namespace {

TEST(SchemaMigrations, VersionsAreConsecutiveFromOne) {
  int expected = 1;
  for (const Migration& m : schema_migrations()) {
    EXPECT_EQ(m.version, expected++);
    EXPECT_FALSE(m.sql.empty());
  }
  EXPECT_GE(expected, 2);
}

TEST(SchemaMigrations, FreshFileGetsEveryMigrationRecorded) {
  TempDatabase tmp;
  auto store = tmp.open();
  const int newest = schema_migrations().back().version;
  EXPECT_EQ(store->schema_version(), newest);

  RawConnection raw(tmp.path());
  EXPECT_EQ(raw.integer("SELECT COUNT(*) FROM schema_version"), newest);
  EXPECT_EQ(raw.integer("SELECT MAX(version) FROM schema_version"), newest);
  EXPECT_GT(raw.integer("SELECT applied_at_ms FROM schema_version WHERE version = 1"), 0);
  EXPECT_EQ(raw.text("SELECT description FROM schema_version WHERE version = 1"),
            std::string(schema_migrations()[0].description));
  for (const char* table : {"calls", "events", "schema_version"}) {
    EXPECT_EQ(raw.integer(std::string("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'"
                                      " AND name = '") + table + "'"), 1)
        << table;
  }
  for (const char* column : {"id", "call_id", "session_id", "client_id", "direction", "caller",
                             "callee", "caller_name", "callee_name", "pbx", "started_at",
                             "answered_at", "ended_at", "duration_ms", "outcome", "sip_code",
                             "reason", "recording_path", "recording_bytes",
                             "recording_duration_ms", "packets_sent", "packets_received",
                             "packets_lost", "jitter_ms", "browser_packets_lost",
                             "browser_jitter_ms", "remote_packets_lost", "remote_jitter_ms",
                             "browser_rtcp_lost", "browser_rtcp_jitter_ms", "remote_rtcp_lost",
                             "remote_rtcp_jitter_ms"}) {
    EXPECT_EQ(raw.integer(std::string("SELECT COUNT(*) FROM pragma_table_info('calls')"
                                      " WHERE name = '") + column + "'"), 1)
        << column;
  }
}

TEST(SchemaMigrations, ReopenIsIdempotentAndKeepsData) {
  TempDatabase tmp;
  {
    auto store = tmp.open();
    store->call_started(outgoing_call("keep-me", 1000));
    ASSERT_TRUE(store->flush_blocking().ok());
  }
  int64_t applied_at = 0;
  {
    RawConnection raw(tmp.path());
    applied_at = raw.integer("SELECT applied_at_ms FROM schema_version WHERE version = 1");
  }
  for (int i = 0; i < 2; ++i) {
    auto store = tmp.open();
    EXPECT_EQ(store->schema_version(), schema_migrations().back().version);
    auto call = store->get_call_legs_blocking("keep-me");
    ASSERT_TRUE(call.ok()) << call.error();
    EXPECT_EQ(call.value().size(), 1u);
  }
  RawConnection raw(tmp.path());
  EXPECT_EQ(raw.integer("SELECT COUNT(*) FROM schema_version"),
            static_cast<int64_t>(schema_migrations().size()));
  EXPECT_EQ(raw.integer("SELECT applied_at_ms FROM schema_version WHERE version = 1"),
            applied_at);
}

// A call store written by a gateway that knew only version 1 (no per-direction media columns):
// opening it applies migration 2 alone, its rows keep their values and read the new figures as
// unknown, and calls ended afterwards store them.
TEST(SchemaMigrations, Version1FileIsUpgradedInPlace) {
  TempDatabase tmp;
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(tmp.path().c_str(), &db), SQLITE_OK);
    const std::string v1 =
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY NOT NULL,"
        " description TEXT NOT NULL, applied_at_ms INTEGER NOT NULL);" +
        std::string(schema_migrations()[0].sql) +
        "INSERT INTO schema_version VALUES(1, 'calls and events tables', 42);"
        "INSERT INTO calls(call_id, session_id, client_id, direction, caller, callee, pbx,"
        " started_at, answered_at, ended_at, duration_ms, outcome, sip_code, packets_sent,"
        " packets_received, packets_lost, jitter_ms, last_known_at)"
        " VALUES('old-call', 5, 'agent', 'outgoing', '1001', '1002', 'pbx:5060', 1000, 2000,"
        " 9000, 7000, 'answered', 200, 350, 349, 2, 1.5, 9000);";
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, v1.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_close(db);
  }
  auto store = tmp.open();
  ASSERT_EQ(store->schema_version(), schema_migrations().back().version);
  {
    RawConnection raw(tmp.path());
    EXPECT_EQ(raw.integer("SELECT applied_at_ms FROM schema_version WHERE version = 1"), 42);
    EXPECT_EQ(raw.text("SELECT description FROM schema_version WHERE version = 2"),
              "media quality per leg and direction");
  }
  auto old = store->get_call_legs_blocking("old-call");
  ASSERT_TRUE(old.ok()) << old.error();
  ASSERT_EQ(old.value().size(), 1u);
  const MediaSummary& m = old.value()[0].media;
  EXPECT_EQ(m.packets_sent, 350);
  EXPECT_EQ(m.packets_lost, 2);
  EXPECT_DOUBLE_EQ(m.jitter_ms.value_or(-1), 1.5);
  EXPECT_FALSE(m.browser_packets_lost);
  EXPECT_FALSE(m.remote_jitter_ms);
  EXPECT_FALSE(m.browser_rtcp_lost);
  EXPECT_FALSE(m.remote_rtcp_jitter_ms);

  store->call_started(outgoing_call("new-call", 20'000));
  store->call_ended("new-call", kSession,
                    CallEnd{.at_ms = 30'000, .outcome = CallOutcome::answered,
                            .media = {.browser_packets_lost = 3, .remote_rtcp_jitter_ms = 4.5}});
  auto fresh = store->get_call_legs_blocking("new-call");
  ASSERT_TRUE(fresh.ok()) << fresh.error();
  ASSERT_EQ(fresh.value().size(), 1u);
  EXPECT_EQ(fresh.value()[0].media.browser_packets_lost, 3);
  EXPECT_DOUBLE_EQ(fresh.value()[0].media.remote_rtcp_jitter_ms.value_or(-1), 4.5);
  EXPECT_FALSE(fresh.value()[0].media.remote_packets_lost);
}

TEST(SchemaMigrations, FileFromANewerGatewayIsRefused) {
  TempDatabase tmp;
  tmp.open().reset();
  {
    RawConnection raw(tmp.path());
    raw.exec("INSERT INTO schema_version VALUES(99, 'from the future', 1)");
  }
  try {
    tmp.open();
    FAIL() << "open() accepted a newer schema";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(tmp.path()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("99"), std::string::npos) << e.what();
  }
}

TEST(SchemaMigrations, UnopenableFileIsNamedInTheError) {
  TempDatabase tmp;
  const std::string path = (tmp.dir() / "no-such-dir" / "calls.sqlite").string();
  try {
    CallStore::open({.path = path});
    FAIL() << "open() succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(SchemaMigrations, NotADatabaseIsNamedInTheError) {
  TempDatabase tmp;
  std::ofstream(tmp.path()) << "this is not an SQLite database, not even close to one........"
                               "......................................................";
  EXPECT_THROW(tmp.open(), std::runtime_error);
}

}  // namespace
}  // namespace sipgw::recorder::test
