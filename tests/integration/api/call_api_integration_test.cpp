// The call history API end to end: a real call store on a temporary SQLite file, a real Listener
// on 127.0.0.1 (plain HTTP) running on its own io_context thread, and a Beast HTTP client.
// Covers authentication, listing with filters and paging, the records (legs) of one Call-ID, the
// recording download (byte-identical, HEAD, Range, the leg chosen by session_id), refusal of
// recordings outside the recordings directory, and the 400/404/405 answers.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "gateway/server/call_api.hpp"
#include "gateway/server/listener.hpp"
#include "recorder/call_store.hpp"

namespace sipgw::server::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace fs = std::filesystem;
using nlohmann::json;
using namespace sipgw::recorder;

constexpr const char* kToken = "s3cret-api-token";
constexpr int64_t kT0 = 1'700'000'000'000;
constexpr uint64_t kSession = 7924161977477011ULL;

struct Reply {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  json body_json() const { return json::parse(body); }
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

/// One request on `socket` (kept open for the next one).
Reply exchange(asio::ip::tcp::socket& socket, beast::flat_buffer& buffer, const std::string& method,
               const std::string& target, const Headers& headers) {
  http::request<http::string_body> request{http::string_to_verb(method), target, 11};
  request.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) request.set(name, value);
  request.prepare_payload();
  http::write(socket, request);
  http::response_parser<http::string_body> parser;
  parser.body_limit(64 * 1024 * 1024);
  if (method == "HEAD") parser.skip(true);
  http::read(socket, buffer, parser);
  const auto& response = parser.get();
  Reply reply;
  reply.status = response.result_int();
  for (const auto& field : response) {
    std::string name(field.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    reply.headers[name] = std::string(field.value());
  }
  reply.body = response.body();
  return reply;
}

Headers with_token(const std::string& token = kToken) { return {{"Authorization", "Bearer " + token}}; }

void write_file(const fs::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

CallStart start(const std::string& id, const std::string& client, int64_t at) {
  return CallStart{.call_id = id, .session_id = kSession, .client_id = client,
                   .direction = CallDirection::outgoing, .caller = "1001", .callee = "1002",
                   .caller_name = "Alice", .callee_name = "Bob", .pbx = "pbx.example.net:5060",
                   .started_at_ms = at};
}

class CallApiIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/sipgw-api-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir = pattern;
    recordings = dir / "recordings";
    fs::create_directory(recordings);
    store = CallStore::open({.path = (dir / "calls.db").string(), .on_error = {}});
    seed();

    api = std::make_shared<CallApi>(io, *store, kToken, recordings.string());
    auto routes = std::make_shared<Routes>();
    routes->api = CallApi::route(api);
    listener = std::make_shared<Listener>(io, "127.0.0.1", 0, nullptr, routes);
    listener->start();
    port = listener->port();
    thread = std::thread([this] { io.run(); });
  }

