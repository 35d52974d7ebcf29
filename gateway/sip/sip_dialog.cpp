#include "gateway/sip/sip_dialog.hpp"

#include <spdlog/spdlog.h>

#include "gateway/sip/dtmf_relay.hpp"

namespace sipgw::sip {
namespace {

// After a BYE from the peer nua reports `terminated` at once; this only bounds that.
constexpr su_duration_t kByeGuardMs = 5'000;
// A BYE that is never answered ends after Timer F (32 s); a little more before we give up.
constexpr su_duration_t kByeAnswerGuardMs = 34'000;

bool is_final_error(int code) { return code >= 300 && code <= 699; }

}  // namespace

SipDialog::SipDialog(SipStack::Impl* impl, std::string call_id,
                     std::shared_ptr<CallEventSink> sink)
    : impl_(impl), call_id_(std::move(call_id)), sink_(std::move(sink)) {}

SipDialog::~SipDialog() {
  // Normally released in finish()/on_stack_shutdown() on the SIP thread.
  if (has_saved_) nua_destroy_event(saved_);
}

// ---------------------------------------------------------------------------------------------
// Our re-INVITE (RFC 3261 §14.1)

void SipDialog::reinvite(const std::string& sdp) {
  if (!nh_ || !confirmed() || our_offer_pending_ || remote_ != RemoteOffer::none ||
      bye_sent_ || terminated_reported_) {
    // RFC 3261 §14.1: no new offer while another offer/answer is in progress.
    report(make_call_event(CallEvent::Kind::reoffer_failed, 491,
                           "Request Pending (offer/answer in progress)"));
    return;
  }
  our_offer_pending_ = true;
  reinvite_challenge_answered_ = false;
  nua_invite(nh_.get(), SIPTAG_CONTENT_TYPE_STR("application/sdp"),
             SIPTAG_PAYLOAD_STR(sdp.c_str()), TAG_END());
}

bool SipDialog::on_reinvite_response(const NuaMessage& m) {
  if (!our_offer_pending_) return false;
  if (m.status < 200) return true;
  if ((m.status == 401 || m.status == 407) && !reinvite_challenge_answered_) {
    reinvite_challenge_answered_ = true;
    if (authenticate(m)) return true;
  }
  our_offer_pending_ = false;
  if (m.status < 300) {
    // nua has sent the ACK (NUTAG_AUTOACK).
    report(make_call_event(CallEvent::Kind::remote_answer, m.status, m.phrase, m.sdp));
  } else {
    // RFC 3261 §14.1: the dialog and the previous session continue (491 glare included; nua
    // answers a crossing re-INVITE from the PBX with 491 itself).
    report(make_call_event(CallEvent::Kind::reoffer_failed, m.status, m.phrase));
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Requests from the PBX inside the dialog

void SipDialog::on_request_received(nua_event_t event, const NuaMessage& m) {
  if (!nh_) return;
  switch (event) {
    case nua_i_invite: {
      // A re-INVITE (the initial INVITE of an incoming call never gets here). nua answered
      // overlapping or glaring ones itself (500 / 491): then status >= 200.
      if (m.status >= 200) return;
      if (detached_ || bye_sent_ || remote_ != RemoteOffer::none) {
        nua_respond(nh_.get(), 500, "Overlapping Requests", NUTAG_WITH_THIS(impl_->nua),
                    SIPTAG_RETRY_AFTER_STR("2"), TAG_END());
        return;
      }
      has_saved_ = nua_save_event(impl_->nua, saved_) != 0;
      if (m.sdp.empty()) {
        // RFC 3261 §14.2 / §13.2.1: the offer goes in our 200, the answer comes in the ACK.
        remote_ = RemoteOffer::reinvite_no_sdp;
        report(make_call_event(CallEvent::Kind::offer_request, m.status, "re-INVITE without SDP"));
      } else {
        remote_ = RemoteOffer::reinvite_offer;
        report(make_call_event(CallEvent::Kind::remote_offer, m.status, "re-INVITE", m.sdp));
      }
      return;
    }
    case nua_i_update: {
      if (m.status >= 200) return;
      if (m.sdp.empty()) {
        // RFC 4028 session refresh (or a target refresh) without offer: just accept it; nua adds
        // the Session-Expires of the refreshed session.
        nua_respond(nh_.get(), SIP_200_OK, NUTAG_WITH_THIS(impl_->nua), TAG_END());
        return;
      }
      if (our_offer_pending_) {  // RFC 3311 §5.2: our offer is outstanding
        nua_respond(nh_.get(), SIP_491_REQUEST_PENDING, NUTAG_WITH_THIS(impl_->nua), TAG_END());
        return;
      }
      if (detached_ || bye_sent_ || remote_ != RemoteOffer::none) {
        // RFC 3311 §5.2: an offer we have not answered yet is pending.
        nua_respond(nh_.get(), 500, "Overlapping Offer/Answer", NUTAG_WITH_THIS(impl_->nua),
                    SIPTAG_RETRY_AFTER_STR("2"), TAG_END());
        return;
      }
      has_saved_ = nua_save_event(impl_->nua, saved_) != 0;
      remote_ = RemoteOffer::update_offer;
      CallEvent e = make_call_event(CallEvent::Kind::remote_offer, m.status, "UPDATE", m.sdp);
      e.is_update = true;
      report(std::move(e));
      return;
    }
    case nua_i_info: {
      if (m.status < 200)
        nua_respond(nh_.get(), SIP_200_OK, NUTAG_WITH_THIS(impl_->nua), TAG_END());
      if (auto dtmf = parse_dtmf_info(m.content_type, m.body)) {
        CallEvent e = make_call_event(CallEvent::Kind::info_dtmf, 200, "INFO");
        e.dtmf_digit = dtmf->digit;
        e.dtmf_duration_ms = dtmf->duration_ms;
        report(std::move(e));
      } else {
        spdlog::debug("sip: call {}: INFO ({}) ignored", call_id_, m.content_type);
      }
      return;
    }
    default:
      // REFER, NOTIFY, MESSAGE… inside the call: not supported (yet).
      if (m.status < 200)
        nua_respond(nh_.get(), SIP_501_NOT_IMPLEMENTED, NUTAG_WITH_THIS(impl_->nua), TAG_END());
      return;
  }
}

void SipDialog::answer_remote_offer(const std::string& sdp) {
  switch (remote_) {
    case RemoteOffer::reinvite_offer:
    case RemoteOffer::update_offer:
      respond_pending(200, "OK", sdp);
      remote_ = RemoteOffer::none;
      return;
    case RemoteOffer::reinvite_no_sdp:
      respond_pending(200, "OK", sdp);
      remote_ = RemoteOffer::ack_answer;
      return;
    case RemoteOffer::none:
    case RemoteOffer::ack_answer:
      spdlog::warn("sip: call {}: answer_remote_offer without a pending offer: ignored", call_id_);
      return;
  }
}

void SipDialog::reject_remote_offer(int code, const std::string& reason) {
  if (remote_ == RemoteOffer::none || remote_ == RemoteOffer::ack_answer) {
    spdlog::warn("sip: call {}: reject_remote_offer without a pending offer: ignored", call_id_);
    return;
  }
  if (!is_final_error(code)) code = 488;
  response_phrase_ = reason.empty() ? sip_status_phrase(code) ? sip_status_phrase(code) : "Not Acceptable Here" : reason;
  respond_pending(code, response_phrase_.c_str(), {});
  remote_ = RemoteOffer::none;
}

void SipDialog::respond_pending(int status, const char* phrase, const std::string& sdp) {
  if (!nh_) return drop_saved();
  if (!has_saved_) {
    // nua_save_event failed (out of memory): an INVITE can still be answered without it.
    nua_respond(nh_.get(), status, phrase,
                TAG_IF(!sdp.empty(), SIPTAG_CONTENT_TYPE_STR("application/sdp")),
                TAG_IF(!sdp.empty(), SIPTAG_PAYLOAD_STR(sdp.c_str())), TAG_END());
    return;
  }
  nua_respond(nh_.get(), status, phrase, NUTAG_WITH_SAVED(saved_),
              TAG_IF(!sdp.empty(), SIPTAG_CONTENT_TYPE_STR("application/sdp")),
              TAG_IF(!sdp.empty(), SIPTAG_PAYLOAD_STR(sdp.c_str())), TAG_END());
  // The server request keeps its own reference to the request message, which is what
  // NUTAG_WITH matches, so the saved copy can go now.
  drop_saved();
}

void SipDialog::drop_saved() {
  if (!has_saved_) return;
  has_saved_ = false;
  nua_destroy_event(saved_);
  saved_[0] = nullptr;
}

void SipDialog::on_ack_received(const NuaMessage& m) {
  if (remote_ != RemoteOffer::ack_answer) return;
  remote_ = RemoteOffer::none;
  if (m.sdp.empty()) {
    // RFC 3264 §4: an offer in a 2xx must be answered in the ACK; the old session continues.
    report(make_call_event(CallEvent::Kind::reoffer_failed, 488, "ACK without answer"));
  } else {
    report(make_call_event(CallEvent::Kind::remote_answer, 200, "ACK", m.sdp));
  }
}

// ---------------------------------------------------------------------------------------------
// INFO DTMF toward the PBX

void SipDialog::send_info_dtmf(char digit, uint32_t duration_ms) {
  const auto body = format_dtmf_relay(digit, duration_ms);
  if (!body) {
    spdlog::warn("sip: call {}: send_info_dtmf: invalid digit {:#x}", call_id_,
                 static_cast<unsigned char>(digit));
    return;
  }
  if (!nh_ || !confirmed() || bye_sent_ || terminated_reported_) {
    spdlog::warn("sip: call {}: send_info_dtmf outside a confirmed dialog: ignored", call_id_);
    return;
  }
  nua_info(nh_.get(), SIPTAG_CONTENT_TYPE_STR("application/dtmf-relay"),
           SIPTAG_PAYLOAD_STR(body->c_str()), TAG_END());
}

void SipDialog::on_info_response(const NuaMessage& m) {
  if (m.status >= 300)
    spdlog::warn("sip: call {}: INFO DTMF answered {} {}", call_id_, m.status, m.phrase);
}

// ---------------------------------------------------------------------------------------------
// BYE, reporting and teardown

void SipDialog::send_bye() {
  if (bye_sent_ || !nh_) return;
  bye_sent_ = true;
  arm_guard(kByeAnswerGuardMs, 408, "BYE not answered");
  nua_bye(nh_.get(), TAG_END());
}

void SipDialog::on_bye_response(const NuaMessage& m) {
  if (m.status < 200) return;
  finish(m.status < 300 ? 200 : m.status, "Hangup");
}

void SipDialog::on_bye_received(const NuaMessage&) {
  report_terminated(200, "BYE");
  arm_guard(kByeGuardMs, 200, "BYE");  // nua reports `terminated` next; destroy then
}

void SipDialog::on_stack_shutdown() {
  detached_ = true;
  cancel_guard();
  drop_saved();
  nh_.reset();
}

void SipDialog::report(CallEvent event) {
  if (detached_) return;
  spdlog::debug("sip: call {} -> {} {} {}", call_id_, static_cast<int>(event.kind), event.code,
                event.reason);
  impl_->post_to_control([sink = sink_, event = std::move(event)] { sink->deliver(event); });
}

void SipDialog::report_terminated(int code, std::string reason) {
  if (terminated_reported_) return;
  terminated_reported_ = true;
  report(make_call_event(CallEvent::Kind::terminated, code, std::move(reason)));
}

void SipDialog::finish(int code, std::string reason) {
  report_terminated(code, std::move(reason));
  cancel_guard();
  drop_saved();
  remote_ = RemoteOffer::none;
  our_offer_pending_ = false;
  if (!nh_) return;
  nh_.reset();
  impl_->release(this);  // may destroy *this: callers hold a shared_ptr (dispatch, tasks, timer)
}

void SipDialog::arm_guard(su_duration_t ms, int code, const char* reason) {
  cancel_guard();
  guard_ = impl_->create_timer();
  if (!guard_) return;
  guard_code_ = code;
  guard_reason_ = reason;
  su_timer_set_interval(
      guard_,
      [](su_root_magic_t*, su_timer_t*, su_timer_arg_t* arg) {
        try {
          auto* self = static_cast<SipDialog*>(static_cast<void*>(arg));
          auto keep = self->shared_from_this();
          spdlog::warn("sip: call {}: {}", self->call_id_, self->guard_reason_);
          self->finish(self->guard_code_, self->guard_reason_);
        } catch (...) {
          spdlog::error("sip: call guard timer failed");
        }
      },
      static_cast<su_timer_arg_t*>(static_cast<void*>(this)), ms);
}

void SipDialog::cancel_guard() {
  if (!guard_) return;
  su_timer_destroy(guard_);
  guard_ = nullptr;
}

}  // namespace sipgw::sip
