// The persisted subscriber event stream: events_since order and limits, the starting seq for
// the control thread, retention, and the no-gap property a reconnecting subscriber relies on.
#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <algorithm>
#include <vector>

#include "temp_database.hpp"

namespace sipgw::recorder::test {
namespace {

std::string body_of(int64_t seq) {
  return R"({"session_id":7,"client_id":"agent-42","event":"calling","n":)" +
         std::to_string(seq) + "}";
}

void append(CallStore& store, int64_t seq, int64_t at_ms = 0) {
  store.append_event(seq, at_ms ? at_ms : seq * 10, 7, "agent-42", "calling", body_of(seq));
}

std::vector<int64_t> seqs(const StoreResult<std::vector<StoredEvent>>& r) {
  EXPECT_TRUE(r.ok()) << r.error();
  std::vector<int64_t> out;
  for (const auto& e : r.value()) out.push_back(e.seq);
  return out;
}

TEST(EventLog, RowsComeBackWhole) {
  TempDatabase tmp;
  auto store = tmp.open();
  store->append_event(1, 1'700'000'000'123, 7924161977477011ULL, "agent-42", "hangup",
                      R"({"event":"hangup","code":486})");
  auto r = store->events_since_blocking(0, 10);
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r.value().size(), 1u);
  const StoredEvent& e = r.value()[0];
  EXPECT_EQ(e.seq, 1);
  EXPECT_EQ(e.at_ms, 1'700'000'000'123);
  EXPECT_EQ(e.session_id, 7924161977477011ULL);
  EXPECT_EQ(e.client_id, "agent-42");
  EXPECT_EQ(e.name, "hangup");
  EXPECT_EQ(e.body, R"({"event":"hangup","code":486})");
}

TEST(EventLog, SinceIsExclusiveOrderedAndLimited) {
  TempDatabase tmp;
  auto store = tmp.open();
  for (int64_t s = 1; s <= 20; ++s) append(*store, s);
  EXPECT_EQ(seqs(store->events_since_blocking(0, 5)), (std::vector<int64_t>{1, 2, 3, 4, 5}));
  auto rest = seqs(store->events_since_blocking(5, 100));
  ASSERT_EQ(rest.size(), 15u);
  EXPECT_EQ(rest.front(), 6);
  EXPECT_EQ(rest.back(), 20);
  EXPECT_TRUE(std::is_sorted(rest.begin(), rest.end()));
  EXPECT_TRUE(seqs(store->events_since_blocking(20, 100)).empty());
  EXPECT_EQ(seqs(store->events_since_blocking(18, 0)), (std::vector<int64_t>{19}));  // ≥ 1
}

TEST(EventLog, PageLimitIsCapped) {
  TempDatabase tmp;
  auto store = tmp.open();
  for (int64_t s = 1; s <= kMaxEventPage + 10; ++s) append(*store, s);
  EXPECT_EQ(seqs(store->events_since_blocking(0, 1'000'000)).size(),
            static_cast<size_t>(kMaxEventPage));
}

TEST(EventLog, OrderIsBySeqNotByArrival) {
  TempDatabase tmp;
  auto store = tmp.open();
  append(*store, 5);
  append(*store, 3);
  append(*store, 9);
  EXPECT_EQ(seqs(store->events_since_blocking(0, 10)), (std::vector<int64_t>{3, 5, 9}));
}

TEST(EventLog, ReusedSeqIsReported) {
  TempDatabase tmp;
  auto store = tmp.open();
  append(*store, 1);
  std::promise<StoreStatus> p;
  store->append_event(1, 5, 7, "agent-42", "calling", "{}",
                      [&](StoreStatus s) { p.set_value(s); });
  auto s = p.get_future().get();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.error().find("seq 1"), std::string::npos) << s.error();
}

TEST(EventLog, MaxSeqSurvivesRetentionAndReopen) {
  TempDatabase tmp;
  {
    auto store = tmp.open();
    EXPECT_EQ(store->max_event_seq_blocking().value(), 0);
    for (int64_t s = 1; s <= 30; ++s) append(*store, s, 1000 + s);
    EXPECT_EQ(store->max_event_seq_blocking().value(), 30);

    auto deleted = store->delete_events_older_than_blocking(1011);  // at_ms 1001…1010
    ASSERT_TRUE(deleted.ok()) << deleted.error();
    EXPECT_EQ(deleted.value(), 10);
    EXPECT_EQ(seqs(store->events_since_blocking(0, 1)), (std::vector<int64_t>{11}));

    EXPECT_EQ(store->delete_events_older_than_blocking(1'000'000).value(), 20);
    EXPECT_EQ(store->max_event_seq_blocking().value(), 30);  // numbering never restarts
  }
  auto store = tmp.open();
  EXPECT_EQ(store->max_event_seq_blocking().value(), 30);
  append(*store, 31);
  EXPECT_EQ(seqs(store->events_since_blocking(0, 10)), (std::vector<int64_t>{31}));
}

// The control thread assigns seq, fans the event out live, and posts append_event; a
// subscriber reconnecting with since=<seq> gets events_since posted right after. Because the
// query runs on the store thread after every earlier append, it sees each of them — even the
// one appended the instant before, still queued behind a backlog.
TEST(EventLog, QueryPostedAfterAppendsSeesThemAll) {
  TempDatabase tmp;
  auto store = tmp.open();
  constexpr int kRounds = 300;
  std::mutex m;
  std::vector<std::string> failures;
  std::vector<std::promise<void>> done(kRounds);
  for (int64_t seq = 1; seq <= kRounds; ++seq) {
    // A little backlog before each query, like a burst of events before a reconnect.
    append(*store, 2 * seq - 1);
    append(*store, 2 * seq);
    const int64_t since = 2 * seq - 2;
    store->events_since(since, 10, [&, since, seq](StoreResult<std::vector<StoredEvent>> r) {
      std::vector<int64_t> got;
      if (r.ok()) {
        for (const auto& e : r.value()) got.push_back(e.seq);
      }
      if (got != std::vector<int64_t>{since + 1, since + 2}) {
        std::lock_guard lock(m);
        failures.push_back("since " + std::to_string(since) + ": " + r.error() + " got " +
                           std::to_string(got.size()));
      }
      done[seq - 1].set_value();
    });
  }
  for (auto& d : done) d.get_future().wait();
  std::lock_guard lock(m);
  EXPECT_TRUE(failures.empty()) << failures.front();
}

// A subscriber that reads pages while the control thread keeps appending from another thread
// sees every seq exactly once, in order.
TEST(EventLog, PagingWhileAppendingMissesAndRepeatsNothing) {
  TempDatabase tmp;
  auto store = tmp.open();
  constexpr int64_t kEvents = 2000;
  std::thread control([&] {
    for (int64_t s = 1; s <= kEvents; ++s) append(*store, s);
  });
  std::vector<int64_t> seen;
  int64_t since = 0;
  bool broken = false;
  while (since < kEvents && !broken) {
    for (int64_t s : seqs(store->events_since_blocking(since, 37))) {
      if (s != since + 1) {
        ADD_FAILURE() << "gap or repeat after " << since << ": " << s;
        broken = true;
        break;
      }
      since = s;
      seen.push_back(s);
    }
  }
  control.join();
  EXPECT_EQ(seen.size(), static_cast<size_t>(kEvents));
}

}  // namespace
}  // namespace sipgw::recorder::test