  void TearDown() override {
    io.stop();
    if (thread.joinable()) thread.join();
    if (store) store->close();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  /// Nine calls, one each 100 s from kT0: answered with a recording, busy, no-answer, cancelled,
  /// four whose recording must not be served, and one whose Call-ID has a '/'.
  void seed() {
    wav.assign(100'003, '\0');
    for (size_t i = 0; i < wav.size(); ++i) wav[i] = static_cast<char>((i * 7 + i / 251) & 0xff);
    wav.replace(0, 4, "RIFF");
    write_file(recordings / "answered-1.wav", wav);
    write_file(dir / "outside.wav", "not yours");
    fs::create_symlink(dir / "outside.wav", recordings / "link.wav");

    const auto answered = [&](const std::string& id, const std::string& client, int64_t at, const fs::path& file) {
      store->call_started(start(id, client, at));
      store->call_answered(id, kSession, at + 4'500);
      store->call_ended(id, kSession, CallEnd{.at_ms = at + 65'750, .outcome = CallOutcome::answered, .sip_code = 200,
                                    .reason = "BYE",
                                    .media = {.packets_sent = 3050, .packets_received = 3012, .packets_lost = 7,
                                              .jitter_ms = 3.25, .browser_packets_lost = 2,
                                              .browser_jitter_ms = 1.125, .remote_packets_lost = 5,
                                              .remote_jitter_ms = 3.25, .browser_rtcp_lost = 6,
                                              .browser_rtcp_jitter_ms = 4.5, .remote_rtcp_lost = 3,
                                              .remote_rtcp_jitter_ms = 2.75}});
      store->recording_finished(id, kSession, file.string(), 100'003, 61'250);
    };
    const auto unanswered = [&](const std::string& id, const std::string& client, int64_t at, CallOutcome outcome,
                                int code, const std::string& reason) {
      store->call_started(start(id, client, at));
      store->call_ended(id, kSession, CallEnd{.at_ms = at + 15'000, .outcome = outcome, .sip_code = code, .reason = reason,
                                    .media = {}});
    };
    answered("answered-1@pbx", "agent-42", kT0, recordings / "answered-1.wav");
    unanswered("busy-2", "agent-42", kT0 + 100'000, CallOutcome::busy, 486, "Busy Here");
    unanswered("noanswer-3", "agent-7", kT0 + 200'000, CallOutcome::no_answer, 480, "Temporarily Unavailable");
    unanswered("cancelled-4", "agent-7", kT0 + 300'000, CallOutcome::cancelled, 487, "Request Terminated");
    answered("dotdot-5", "agent-9", kT0 + 400'000, recordings.string() + "/../outside.wav");
    answered("absolute-6", "agent-9", kT0 + 500'000, dir / "outside.wav");
    answered("symlink-7", "agent-9", kT0 + 600'000, recordings / "link.wav");
    answered("gone-8", "agent-9", kT0 + 700'000, recordings / "gone.wav");
    unanswered("slash/9@host", "agent space", kT0 + 800'000, CallOutcome::rejected, 603, "Decline");
    ASSERT_TRUE(store->flush_blocking().ok());
  }

  Reply request(const std::string& method, const std::string& target, const Headers& headers = with_token()) {
    asio::io_context client;
    asio::ip::tcp::socket socket(client);
    socket.connect({asio::ip::make_address("127.0.0.1"), port});
    beast::flat_buffer buffer;
    return exchange(socket, buffer, method, target, headers);
  }
  Reply get(const std::string& target, const Headers& headers = with_token()) {
    return request("GET", target, headers);
  }

  std::vector<std::string> listed_ids(const std::string& target) {
    const auto reply = get(target);
    EXPECT_EQ(reply.status, 200) << target << ": " << reply.body;
    std::vector<std::string> ids;
    if (reply.status != 200) return ids;
    const auto body = reply.body_json();
    for (const auto& call : body["calls"]) ids.push_back(call["call_id"].get<std::string>());
    return ids;
  }

  fs::path dir;
  fs::path recordings;
  std::string wav;
  std::unique_ptr<CallStore> store;
  asio::io_context io;
  std::shared_ptr<CallApi> api;
  std::shared_ptr<Listener> listener;
  uint16_t port = 0;
  std::thread thread;
};

TEST_F(CallApiIntegration, RefusesMissingOrWrongToken) {
  for (const auto& headers : std::vector<Headers>{{},
                                                  with_token("wrong"),
                                                  with_token(std::string(kToken) + "x"),
                                                  {{"Authorization", "Basic czNjcmV0"}},
                                                  {{"Authorization", std::string("Bearer")}}}) {
    for (const auto* target : {"/api/calls", "/api/calls/answered-1%40pbx/recording", "/api/nothing"}) {
      const auto reply = get(target, headers);
      EXPECT_EQ(reply.status, 401) << target;
      EXPECT_EQ(reply.header("www-authenticate").rfind("Bearer", 0), 0u) << reply.header("www-authenticate");
      EXPECT_EQ(reply.body.find("Alice"), std::string::npos);
    }
  }
  EXPECT_NE(get("/api/calls", with_token("wrong")).header("www-authenticate").find("invalid_token"),
            std::string::npos);
  // The scheme is case-insensitive (RFC 7235 §2.1).
  EXPECT_EQ(get("/api/calls", {{"Authorization", std::string("bearer ") + kToken}}).status, 200);
}

TEST_F(CallApiIntegration, EmptyTokenDisablesTheApi) {
  CallApi disabled(io, *store, "", recordings.string());
  std::optional<ApiResponse> answer;
  disabled.handle(ApiRequest{"GET", "/api/calls", "Bearer ", ""}, [&](ApiResponse r) { answer = std::move(r); });
  ASSERT_TRUE(answer);  // answered at once, without the store
  EXPECT_EQ(answer->status, 404);
}

TEST_F(CallApiIntegration, ListsNewestFirstWithEveryColumn) {
  const auto reply = get("/api/calls");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.header("content-type"), "application/json");
  EXPECT_EQ(reply.header("cache-control"), "no-store");
  const auto body = reply.body_json();
  EXPECT_EQ(body["limit"], 100);
  EXPECT_EQ(body["offset"], 0);
  ASSERT_EQ(body["calls"].size(), 9u);
  EXPECT_EQ(body["calls"][0]["call_id"], "slash/9@host");
  EXPECT_EQ(body["calls"][8]["call_id"], "answered-1@pbx");

  const auto& answered = body["calls"][8];
  EXPECT_TRUE(answered["id"].is_number_integer());
  EXPECT_GT(answered["id"].get<int64_t>(), 0);
  EXPECT_NE(answered["id"], body["calls"][7]["id"]);
  EXPECT_EQ(answered["session_id"], kSession);
  EXPECT_EQ(answered["client_id"], "agent-42");
  EXPECT_EQ(answered["direction"], "outgoing");
  EXPECT_EQ(answered["caller"], "1001");
  EXPECT_EQ(answered["callee_name"], "Bob");
  EXPECT_EQ(answered["pbx"], "pbx.example.net:5060");
  EXPECT_EQ(answered["started_at"], kT0);
  EXPECT_EQ(answered["answered_at"], kT0 + 4'500);
  EXPECT_EQ(answered["ended_at"], kT0 + 65'750);
  EXPECT_EQ(answered["duration_ms"], 61'250);
  EXPECT_EQ(answered["outcome"], "answered");
  EXPECT_EQ(answered["sip_code"], 200);
  EXPECT_EQ(answered["reason"], "BYE");
  EXPECT_EQ(answered["recording_path"], (recordings / "answered-1.wav").string());
  EXPECT_EQ(answered["recording_bytes"], 100'003);
  EXPECT_EQ(answered["recording_duration_ms"], 61'250);
  EXPECT_EQ(answered["packets_sent"], 3050);
  EXPECT_EQ(answered["packets_received"], 3012);
  EXPECT_EQ(answered["packets_lost"], 7);
  EXPECT_DOUBLE_EQ(answered["jitter_ms"].get<double>(), 3.25);
  EXPECT_EQ(answered["browser_packets_lost"], 2);
  EXPECT_DOUBLE_EQ(answered["browser_jitter_ms"].get<double>(), 1.125);
  EXPECT_EQ(answered["remote_packets_lost"], 5);
  EXPECT_DOUBLE_EQ(answered["remote_jitter_ms"].get<double>(), 3.25);
  EXPECT_EQ(answered["browser_rtcp_lost"], 6);
  EXPECT_DOUBLE_EQ(answered["browser_rtcp_jitter_ms"].get<double>(), 4.5);
  EXPECT_EQ(answered["remote_rtcp_lost"], 3);
  EXPECT_DOUBLE_EQ(answered["remote_rtcp_jitter_ms"].get<double>(), 2.75);
  EXPECT_EQ(answered["last_known_at"], kT0 + 65'750);

  const auto& busy = body["calls"][7];
  EXPECT_EQ(busy["call_id"], "busy-2");
  EXPECT_EQ(busy["outcome"], "busy");
  EXPECT_EQ(busy["sip_code"], 486);
  EXPECT_TRUE(busy["answered_at"].is_null());
  EXPECT_EQ(busy["duration_ms"], 0);
  EXPECT_TRUE(busy["recording_path"].is_null());
  EXPECT_TRUE(busy["jitter_ms"].is_null());
  for (const char* unmeasured : {"browser_packets_lost", "remote_jitter_ms", "browser_rtcp_lost", "remote_rtcp_jitter_ms"})
    EXPECT_TRUE(busy[unmeasured].is_null()) << unmeasured;
}

TEST_F(CallApiIntegration, FiltersByTimeAndClient) {
  using V = std::vector<std::string>;
  EXPECT_EQ(listed_ids("/api/calls?client_id=agent-42"), (V{"busy-2", "answered-1@pbx"}));
  EXPECT_EQ(listed_ids("/api/calls?client_id=agent%20space"), (V{"slash/9@host"}));
  EXPECT_EQ(listed_ids("/api/calls?client_id=agent+space"), (V{"slash/9@host"}));
  EXPECT_EQ(listed_ids("/api/calls?client_id=nobody"), V{});
  // [since_ms, until_ms)
  EXPECT_EQ(listed_ids("/api/calls?since_ms=" + std::to_string(kT0 + 100'000) +
                       "&until_ms=" + std::to_string(kT0 + 300'000)),
            (V{"noanswer-3", "busy-2"}));
  EXPECT_EQ(listed_ids("/api/calls?since_ms=" + std::to_string(kT0 + 200'000) + "&client_id=agent-7"),
            (V{"cancelled-4", "noanswer-3"}));
  EXPECT_EQ(listed_ids("/api/calls?until_ms=" + std::to_string(kT0 + 1)), (V{"answered-1@pbx"}));
}

TEST_F(CallApiIntegration, PagesWithLimitAndOffset) {
  using V = std::vector<std::string>;
  EXPECT_EQ(listed_ids("/api/calls?limit=2"), (V{"slash/9@host", "gone-8"}));
  EXPECT_EQ(listed_ids("/api/calls?limit=2&offset=2"), (V{"symlink-7", "absolute-6"}));
  EXPECT_EQ(listed_ids("/api/calls?limit=3&offset=7"), (V{"busy-2", "answered-1@pbx"}));
  EXPECT_EQ(listed_ids("/api/calls?offset=9"), V{});
  const auto reply = get("/api/calls?limit=2&offset=4");
  EXPECT_EQ(reply.body_json()["limit"], 2);
  EXPECT_EQ(reply.body_json()["offset"], 4);
  // Above the maximum page the limit is clamped, and the answer says so.
  EXPECT_EQ(get("/api/calls?limit=5000").body_json()["limit"], 1000);
}

TEST_F(CallApiIntegration, BadParametersAre400NamingTheParameter) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"limit=abc", "limit"},       {"limit=0", "limit"},         {"limit=-5", "limit"},
      {"limit=", "limit"},          {"offset=1x", "offset"},      {"offset=-1", "offset"},
      {"offset=99999999999", "offset"}, {"since_ms=yesterday", "since_ms"}, {"until_ms=1.5", "until_ms"},
      {"client_id=", "client_id"},  {"client=agent-42", "client"}, {"limit=1&limit=2", "limit"},
      {"client_id=%zz", "client_id"},
  };
  for (const auto& [query, parameter] : cases) {
    const auto reply = get("/api/calls?" + query);
    EXPECT_EQ(reply.status, 400) << query;
    if (reply.status != 400) continue;
    const auto body = reply.body_json();
    EXPECT_EQ(body["error"], "bad_parameter") << query;
    EXPECT_EQ(body["parameter"], parameter) << query;
    EXPECT_FALSE(body["message"].get<std::string>().empty());
  }
}

TEST_F(CallApiIntegration, ReadsTheLegsOfOneCallId) {
  auto reply = get("/api/calls/answered-1%40pbx");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.header("cache-control"), "no-store");
  auto body = reply.body_json();
  EXPECT_EQ(body["call_id"], "answered-1@pbx");
  ASSERT_EQ(body["legs"].size(), 1u);
  EXPECT_EQ(body["legs"][0]["call_id"], "answered-1@pbx");
  EXPECT_EQ(body["legs"][0]["session_id"], kSession);
  EXPECT_EQ(body["legs"][0]["outcome"], "answered");
  // The same record as in the list.
  EXPECT_EQ(body["legs"][0], get("/api/calls?client_id=agent-42").body_json()["calls"][1]);
  EXPECT_EQ(get("/api/calls/answered-1@pbx").body_json()["legs"][0]["call_id"], "answered-1@pbx");
  EXPECT_EQ(get("/api/calls/cancelled-4").body_json()["legs"][0]["outcome"], "cancelled");
  EXPECT_EQ(get("/api/calls/noanswer-3").body_json()["legs"][0]["outcome"], "no-answer");
  // A Call-ID may contain '/': sent as %2F.
  reply = get("/api/calls/slash%2F9%40host");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.body_json()["call_id"], "slash/9@host");
  EXPECT_EQ(reply.body_json()["legs"][0]["client_id"], "agent space");

  reply = get("/api/calls/no-such-call");
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(reply.body_json()["error"], "not_found");
  EXPECT_EQ(get("/api/calls/no-such-call/recording").status, 404);
}

// 1003 calls 1004, both clients of this gateway: one SIP Call-ID, two legs (sessions 1111 and
// 2222), each with its own outcome; only the callee's leg recorded, then both.
TEST_F(CallApiIntegration, TwoLegsOfOneCallIdAndTheirRecordings) {
  const std::string id = "shared-10@pbx";
  const std::string callee_wav(4'000, 'b');
  write_file(recordings / "callee.wav", callee_wav);
  auto out = start(id, "agent-1003", kT0 + 900'000);
  out.session_id = 1111;
  auto in = start(id, "agent-1004", kT0 + 900'050);
  in.session_id = 2222;
  in.direction = CallDirection::incoming;
  store->call_started(out);
  store->call_started(in);
  store->call_answered(id, 2222, kT0 + 902'000);
  store->call_answered(id, 1111, kT0 + 902'010);
  store->call_ended(id, 2222, CallEnd{.at_ms = kT0 + 910'000, .outcome = CallOutcome::answered, .sip_code = 200,
                                      .reason = "BYE", .media = {}});
  store->call_ended(id, 1111, CallEnd{.at_ms = kT0 + 910'020, .outcome = CallOutcome::answered, .sip_code = 200,
                                      .reason = "BYE", .media = {}});
  store->recording_finished(id, 2222, (recordings / "callee.wav").string(), 4'000, 8'000);
  ASSERT_TRUE(store->flush_blocking().ok());

  auto reply = get("/api/calls/shared-10%40pbx");
  ASSERT_EQ(reply.status, 200) << reply.body;
  auto body = reply.body_json();
  EXPECT_EQ(body["call_id"], id);
  ASSERT_EQ(body["legs"].size(), 2u);
  EXPECT_EQ(body["legs"][0]["session_id"], 1111);  // oldest first
  EXPECT_EQ(body["legs"][0]["direction"], "outgoing");
  EXPECT_EQ(body["legs"][0]["client_id"], "agent-1003");
  EXPECT_TRUE(body["legs"][0]["recording_path"].is_null());
  EXPECT_EQ(body["legs"][1]["session_id"], 2222);
  EXPECT_EQ(body["legs"][1]["direction"], "incoming");
  EXPECT_EQ(body["legs"][1]["ended_at"], kT0 + 910'000);
  EXPECT_LT(body["legs"][0]["id"].get<int64_t>(), body["legs"][1]["id"].get<int64_t>());
  // Each leg is its own record in the list too.
  EXPECT_EQ(listed_ids("/api/calls?since_ms=" + std::to_string(kT0 + 900'000)), (std::vector<std::string>{id, id}));

  // Without session_id: the first leg that has a recording (the callee's).
  reply = get("/api/calls/shared-10%40pbx/recording");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.body, callee_wav);
  EXPECT_EQ(get("/api/calls/shared-10%40pbx/recording?session_id=2222").body, callee_wav);
  // The caller's leg has none; a session with no leg of this call is 404 too.
  reply = get("/api/calls/shared-10%40pbx/recording?session_id=1111");
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(reply.body_json()["error"], "no_recording");
  reply = get("/api/calls/shared-10%40pbx/recording?session_id=3333");
  EXPECT_EQ(reply.status, 404);
  EXPECT_EQ(reply.body_json()["error"], "not_found");
  EXPECT_EQ(get("/api/calls/busy-2/recording?session_id=1111").status, 404);
  EXPECT_EQ(request("HEAD", "/api/calls/shared-10%40pbx/recording?session_id=2222").header("content-length"), "4000");

  // Once both legs are recorded, session_id picks one, and without it the oldest leg's.
  store->recording_finished(id, 1111, (recordings / "answered-1.wav").string(), 100'003, 61'250);
  ASSERT_TRUE(store->flush_blocking().ok());
  EXPECT_TRUE(get("/api/calls/shared-10%40pbx/recording?session_id=1111").body == wav);
  EXPECT_EQ(get("/api/calls/shared-10%40pbx/recording?session_id=2222").body, callee_wav);
  EXPECT_TRUE(get("/api/calls/shared-10%40pbx/recording").body == wav);

  // A bad, unknown or repeated parameter is a 400 naming it, never another leg's file.
  for (const auto& [query, parameter] : std::vector<std::pair<std::string, std::string>>{
           {"session_id=abc", "session_id"}, {"session_id=-1", "session_id"}, {"session_id=", "session_id"},
           {"session=2222", "session"}, {"session_id=1111&session_id=2222", "session_id"}}) {
    reply = get("/api/calls/shared-10%40pbx/recording?" + query);
    EXPECT_EQ(reply.status, 400) << query;
    if (reply.status != 400) continue;
    EXPECT_EQ(reply.body_json()["error"], "bad_parameter") << query;
    EXPECT_EQ(reply.body_json()["parameter"], parameter) << query;
  }
}

TEST_F(CallApiIntegration, DownloadsTheRecordingByteForByte) {
  auto reply = get("/api/calls/answered-1%40pbx/recording");
  ASSERT_EQ(reply.status, 200) << reply.body;
  EXPECT_EQ(reply.header("content-type"), "audio/wav");
  EXPECT_EQ(reply.header("content-disposition"), "attachment; filename=\"answered-1.wav\"");
  EXPECT_EQ(reply.header("content-length"), std::to_string(wav.size()));
  EXPECT_EQ(reply.header("accept-ranges"), "bytes");
  EXPECT_TRUE(reply.body == wav) << "body differs from the file (" << reply.body.size() << " bytes)";

  reply = request("HEAD", "/api/calls/answered-1%40pbx/recording");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.header("content-length"), std::to_string(wav.size()));
  EXPECT_EQ(reply.header("content-type"), "audio/wav");
  EXPECT_TRUE(reply.body.empty());
}

TEST_F(CallApiIntegration, ServesByteRanges) {
  const std::string target = "/api/calls/answered-1%40pbx/recording";
  const auto size = std::to_string(wav.size());
  auto ranged = [&](const std::string& range) {
    auto headers = with_token();
    headers.emplace_back("Range", range);
    return get(target, headers);
  };
  auto reply = ranged("bytes=4-11");
  EXPECT_EQ(reply.status, 206);
  EXPECT_EQ(reply.header("content-range"), "bytes 4-11/" + size);
  EXPECT_EQ(reply.body, wav.substr(4, 8));

  reply = ranged("bytes=50000-");
  EXPECT_EQ(reply.status, 206);
  EXPECT_TRUE(reply.body == wav.substr(50'000));

  reply = ranged("bytes=-10");
  EXPECT_EQ(reply.status, 206);
  EXPECT_EQ(reply.header("content-range"), "bytes " + std::to_string(wav.size() - 10) + "-" +
                                                std::to_string(wav.size() - 1) + "/" + size);
  EXPECT_EQ(reply.body, wav.substr(wav.size() - 10));

  reply = ranged("bytes=100000-999999");  // the end is clamped to the file
  EXPECT_EQ(reply.status, 206);
  EXPECT_EQ(reply.body, wav.substr(100'000));

  reply = ranged("bytes=200000-");
  EXPECT_EQ(reply.status, 416);
  EXPECT_EQ(reply.header("content-range"), "bytes */" + size);

  // Several ranges or nonsense: ignored, the whole file (RFC 9110 §14.2).
  for (const auto* ignored : {"bytes=0-1,5-6", "bytes=9-3", "lines=1-2", "bytes=x-"}) {
    reply = ranged(ignored);
    EXPECT_EQ(reply.status, 200) << ignored;
    EXPECT_EQ(reply.body.size(), wav.size()) << ignored;
  }
}

TEST_F(CallApiIntegration, ServesNothingOutsideTheRecordingsDirectory) {
  for (const auto* id : {"dotdot-5", "absolute-6", "symlink-7"}) {
    const auto reply = get(std::string("/api/calls/") + id + "/recording");
    EXPECT_EQ(reply.status, 404) << id;
    EXPECT_EQ(reply.body.find("not yours"), std::string::npos) << id;
    EXPECT_EQ(request("HEAD", std::string("/api/calls/") + id + "/recording").status, 404) << id;
  }
  // The record exists, the file is gone; and a call that never had a recording.
  EXPECT_EQ(get("/api/calls/gone-8/recording").status, 404);
  const auto busy = get("/api/calls/busy-2/recording");
  EXPECT_EQ(busy.status, 404);
  EXPECT_EQ(busy.body_json()["error"], "no_recording");
  // A recording deleted after it was listed.
  fs::remove(recordings / "answered-1.wav");
  EXPECT_EQ(get("/api/calls/answered-1%40pbx/recording").status, 404);
}

TEST_F(CallApiIntegration, OtherMethodsAre405) {
  for (const auto* method : {"POST", "PUT", "DELETE", "PATCH"}) {
    for (const auto* target : {"/api/calls", "/api/calls/answered-1%40pbx", "/api/calls/busy-2/recording"}) {
      const auto reply = request(method, target);
      EXPECT_EQ(reply.status, 405) << method << " " << target;
      EXPECT_EQ(reply.header("allow"), "GET, HEAD");
      EXPECT_EQ(reply.header("content-type"), "application/json");
    }
  }
  // The file is still there after a DELETE.
  EXPECT_TRUE(fs::exists(recordings / "answered-1.wav"));
}

TEST_F(CallApiIntegration, UnknownTargetsUnderApiAre404Json) {
  for (const auto* target : {"/api/", "/api", "/api/call", "/api/calls/", "/api/calls/busy-2/wav",
                             "/api/calls/busy-2/recording/x", "/api/events"}) {
    const auto reply = get(target);
    EXPECT_EQ(reply.status, 404) << target;
    EXPECT_EQ(reply.header("content-type"), "application/json") << target;
    EXPECT_EQ(reply.body_json()["error"], "not_found") << target;
  }
}

TEST_F(CallApiIntegration, KeepsTheConnectionForTheNextRequest) {
  asio::io_context client;
  asio::ip::tcp::socket socket(client);
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  beast::flat_buffer buffer;
  EXPECT_EQ(exchange(socket, buffer, "GET", "/api/calls/busy-2", with_token()).status, 200);
  EXPECT_EQ(exchange(socket, buffer, "HEAD", "/api/calls/answered-1%40pbx/recording", with_token()).status, 200);
  EXPECT_EQ(exchange(socket, buffer, "GET", "/api/calls", {}).status, 401);
  const auto reply = exchange(socket, buffer, "GET", "/api/calls/answered-1%40pbx/recording", with_token());
  EXPECT_TRUE(reply.body == wav);
  EXPECT_EQ(exchange(socket, buffer, "GET", "/healthz", {}).status, 200);
}

}  // namespace
}  // namespace sipgw::server::test
