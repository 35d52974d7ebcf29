#pragma once
// Where one call's CallEvents land on the control thread. The SIP thread posts each event to the
// sink (through Post); the sink calls the handler, or — for an incoming call whose handler is not
// set yet — keeps the events in order until `set_handler` delivers them.
// Control thread only (construction may happen anywhere before first use).
#include <functional>
#include <string>
#include <vector>

#include "gateway/sip/sip_stack.hpp"

namespace sipgw::sip {

/// A CallEvent with the common fields set (the others keep their defaults).
inline CallEvent make_call_event(CallEvent::Kind kind, int code, std::string reason,
                                 std::string sdp = {}) {
  return CallEvent{kind, code, std::move(reason), std::move(sdp), false, 0, 0};
}

class CallEventSink {
 public:
  using Handler = std::function<void(const CallEvent&)>;

  /// `buffer_until_set`: keep events until a handler is set (incoming calls); otherwise events
  /// without a handler are dropped.
  CallEventSink(Handler handler, bool buffer_until_set)
      : handler_(std::move(handler)), buffering_(buffer_until_set && !handler_) {}

  void deliver(const CallEvent& event) {
    if (handler_) {
      handler_(event);
    } else if (buffering_) {
      pending_.push_back(event);
    }
  }

  /// Sets the handler and hands it the events that arrived before, in order.
  void set_handler(Handler handler) {
    handler_ = std::move(handler);
    if (!handler_) return;
    buffering_ = false;
    auto pending = std::move(pending_);
    pending_.clear();
    for (const auto& e : pending) handler_(e);
  }

 private:
  Handler handler_;
  bool buffering_;
  std::vector<CallEvent> pending_;
};

}  // namespace sipgw::sip
