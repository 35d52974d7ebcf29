#include "gateway/media/media_session.hpp"

#include <glib.h>
#include <spdlog/spdlog.h>
#include <strings.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <optional>
#include <random>

#include "gateway/media/audio_relay.hpp"
#include "gateway/media/dtls_certificate.hpp"
#include "gateway/media/dtls_context.hpp"
#include "gateway/media/dtls_transport.hpp"
#include "gateway/media/glib_timer.hpp"
#include "gateway/media/ice_agent.hpp"
#include "gateway/media/media_worker.hpp"
#include "gateway/media/plain_rtp_transport.hpp"
#include "gateway/media/rtp_header.hpp"
#include "gateway/media/srtp_session.hpp"
#include "protocol/packet_kind.hpp"

namespace sipgw::media {

namespace {

std::atomic<uint64_t> g_next_session_id{1};

struct PbxEndpoint {
  std::string address;
  uint16_t rtp_port = 0;
  uint16_t rtcp_port = 0;
};

// RFC 2543 hold (c=0.0.0.0), and its IPv6 spelling: send nothing.
bool is_hold_address(const std::string& address) {
  return address.empty() || address == "0.0.0.0" || address == "::";
}

// Our SSRC toward the browser (RFC 3550 §8.1: random).
uint32_t random_ssrc() {
  std::random_device random;
  uint32_t ssrc = 0;
  while (ssrc == 0) ssrc = random();
  return ssrc;
}

const char* direction_name(MediaDirection direction) {
  switch (direction) {
    case MediaDirection::sendrecv: return "sendrecv";
    case MediaDirection::sendonly: return "sendonly";
    case MediaDirection::recvonly: return "recvonly";
    case MediaDirection::inactive: return "inactive";
  }
  return "?";
}

}  // namespace

// The session's state. It lives on its worker: every member below `worker-only` is touched only
// there, so the per-packet path (on_ice_packet, on_plain_packet) takes no lock. It is shared by
// the tasks posted to the worker, so that a task queued before close() never runs on freed
// memory; the GLib-facing objects (ICE agent, DTLS, sockets) are destroyed only on the worker.
class MediaSessionCore final : public IceAgent::Listener,
                               public DtlsTransport::Listener,
                               public PlainRtpTransport::Listener {
 public:
  MediaSessionCore(MediaWorker& worker, MediaConfig config,
                   std::shared_ptr<const DtlsCertificate> certificate, MediaCallbacks callbacks)
      : id_(g_next_session_id.fetch_add(1, std::memory_order_relaxed)),
        worker_(worker),
        config_(std::move(config)),
        certificate_(std::move(certificate)),
        callbacks_(std::move(callbacks)),
        relay_(random_ssrc()) {}

  ~MediaSessionCore() override {
    // close() always tears down on the worker first; this only frees what nothing refers to.
  }

  // ---- worker thread ----

  // Answerer mode: the browser offered (it controls ICE, RFC 8445 §6.1.1).
  void start(RemoteWebRtcParameters remote) {
    if (terminal_) return;
    if (started_) {
      spdlog::warn("media[{}]: start called twice; ignored", id_);
      return;
    }
    started_ = true;
    if (!accept_remote(std::move(remote))) return;
    if (!allocate(false)) return;
    apply_remote();
    arm_ice_deadline();
    // May emit candidate-gathering-done (hence on_ready) before it returns.
    if (!ice_->gather()) fail("ICE gathering could not start");
  }

  // Offerer mode: we offer, so we control ICE; the browser's parameters come with its answer.
  void start_offer() {
    if (terminal_) return;
    if (started_) {
      spdlog::warn("media[{}]: start_offer called after start; ignored", id_);
      return;
    }
    started_ = true;
    offerer_ = true;
    if (!allocate(true)) return;
    // No ICE deadline yet: the browser's user may let it ring; it starts with the answer.
    if (!ice_->gather()) fail("ICE gathering could not start");
  }

  void set_remote_answer(RemoteWebRtcParameters remote) {
    if (terminal_) return;
    if (!offerer_ || !ice_ || remote_set_) {
      spdlog::warn("media[{}]: set_remote_answer without start_offer, or twice; ignored", id_);
      return;
    }
    if (!accept_remote(std::move(remote))) return;
    apply_remote();
    arm_ice_deadline();
  }

  void add_remote_candidate(const std::string& candidate) {
    if (terminal_) return;
    if (!ice_ || !remote_set_) {
      pending_candidates_.push_back(candidate);  // before the remote credentials: kept
      return;
    }
    ice_->add_remote_candidate(candidate);
  }

  void set_pbx_endpoint(PbxEndpoint endpoint) {
    if (terminal_) return;
    if (!plain_) {
      pending_pbx_ = std::move(endpoint);
      return;
    }
    apply_pbx_endpoint(endpoint);
  }

  void set_negotiated_audio(const NegotiatedAudio& audio) {
    if (terminal_) return;
    relay_.set_negotiated(audio);
    spdlog::debug("media[{}]: negotiated audio: telephone-event pbx {} browser {} @{}, CN pbx {} "
                  "browser {}, clock {}, ptime {}",
                  id_, audio.pbx_telephone_event_pt, audio.browser_telephone_event_pt,
                  audio.telephone_event_clock, audio.pbx_accepts_cn, audio.browser_accepts_cn,
                  audio.audio_clock, audio.ptime_ms);
  }

  void set_direction(MediaDirection direction) {
    if (terminal_) return;
    const bool expected_before = relay_.expects_pbx_media();
    relay_.set_direction(direction);
    if (!expected_before && relay_.expects_pbx_media()) restart_rtp_watch();
    spdlog::debug("media[{}]: PBX direction {}", id_, direction_name(direction));
  }

  void set_muted(bool muted) {
    if (terminal_) return;
    relay_.set_muted(muted);
    spdlog::debug("media[{}]: {}", id_, muted ? "muted" : "unmuted");
  }

  void send_dtmf(char digit, uint32_t duration_ms) {
    if (terminal_) return;
    if (relay_.negotiated().pbx_telephone_event_pt < 0) {
      spdlog::warn("media[{}]: DTMF '{}' dropped: telephone-event not negotiated with the PBX",
                   id_, digit);
      return;
    }
    if (!relay_.queue_dtmf(digit, duration_ms)) {
      spdlog::warn("media[{}]: DTMF '{}' dropped (not 0-9 * # A-D, or {} digits queued)", id_,
                   digit, TelephoneEventSender::kMaxQueued);
      return;
    }
    if (!dtmf_timer_.active()) {
      dtmf_timer_.start(worker_.context(), relay_.dtmf_interval_ms(),
                        &MediaSessionCore::on_dtmf_timer, this);
      dtmf_tick();  // the first packet goes now
    }
  }


  // Stops every callback at once; frees the GLib-facing objects now, or right after the current
  // dispatch when called from inside one of this session's callbacks.
  void teardown() {
    if (closed_) return;
    closed_ = true;
    terminal_ = true;  // from here on no callback runs and no media flows
    if (dispatch_depth_ > 0) {
      // Inside one of our callbacks (maybe the owner's own callback, whose std::function must
      // not be destroyed while it runs): free everything once the dispatch has unwound.
      worker_.post([self = shared_from_this_()] { self->release_resources(); });
      return;
    }
    release_resources();
  }

  void release_resources() {
    callbacks_ = {};  // releases whatever the owner captured (breaks reference cycles)
    cancel_ice_deadline();
    stop_timers();
    relay_.clear_dtmf();  // queued digits are discarded
    if (dtls_) dtls_->shutdown();  // close_notify through ICE, before the agent goes
    dtls_.reset();
    srtp_in_.reset();
    srtp_out_.reset();
    ice_.reset();
    plain_.reset();
    dtls_context_.reset();
    spdlog::debug("media[{}]: closed (rtp b->p {} p->b {}, rtcp b->p {} p->b {}, srtp errors {}, "
                  "dropped before DTLS {})",
                  id_, stats_.browser_to_pbx_rtp.load(std::memory_order_relaxed),
                  stats_.pbx_to_browser_rtp.load(std::memory_order_relaxed),
                  stats_.browser_to_pbx_rtcp.load(std::memory_order_relaxed),
                  stats_.pbx_to_browser_rtcp.load(std::memory_order_relaxed),
                  stats_.srtp_errors.load(std::memory_order_relaxed),
                  stats_.dropped_before_dtls.load(std::memory_order_relaxed));
  }

  // ---- any thread ----

  MediaStats stats() const {
    MediaStats out;
    out.browser_to_pbx_rtp = stats_.browser_to_pbx_rtp.load(std::memory_order_relaxed);
    out.pbx_to_browser_rtp = stats_.pbx_to_browser_rtp.load(std::memory_order_relaxed);
    out.browser_to_pbx_rtcp = stats_.browser_to_pbx_rtcp.load(std::memory_order_relaxed);
    out.pbx_to_browser_rtcp = stats_.pbx_to_browser_rtcp.load(std::memory_order_relaxed);
    out.srtp_errors = stats_.srtp_errors.load(std::memory_order_relaxed);
    out.dropped_before_dtls = stats_.dropped_before_dtls.load(std::memory_order_relaxed);
    out.dropped_no_pbx_endpoint = stats_.dropped_no_pbx_endpoint.load(std::memory_order_relaxed);
    const auto& relay = relay_.counters();
    out.dropped_muted = relay.dropped_muted.load(std::memory_order_relaxed);
    out.dropped_cn = relay.dropped_cn.load(std::memory_order_relaxed);
    out.pbx_ssrc_changes = relay.pbx_ssrc_changes.load(std::memory_order_relaxed);
    out.dtmf_events_sent = relay.dtmf_events_sent.load(std::memory_order_relaxed);
    out.dtmf_events_received = relay.dtmf_events_received.load(std::memory_order_relaxed);
    return out;
  }

  uint64_t id() const noexcept { return id_; }
  void set_self(const std::shared_ptr<MediaSessionCore>& self) { self_ = self; }

 private:
  struct Counters {
    std::atomic<uint64_t> browser_to_pbx_rtp{0};
    std::atomic<uint64_t> pbx_to_browser_rtp{0};
    std::atomic<uint64_t> browser_to_pbx_rtcp{0};
    std::atomic<uint64_t> pbx_to_browser_rtcp{0};
    std::atomic<uint64_t> srtp_errors{0};
    std::atomic<uint64_t> dropped_before_dtls{0};
    std::atomic<uint64_t> dropped_no_pbx_endpoint{0};
  };

  // Counts the callbacks this session is inside, so that a close() from one of them defers
  // freeing the objects on the stack below it.
  struct Dispatch {
    explicit Dispatch(MediaSessionCore& core) : core_(core) { ++core_.dispatch_depth_; }
    ~Dispatch() { --core_.dispatch_depth_; }
    MediaSessionCore& core_;
  };

  static void bump(std::atomic<uint64_t>& counter) {
    counter.fetch_add(1, std::memory_order_relaxed);
  }

  std::shared_ptr<MediaSessionCore> shared_from_this_() { return self_.lock(); }

  // Validates and keeps the browser's ICE/DTLS parameters.
  bool accept_remote(RemoteWebRtcParameters remote) {
    remote_ = std::move(remote);
    if (g_ascii_strcasecmp(remote_.fingerprint_algorithm.c_str(), "sha-256") != 0) {
      fail("unsupported DTLS fingerprint algorithm '" + remote_.fingerprint_algorithm +
           "' (only sha-256)");
      return false;
    }
    if (remote_.fingerprint.empty() || remote_.ice_ufrag.empty() || remote_.ice_pwd.empty()) {
      fail(std::string("browser ") + (offerer_ ? "answer" : "offer") +
           " lacks a DTLS fingerprint or ICE credentials");
      return false;
    }
    return true;
  }

  // The DTLS context, the PBX-side sockets and the ICE agent.
  bool allocate(bool controlling) {
    try {
      dtls_context_ = DtlsContext::for_certificate(certificate_);
      plain_ = std::make_unique<PlainRtpTransport>(worker_.context(), config_.plain_address,
                                                   config_.port_min, config_.port_max,
                                                   SrtpSession::kMaxTrailer, *this);
      if (pending_pbx_) apply_pbx_endpoint(*pending_pbx_);
      IceAgent::Options options;
      options.local_addresses = config_.ice_addresses;
      options.port_min = config_.port_min;
      options.port_max = config_.port_max;
      options.controlling = controlling;
      ice_ = std::make_unique<IceAgent>(worker_.context(), options, *this);
    } catch (const std::exception& e) {
      fail(std::string("media allocation failed: ") + e.what());
      return false;
    }
    spdlog::debug("media[{}]: started as {}, PBX side {}:{}", id_, controlling ? "offerer" : "answerer",
                  plain_->address(), plain_->rtp_port());
    if (config_.rtp_timeout_ms > 0) {
      const uint32_t interval = std::clamp<uint32_t>(config_.rtp_timeout_ms / 4, 20, 1000);
      rtp_watch_.start(worker_.context(), interval, &MediaSessionCore::on_rtp_watch, this);
    }
    return true;
  }

  // Remote credentials and the candidates right after the stream exists (libnice pairs them
  // with local candidates as they are gathered), then trickled ones received early.
  void apply_remote() {
    remote_set_ = true;
    ice_->set_remote_credentials(remote_.ice_ufrag, remote_.ice_pwd);
    size_t accepted = 0;
    for (const auto& candidate : remote_.candidates) accepted += ice_->add_remote_candidate(candidate);
    for (const auto& candidate : pending_candidates_) accepted += ice_->add_remote_candidate(candidate);
    pending_candidates_.clear();
    spdlog::debug("media[{}]: {} remote parameters, {} candidate(s) accepted, ICE {}, DTLS {}, "
                  "PBX side {}:{}",
                  id_, offerer_ ? "answer" : "offer", accepted,
                  offerer_ ? "controlling" : "controlled",
                  remote_.dtls_client ? "client" : "server", plain_->address(),
                  plain_->rtp_port());
  }

  void arm_ice_deadline() {
    cancel_ice_deadline();
    ice_deadline_ = g_timeout_source_new(config_.ice_timeout_ms);
    g_source_set_callback(ice_deadline_, &MediaSessionCore::on_ice_deadline, this, nullptr);
    g_source_attach(ice_deadline_, worker_.context());
  }

  void apply_pbx_endpoint(const PbxEndpoint& endpoint) {
    latched_rtp_ = latched_rtcp_ = false;  // a new endpoint may be latched again
    if (is_hold_address(endpoint.address)) {
      plain_->clear_remote();
      pbx_endpoint_set_ = true;
      on_hold_ = true;
      spdlog::debug("media[{}]: PBX endpoint {}: hold, nothing is sent", id_, endpoint.address);
      return;
    }
    if (!plain_->set_remote(endpoint.address, endpoint.rtp_port, endpoint.rtcp_port)) {
      spdlog::warn("media[{}]: PBX endpoint '{}' is not a numeric address; ignored", id_,
                   endpoint.address);
      return;
    }
    pbx_endpoint_set_ = true;
    on_hold_ = false;
    restart_rtp_watch();
    spdlog::debug("media[{}]: PBX endpoint {} rtp {} rtcp {}", id_, endpoint.address,
                  endpoint.rtp_port, endpoint.rtcp_port);
  }

  // ---- RTP timeout ----

  bool rtp_watch_armed() const {
    return config_.rtp_timeout_ms > 0 && !on_hold_ && relay_.expects_pbx_media() &&
           (pbx_endpoint_set_ || pbx_rtp_seen_);
  }

  void restart_rtp_watch() {
    rtp_silence_from_us_ = g_get_monotonic_time();
    rtp_timed_out_ = false;
  }

  static bool on_rtp_watch(void* data) {
    auto* self = static_cast<MediaSessionCore*>(data);
    try {
      Dispatch dispatch(*self);
      if (self->terminal_) return false;
      if (!self->rtp_watch_armed() || self->rtp_timed_out_) return true;
      const int64_t silent_us = g_get_monotonic_time() - self->rtp_silence_from_us_;
      if (silent_us < int64_t{self->config_.rtp_timeout_ms} * 1000) return true;
      self->rtp_timed_out_ = true;  // once, until media resumes
      spdlog::info("media[{}]: no RTP from the PBX for {} ms", self->id_, silent_us / 1000);
      self->notify("on_rtp_timeout", [&] {
        if (self->callbacks_.on_rtp_timeout) self->callbacks_.on_rtp_timeout();
      });
    } catch (...) {
      spdlog::error("media: RTP watch callback threw");
    }
    return true;
  }

  // ---- DTMF toward the PBX ----

  static bool on_dtmf_timer(void* data) {
    auto* self = static_cast<MediaSessionCore*>(data);
    try {
      Dispatch dispatch(*self);
      return self->dtmf_tick();
    } catch (...) {
      spdlog::error("media: DTMF timer threw");
    }
    return false;
  }

  // Sends the packet due now, if any; false when the sender has nothing left.
  bool dtmf_tick() {
    if (terminal_ || !plain_) return false;
    TelephoneEventSender::Packet packet;
    const uint64_t dropped = relay_.dtmf_sender().dropped_no_pt();
    if (relay_.dtmf_tick(g_get_monotonic_time(), packet) && plain_->has_remote())
      plain_->send_rtp(packet.bytes.data(), packet.size);
    if (relay_.dtmf_sender().dropped_no_pt() != dropped)
      spdlog::warn("media[{}]: queued DTMF digit dropped: telephone-event no longer negotiated",
                   id_);
    if (relay_.dtmf_busy()) return true;
    dtmf_timer_.stop();
    return false;
  }

  void stop_timers() {
    rtp_watch_.stop();
    dtmf_timer_.stop();
  }

  // Runs one owner callback: never after a terminal event or close, never lets an exception out.
  template <typename Invoke>
  void notify(const char* what, Invoke&& invoke) {
    if (terminal_) return;
    try {
      invoke();
    } catch (const std::exception& e) {
      spdlog::error("media[{}]: {} callback threw: {}", id_, what, e.what());
    } catch (...) {
      spdlog::error("media[{}]: {} callback threw", id_, what);
    }
  }

  void fail(const std::string& reason) {
    if (terminal_) return;
    spdlog::debug("media[{}]: failed: {}", id_, reason);
    cancel_ice_deadline();
    stop_timers();
    auto on_failed = callbacks_.on_failed;
    terminal_ = true;  // no further callbacks, no media
    if (!on_failed) return;
    try {
      on_failed(reason);
    } catch (const std::exception& e) {
      spdlog::error("media[{}]: on_failed callback threw: {}", id_, e.what());
    } catch (...) {
      spdlog::error("media[{}]: on_failed callback threw", id_);
    }
  }

  void cancel_ice_deadline() {
    if (!ice_deadline_) return;
    g_source_destroy(ice_deadline_);
    g_source_unref(ice_deadline_);
    ice_deadline_ = nullptr;
  }

  static gboolean on_ice_deadline(gpointer data) {
    auto* self = static_cast<MediaSessionCore*>(data);
    try {
      Dispatch dispatch(*self);
      g_source_unref(self->ice_deadline_);
      self->ice_deadline_ = nullptr;
      self->fail("ICE did not connect within " + std::to_string(self->config_.ice_timeout_ms) +
                 " ms");
    } catch (...) {
      spdlog::error("media: ICE deadline callback threw");
    }
    return G_SOURCE_REMOVE;
  }

  // ---- IceAgent::Listener ----

  void on_ice_gathering_done(const std::string& ufrag, const std::string& pwd,
                             const std::vector<std::string>& candidates) override {
    Dispatch dispatch(*this);
    if (terminal_ || !plain_) return;
    LocalMediaParameters local;
    local.ice_ufrag = ufrag;
    local.ice_pwd = pwd;
    local.candidates = candidates;
    local.plain_address = plain_->address();
    local.plain_rtp_port = plain_->rtp_port();
    local.plain_rtcp_port = plain_->rtcp_port();
    spdlog::debug("media[{}]: ready, {} local candidate(s)", id_, candidates.size());
    notify("on_ready", [&] {
      if (callbacks_.on_ready) callbacks_.on_ready(local);
    });
  }

  void on_ice_connected() override {
    Dispatch dispatch(*this);
    if (terminal_) return;
    cancel_ice_deadline();
    if (dtls_) return;  // the browser's ClientHello came first (we are the DTLS server)
    spdlog::debug("media[{}]: ICE connected", id_);
    start_dtls();
  }

  // RFC 5763 §5 / RFC 8842 §5: a=setup:active is the DTLS client. As answerer we answer active
  // (client); as offerer (actpass) the browser's answer decides.
  void start_dtls() {
    const auto role = remote_.dtls_client ? DtlsTransport::Role::client : DtlsTransport::Role::server;
    try {
      dtls_ = std::make_unique<DtlsTransport>(worker_.context(), dtls_context_, role,
                                              remote_.fingerprint, config_.dtls_timeout_ms, *this);
    } catch (const std::exception& e) {
      fail(std::string("DTLS setup failed: ") + e.what());
      return;
    }
    dtls_->start();
  }

  void on_ice_failed(const std::string& reason) override {
    Dispatch dispatch(*this);
    fail(reason);
  }

  void on_ice_packet(const uint8_t* data, size_t length) override {
    if (terminal_) return;
    Dispatch dispatch(*this);
    switch (protocol::classify_packet(data, length)) {
      case protocol::PacketKind::dtls:
        // As DTLS server, the browser's ClientHello may beat our own ICE "connected".
        if (!dtls_ && remote_set_ && !remote_.dtls_client) start_dtls();
        if (dtls_) dtls_->receive(data, length);
        return;
      case protocol::PacketKind::rtp:
        forward_to_pbx(false, data, length);
        return;
      case protocol::PacketKind::rtcp:
        forward_to_pbx(true, data, length);
        return;
      case protocol::PacketKind::stun:  // libnice consumes STUN itself
      case protocol::PacketKind::unknown:
        return;
    }
  }

  void forward_to_pbx(bool rtcp, const uint8_t* data, size_t length) {
    if (!srtp_in_) {
      bump(stats_.dropped_before_dtls);
      return;
    }
    if (length > packet_.size()) return;
    // libnice's buffer is not ours to modify: unprotect a copy.
    std::memcpy(packet_.data(), data, length);
    size_t size = length;
    const bool ok = rtcp ? srtp_in_->unprotect_rtcp(packet_.data(), size)
                         : srtp_in_->unprotect_rtp(packet_.data(), size);
    if (!ok) {
      if (stats_.srtp_errors.fetch_add(1, std::memory_order_relaxed) == 0)
        spdlog::debug("media[{}]: first SRTP unprotect failure ({})", id_, srtp_in_->last_error());
      return;
    }
    if (!plain_->has_remote()) {
      if (!rtcp && on_hold_ && RtpHeader(packet_.data(), size).valid())
        relay_.browser_rtp_dropped(packet_.data(), size, g_get_monotonic_time());
      if (!pbx_endpoint_set_) bump(stats_.dropped_no_pbx_endpoint);
      return;
    }
    if (rtcp) {
      relay_.browser_rtcp(packet_.data(), size);
      if (plain_->send_rtcp(packet_.data(), size)) bump(stats_.browser_to_pbx_rtcp);
    } else {
      if (!relay_.browser_rtp(packet_.data(), size, g_get_monotonic_time())) return;
      if (plain_->send_rtp(packet_.data(), size)) bump(stats_.browser_to_pbx_rtp);
    }
  }

  // ---- PlainRtpTransport::Listener ----

  void on_plain_packet(bool rtcp_socket, uint8_t* data, size_t length,
                       size_t capacity) override {
    if (terminal_) return;
    Dispatch dispatch(*this);
    // Classify by content (RFC 5761): a PBX that muxes RTCP onto the RTP port is handled too.
    const auto kind = protocol::classify_packet(data, length);
    if (kind != protocol::PacketKind::rtp && kind != protocol::PacketKind::rtcp) return;
    const bool rtcp = kind == protocol::PacketKind::rtcp;
    if (!rtcp && !RtpHeader(data, length).valid()) return;
    latch(rtcp_socket);
    const int64_t now_us = g_get_monotonic_time();
    if (!rtcp) {
      pbx_rtp_seen_ = true;
      rtp_silence_from_us_ = now_us;
      rtp_timed_out_ = false;  // media resumed: the timeout is armed again
    }

    size_t size = length;
    if (rtcp) {
      size = relay_.pbx_rtcp(data, size);
      if (size == 0) return;
    } else {
      std::optional<TelephoneEventDetector::Detected> dtmf;
      const bool forward = relay_.pbx_rtp(data, size, now_us, dtmf);
      if (dtmf) {
        spdlog::debug("media[{}]: DTMF '{}' ({} ms) from the PBX", id_, dtmf->digit,
                      dtmf->duration_ms);
        notify("on_dtmf", [&] {
          if (callbacks_.on_dtmf) callbacks_.on_dtmf(dtmf->digit, dtmf->duration_ms);
        });
        if (terminal_) return;
      }
      if (!forward) return;
    }
    // Pitfall 2: no media toward the browser before the DTLS handshake is done.
    if (!srtp_out_ || !ice_) {
      bump(stats_.dropped_before_dtls);
      return;
    }
    const bool ok = rtcp ? srtp_out_->protect_rtcp(data, size, capacity)
                         : srtp_out_->protect_rtp(data, size, capacity);
    if (!ok) {
      if (stats_.srtp_errors.fetch_add(1, std::memory_order_relaxed) == 0)
        spdlog::debug("media[{}]: first SRTP protect failure ({})", id_, srtp_out_->last_error());
      return;
    }
    if (ice_->send(data, size)) bump(rtcp ? stats_.pbx_to_browser_rtcp : stats_.pbx_to_browser_rtp);
  }

  // Symmetric RTP (comedia, pitfall 18): the first packet on each socket after
  // set_pbx_endpoint fixes where that socket sends, even if the SDP said otherwise (NAT).
  void latch(bool rtcp_socket) {
    bool& latched = rtcp_socket ? latched_rtcp_ : latched_rtp_;
    if (latched || !config_.symmetric_rtp || on_hold_ || !plain_->has_remote()) return;
    latched = true;
    const std::string before = plain_->remote_string(rtcp_socket);
    if (plain_->latch_to_current_source(rtcp_socket))
      spdlog::info("media[{}]: PBX {} comes from {}, not {} (SDP): latched", id_,
                   rtcp_socket ? "RTCP" : "RTP", plain_->remote_string(rtcp_socket), before);
  }

  // ---- DtlsTransport::Listener ----

  void on_dtls_send(const uint8_t* data, size_t length) override {
    if (ice_) ice_->send(data, length);
  }

  void on_dtls_connected(SrtpProfile profile, const DtlsSrtpKeys& keys) override {
    Dispatch dispatch(*this);
    if (terminal_) return;
    const bool client = dtls_->role() == DtlsTransport::Role::client;
    try {
      srtp_in_ = std::make_unique<SrtpSession>(
          profile, SrtpSession::Direction::inbound, client ? keys.server_write : keys.client_write);
      srtp_out_ = std::make_unique<SrtpSession>(
          profile, SrtpSession::Direction::outbound, client ? keys.client_write : keys.server_write);
    } catch (const std::exception& e) {
      srtp_in_.reset();
      srtp_out_.reset();
      fail(std::string("SRTP setup failed: ") + e.what());
      return;
    }
    spdlog::debug("media[{}]: connected ({})", id_, srtp_profile_name(profile));
    notify("on_connected", [&] {
      if (callbacks_.on_connected) callbacks_.on_connected();
    });
  }

  void on_dtls_failed(const std::string& reason) override {
    Dispatch dispatch(*this);
    fail(reason);
  }

  const uint64_t id_;
  MediaWorker& worker_;
  const MediaConfig config_;
  const std::shared_ptr<const DtlsCertificate> certificate_;
  std::weak_ptr<MediaSessionCore> self_;
  Counters stats_;

  // worker-only
  MediaCallbacks callbacks_;
  RemoteWebRtcParameters remote_;
  std::vector<std::string> pending_candidates_;
  std::optional<PbxEndpoint> pending_pbx_;
  std::shared_ptr<DtlsContext> dtls_context_;
  std::unique_ptr<PlainRtpTransport> plain_;
  std::unique_ptr<IceAgent> ice_;
  std::unique_ptr<DtlsTransport> dtls_;
  std::unique_ptr<SrtpSession> srtp_in_;
  std::unique_ptr<SrtpSession> srtp_out_;
  AudioRelay relay_;
  GSource* ice_deadline_ = nullptr;
  GlibTimer rtp_watch_;
  GlibTimer dtmf_timer_;
  int64_t rtp_silence_from_us_ = 0;  // last PBX RTP, or when the watch was (re)armed
  bool rtp_timed_out_ = false;
  bool pbx_rtp_seen_ = false;
  bool pbx_endpoint_set_ = false;
  bool on_hold_ = false;            // PBX endpoint 0.0.0.0
  bool latched_rtp_ = false;
  bool latched_rtcp_ = false;
  bool offerer_ = false;
  bool remote_set_ = false;
  bool started_ = false;
  bool terminal_ = false;  // failed or closed: no callback, no media
  bool closed_ = false;
  int dispatch_depth_ = 0;
  std::array<uint8_t, PlainRtpTransport::kMaxDatagram + SrtpSession::kMaxTrailer> packet_{};
};

struct MediaSession::Impl {
  MediaWorker& worker;
  std::shared_ptr<MediaSessionCore> core;
  std::atomic<bool> closed{false};
};

std::shared_ptr<MediaSession> MediaSession::create(
    MediaWorker& worker, MediaConfig config, std::shared_ptr<const DtlsCertificate> certificate,
    MediaCallbacks callbacks) {
  if (!certificate) throw std::invalid_argument("MediaSession: no DTLS certificate");
  auto core = std::make_shared<MediaSessionCore>(worker, std::move(config), std::move(certificate),
                                                 std::move(callbacks));
  core->set_self(core);
  auto impl = std::unique_ptr<Impl>(new Impl{worker, std::move(core)});
  return std::shared_ptr<MediaSession>(new MediaSession(std::move(impl)));
}

MediaSession::MediaSession(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MediaSession::~MediaSession() { close(); }

void MediaSession::start(RemoteWebRtcParameters remote) {
  impl_->worker.post([core = impl_->core, remote = std::move(remote)]() mutable {
    core->start(std::move(remote));
  });
}

void MediaSession::start_offer() {
  impl_->worker.post([core = impl_->core] { core->start_offer(); });
}

void MediaSession::set_remote_answer(RemoteWebRtcParameters remote) {
  impl_->worker.post([core = impl_->core, remote = std::move(remote)]() mutable {
    core->set_remote_answer(std::move(remote));
  });
}

void MediaSession::add_remote_candidate(std::string candidate) {
  impl_->worker.post([core = impl_->core, candidate = std::move(candidate)] {
    core->add_remote_candidate(candidate);
  });
}

void MediaSession::set_pbx_endpoint(std::string address, uint16_t rtp_port, uint16_t rtcp_port) {
  impl_->worker.post([core = impl_->core, endpoint = PbxEndpoint{std::move(address), rtp_port,
                                                                 rtcp_port}]() mutable {
    core->set_pbx_endpoint(std::move(endpoint));
  });
}

void MediaSession::set_negotiated_audio(NegotiatedAudio audio) {
  impl_->worker.post([core = impl_->core, audio] { core->set_negotiated_audio(audio); });
}

void MediaSession::set_direction(MediaDirection direction) {
  impl_->worker.post([core = impl_->core, direction] { core->set_direction(direction); });
}

void MediaSession::set_muted(bool muted) {
  impl_->worker.post([core = impl_->core, muted] { core->set_muted(muted); });
}

void MediaSession::send_dtmf(char digit, uint32_t duration_ms) {
  impl_->worker.post([core = impl_->core, digit, duration_ms] {
    core->send_dtmf(digit, duration_ms);
  });
}

void MediaSession::close() {
  if (impl_->closed.exchange(true)) return;
  if (impl_->worker.is_current()) {
    impl_->core->teardown();
    return;
  }
  impl_->worker.post([core = impl_->core] { core->teardown(); });
  impl_->worker.barrier();
}

MediaStats MediaSession::stats() const { return impl_->core->stats(); }

}  // namespace sipgw::media
