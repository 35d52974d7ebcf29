#pragma once
// The call store's schema and its migrations. The `schema_version` table records every
// migration applied (version, applied_at_ms); opening a database applies, in order and each in
// its own transaction, the migrations above its current version. Migration 1 creates the
// `calls` and `events` tables. To change the schema, append migration N+1 to the list in
// schema_migrations.cpp — never edit one that has shipped.
//
// Threads: start-up only (CallStore::open, before the store thread exists).
#include <span>
#include <string_view>

struct sqlite3;

namespace sipgw::recorder {

struct Migration {
  int version;
  std::string_view description;
  std::string_view sql;  // one or more statements
};

/// Every migration, in version order (1, 2, …).
std::span<const Migration> schema_migrations();

/// The highest version recorded in `schema_version` (0 for a fresh file).
int schema_version(sqlite3* db);

/// Applies every migration above the current version. Throws std::runtime_error naming `path`
/// if one fails (its transaction is rolled back) or if the file is newer than this code.
/// Returns the version now recorded.
int apply_schema_migrations(sqlite3* db, std::string_view path);

}  // namespace sipgw::recorder
