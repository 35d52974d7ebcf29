// Signalling towards Janus 1.1.2's SIP plugin (janus-protocol over WebSocket), so the load
// generator can drive Janus exactly as it drives our gateway:
//   create → session id; attach janus.plugin.sip → handle id; message register → event
//   `registered`; message call + JSEP offer → event `accepted` (or `progress`) with the answer;
//   message hangup; close: message unregister → `unregistered`, destroy → `success`, socket close.
// Janus acknowledges every `message` with an `ack` at once and reports the outcome later in an
// `event` carrying the same transaction; create/attach/destroy get a `success` or an `error`.
//
// ICE: the offer carries every candidate and its JSEP says `"trickle": false`, so Janus starts
// connectivity checks as soon as it sends its answer (janus.c: candidates found in the remote SDP →
// janus_ice_setup_remote_candidates) and never waits for a trickle `completed`. Janus runs in
// half-trickle mode (the default), so its answer SDP already holds all of its candidates.
//
// Threads: every method and every handler runs on the load generator's io_context thread.
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>

#include "bench/loadgen/signalling.hpp"
#include "bench/loadgen/ws_client.hpp"

namespace sipgw::loadgen {
namespace {

using nlohmann::json;

// Janus drops a session after 60 s without a request (session_timeout); 25 s keeps it alive.
constexpr std::chrono::seconds kKeepalive{25};
// How long close() waits for `unregistered`, then for the destroy's `success`.
constexpr std::chrono::seconds kCloseStep{2};

class JanusSignalling final : public Signalling {
 public:
  JanusSignalling(boost::asio::io_context& io, std::string url, Listener& listener)
      : url_(std::move(url)),
        listener_(listener),
        alive_(std::make_shared<bool>(true)),
        io_(io),
        keepalive_(io),
        close_timer_(io) {}

  ~JanusSignalling() override {
    *alive_ = false;
    keepalive_.cancel();
    close_timer_.cancel();
    if (ws_) ws_->close();  // Janus destroys the session of a transport that went away
  }

  void start(const SipAccount& account) override {
    account_ = account;
    std::weak_ptr<bool> alive = alive_;
    WsClient::Handlers handlers;
    handlers.on_open = [this, alive] {
      if (!alive.expired()) send({{"janus", "create"}}, Pending::kCreate);
    };
    handlers.on_message = [this, alive](std::string text) {
      if (!alive.expired()) on_message(text);
    };
    handlers.on_close = [this, alive](std::string reason) {
      if (alive.expired()) return;
      ws_.reset();
      keepalive_.cancel();
      if (!closing_) listener_.on_error("janus connection: " + reason);
    };
    ws_ = WsClient::create(io_, url_, "janus-protocol", std::move(handlers));
    ws_->connect();
  }

  void call(const std::string& callee, const std::string& offer_sdp) override {
    // Our own Call-ID: events of an earlier call (a late `hangup`) are told apart by it.
    call_id_ = "lg-" + account_.user + "-" + std::to_string(++calls_) + "-" +
               std::to_string(session_id_ % 1000000);
    in_call_ = true;
    answered_ = false;
    message({{"request", "call"},
             {"call_id", call_id_},
             {"uri", "sip:" + callee + "@" + account_.domain + ":" + std::to_string(account_.port)}},
            json{{"type", "offer"}, {"sdp", offer_sdp}, {"trickle", false}});
  }

  void hangup() override {
    if (!in_call_) return;
    in_call_ = false;  // the `hangup` event that follows our BYE/CANCEL is not reported
    message({{"request", "hangup"}});
  }

  void close() override {
    if (closing_) return;
    closing_ = true;
    keepalive_.cancel();
    if (!ws_) return;
    if (registered_) {
      message({{"request", "unregister"}});
      after(kCloseStep, [this] { destroy_session(); });
    } else {
      destroy_session();
    }
  }

 private:
  // Requests whose reply (`success`/`error`, or `ack` for a keepalive) we wait for. A `message`
  // is not tracked: its events may even arrive before its `ack`, and they name what they are.
  enum class Pending { kNone, kCreate, kAttach, kDestroy, kKeepalive };

  void send(json request, Pending kind = Pending::kNone) {
    if (!ws_) return;
    std::string transaction = "t" + std::to_string(++transaction_);
    request["transaction"] = transaction;
    if (session_id_ != 0 && request["janus"] != "create") request["session_id"] = session_id_;
    if (kind != Pending::kNone) pending_[transaction] = kind;
    ws_->send(request.dump());
  }

  void message(json body, json jsep = nullptr) {
    json request{{"janus", "message"}, {"handle_id", handle_id_}, {"body", std::move(body)}};
    if (!jsep.is_null()) request["jsep"] = std::move(jsep);
    send(std::move(request));
  }

  void destroy_session() {
    if (!ws_) return;
    if (session_id_ == 0) return ws_->close();
    send({{"janus", "destroy"}}, Pending::kDestroy);
    after(kCloseStep, [this] {
      if (ws_) ws_->close();
    });
  }

