// Unit tests of the client protocol parser and builders (docs/protocol.md).
#include <gtest/gtest.h>

#include "protocol/gateway_event.hpp"
#include "protocol/messages.hpp"

using namespace sipgw::protocol;
using nlohmann::json;

namespace {

ParsedRequest parse(const std::string& text) { return parse_request(text); }

int error_code(const ParsedRequest& parsed) {
  return parsed.error ? static_cast<int>(parsed.error->code) : 0;
}

}  // namespace

TEST(Messages, HelloWithAndWithoutClientId) {
  auto parsed = parse(R"({"request":"hello","transaction":"t1","client_id":"agent-42"})");
  ASSERT_TRUE(parsed.request) << parsed.error->reason;
  EXPECT_EQ(parsed.name, "hello");
  EXPECT_EQ(parsed.transaction, "t1");
  EXPECT_EQ(std::get<HelloRequest>(*parsed.request).client_id, "agent-42");

  parsed = parse(R"({"request":"hello","transaction":"t1"})");
  ASSERT_TRUE(parsed.request);
  EXPECT_FALSE(std::get<HelloRequest>(*parsed.request).client_id);
}

TEST(Messages, RegisterDefaultsAndStringPort) {
  auto parsed = parse(R"({"request":"register","transaction":"t2","user":"1001","password":"p","domain":"pbx.local"})");
  ASSERT_TRUE(parsed.request) << parsed.error->reason;
  const auto& reg = std::get<RegisterRequest>(*parsed.request);
  EXPECT_EQ(reg.user, "1001");
  EXPECT_EQ(reg.port, 5060);
  EXPECT_EQ(reg.transport, "udp");

  parsed = parse(R"({"request":"register","transaction":"t2","user":"1001","domain":"d","port":"5070","transport":"UDP"})");
  ASSERT_TRUE(parsed.request) << parsed.error->reason;
  EXPECT_EQ(std::get<RegisterRequest>(*parsed.request).port, 5070);
}

TEST(Messages, RegisterRejectsBadFieldsNamingThem) {
  auto parsed = parse(R"({"request":"register","transaction":"t","domain":"d"})");
  EXPECT_EQ(error_code(parsed), 400);
  EXPECT_NE(parsed.error->reason.find("'user'"), std::string::npos);
  EXPECT_EQ(parsed.transaction, "t");
  EXPECT_EQ(parsed.name, "register");

  parsed = parse(R"({"request":"register","transaction":"t","user":"1","domain":"d","port":70000})");
  EXPECT_EQ(error_code(parsed), 400);
  EXPECT_NE(parsed.error->reason.find("'port'"), std::string::npos);

  parsed = parse(R"({"request":"register","transaction":"t","user":"1","domain":"d","transport":"tcp"})");
  EXPECT_EQ(error_code(parsed), 400);
  EXPECT_NE(parsed.error->reason.find("tcp"), std::string::npos);

  parsed = parse(R"({"request":"register","transaction":"t","user":123,"domain":"d"})");
  EXPECT_EQ(error_code(parsed), 400);
}

TEST(Messages, CallNeedsAnOffer) {
  auto parsed = parse(R"({"request":"call","transaction":"t","number":"1002","jsep":{"type":"offer","sdp":"v=0\r\n"}})");
  ASSERT_TRUE(parsed.request) << parsed.error->reason;
  const auto& call = std::get<CallRequest>(*parsed.request);
  EXPECT_EQ(call.number, "1002");
  EXPECT_FALSE(call.domain);
  EXPECT_EQ(call.offer_sdp, "v=0\r\n");

  EXPECT_EQ(error_code(parse(R"({"request":"call","transaction":"t","number":"1002"})")), 400);
  EXPECT_EQ(error_code(parse(R"({"request":"call","transaction":"t","number":"1002","jsep":{"type":"answer","sdp":"v=0"}})")), 400);
  EXPECT_EQ(error_code(parse(R"({"request":"call","transaction":"t","number":"1002","jsep":"x"})")), 400);
}

