// MediaSession, the public facade: every method posts to the session's media worker, where
// MediaSessionCore (media_session_core.hpp) holds all state; close() waits on the worker with a
// barrier unless called there.
#include "gateway/media/media_session.hpp"

#include <atomic>
#include <memory>
#include <stdexcept>
#include <utility>

#include "gateway/media/media_session_core.hpp"
#include "gateway/media/media_worker.hpp"

namespace sipgw::media {

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

void MediaSession::set_recording(recorder::PacketQueue* queue, uint64_t recording_id) {
  impl_->worker.post([core = impl_->core, queue, recording_id] { core->set_recording(queue, recording_id); });
}

size_t MediaSession::worker_index() const noexcept { return impl_->worker.index(); }

MediaStats MediaSession::stats() const { return impl_->core->stats(); }

}  // namespace sipgw::media
