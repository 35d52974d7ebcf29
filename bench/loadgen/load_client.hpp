#pragma once
// One simulated browser: its Signalling (ours or Janus's) on the io_context thread and its
// WebRtcPeer on one media worker. It registers, then on start_call gathers, offers, calls,
// applies the answer and reports when DTLS-SRTP is up; the worker's MediaPacer then sends its
// 20 ms packets. Timestamps are steady_clock on the io thread.
//
// Threads: every method and `on_change` on the io_context thread; the peer lives on its worker
// (created, driven and destroyed through MediaWorker::post).
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "bench/loadgen/signalling.hpp"

namespace sipgw::media {
class DtlsContext;
class MediaWorker;
}  // namespace sipgw::media

namespace sipgw::loadgen {

class MediaPacer;
struct MediaCounters;
class WebRtcPeer;

/// What one media worker holds for the load generator (touched only on that worker).
struct WorkerMedia {
  media::MediaWorker* worker;
  std::unique_ptr<MediaPacer> pacer;
  std::unique_ptr<MediaCounters> counters;
};

class LoadClient final : public Signalling::Listener {
 public:
  enum class State { idle, registering, registered, calling, answered, media, ended, failed };
  using Clock = std::chrono::steady_clock;

  struct Target {
    bool janus = false;
    std::string url;
    std::string callee;
  };

  LoadClient(boost::asio::io_context& io, WorkerMedia& media,
             std::shared_ptr<media::DtlsContext> dtls, std::string fingerprint, uint32_t index,
             Target target, SipAccount account, std::function<void(LoadClient&)> on_change);
  ~LoadClient() override;

  void start_registration();
  void start_call();
  /// Hangs up (if in a call) and closes the signalling; the peer is destroyed on its worker.
  void finish();

  State state() const noexcept { return state_; }
  const std::string& error() const noexcept { return error_; }
  uint32_t index() const noexcept { return index_; }
  std::optional<Clock::duration> registration_time() const;
  /// call request → answer (accepted), and answer → DTLS-SRTP up.
  std::optional<Clock::duration> setup_time() const;
  std::optional<Clock::duration> media_time() const;

 private:
  void on_registered() override;
  void on_call_answered(const std::string& answer_sdp) override;
  void on_call_ended(const std::string& reason) override;
  void on_error(const std::string& what) override;
  void set_state(State state, std::string error = {});
  void destroy_peer();

  boost::asio::io_context& io_;
  WorkerMedia& media_;
  std::shared_ptr<media::DtlsContext> dtls_;
  std::string fingerprint_;
  uint32_t index_;
  Target target_;
  SipAccount account_;
  std::function<void(LoadClient&)> on_change_;
  std::unique_ptr<Signalling> signalling_;
  std::shared_ptr<WebRtcPeer> peer_;  // owned here, used on media_.worker only
  std::shared_ptr<bool> alive_;       // posted callbacks check it
  State state_ = State::idle;
  std::string error_;
  Clock::time_point register_sent_, registered_at_, call_sent_, answered_at_, media_at_;
};

}  // namespace sipgw::loadgen