TEST(Messages, TrickleForms) {
  auto parsed = parse(R"({"request":"trickle","transaction":"t","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}})");
  ASSERT_TRUE(parsed.request) << parsed.error->reason;
  auto trickle = std::get<TrickleRequest>(*parsed.request);
  ASSERT_EQ(trickle.candidates.size(), 1u);
  EXPECT_EQ(trickle.candidates[0].sdp_mid, "0");
  EXPECT_FALSE(trickle.completed);

  parsed = parse(R"({"request":"trickle","transaction":"t","candidates":[{"candidate":"a=candidate:1 1 udp 1 127.0.0.1 5000 typ host"},{"candidate":""}]})");
  ASSERT_TRUE(parsed.request) << parsed.error->reason;
  trickle = std::get<TrickleRequest>(*parsed.request);
  ASSERT_EQ(trickle.candidates.size(), 1u);
  EXPECT_EQ(trickle.candidates[0].candidate.rfind("candidate:", 0), 0u);
  EXPECT_TRUE(trickle.completed);

  parsed = parse(R"({"request":"trickle","transaction":"t","completed":true})");
  ASSERT_TRUE(parsed.request);
  EXPECT_TRUE(std::get<TrickleRequest>(*parsed.request).completed);

  EXPECT_EQ(error_code(parse(R"({"request":"trickle","transaction":"t"})")), 400);
  EXPECT_EQ(error_code(parse(R"({"request":"trickle","transaction":"t","candidate":{"candidate":"bogus"}})")), 400);
}

TEST(Messages, MalformedFramesNeverThrow) {
  const char* inputs[] = {
      "", "{", "}", "null", "[]", "42", "\"hello\"", R"({"request":1})", R"({"transaction":"t"})",
      R"({"request":"hello"})", R"({"request":"hello","transaction":{}})",
      R"({"request":"call","transaction":"t","number":"1","jsep":{"type":"offer","sdp":1}})",
      "\xff\xfe{\"request\":\"hello\"}", R"({"request":"register","transaction":"t","user":"1","domain":"d","port":-1})",
  };
  for (const char* input : inputs) {
    auto parsed = parse(input);
    EXPECT_FALSE(parsed.request) << input;
    ASSERT_TRUE(parsed.error) << input;
    EXPECT_EQ(static_cast<int>(parsed.error->code), 400) << input;
    EXPECT_FALSE(parsed.error->reason.empty());
  }
  EXPECT_EQ(error_code(parse(std::string(kMaxMessageBytes + 1, ' '))), 400);
}

TEST(Messages, UnknownRequestIs501AndKeepsTransaction) {
  auto parsed = parse(R"({"request":"fly","transaction":"t9"})");
  EXPECT_EQ(error_code(parsed), 501);
  EXPECT_EQ(parsed.transaction, "t9");
  EXPECT_EQ(parsed.name, "fly");
}

TEST(Messages, BuildersProduceDocumentedShapes) {
  auto ok = json::parse(make_success("hello", std::string("t1"), {{"session_id", 7924161977477011ULL}}));
  EXPECT_EQ(ok["response"], "hello");
  EXPECT_EQ(ok["transaction"], "t1");
  EXPECT_EQ(ok["ok"], true);
  EXPECT_EQ(ok["session_id"], 7924161977477011ULL);

  auto error = json::parse(make_error("error", std::nullopt, {ErrorCode::bad_request, "malformed JSON"}));
  EXPECT_TRUE(error["transaction"].is_null());
  EXPECT_EQ(error["ok"], false);
  EXPECT_EQ(error["error"]["code"], 400);
  EXPECT_EQ(error["error"]["reason"], "malformed JSON");

  auto event = json::parse(make_event("hangup", 5, {{"call_id", "c"}, {"code", 404}, {"reason", "Not Found"}}));
  EXPECT_EQ(event["event"], "hangup");
  EXPECT_EQ(event["session_id"], 5);
  EXPECT_EQ(event["code"], 404);
}

