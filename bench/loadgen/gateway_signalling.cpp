// Signalling towards our gateway (docs/protocol.md): hello → register → call → hangup.
#include <nlohmann/json.hpp>

#include "bench/loadgen/signalling.hpp"
#include "bench/loadgen/ws_client.hpp"

namespace sipgw::loadgen {
namespace {

using nlohmann::json;

class GatewaySignalling final : public Signalling {
 public:
  GatewaySignalling(boost::asio::io_context& io, std::string url, Listener& listener)
      : io_(io), url_(std::move(url)), listener_(listener), alive_(std::make_shared<bool>(true)) {}

  ~GatewaySignalling() override {
    *alive_ = false;
    if (ws_) ws_->close();
  }

  void start(const SipAccount& account) override {
    account_ = account;
    std::weak_ptr<bool> alive = alive_;
    WsClient::Handlers handlers;
    handlers.on_open = [this, alive] {
      if (alive.expired()) return;
      request({{"request", "hello"}, {"client_id", "loadgen-" + account_.user}});
    };
    handlers.on_message = [this, alive](std::string text) {
      if (!alive.expired()) on_message(text);
    };
    handlers.on_close = [this, alive](std::string reason) {
      if (alive.expired() || closing_) return;
      listener_.on_error("gateway connection: " + reason);
    };
    ws_ = WsClient::create(io_, url_, "", std::move(handlers));
    ws_->connect();
  }

  void call(const std::string& callee, const std::string& offer_sdp) override {
    request({{"request", "call"},
             {"number", callee},
             {"jsep", {{"type", "offer"}, {"sdp", offer_sdp}}}});
  }

  void hangup() override {
    if (call_id_.empty()) return;
    request({{"request", "hangup"}, {"call_id", call_id_}});
    call_id_.clear();
  }

  void close() override {
    if (closing_ || !ws_) return;
    closing_ = true;
    if (registered_) request({{"request", "unregister"}});
    ws_->close();
  }

 private:
  void request(json message) {
    message["transaction"] = "t" + std::to_string(++transaction_);
    ws_->send(message.dump());
  }

  void on_message(const std::string& text) {
    json message = json::parse(text, nullptr, false);
    if (!message.is_object()) return listener_.on_error("gateway sent non-JSON: " + text);
    if (message.contains("response")) return on_response(message);
    const std::string event = message.value("event", "");
    if (event == "registered") {
      if (!registered_) {
        registered_ = true;
        listener_.on_registered();
      }
    } else if (event == "registration_failed") {
      listener_.on_error("registration_failed " + std::to_string(message.value("code", 0)) + " " +
                         message.value("reason", ""));
    } else if (event == "progress" && message.contains("jsep")) {
      early_answer_ = message["jsep"].value("sdp", "");  // early media: 183 with SDP
    } else if (event == "accepted") {
      // The answer came with the 200 OK, or earlier with a 183 (then `accepted` has no jsep).
      std::string sdp = message.contains("jsep") ? message["jsep"].value("sdp", "") : early_answer_;
      if (sdp.empty()) return listener_.on_error("accepted without an SDP answer");
      listener_.on_call_answered(sdp);
    } else if (event == "hangup") {
      if (message.value("call_id", "") != call_id_ || call_id_.empty()) return;
      call_id_.clear();
      listener_.on_call_ended("hangup " + std::to_string(message.value("code", 0)) + " " +
                              message.value("reason", "") + " (" + message.value("cause", "") +
                              ")");
    }
  }

  void on_response(const json& message) {
    const std::string name = message.value("response", "");
    if (!message.value("ok", false)) {
      if (closing_) return;
      const json error = message.value("error", json::object());
      return listener_.on_error(name + " refused: " + std::to_string(error.value("code", 0)) +
                                " " + error.value("reason", ""));
    }
    if (name == "hello") {
      request({{"request", "register"},
               {"user", account_.user},
               {"password", account_.password},
               {"domain", account_.domain},
               {"port", account_.port}});
    } else if (name == "call") {
      call_id_ = message.value("call_id", "");
    }
  }

  boost::asio::io_context& io_;
  std::string url_;
  Listener& listener_;
  std::shared_ptr<bool> alive_;  // handlers check it: the client may be gone before they run
  std::shared_ptr<WsClient> ws_;
  SipAccount account_;
  std::string call_id_;
  std::string early_answer_;
  uint64_t transaction_ = 0;
  bool registered_ = false;
  bool closing_ = false;
};

}  // namespace

std::unique_ptr<Signalling> make_gateway_signalling(boost::asio::io_context& io, std::string url,
                                                    Signalling::Listener& listener) {
  return std::make_unique<GatewaySignalling>(io, std::move(url), listener);
}

}  // namespace sipgw::loadgen
