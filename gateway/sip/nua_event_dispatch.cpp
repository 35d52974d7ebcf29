// The one place where sofia's nua_event_t switch is mapped onto NuaHandleHandler's typed
// methods. Runs on the SIP thread (nua delivers events from its su_root).
#include <spdlog/spdlog.h>

#include <strings.h>

#include <cstdlib>
#include <string_view>

#include "gateway/sip/nua_event_handler.hpp"
#include "gateway/sip/sip_stack_impl.hpp"

namespace sipgw::sip {
namespace {

void add_challenges(const msg_auth_t* auth, std::vector<DigestChallenge>& out) {
  for (; auth; auth = auth->au_next) {
    if (!auth->au_scheme) continue;
    std::vector<std::string_view> params;
    for (msg_param_t const* p = auth->au_params; p && *p; ++p) params.emplace_back(*p);
    if (auto c = parse_digest_challenge(auth->au_scheme, params)) out.push_back(std::move(*c));
  }
}

std::optional<uint32_t> parse_delta(const char* s) {
  if (!s || !*s) return std::nullopt;
  char* end = nullptr;
  const unsigned long v = std::strtoul(s, &end, 10);
  if (end == s) return std::nullopt;
  return static_cast<uint32_t>(v > UINT32_MAX ? UINT32_MAX : v);
}

NuaMessage to_message(int status, const char* phrase, const sip_t* sip) {
  NuaMessage m;
  m.status = status;
  m.phrase = phrase ? phrase : "";
  if (!sip) return m;
  if (sip->sip_content_type && sip->sip_content_type->c_type)
    m.content_type = sip->sip_content_type->c_type;
  if (sip->sip_payload && sip->sip_payload->pl_data && sip->sip_payload->pl_len > 0) {
    m.body.assign(sip->sip_payload->pl_data, sip->sip_payload->pl_len);
    const bool is_sdp = m.content_type.empty() ||
                        strcasecmp(m.content_type.c_str(), "application/sdp") == 0;
    if (is_sdp) m.sdp = m.body;
  }
  add_challenges(sip->sip_www_authenticate, m.challenges);
  add_challenges(sip->sip_proxy_authenticate, m.challenges);
  for (const sip_contact_t* c = sip->sip_contact; c; c = c->m_next) {
    NuaMessage::Contact contact;
    if (c->m_url->url_user) contact.user = c->m_url->url_user;
    contact.expires = parse_delta(c->m_expires);
    m.contacts.push_back(std::move(contact));
  }
  if (sip->sip_to && sip->sip_to->a_tag) m.to_tag = sip->sip_to->a_tag;
  if (sip->sip_expires) m.expires = static_cast<uint32_t>(sip->sip_expires->ex_delta);
  return m;
}

void dispatch(SipStack::Impl& impl, nua_event_t event, int status, char const* phrase,
              nua_handle_t* nh, NuaHandleHandler* handler, sip_t const* sip, tagi_t tags[]) {
  spdlog::debug("sip: event {} status {} {} handle {}", nua_event_name(event), status,
                phrase ? phrase : "", static_cast<void*>(nh));
  switch (event) {
    case nua_r_shutdown:
      impl.on_shutdown_response(status);
      return;
    case nua_r_set_params:
    case nua_r_get_params:
    case nua_i_outbound:
    case nua_i_network_changed:
    case nua_i_active:
    case nua_i_terminated:
    case nua_i_media_error:
      return;
    case nua_i_error:
      spdlog::warn("sip: nua error {} {}", status, phrase ? phrase : "");
      return;
    default:
      break;
  }

  if (!handler) {  // a request that is not part of anything we started
    int callstate = -1;
    if (event == nua_i_state) tl_gets(tags, NUTAG_CALLSTATE_REF(callstate), TAG_END());
    impl.on_unsolicited(event, status, nh, callstate, sip);
    return;
  }
  // Keep the handler alive while it runs: it may release itself.
  const std::shared_ptr<NuaHandleHandler> keep = handler->shared_from_this();
  const NuaMessage message = to_message(status, phrase, sip);
  switch (event) {
    case nua_r_register:
      handler->on_register_response(message);
      break;
    case nua_r_unregister:
      handler->on_unregister_response(message);
      break;
    case nua_r_invite:
      handler->on_invite_response(message);
      break;
    case nua_r_cancel:
      handler->on_cancel_response(message);
      break;
    case nua_r_bye:
      handler->on_bye_response(message);
      break;
    case nua_r_info:
      handler->on_info_response(message);
      break;
    case nua_i_ack:
      handler->on_ack_received(message);
      break;
    case nua_i_cancel:
      handler->on_cancel_received(message);
      break;
    case nua_i_bye:
      handler->on_bye_received(message);
      break;
    case nua_i_state: {
      int callstate = nua_callstate_init;
      tl_gets(tags, NUTAG_CALLSTATE_REF(callstate), TAG_END());
      handler->on_call_state(callstate, message);
      break;
    }
    case nua_i_invite:
    case nua_i_update:
    case nua_i_info:
    case nua_i_refer:
    case nua_i_notify:
    case nua_i_message:
    case nua_i_options:
    case nua_i_prack:
    case nua_i_subscribe:
      handler->on_request_received(event, message);
      break;
    default:
      spdlog::debug("sip: ignored event {} on handle", nua_event_name(event));
      break;
  }
}

}  // namespace

void nua_event_trampoline(nua_event_t event, int status, char const* phrase, nua_t*,
                          nua_magic_t* magic, nua_handle_t* nh, nua_hmagic_t* hmagic,
                          sip_t const* sip, tagi_t tags[]) noexcept {
  try {
    dispatch(*static_cast<SipStack::Impl*>(magic), event, status, phrase, nh,
             static_cast<NuaHandleHandler*>(hmagic), sip, tags);
  } catch (const std::exception& e) {
    spdlog::error("sip: handling {} failed: {}", nua_event_name(event), e.what());
  } catch (...) {
    spdlog::error("sip: handling {} failed: unknown exception", nua_event_name(event));
  }
}

}  // namespace sipgw::sip
