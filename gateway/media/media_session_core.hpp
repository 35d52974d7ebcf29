#pragma once
// MediaSessionCore: the worker-side state of one MediaSession (media_session.hpp is the
// thread-hopping facade that posts to it). Internal to sipgw_media.
//
// Its definitions are split by concept:
//   media_session_core.cpp         control (start, offer/answer, PBX endpoint, hold, mute, DTMF),
//                                  RTP timeout, DTMF timer, failure and teardown;
//   media_session_browser_leg.cpp  the browser leg's setup: ICE (IceAgent::Listener), the ICE
//                                  deadline, DTLS (DtlsTransport::Listener) and the SRTP keys;
//   media_session_relay.cpp        the per-packet relay in both directions (on_ice_packet,
//                                  on_plain_packet) and symmetric-RTP latching.
//
// Threads: the session's media worker, except stats() (any thread).
#include <glib.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/media/audio_relay.hpp"
#include "gateway/media/dtls_transport.hpp"
#include "gateway/media/glib_timer.hpp"
#include "gateway/media/ice_agent.hpp"
#include "gateway/media/media_quality_meter.hpp"
#include "gateway/media/media_session.hpp"
#include "gateway/media/plain_rtp_transport.hpp"
#include "gateway/media/srtp_session.hpp"
#include "recorder/packet_queue.hpp"

namespace sipgw::media {

class DtlsContext;

// Where plain RTP/RTCP go toward the PBX (from its SDP).
struct PbxEndpoint {
  std::string address;
  uint16_t rtp_port = 0;
  uint16_t rtcp_port = 0;
};

// The session's state. It lives on its worker: every member below `worker-only` is touched only
// there, so the per-packet path (on_ice_packet, on_plain_packet) takes no lock. It is shared by
// the tasks posted to the worker, so that a task queued before close() never runs on freed
// memory; the GLib-facing objects (ICE agent, DTLS, sockets) are destroyed only on the worker.
class MediaSessionCore final : public IceAgent::Listener,
                               public DtlsTransport::Listener,
                               public PlainRtpTransport::Listener {
 public:
  MediaSessionCore(MediaWorker& worker, MediaConfig config,
                   std::shared_ptr<const DtlsCertificate> certificate, MediaCallbacks callbacks);
  ~MediaSessionCore() override;

  // ---- worker thread ----

  void start(RemoteWebRtcParameters remote);
  void start_offer();
  void set_remote_answer(RemoteWebRtcParameters remote);
  void add_remote_candidate(const std::string& candidate);
  void set_pbx_endpoint(PbxEndpoint endpoint);
  void set_negotiated_audio(const NegotiatedAudio& audio);
  void set_direction(MediaDirection direction);
  void set_muted(bool muted);
  void set_recording(recorder::PacketQueue* queue, uint64_t recording_id) {
    recording_queue_ = queue;
    recording_id_ = recording_id;
  }
  void send_dtmf(char digit, uint32_t duration_ms);
  void teardown();
  void release_resources();

  // ---- any thread ----

  MediaStats stats() const;

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
    std::atomic<uint64_t> rtcp_malformed{0};
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

  // ---- browser leg setup (media_session_browser_leg.cpp) ----

  bool accept_remote(RemoteWebRtcParameters remote);
  void apply_remote();
  void arm_ice_deadline();
  void cancel_ice_deadline();
  static gboolean on_ice_deadline(gpointer data);
  void start_dtls();

  // IceAgent::Listener
  void on_ice_gathering_done(const std::string& ufrag, const std::string& pwd,
                             const std::vector<std::string>& candidates) override;
  void on_ice_connected() override;
  void on_ice_failed(const std::string& reason) override;

  // DtlsTransport::Listener
  void on_dtls_send(const uint8_t* data, size_t length) override;
  void on_dtls_connected(SrtpProfile profile, const DtlsSrtpKeys& keys) override;
  void on_dtls_failed(const std::string& reason) override;

  // ---- per-packet relay (media_session_relay.cpp) ----

  // IceAgent::Listener: the browser's packets
  void on_ice_packet(const uint8_t* data, size_t length) override;
  void forward_to_pbx(bool rtcp, const uint8_t* data, size_t length);
  // PlainRtpTransport::Listener: the PBX's packets
  void on_plain_packet(bool rtcp_socket, uint8_t* data, size_t length,
                       size_t capacity) override;
  void latch(bool rtcp_socket);

  // ---- control, timers, failure (media_session_core.cpp) ----

  bool allocate(bool controlling);
  void apply_pbx_endpoint(const PbxEndpoint& endpoint);
  bool rtp_watch_armed() const;
  void restart_rtp_watch();
  static bool on_rtp_watch(void* data);
  static bool on_dtmf_timer(void* data);
  bool dtmf_tick();
  void stop_timers();
  void fail(const std::string& reason);

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

  const uint64_t id_;
  MediaWorker& worker_;
  const MediaConfig config_;
  const std::shared_ptr<const DtlsCertificate> certificate_;
  std::weak_ptr<MediaSessionCore> self_;
  Counters stats_;
  // The quality snapshot taken on the worker at teardown, for stats() on any thread.
  mutable std::mutex final_quality_mutex_;
  std::optional<MediaQuality> final_quality_;

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
  MediaQualityMeter quality_;
  recorder::PacketQueue* recording_queue_ = nullptr;  // the recorder's queue for this worker
  uint64_t recording_id_ = 0;
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

}  // namespace sipgw::media
