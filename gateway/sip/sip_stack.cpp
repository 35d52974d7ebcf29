// SipStack: the SIP thread's lifecycle (su_root + one nua), handle bookkeeping and the
// handling of requests that belong to no handle of ours.
#include "gateway/sip/sip_stack.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

#include "gateway/sip/sip_call.hpp"
#include "gateway/sip/sip_incoming_call.hpp"
#include "gateway/sip/sip_registration.hpp"
#include "gateway/sip/sip_stack_impl.hpp"
#include "gateway/sip/sofia_log.hpp"

namespace sipgw::sip {
namespace {

// nua reports completion of nua_shutdown itself (after BYEs / un-REGISTERs are answered or
// time out); this is only a bound in case it never does.
constexpr su_duration_t kShutdownCapMs = 40'000;

std::string host_for_uri(const std::string& host) {
  if (host.find(':') != std::string::npos && host.front() != '[') return "[" + host + "]";
  return host;
}

// Port 0 means "any free port": sofia has no way to report the port it bound, so we find a
// free one first (the tiny race with another process is acceptable for this use).
uint16_t pick_free_udp_port(const std::string& address) {
  const bool v6 = address.find(':') != std::string::npos;
  const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_storage ss{};
  socklen_t len;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    if (::inet_pton(AF_INET6, address.c_str(), &a->sin6_addr) != 1) {
      ::close(fd);
      throw std::runtime_error("bad bind address " + address);
    }
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    if (::inet_pton(AF_INET, address.c_str(), &a->sin_addr) != 1) {
      ::close(fd);
      throw std::runtime_error("bad bind address " + address);
    }
    len = sizeof *a;
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot bind UDP on " + address);
  }
  ::close(fd);
  return ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                  : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// SipStack::Impl

SipStack::Impl::Impl(SipConfig c, Post p)
    : config(std::move(c)),
      post(std::move(p)),
      advertised(config.advertised_address.empty() ? config.bind_address
                                                   : config.advertised_address) {}

void SipStack::Impl::post_to_control(std::function<void()> deliver) {
  if (stopping || !post) return;
  try {
    post(std::move(deliver));
  } catch (const std::exception& e) {
    spdlog::error("sip: post to control thread failed: {}", e.what());
  }
}

void SipStack::Impl::adopt(const std::shared_ptr<NuaHandleHandler>& handler) {
  live.emplace(handler.get(), handler);
}

void SipStack::Impl::release(NuaHandleHandler* handler) { live.erase(handler); }

su_timer_t* SipStack::Impl::create_timer() const {
  return root ? su_timer_create(su_root_task(root), 0) : nullptr;
}

void SipStack::Impl::start() {
  std::lock_guard lock(lifecycle_mutex);
  if (started) return;
  const bool trace = configure_sofia_logging();
  (void)trace;
  const uint16_t port = config.port ? config.port : pick_free_udp_port(config.bind_address);
  bound_port = port;
  std::promise<void> ready;
  auto ready_future = ready.get_future();
  thread = std::thread([this, &ready] { thread_main(&ready); });
  try {
    ready_future.get();
  } catch (...) {
    thread.join();
    bound_port = 0;
    throw;
  }
  started = true;
}

void SipStack::Impl::thread_main(std::promise<void>* ready) {
  su_init();
  home = static_cast<su_home_t*>(su_home_new(sizeof(su_home_t)));
  root = su_root_create(nullptr);
  if (root) su_root_threading(root, 0);  // nua's stack runs on this thread: no hidden clone

  std::string url = "sip:" + host_for_uri(advertised) + ":" + std::to_string(bound_port.load());
  if (advertised != config.bind_address) url += ";maddr=" + config.bind_address;
  url += ";transport=udp";

  std::exception_ptr failure;
  try {
    if (!root) throw std::runtime_error("su_root_create failed");
    queue.attach(root);
    const bool trace = configure_sofia_logging();
    nua = nua_create(root, &nua_event_trampoline, static_cast<nua_magic_t*>(this),
                     NUTAG_URL(url.c_str()), NUTAG_MEDIA_ENABLE(0), NUTAG_AUTOACK(1),
                     NUTAG_AUTOALERT(0), NUTAG_AUTOANSWER(0), NUTAG_ENABLEMESSAGE(0),
                     NUTAG_OUTBOUND("no-options-keepalive, no-validate, no-natify"),
                     NUTAG_KEEPALIVE(0), SIPTAG_USER_AGENT_STR(config.user_agent.c_str()),
                     // Pitfall 15: UPDATE must never get 501/405; INFO carries DTMF.
                     SIPTAG_ALLOW_STR("INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO"),
                     // We answer UPDATE ourselves (an offer in it needs our SDP); nua still
                     // answers BYE, CANCEL, PRACK, OPTIONS.
                     NUTAG_APPL_METHOD("UPDATE"), NUTAG_APPL_METHOD("INFO"),
                     // RFC 4028: ask the PBX to refresh (we answer its re-INVITE/UPDATE); if we
                     // must refresh, nua uses UPDATE without SDP where the PBX allows it,
                     // since nua without soa cannot answer the offer of a 200 to an SDP-less
                     // re-INVITE.
                     NUTAG_SESSION_REFRESHER(nua_remote_refresher), NUTAG_UPDATE_REFRESH(1),
                     // Accept any interval RFC 4028 allows (its floor is 90 s; nua's default
                     // Min-SE of 120 s would 422 a PBX asking 90 s).
                     NUTAG_MIN_SE(90),
                     TPTAG_LOG(trace), TAG_END());
    if (!nua) throw std::runtime_error("cannot bind SIP/UDP socket " + url);
    spdlog::info("sip: listening on {}", url);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    queue.close();
    if (root) su_root_destroy(root);
    root = nullptr;
    su_home_unref(home);
    home = nullptr;
    su_deinit();
    ready->set_exception(failure);
    return;
  }
  ready->set_value();

  su_root_run(root);

  queue.close();
  if (shutdown_done) {
    nua_destroy(nua);
  } else {
    spdlog::warn("sip: nua shutdown did not complete; leaking the nua object");
  }
  nua = nullptr;
  if (shutdown_timer) su_timer_destroy(shutdown_timer);
  shutdown_timer = nullptr;
  su_root_destroy(root);
  root = nullptr;
  su_home_unref(home);
  home = nullptr;
  su_deinit();
}

void SipStack::Impl::stop() {
  std::lock_guard lock(lifecycle_mutex);
  if (!started) return;
  started = false;
  if (!queue.push([this] { begin_shutdown(); })) return;
  if (thread.joinable()) thread.join();
}

void SipStack::Impl::begin_shutdown() {
  if (stopping) return;
  stopping = true;
  // nua_shutdown sends BYE for live calls and un-REGISTERs live registrations.
  nua_shutdown(nua);
  shutdown_timer = create_timer();
  if (shutdown_timer) {
    su_timer_set_interval(
        shutdown_timer,
        [](su_root_magic_t*, su_timer_t*, su_timer_arg_t* arg) {
          spdlog::warn("sip: shutdown timed out");
          static_cast<Impl*>(static_cast<void*>(arg))->finish_shutdown();
        },
        static_cast<su_timer_arg_t*>(static_cast<void*>(this)), kShutdownCapMs);
  }
}

void SipStack::Impl::on_shutdown_response(int status) {
  if (status < 200) return;
  shutdown_done = true;
  finish_shutdown();
}

void SipStack::Impl::finish_shutdown() {
  if (!root || live_released) return;
  live_released = true;
  auto handlers = std::move(live);
  live.clear();
  for (auto& [raw, handler] : handlers) handler->on_stack_shutdown();
  su_root_break(root);
}

void SipStack::Impl::on_unsolicited(nua_event_t event, int status, nua_handle_t* nh,
                                    int callstate, const sip_t* sip) {
  if (!nh) return;
  switch (event) {
    case nua_i_invite:
      // An initial INVITE: the incoming-call handler gets it (or it is answered 480; the
      // handle is then destroyed when its session ends, below).
      if (status < 200) accept_incoming_invite(*this, nh, sip);
      return;
    case nua_i_state:
      // A handle nobody took (480 above): its session ends in `terminated`, or back in `init`
      // after a non-2xx final.
      if (callstate == nua_callstate_terminated || callstate == nua_callstate_init)
        nua_handle_destroy(nh);
      return;
    case nua_i_cancel:
    case nua_i_ack:
    case nua_i_prack:
      return;  // belong to the INVITE handled above
    case nua_i_options:
    case nua_i_refer:
    case nua_i_publish:
    case nua_i_info:
    case nua_i_update:
    case nua_i_message:
    case nua_i_chat:
    case nua_i_subscribe:
    case nua_i_notify:
    case nua_i_method:
    case nua_i_bye:
      // Any other out-of-dialog request: answer it if nua left that to us, then drop the handle.
      if (status < 200) nua_respond(nh, SIP_501_NOT_IMPLEMENTED, NUTAG_WITH_THIS(nua), TAG_END());
      nua_handle_destroy(nh);
      return;
    default:
      return;
  }
}

// ---------------------------------------------------------------------------------------------
// SipStack

SipStack::SipStack(SipConfig config, Post post_to_control)
    : impl_(std::make_shared<Impl>(std::move(config), std::move(post_to_control))) {}

SipStack::~SipStack() { stop(); }

void SipStack::start() { impl_->start(); }

void SipStack::stop() { impl_->stop(); }

uint16_t SipStack::port() const noexcept { return impl_->bound_port; }

std::shared_ptr<SipRegistration> SipStack::register_account(
    const Account& account, const std::string& contact_user,
    std::function<void(const RegistrationEvent&)> on_event) {
  return start_registration(impl_, account, contact_user, std::move(on_event));
}

std::shared_ptr<SipCall> SipStack::invite(const Account& account, const std::string& contact_user,
                                          const std::string& target_uri,
                                          const std::string& sdp_offer,
                                          std::function<void(const CallEvent&)> on_event) {
  return start_call(impl_, account, contact_user, target_uri, sdp_offer, std::move(on_event));
}

void SipStack::set_incoming_call_handler(IncomingCallHandler handler) {
  impl_->set_incoming_handler(std::move(handler));
}

}  // namespace sipgw::sip
