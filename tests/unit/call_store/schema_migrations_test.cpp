// Schema migrations at open: a fresh file gets migration 1, re-opening applies nothing twice,
// a file from a newer gateway is refused, and a file that cannot be opened is named.
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
                             "packets_lost", "jitter_ms"}) {
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
