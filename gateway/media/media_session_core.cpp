// MediaSessionCore, control side: start (answerer or offerer), the browser's answer and trickled
// candidates, the PBX endpoint, negotiated audio, hold/direction, mute and DTMF toward the PBX;
// the RTP timeout; failure and teardown. The browser leg's setup is in
// media_session_browser_leg.cpp, the per-packet relay in media_session_relay.cpp.
//
// Threads: the session's media worker, except stats() (any thread).
#include "gateway/media/media_session_core.hpp"

#include <glib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <random>

#include "gateway/media/dtls_certificate.hpp"
#include "gateway/media/dtls_context.hpp"
#include "gateway/media/media_worker.hpp"

namespace sipgw::media {

namespace {

std::atomic<uint64_t> g_next_session_id{1};

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

MediaSessionCore::MediaSessionCore(MediaWorker& worker, MediaConfig config,
                                   std::shared_ptr<const DtlsCertificate> certificate,
                                   MediaCallbacks callbacks)
    : id_(g_next_session_id.fetch_add(1, std::memory_order_relaxed)),
      worker_(worker),
      config_(std::move(config)),
      certificate_(std::move(certificate)),
      callbacks_(std::move(callbacks)),
      relay_(random_ssrc()) {}

MediaSessionCore::~MediaSessionCore() {
  // close() always tears down on the worker first; this only frees what nothing refers to.
}

// ---- worker thread ----

// Answerer mode: the browser offered (it controls ICE, RFC 8445 §6.1.1).
void MediaSessionCore::start(RemoteWebRtcParameters remote) {
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
void MediaSessionCore::start_offer() {
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

void MediaSessionCore::set_remote_answer(RemoteWebRtcParameters remote) {
  if (terminal_) return;
  if (!offerer_ || !ice_ || remote_set_) {
    spdlog::warn("media[{}]: set_remote_answer without start_offer, or twice; ignored", id_);
    return;
  }
  if (!accept_remote(std::move(remote))) return;
  apply_remote();
  arm_ice_deadline();
}

void MediaSessionCore::add_remote_candidate(const std::string& candidate) {
  if (terminal_) return;
  if (!ice_ || !remote_set_) {
    pending_candidates_.push_back(candidate);  // before the remote credentials: kept
    return;
  }
  ice_->add_remote_candidate(candidate);
}

void MediaSessionCore::set_pbx_endpoint(PbxEndpoint endpoint) {
  if (terminal_) return;
  if (!plain_) {
    pending_pbx_ = std::move(endpoint);
    return;
  }
  apply_pbx_endpoint(endpoint);
}

void MediaSessionCore::set_negotiated_audio(const NegotiatedAudio& audio) {
  if (terminal_) return;
  relay_.set_negotiated(audio);
  quality_.set_clock(audio.audio_clock);
  spdlog::debug("media[{}]: negotiated audio: PT pbx {} browser {}, telephone-event pbx {} browser {} @{}, "
                "CN pbx {} browser {}, clock {}, ptime {}",
                id_, audio.pbx_audio_pt, audio.browser_audio_pt, audio.pbx_telephone_event_pt,
                audio.browser_telephone_event_pt, audio.telephone_event_clock, audio.pbx_accepts_cn,
                audio.browser_accepts_cn, audio.audio_clock, audio.ptime_ms);
}

void MediaSessionCore::set_direction(MediaDirection direction) {
  if (terminal_) return;
  const bool expected_before = relay_.expects_pbx_media();
  relay_.set_direction(direction);
  if (!expected_before && relay_.expects_pbx_media()) restart_rtp_watch();
  spdlog::debug("media[{}]: PBX direction {}", id_, direction_name(direction));
}

void MediaSessionCore::set_muted(bool muted) {
  if (terminal_) return;
  relay_.set_muted(muted);
  spdlog::debug("media[{}]: {}", id_, muted ? "muted" : "unmuted");
}

void MediaSessionCore::send_dtmf(char digit, uint32_t duration_ms) {
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
void MediaSessionCore::teardown() {
  if (closed_) return;
  closed_ = true;
  terminal_ = true;  // from here on no callback runs and no media flows
  {
    // Final: no packet is measured after this. close() returns after this task (barrier).
    const MediaQuality quality = quality_.snapshot();
    std::lock_guard lock(final_quality_mutex_);
    final_quality_ = quality;
    spdlog::debug("media[{}]: quality: from browser {}/{} lost, jitter {:.2f} ms (mean {:.2f}); "
                  "from PBX {}/{} lost, jitter {:.2f} ms (mean {:.2f}); browser reports {} "
                  "(lost {}, jitter {:.2f} ms), PBX reports {} (lost {}, jitter {:.2f} ms); "
                  "malformed RTCP {}",
                  id_, quality.from_browser.packets_lost, quality.from_browser.packets_expected,
                  quality.from_browser.jitter_ms, quality.from_browser.mean_jitter_ms,
                  quality.from_pbx.packets_lost, quality.from_pbx.packets_expected,
                  quality.from_pbx.jitter_ms, quality.from_pbx.mean_jitter_ms,
                  quality.browser_reports.reports, quality.browser_reports.cumulative_lost,
                  quality.browser_reports.jitter_ms, quality.pbx_reports.reports,
                  quality.pbx_reports.cumulative_lost, quality.pbx_reports.jitter_ms,
                  quality.rtcp_malformed);
  }
  if (dispatch_depth_ > 0) {
    // Inside one of our callbacks (maybe the owner's own callback, whose std::function must
    // not be destroyed while it runs): free everything once the dispatch has unwound.
    worker_.post([self = shared_from_this_()] { self->release_resources(); });
    return;
  }
  release_resources();
}

void MediaSessionCore::release_resources() {
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

MediaStats MediaSessionCore::stats() const {
  MediaStats out;
  out.browser_to_pbx_rtp = stats_.browser_to_pbx_rtp.load(std::memory_order_relaxed);
  out.pbx_to_browser_rtp = stats_.pbx_to_browser_rtp.load(std::memory_order_relaxed);
  out.browser_to_pbx_rtcp = stats_.browser_to_pbx_rtcp.load(std::memory_order_relaxed);
  out.pbx_to_browser_rtcp = stats_.pbx_to_browser_rtcp.load(std::memory_order_relaxed);
  out.srtp_errors = stats_.srtp_errors.load(std::memory_order_relaxed);
  out.dropped_before_dtls = stats_.dropped_before_dtls.load(std::memory_order_relaxed);
  out.dropped_no_pbx_endpoint = stats_.dropped_no_pbx_endpoint.load(std::memory_order_relaxed);
  out.rtcp_malformed = stats_.rtcp_malformed.load(std::memory_order_relaxed);
  {
    std::lock_guard lock(final_quality_mutex_);
    out.quality = final_quality_;
  }
  const auto& relay = relay_.counters();
  out.muted_packets = relay.muted_packets.load(std::memory_order_relaxed);
  out.dropped_cn = relay.dropped_cn.load(std::memory_order_relaxed);
  out.pbx_ssrc_changes = relay.pbx_ssrc_changes.load(std::memory_order_relaxed);
  out.dtmf_events_sent = relay.dtmf_events_sent.load(std::memory_order_relaxed);
  out.dtmf_events_received = relay.dtmf_events_received.load(std::memory_order_relaxed);
  return out;
}

// ---- worker thread ----

// The DTLS context, the PBX-side sockets and the ICE agent.
bool MediaSessionCore::allocate(bool controlling) {
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

void MediaSessionCore::apply_pbx_endpoint(const PbxEndpoint& endpoint) {
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

bool MediaSessionCore::rtp_watch_armed() const {
  return config_.rtp_timeout_ms > 0 && !on_hold_ && relay_.expects_pbx_media() &&
         (pbx_endpoint_set_ || pbx_rtp_seen_);
}

void MediaSessionCore::restart_rtp_watch() {
  rtp_silence_from_us_ = g_get_monotonic_time();
  rtp_timed_out_ = false;
}

bool MediaSessionCore::on_rtp_watch(void* data) {
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

bool MediaSessionCore::on_dtmf_timer(void* data) {
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
bool MediaSessionCore::dtmf_tick() {
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

void MediaSessionCore::stop_timers() {
  rtp_watch_.stop();
  dtmf_timer_.stop();
}

// ---- failure ----

void MediaSessionCore::fail(const std::string& reason) {
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

}  // namespace sipgw::media
