# sipgw_call_store: the call history (CDR) and subscriber event log in SQLite (recorder/
# call_store.hpp). Included from recorder/CMakeLists.txt and, when that is not built, from
# tests/unit/call_store; safe to include twice.
include_guard(GLOBAL)
find_package(SQLite3 REQUIRED)
find_package(spdlog REQUIRED)
find_package(Threads REQUIRED)

add_library(sipgw_call_store STATIC
  ${CMAKE_CURRENT_LIST_DIR}/call_store.cpp
  ${CMAKE_CURRENT_LIST_DIR}/call_store_queue.cpp
  ${CMAKE_CURRENT_LIST_DIR}/call_store_sqlite.cpp
  ${CMAKE_CURRENT_LIST_DIR}/call_store_tables.cpp
  ${CMAKE_CURRENT_LIST_DIR}/schema_migrations.cpp
)
target_include_directories(sipgw_call_store PUBLIC ${PROJECT_SOURCE_DIR})
# SQLite stays out of the public header (call_store.hpp), so it is a private dependency.
target_link_libraries(sipgw_call_store PUBLIC Threads::Threads PRIVATE SQLite::SQLite3
  spdlog::spdlog)