  // Runs `step` once after `delay` (replacing any earlier step) unless this object is gone.
  template <class Step>
  void after(std::chrono::seconds delay, Step step) {
    close_timer_.expires_after(delay);
    close_timer_.async_wait([alive = std::weak_ptr<bool>(alive_), step](auto ec) {
      if (!alive.expired() && !ec) step();
    });
  }

  void keep_alive() {
    keepalive_.expires_after(kKeepalive);
    keepalive_.async_wait([this, alive = std::weak_ptr<bool>(alive_)](auto ec) {
      if (alive.expired() || ec || closing_) return;
      send({{"janus", "keepalive"}}, Pending::kKeepalive);
      keep_alive();
    });
  }

  void fail(const std::string& what) {
    if (!closing_) listener_.on_error(what);
  }

  void on_message(const std::string& text) {
    const json m = json::parse(text, nullptr, false);
    if (!m.is_object()) return fail("janus sent non-JSON: " + text);
    const std::string janus = m.value("janus", "");
    Pending kind = Pending::kNone;
    if (auto pending = pending_.find(m.value("transaction", "")); pending != pending_.end()) {
      kind = pending->second;
      pending_.erase(pending);
    }

    if (janus == "success") return on_success(kind, m);
    if (janus == "error") {
      const json error = m.value("error", json::object());
      return fail("janus error " + std::to_string(error.value("code", 0)) + " " +
                  error.value("reason", ""));
    }
    if (janus == "event") return on_plugin_event(m);
    if (janus == "hangup") {  // the PeerConnection closed (ICE or DTLS failed, or torn down)
      if (!in_call_) return;
      in_call_ = false;
      return listener_.on_call_ended("janus hangup: " + m.value("reason", ""));
    }
    if (janus == "timeout") return fail("janus session timed out");
    // ack, webrtcup, media, slowlink, detached, trickle: nothing to report.
  }

  void on_success(Pending kind, const json& m) {
    const uint64_t id = m.value("data", json::object()).value("id", uint64_t{0});
    switch (kind) {
      case Pending::kCreate:
        session_id_ = id;
        keep_alive();
        return send({{"janus", "attach"}, {"plugin", "janus.plugin.sip"}}, Pending::kAttach);
      case Pending::kAttach:
        handle_id_ = id;
        return message({{"request", "register"},
                        {"username", "sip:" + account_.user + "@" + account_.domain},
                        {"secret", account_.password},
                        {"proxy", "sip:" + account_.domain + ":" + std::to_string(account_.port)}});
      case Pending::kDestroy:
        session_id_ = 0;
        if (ws_) ws_->close();
        return;
      default:
        return;
    }
  }

  void on_plugin_event(const json& m) {
    const json data = m.value("plugindata", json::object()).value("data", json::object());
    if (data.contains("error_code")) {
      return fail("janus sip error " + std::to_string(data.value("error_code", 0)) + " " +
                  data.value("error", ""));
    }
    const json result = data.value("result", json::object());
    const std::string event = result.value("event", "");
    const std::string call_id = data.value("call_id", "");
    if (event == "registered") {
      if (registered_) return;
      registered_ = true;
      return listener_.on_registered();
    }
    if (event == "registration_failed") {
      return fail("registration_failed " + std::to_string(result.value("code", 0)) + " " +
                  result.value("reason", ""));
    }
    if (event == "unregistered") {
      registered_ = false;
      if (closing_) destroy_session();
      return;
    }
    if (!in_call_ || (!call_id.empty() && call_id != call_id_)) return;  // an earlier call
    if ((event == "accepted" || event == "progress") && m.contains("jsep") && !answered_) {
      answered_ = true;  // after a 183 with SDP, `accepted` comes without JSEP (janus_sip.c)
      return listener_.on_call_answered(m["jsep"].value("sdp", ""));
    }
    if (event == "hangup") {
      in_call_ = false;
      return listener_.on_call_ended("hangup " + std::to_string(result.value("code", 0)) + " " +
                                     result.value("reason", ""));
    }
  }

  std::string url_;
  Listener& listener_;
  std::shared_ptr<bool> alive_;  // handlers check it: this object may be gone before they run
  boost::asio::io_context& io_;
  boost::asio::steady_timer keepalive_;
  boost::asio::steady_timer close_timer_;
  std::shared_ptr<WsClient> ws_;
  SipAccount account_;
  std::map<std::string, Pending> pending_;  // transaction → request awaiting its reply
  uint64_t transaction_ = 0;
  uint64_t session_id_ = 0;
  uint64_t handle_id_ = 0;
  uint64_t calls_ = 0;
  std::string call_id_;
  bool registered_ = false;
  bool in_call_ = false;
  bool answered_ = false;
  bool closing_ = false;
};

}  // namespace

std::unique_ptr<Signalling> make_janus_signalling(boost::asio::io_context& io, std::string url,
                                                  Signalling::Listener& listener) {
  return std::make_unique<JanusSignalling>(io, std::move(url), listener);
}

}  // namespace sipgw::loadgen
