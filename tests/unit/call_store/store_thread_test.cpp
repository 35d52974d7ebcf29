// The store thread and the file: WAL mode, a second connection reading while the store
// writes, close() flushing everything queued, behaviour after close, and the guard rails
// (blocking call on the store thread, a throwing callback).
#include <gtest/gtest.h>

#include <filesystem>
#include <future>
#include <string>
#include <thread>

#include "temp_database.hpp"

namespace sipgw::recorder::test {
namespace {

TEST(StoreFile, UsesWriteAheadLog) {
  TempDatabase tmp;
  auto store = tmp.open();
  store->call_started(outgoing_call("c", 1));
  ASSERT_TRUE(store->flush_blocking().ok());
  RawConnection raw(tmp.path());
  EXPECT_EQ(raw.text("PRAGMA journal_mode"), "wal");  // persistent in the file
  EXPECT_TRUE(std::filesystem::exists(tmp.path() + "-wal"));
}

TEST(StoreFile, SecondConnectionReadsCommittedDataWithoutBlockingTheWriter) {
  TempDatabase tmp;
  auto store = tmp.open();
  store->call_started(outgoing_call("first", 1));
  ASSERT_TRUE(store->flush_blocking().ok());

  RawConnection reader(tmp.path());
  EXPECT_EQ(reader.integer("SELECT COUNT(*) FROM calls"), 1);

  // A reader holding a snapshot open does not block the store (WAL), and keeps its snapshot.
  reader.exec("BEGIN");
  EXPECT_EQ(reader.integer("SELECT COUNT(*) FROM calls"), 1);
  store->call_started(outgoing_call("second", 2));
  for (int64_t s = 1; s <= 50; ++s) store->append_event(s, s, 1, "c", "calling", "{}");
  auto status = store->flush_blocking();
  ASSERT_TRUE(status.ok()) << status.error();
  EXPECT_EQ(reader.integer("SELECT COUNT(*) FROM calls"), 1);
  reader.exec("COMMIT");

  // Once committed, a new read sees it.
  EXPECT_EQ(reader.integer("SELECT COUNT(*) FROM calls"), 2);
  EXPECT_EQ(reader.integer("SELECT MAX(seq) FROM events"), 50);
}

TEST(StoreFile, CloseFlushesEverythingQueued) {
  TempDatabase tmp;
  constexpr int kEvents = 3000;
  {
    auto store = tmp.open();
    for (int i = 0; i < 200; ++i) {
      const std::string id = "call-" + std::to_string(i);
      store->call_started(outgoing_call(id, i));
      store->call_answered(id, kSession, i + 1);
      store->call_ended(id, kSession, CallEnd{.at_ms = i + 10, .outcome = CallOutcome::answered});
    }
    for (int64_t s = 1; s <= kEvents; ++s) store->append_event(s, s, 1, "c", "calling", "{}");
    store->close();  // no flush before: close must drain the queue
  }
  RawConnection raw(tmp.path());
  EXPECT_EQ(raw.integer("SELECT COUNT(*) FROM calls WHERE duration_ms = 9"), 200);
  EXPECT_EQ(raw.integer("SELECT COUNT(*) FROM events"), kEvents);
}

TEST(StoreFile, CallbacksOfAlreadyPostedWorkRunBeforeCloseReturns) {
  TempDatabase tmp;
  auto store = tmp.open();
  int delivered = 0;  // written on the store thread, read after close() joined it
  for (int i = 0; i < 100; ++i) {
    store->call_started(outgoing_call("c" + std::to_string(i), i),
                        [&](StoreStatus s) { delivered += s.ok() ? 1 : 0; });
  }
  store->close();
  EXPECT_EQ(delivered, 100);
}

TEST(StoreFile, AfterCloseEveryCallReportsClosed) {
  TempDatabase tmp;
  auto store = tmp.open();
  store->close();
  store->close();  // idempotent

  std::optional<StoreStatus> write;
  store->call_started(outgoing_call("late", 1), [&](StoreStatus s) { write = s; });
  ASSERT_TRUE(write);  // called at once, on this thread
  EXPECT_FALSE(write->ok());
  EXPECT_EQ(write->error(), "call store closed");

  auto read = store->list_calls_blocking({});
  EXPECT_FALSE(read.ok());
  EXPECT_FALSE(store->max_event_seq_blocking().ok());
}

TEST(StoreThread, BlockingCallFromTheStoreThreadFailsInsteadOfDeadlocking) {
  TempDatabase tmp;
  auto store = tmp.open();
  std::promise<StoreResult<int64_t>> inner;
  store->flush([&](StoreStatus) { inner.set_value(store->max_event_seq_blocking()); });
  auto r = inner.get_future().get();
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error().find("blocking"), std::string::npos) << r.error();
}

TEST(StoreThread, AThrowingCallbackIsReportedAndTheStoreGoesOn) {
  TempDatabase tmp;
  std::promise<std::string> error;
  auto store = CallStore::open({.path = tmp.path(), .on_error = [&](const std::string& e) {
                                  error.set_value(e);
                                }});
  store->get_call_legs("x", [](StoreResult<std::vector<CallRecord>>) {
    throw std::runtime_error("boom");
  });
  EXPECT_NE(error.get_future().get().find("boom"), std::string::npos);
  store->call_started(outgoing_call("after", 1));
  EXPECT_EQ(store->get_call_legs_blocking("after").value().size(), 1u);
}

TEST(StoreThread, AnotherProcessHoldingTheWriteLockDelaysButDoesNotLoseWrites) {
  TempDatabase tmp;
  auto store = tmp.open();
  ASSERT_TRUE(store->flush_blocking().ok());
  RawConnection other(tmp.path());
  other.exec("BEGIN IMMEDIATE");  // e.g. an admin's sqlite3 shell mid-transaction
  store->call_started(outgoing_call("waited", 1));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  other.exec("COMMIT");  // within the store's 5 s busy timeout
  auto r = store->get_call_legs_blocking("waited");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.value().size(), 1u);
}

}  // namespace
}  // namespace sipgw::recorder::test
