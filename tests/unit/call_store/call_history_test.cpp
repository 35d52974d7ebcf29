// CDR rows: every field of an answered, a busy, two no-answer (480, 408), a cancelled and a
// rejected call; the computed duration; the two legs of one Call-ID (a call between two clients
// of the gateway) kept apart; errors reported rather than thrown; interrupted calls after a
// crash; list filters and paging; recording retention.
#include <gtest/gtest.h>

#include <algorithm>
#include <future>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

#include "temp_database.hpp"

namespace sipgw::recorder::test {
namespace {

// The only leg of `call_id` (a default record, and a failure, when there is not exactly one).
CallRecord get_one(CallStore& store, const std::string& call_id) {
  auto r = store.get_call_legs_blocking(call_id);
  EXPECT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r.value().size(), 1u) << call_id;
  return r.value().empty() ? CallRecord{} : r.value().front();
}

class CallHistory : public ::testing::Test {
 protected:
  CallRecord get(const std::string& call_id) { return get_one(*store, call_id); }
  // Ends an unanswered call with `outcome` and checks the common fields.
  CallRecord end_unanswered(const std::string& id, CallOutcome outcome, int code,
                            const std::string& reason) {
    store->call_started(outgoing_call(id, 10'000));
    store->call_ended(id, kSession, CallEnd{.at_ms = 25'000, .outcome = outcome,
                                            .sip_code = code, .reason = reason});
    CallRecord r = get(id);
    EXPECT_EQ(r.outcome, outcome);
    EXPECT_EQ(r.sip_code, code);
    EXPECT_EQ(r.reason, reason);
    EXPECT_EQ(r.started_at_ms, 10'000);
    EXPECT_FALSE(r.answered_at_ms);
    EXPECT_EQ(r.ended_at_ms, 25'000);
    EXPECT_EQ(r.duration_ms, 0);
    EXPECT_FALSE(r.recording_path);
    EXPECT_FALSE(r.media.packets_sent);
    EXPECT_FALSE(r.media.jitter_ms);
    EXPECT_FALSE(r.media.browser_packets_lost);
    EXPECT_FALSE(r.media.remote_rtcp_jitter_ms);
    return r;
  }

  TempDatabase tmp;
  std::unique_ptr<CallStore> store = tmp.open();
};

TEST_F(CallHistory, AnsweredCallKeepsEveryField) {
  store->call_started(outgoing_call("a84b4c76e66710", 1'700'000'000'000));
  store->call_answered("a84b4c76e66710", kSession, 1'700'000'004'500);
  store->call_ended("a84b4c76e66710", kSession,
                    CallEnd{.at_ms = 1'700'000'065'750,
                            .outcome = CallOutcome::answered,
                            .sip_code = 200,
                            .reason = "BYE",
                            .media = {.packets_sent = 3050,
                                      .packets_received = 3012,
                                      .packets_lost = 7,
                                      .jitter_ms = 3.25,
                                      .browser_packets_lost = 2,
                                      .browser_jitter_ms = 1.125,
                                      .remote_packets_lost = 5,
                                      .remote_jitter_ms = 3.25,
                                      .browser_rtcp_lost = 6,
                                      .browser_rtcp_jitter_ms = 4.5,
                                      .remote_rtcp_lost = -1,
                                      .remote_rtcp_jitter_ms = 2.75}});
  store->recording_finished("a84b4c76e66710", kSession, "/var/lib/sipgw/rec/a84b4c76e66710.wav",
                            1'966'124, 61'250);

  CallRecord r = get("a84b4c76e66710");
  EXPECT_GT(r.id, 0);
  EXPECT_EQ(r.call_id, "a84b4c76e66710");
  EXPECT_EQ(r.session_id, 7924161977477011ULL);
  EXPECT_EQ(r.client_id, "agent-42");
  EXPECT_EQ(r.direction, CallDirection::outgoing);
  EXPECT_EQ(r.caller, "1001");
  EXPECT_EQ(r.callee, "1002");
  EXPECT_EQ(r.caller_name, "Alice");
  EXPECT_EQ(r.callee_name, "Bob");
  EXPECT_EQ(r.pbx, "pbx.example.net:5060");
  EXPECT_EQ(r.started_at_ms, 1'700'000'000'000);
  EXPECT_EQ(r.answered_at_ms, 1'700'000'004'500);
  EXPECT_EQ(r.ended_at_ms, 1'700'000'065'750);
  EXPECT_EQ(r.duration_ms, 61'250);  // answer → end
  EXPECT_EQ(r.outcome, CallOutcome::answered);
  EXPECT_EQ(r.sip_code, 200);
  EXPECT_EQ(r.reason, "BYE");
  EXPECT_EQ(r.recording_path, "/var/lib/sipgw/rec/a84b4c76e66710.wav");
  EXPECT_EQ(r.recording_bytes, 1'966'124);
  EXPECT_EQ(r.recording_duration_ms, 61'250);
  EXPECT_EQ(r.media.packets_sent, 3050);
  EXPECT_EQ(r.media.packets_received, 3012);
  EXPECT_EQ(r.media.packets_lost, 7);
  EXPECT_DOUBLE_EQ(r.media.jitter_ms.value_or(-1), 3.25);
  EXPECT_EQ(r.media.browser_packets_lost, 2);
  EXPECT_DOUBLE_EQ(r.media.browser_jitter_ms.value_or(-1), 1.125);
  EXPECT_EQ(r.media.remote_packets_lost, 5);
  EXPECT_DOUBLE_EQ(r.media.remote_jitter_ms.value_or(-1), 3.25);
  EXPECT_EQ(r.media.browser_rtcp_lost, 6);
  EXPECT_DOUBLE_EQ(r.media.browser_rtcp_jitter_ms.value_or(-1), 4.5);
  EXPECT_EQ(r.media.remote_rtcp_lost, -1);  // RTCP's cumulative loss may be negative
  EXPECT_DOUBLE_EQ(r.media.remote_rtcp_jitter_ms.value_or(-1), 2.75);

  // The stored text is the documented one, for anyone reading the file with other tools.
  store->close();
  RawConnection raw(tmp.path());
  EXPECT_EQ(raw.text("SELECT outcome || '/' || direction FROM calls"), "answered/outgoing");
  EXPECT_EQ(raw.integer("SELECT session_id FROM calls"), 7924161977477011LL);
}

TEST_F(CallHistory, BusyCall) { end_unanswered("busy-1", CallOutcome::busy, 486, "Busy Here"); }

TEST_F(CallHistory, NoAnswerCalls) {
  end_unanswered("na-480", CallOutcome::no_answer, 480, "Temporarily Unavailable");
  end_unanswered("na-408", CallOutcome::no_answer, 408, "Request Timeout");
  auto r = store->get_call_legs_blocking("na-480");
  ASSERT_TRUE(r.ok());
  store->close();
  RawConnection raw(tmp.path());
  EXPECT_EQ(raw.integer("SELECT COUNT(*) FROM calls WHERE outcome = 'no-answer'"), 2);
}

TEST_F(CallHistory, CancelledCall) {
  end_unanswered("cancel-1", CallOutcome::cancelled, 487, "Request Terminated");
}

TEST_F(CallHistory, RejectedIncomingCall) {
  CallStart c = outgoing_call("rej-1", 10'000);
  c.direction = CallDirection::incoming;
  c.caller = "+4930123456";
  c.caller_name = "";
  c.callee = "1001";
  store->call_started(c);
  store->call_ended("rej-1", kSession, CallEnd{.at_ms = 12'000, .outcome = CallOutcome::rejected,
                                               .sip_code = 603, .reason = "Decline"});
  CallRecord r = get("rej-1");
  EXPECT_EQ(r.direction, CallDirection::incoming);
  EXPECT_EQ(r.caller, "+4930123456");
  EXPECT_EQ(r.caller_name, "");
  EXPECT_EQ(r.outcome, CallOutcome::rejected);
  EXPECT_EQ(r.sip_code, 603);
  EXPECT_EQ(r.duration_ms, 0);
}

TEST_F(CallHistory, CallInProgressHasNoEndYet) {
  store->call_started(outgoing_call("live", 5'000));
  store->call_answered("live", kSession, 6'000);
  CallRecord r = get("live");
  EXPECT_EQ(r.answered_at_ms, 6'000);
  EXPECT_FALSE(r.ended_at_ms);
  EXPECT_FALSE(r.duration_ms);
  EXPECT_FALSE(r.outcome);
  EXPECT_FALSE(r.sip_code);
  EXPECT_EQ(r.last_known_at_ms, 6'000);
}

TEST_F(CallHistory, UnknownCallIsEmptyNotAnError) {
  auto r = store->get_call_legs_blocking("nope");
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_TRUE(r.value().empty());
}

// 1003 calls 1004, both clients of this gateway: the PBX passes the INVITE through, so the
// caller's outgoing leg and the callee's incoming leg carry one SIP Call-ID. Each leg is a row of
// its own and ends with its own outcome.
TEST_F(CallHistory, TwoLegsOfOneCallIdInDifferentSessionsAreKeptApart) {
  constexpr uint64_t kCaller = 1111, kCallee = 2222;
  CallStart out = outgoing_call("shared@pbx", 10'000, "agent-1003");
  out.session_id = kCaller;
  out.caller = "1003";
  out.callee = "1004";
  CallStart in = out;
  in.session_id = kCallee;
  in.client_id = "agent-1004";
  in.direction = CallDirection::incoming;
  in.started_at_ms = 10'050;
  std::promise<StoreStatus> second;
  store->call_started(out);
  store->call_started(in, [&](StoreStatus s) { second.set_value(s); });
  // The callee declines (603 → rejected); the caller hears 486 (busy). Each ends its own leg.
  store->call_ended("shared@pbx", kCallee, CallEnd{.at_ms = 12'000, .outcome = CallOutcome::rejected,
                                                   .sip_code = 603, .reason = "Decline"});
  store->call_ended("shared@pbx", kCaller, CallEnd{.at_ms = 12'010, .outcome = CallOutcome::busy,
                                                   .sip_code = 486, .reason = "Busy Here"});
  auto s = second.get_future().get();
  EXPECT_TRUE(s.ok()) << s.error();

  auto r = store->get_call_legs_blocking("shared@pbx");
  ASSERT_TRUE(r.ok()) << r.error();
  ASSERT_EQ(r.value().size(), 2u);
  const CallRecord& caller = r.value()[0];  // oldest first
  const CallRecord& callee = r.value()[1];
  EXPECT_LT(caller.id, callee.id);
  EXPECT_EQ(caller.call_id, "shared@pbx");
  EXPECT_EQ(caller.session_id, kCaller);
  EXPECT_EQ(caller.client_id, "agent-1003");
  EXPECT_EQ(caller.direction, CallDirection::outgoing);
  EXPECT_EQ(caller.outcome, CallOutcome::busy);
  EXPECT_EQ(caller.sip_code, 486);
  EXPECT_EQ(caller.reason, "Busy Here");
  EXPECT_EQ(caller.ended_at_ms, 12'010);
  EXPECT_EQ(callee.call_id, "shared@pbx");
  EXPECT_EQ(callee.session_id, kCallee);
  EXPECT_EQ(callee.client_id, "agent-1004");
  EXPECT_EQ(callee.direction, CallDirection::incoming);
  EXPECT_EQ(callee.outcome, CallOutcome::rejected);
  EXPECT_EQ(callee.sip_code, 603);
  EXPECT_EQ(callee.started_at_ms, 10'050);
  EXPECT_EQ(callee.ended_at_ms, 12'000);

  // Each listed too, as a record of its own client.
  auto listed = store->list_calls_blocking({.client_id = "agent-1004"});
  ASSERT_TRUE(listed.ok()) << listed.error();
  ASSERT_EQ(listed.value().size(), 1u);
  EXPECT_EQ(listed.value()[0].id, callee.id);
  EXPECT_EQ(store->list_calls_blocking({}).value().size(), 2u);
}

TEST_F(CallHistory, MistakesAreReportedNotThrown) {
  std::promise<StoreStatus> dup, unknown, other_session, twice;
  store->call_started(outgoing_call("x", 1));
  store->call_started(outgoing_call("x", 2), [&](StoreStatus s) { dup.set_value(s); });
  store->call_answered("ghost", kSession, 3, [&](StoreStatus s) { unknown.set_value(s); });
  store->call_answered("x", 999, 3, [&](StoreStatus s) { other_session.set_value(s); });
  store->call_ended("x", kSession, CallEnd{.at_ms = 4, .outcome = CallOutcome::failed});
  store->call_ended("x", kSession, CallEnd{.at_ms = 5, .outcome = CallOutcome::answered},
                    [&](StoreStatus s) { twice.set_value(s); });
  auto d = dup.get_future().get();
  EXPECT_FALSE(d.ok());
  EXPECT_NE(d.error().find("call_started"), std::string::npos) << d.error();
  EXPECT_NE(d.error().find("UNIQUE"), std::string::npos) << d.error();
  auto u = unknown.get_future().get();
  EXPECT_FALSE(u.ok());
  EXPECT_NE(u.error().find("ghost"), std::string::npos) << u.error();
  // The same Call-ID in another session is another leg, and there is none.
  auto o = other_session.get_future().get();
  EXPECT_FALSE(o.ok());
  EXPECT_NE(o.error().find("999"), std::string::npos) << o.error();
  EXPECT_FALSE(get("x").answered_at_ms);
  EXPECT_FALSE(twice.get_future().get().ok());
  EXPECT_EQ(get("x").outcome, CallOutcome::failed);  // the first end stays
  EXPECT_EQ(get("x").started_at_ms, 1);
}

TEST(CallHistoryErrors, WritesWithoutCallbackGoToOnError) {
  TempDatabase tmp;
  std::mutex m;
  std::vector<std::string> errors;
  auto store = CallStore::open({.path = tmp.path(), .on_error = [&](const std::string& e) {
                                  std::lock_guard lock(m);
                                  errors.push_back(e);
                                }});
  store->call_ended("never-started", kSession, CallEnd{.at_ms = 1});
  store->recording_finished("never-started", kSession, "/tmp/x.wav", 1, 1);
  ASSERT_TRUE(store->flush_blocking().ok());
  std::lock_guard lock(m);
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_NE(errors[0].find("call_ended"), std::string::npos) << errors[0];
  EXPECT_NE(errors[1].find("recording_finished"), std::string::npos) << errors[1];
}

TEST(CallHistoryInterrupted, CallsLeftOpenByACrashAreMarkedAtTheirLastKnownTime) {
  TempDatabase tmp;
  {
    auto store = tmp.open();
    store->call_started(outgoing_call("talking", 100'000));
    store->call_answered("talking", kSession, 103'000);
    store->touch_call("talking", kSession, 150'000);
    store->touch_call("talking", kSession, 140'000);  // never moves backwards
    store->touch_call("talking", 999, 170'000);       // another session's leg: not this one
    store->call_started(outgoing_call("ringing", 200'000));
    store->call_started(outgoing_call("finished", 50'000));
    store->call_ended("finished", kSession, CallEnd{.at_ms = 60'000, .outcome = CallOutcome::busy,
                                                    .sip_code = 486, .reason = "Busy Here"});
    store->call_started(outgoing_call("skewed", 300'000));
    store->touch_call("skewed", kSession, 900'000);  // later than the restart clock below
    ASSERT_TRUE(store->flush_blocking().ok());
    // The process "dies" here: closing only stands in for the crash; nothing ended the calls.
  }
  auto store = tmp.open();
  auto marked = store->mark_interrupted_blocking(500'000);
  ASSERT_TRUE(marked.ok()) << marked.error();
  EXPECT_EQ(marked.value(), 3);

  auto talking = get_one(*store, "talking");
  EXPECT_EQ(talking.outcome, CallOutcome::interrupted);
  EXPECT_EQ(talking.ended_at_ms, 150'000);
  EXPECT_EQ(talking.duration_ms, 47'000);
  EXPECT_FALSE(talking.reason.empty());
  EXPECT_FALSE(talking.sip_code);

  auto ringing = get_one(*store, "ringing");
  EXPECT_EQ(ringing.outcome, CallOutcome::interrupted);
  EXPECT_EQ(ringing.ended_at_ms, 200'000);
  EXPECT_EQ(ringing.duration_ms, 0);

  auto skewed = get_one(*store, "skewed");
  EXPECT_EQ(skewed.ended_at_ms, 500'000);  // never later than the restart

  auto finished = get_one(*store, "finished");
  EXPECT_EQ(finished.outcome, CallOutcome::busy);
  EXPECT_EQ(finished.ended_at_ms, 60'000);

  EXPECT_EQ(store->mark_interrupted_blocking(600'000).value(), 0);  // nothing left open
}

class CallListing : public ::testing::Test {
 protected:
  void SetUp() override {
    // 10 calls: started at 1000, 2000, … 10000; even ones by agent-a, odd ones by agent-b.
    for (int i = 1; i <= 10; ++i) {
      store->call_started(outgoing_call("call-" + std::to_string(i), i * 1000,
                                        i % 2 ? "agent-b" : "agent-a"));
    }
  }
  std::vector<std::string> ids(CallQuery q) {
    auto r = store->list_calls_blocking(std::move(q));
    EXPECT_TRUE(r.ok()) << r.error();
    std::vector<std::string> out;
    for (const auto& c : r.value()) out.push_back(c.call_id);
    return out;
  }
  TempDatabase tmp;
  std::unique_ptr<CallStore> store = tmp.open();
};

TEST_F(CallListing, NewestFirst) {
  auto all = ids({});
  ASSERT_EQ(all.size(), 10u);
  EXPECT_EQ(all.front(), "call-10");
  EXPECT_EQ(all.back(), "call-1");
}

TEST_F(CallListing, TimeWindowIsHalfOpen) {
  EXPECT_EQ(ids({.since_ms = 3000, .until_ms = 6000}),
            (std::vector<std::string>{"call-5", "call-4", "call-3"}));
  EXPECT_EQ(ids({.since_ms = 9500}), (std::vector<std::string>{"call-10"}));
  EXPECT_EQ(ids({.until_ms = 2000}), (std::vector<std::string>{"call-1"}));
  EXPECT_TRUE(ids({.since_ms = 20'000}).empty());
}

TEST_F(CallListing, ClientFilter) {
  EXPECT_EQ(ids({.client_id = "agent-a"}),
            (std::vector<std::string>{"call-10", "call-8", "call-6", "call-4", "call-2"}));
  EXPECT_EQ(ids({.since_ms = 4000, .until_ms = 8000, .client_id = "agent-b"}),
            (std::vector<std::string>{"call-7", "call-5"}));
  EXPECT_TRUE(ids({.client_id = "nobody"}).empty());
}

TEST_F(CallListing, Paging) {
  EXPECT_EQ(ids({.limit = 3}), (std::vector<std::string>{"call-10", "call-9", "call-8"}));
  EXPECT_EQ(ids({.limit = 3, .offset = 3}),
            (std::vector<std::string>{"call-7", "call-6", "call-5"}));
  EXPECT_EQ(ids({.limit = 3, .offset = 9}), (std::vector<std::string>{"call-1"}));
  EXPECT_TRUE(ids({.limit = 3, .offset = 10}).empty());
  EXPECT_EQ(ids({.limit = 0}).size(), 1u);  // clamped up to 1
  EXPECT_EQ(ids({.limit = 2, .offset = -5}),
            (std::vector<std::string>{"call-10", "call-9"}));  // negative offset = 0
}

TEST_F(CallListing, LimitIsCappedAtOneThousand) {
  for (int i = 0; i < 1005; ++i) store->call_started(outgoing_call("bulk-" + std::to_string(i),
                                                                   100'000 + i));
  EXPECT_EQ(ids({.limit = 5000}).size(), static_cast<size_t>(kMaxCallPage));
}

TEST_F(CallListing, AsyncResultArrivesOnTheStoreThread) {
  std::promise<std::pair<size_t, std::thread::id>> got;
  store->list_calls({.client_id = "agent-b"}, [&](StoreResult<std::vector<CallRecord>> r) {
    got.set_value({r.value().size(), std::this_thread::get_id()});
  });
  auto [n, thread] = got.get_future().get();
  EXPECT_EQ(n, 5u);
  EXPECT_NE(thread, std::this_thread::get_id());
}

TEST(CallRetention, RecordingsOfCallsEndedBeforeTheCutoffAreHandedBack) {
  TempDatabase tmp;
  auto store = tmp.open();
  auto add = [&](const std::string& id, int64_t start, std::optional<int64_t> end) {
    store->call_started(outgoing_call(id, start));
    if (end) store->call_ended(id, kSession, CallEnd{.at_ms = *end, .outcome = CallOutcome::answered});
    store->recording_finished(id, kSession, "/rec/" + id + ".wav", 1000, 900);
  };
  add("old-1", 1000, 2000);
  add("old-2", 3000, 4000);
  add("new", 9000, 9500);
  add("live", 500, std::nullopt);  // still in progress: its recording stays
  store->call_started(outgoing_call("no-recording", 100));
  store->call_ended("no-recording", kSession, CallEnd{.at_ms = 200, .outcome = CallOutcome::busy});

  auto paths = store->delete_recordings_older_than_blocking(5000);
  ASSERT_TRUE(paths.ok()) << paths.error();
  auto v = paths.value();
  std::sort(v.begin(), v.end());
  EXPECT_EQ(v, (std::vector<std::string>{"/rec/old-1.wav", "/rec/old-2.wav"}));

  auto old1 = get_one(*store, "old-1");
  EXPECT_FALSE(old1.recording_path);
  EXPECT_EQ(old1.recording_bytes, 1000);  // the history of what was recorded stays
  EXPECT_EQ(get_one(*store, "new").recording_path, "/rec/new.wav");
  EXPECT_EQ(get_one(*store, "live").recording_path, "/rec/live.wav");
  EXPECT_TRUE(store->delete_recordings_older_than_blocking(5000).value().empty());
}

}  // namespace
}  // namespace sipgw::recorder::test