TEST(GatewayEventBody, MatchesTheSeedFormat) {
  GatewayEvent event{7924161977477011ULL, "unique-id", "calling",
                     CallDetails{"4000", "unique-id", "6QfTseOZQwZbOhKXAVQQnDa", "4000", "unique-id"}, {}, {}, {}, {}};
  auto body = to_json(event);
  EXPECT_EQ(body["session_id"], 7924161977477011ULL);
  EXPECT_EQ(body["client_id"], "unique-id");
  EXPECT_EQ(body["event"], "calling");
  EXPECT_EQ(body["call_details"]["callee"], "4000");
  EXPECT_EQ(body["call_details"]["call_id"], "6QfTseOZQwZbOhKXAVQQnDa");
  EXPECT_EQ(body["call_details"]["caller_name"], "unique-id");
  EXPECT_FALSE(body.contains("code"));

  auto connected = to_json(GatewayEvent{1, "c", "connected", std::nullopt, {}, {}, {}, {}});
  EXPECT_FALSE(connected.contains("call_details"));
}

TEST(Messages, CallControlRequests) {
  auto parsed = parse(R"({"request":"accept","transaction":"t","jsep":{"type":"answer","sdp":"v=0\r\n"}})");
  ASSERT_TRUE(parsed.request) << parsed.error->reason;
  EXPECT_EQ(std::get<AcceptRequest>(*parsed.request).answer_sdp, "v=0\r\n");
  EXPECT_EQ(error_code(parse(R"({"request":"accept","transaction":"t","jsep":{"type":"offer","sdp":"v=0"}})")), 400);

  parsed = parse(R"({"request":"decline","transaction":"t"})");
  ASSERT_TRUE(parsed.request);
  EXPECT_EQ(std::get<DeclineRequest>(*parsed.request).code, 486);
  parsed = parse(R"({"request":"decline","transaction":"t","code":603})");
  EXPECT_EQ(std::get<DeclineRequest>(*parsed.request).code, 603);
  EXPECT_EQ(error_code(parse(R"({"request":"decline","transaction":"t","code":200})")), 400);

  parsed = parse(R"({"request":"unhold","transaction":"t","call_id":"c"})");
  ASSERT_TRUE(parsed.request);
  EXPECT_FALSE(std::get<HoldRequest>(*parsed.request).hold);
  EXPECT_EQ(std::get<HoldRequest>(*parsed.request).call_id, "c");
  parsed = parse(R"({"request":"mute","transaction":"t"})");
  EXPECT_TRUE(std::get<MuteRequest>(*parsed.request).mute);
  parsed = parse(R"({"request":"stop_recording","transaction":"t"})");
  ASSERT_TRUE(parsed.request);
  EXPECT_FALSE(std::get<RecordingRequest>(*parsed.request).start);
}

TEST(Messages, DtmfDigitsAndMethod) {
  auto parsed = parse(R"({"request":"dtmf","transaction":"t","digits":"12a#*","duration_ms":250,"method":"info"})");
  ASSERT_TRUE(parsed.request) << parsed.error->reason;
  const auto& dtmf = std::get<DtmfRequest>(*parsed.request);
  EXPECT_EQ(dtmf.digits, "12A#*");
  EXPECT_EQ(dtmf.duration_ms, 250u);
  EXPECT_EQ(dtmf.method, DtmfMethod::info);
  EXPECT_EQ(error_code(parse(R"({"request":"dtmf","transaction":"t","digits":"12x"})")), 400);
  EXPECT_EQ(error_code(parse(R"({"request":"dtmf","transaction":"t","digits":"1","duration_ms":5})")), 400);
  EXPECT_EQ(error_code(parse(R"({"request":"dtmf","transaction":"t","digits":"1","method":"sms"})")), 400);
  EXPECT_EQ(error_code(parse(R"({"request":"dtmf","transaction":"t"})")), 400);
}

TEST(Messages, Claim) {
  auto parsed = parse(R"({"request":"claim","transaction":"t","session_id":7924161977477011,"secret":"abc"})");
  ASSERT_TRUE(parsed.request) << parsed.error->reason;
  EXPECT_EQ(std::get<ClaimRequest>(*parsed.request).session_id, 7924161977477011ULL);
  EXPECT_EQ(error_code(parse(R"({"request":"claim","transaction":"t","session_id":"x","secret":"abc"})")), 400);
  EXPECT_EQ(error_code(parse(R"({"request":"claim","transaction":"t","session_id":1})")), 400);
}
