#include "gateway/media/media_session.hpp"

#include <glib.h>
#include <spdlog/spdlog.h>
#include <strings.h>

#include <array>
#include <atomic>
#include <cstring>
#include <optional>

#include "gateway/media/dtls_certificate.hpp"
#include "gateway/media/dtls_context.hpp"
#include "gateway/media/dtls_transport.hpp"
#include "gateway/media/ice_agent.hpp"
#include "gateway/media/media_worker.hpp"
#include "gateway/media/plain_rtp_transport.hpp"
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
        callbacks_(std::move(callbacks)) {}

  ~MediaSessionCore() override {
    // close() always tears down on the worker first; this only frees what nothing refers to.
  }

  // ---- worker thread ----

  void start(RemoteWebRtcParameters remote) {
    if (terminal_) return;
    if (started_) {
      spdlog::warn("media[{}]: start called twice; ignored", id_);
      return;
    }
    started_ = true;
    remote_ = std::move(remote);
    if (g_ascii_strcasecmp(remote_.fingerprint_algorithm.c_str(), "sha-256") != 0) {
      fail("unsupported DTLS fingerprint algorithm '" + remote_.fingerprint_algorithm +
           "' (only sha-256)");
      return;
    }
    if (remote_.fingerprint.empty() || remote_.ice_ufrag.empty() || remote_.ice_pwd.empty()) {
      fail("browser offer lacks a DTLS fingerprint or ICE credentials");
      return;
    }
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
      ice_ = std::make_unique<IceAgent>(worker_.context(), options, *this);
    } catch (const std::exception& e) {
      fail(std::string("media allocation failed: ") + e.what());
      return;
    }
    // Remote credentials and the offer's candidates right after the stream exists (libnice
    // pairs them with local candidates as they are gathered), then trickled ones received early.
    ice_->set_remote_credentials(remote_.ice_ufrag, remote_.ice_pwd);
    size_t accepted = 0;
    for (const auto& candidate : remote_.candidates) accepted += ice_->add_remote_candidate(candidate);
    for (const auto& candidate : pending_candidates_) accepted += ice_->add_remote_candidate(candidate);
    pending_candidates_.clear();
    spdlog::debug("media[{}]: started, {} remote candidate(s) accepted, PBX side {}:{}", id_,
                  accepted, plain_->address(), plain_->rtp_port());

    ice_deadline_ = g_timeout_source_new(config_.ice_timeout_ms);
    g_source_set_callback(ice_deadline_, &MediaSessionCore::on_ice_deadline, this, nullptr);
    g_source_attach(ice_deadline_, worker_.context());

    // May emit candidate-gathering-done (hence on_ready) before it returns.
    if (!ice_->gather()) fail("ICE gathering could not start");
  }

  void add_remote_candidate(const std::string& candidate) {
    if (terminal_) return;
    if (!ice_) {
      pending_candidates_.push_back(candidate);  // before start: applied by start
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

  void apply_pbx_endpoint(const PbxEndpoint& endpoint) {
    if (!plain_->set_remote(endpoint.address, endpoint.rtp_port, endpoint.rtcp_port)) {
      spdlog::warn("media[{}]: PBX endpoint '{}' is not a numeric address; ignored", id_,
                   endpoint.address);
      return;
    }
    spdlog::debug("media[{}]: PBX endpoint {} rtp {} rtcp {}", id_, endpoint.address,
                  endpoint.rtp_port, endpoint.rtcp_port);
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
    if (terminal_ || dtls_) return;
    cancel_ice_deadline();
    spdlog::debug("media[{}]: ICE connected; DTLS client handshake starts", id_);
    // We answered a=setup:active (RFC 5763 §5), so we are the DTLS client.
    try {
      dtls_ = std::make_unique<DtlsTransport>(worker_.context(), dtls_context_,
                                              DtlsTransport::Role::client, remote_.fingerprint,
                                              config_.dtls_timeout_ms, *this);
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
      bump(stats_.dropped_no_pbx_endpoint);
      return;
    }
    if (rtcp) {
      if (plain_->send_rtcp(packet_.data(), size)) bump(stats_.browser_to_pbx_rtcp);
    } else {
      if (plain_->send_rtp(packet_.data(), size)) bump(stats_.browser_to_pbx_rtp);
    }
  }

  // ---- PlainRtpTransport::Listener ----

  void on_plain_packet(bool /*rtcp_socket*/, uint8_t* data, size_t length,
                       size_t capacity) override {
    if (terminal_) return;
    Dispatch dispatch(*this);
    // Classify by content (RFC 5761): a PBX that muxes RTCP onto the RTP port is handled too.
    const auto kind = protocol::classify_packet(data, length);
    if (kind != protocol::PacketKind::rtp && kind != protocol::PacketKind::rtcp) return;
    // Pitfall 2: no media toward the browser before the DTLS handshake is done.
    if (!srtp_out_ || !ice_) {
      bump(stats_.dropped_before_dtls);
      return;
    }
    const bool rtcp = kind == protocol::PacketKind::rtcp;
    size_t size = length;
    const bool ok = rtcp ? srtp_out_->protect_rtcp(data, size, capacity)
                         : srtp_out_->protect_rtp(data, size, capacity);
    if (!ok) {
      if (stats_.srtp_errors.fetch_add(1, std::memory_order_relaxed) == 0)
        spdlog::debug("media[{}]: first SRTP protect failure ({})", id_, srtp_out_->last_error());
      return;
    }
    if (ice_->send(data, size)) bump(rtcp ? stats_.pbx_to_browser_rtcp : stats_.pbx_to_browser_rtp);
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
  GSource* ice_deadline_ = nullptr;
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
