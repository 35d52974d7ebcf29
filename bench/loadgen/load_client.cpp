#include "bench/loadgen/load_client.hpp"

#include <boost/asio/post.hpp>

#include "bench/loadgen/media_pacer.hpp"
#include "bench/loadgen/webrtc_peer.hpp"
#include "gateway/media/media_worker.hpp"

namespace sipgw::loadgen {

LoadClient::LoadClient(boost::asio::io_context& io, WorkerMedia& media,
                       std::shared_ptr<media::DtlsContext> dtls, std::string fingerprint,
                       uint32_t index, Target target, SipAccount account,
                       std::function<void(LoadClient&)> on_change)
    : io_(io),
      media_(media),
      dtls_(std::move(dtls)),
      fingerprint_(std::move(fingerprint)),
      index_(index),
      target_(std::move(target)),
      account_(std::move(account)),
      on_change_(std::move(on_change)),
      alive_(std::make_shared<bool>(true)) {}

LoadClient::~LoadClient() {
  *alive_ = false;
  signalling_.reset();
  destroy_peer();
}

void LoadClient::start_registration() {
  signalling_ = target_.janus ? make_janus_signalling(io_, target_.url, *this)
                              : make_gateway_signalling(io_, target_.url, *this);
  register_sent_ = Clock::now();
  set_state(State::registering);
  signalling_->start(account_);
}

void LoadClient::start_call() {
  if (state_ != State::registered) return;
  set_state(State::calling);
  std::weak_ptr<bool> alive = alive_;
  // Callbacks hop from the worker to the io thread; `alive` drops them once we are gone.
  auto on_io = [this, alive](auto fn) {
    boost::asio::post(io_, [alive, fn = std::move(fn)] {
      if (!alive.expired()) fn();
    });
  };
  WebRtcPeer::Callbacks callbacks;
  callbacks.on_offer = [this, on_io](std::string sdp) {
    on_io([this, sdp = std::move(sdp)] {
      if (state_ != State::calling) return;
      call_sent_ = Clock::now();
      signalling_->call(target_.callee, sdp);
    });
  };
  callbacks.on_connected = [this, on_io] {
    media_.pacer->add(peer_.get());
    on_io([this] {
      if (state_ != State::answered) return;
      media_at_ = Clock::now();
      set_state(State::media);
    });
  };
  callbacks.on_failed = [this, on_io](std::string reason) {
    media_.pacer->remove(peer_.get());
    on_io([this, reason = std::move(reason)] { set_state(State::failed, "media: " + reason); });
  };
  auto* counters = media_.counters.get();
  media_.worker->post([this, counters, callbacks = std::move(callbacks)]() mutable {
    try {
      peer_ = std::make_shared<WebRtcPeer>(media_.worker->context(), dtls_, fingerprint_, index_,
                                           *counters, std::move(callbacks));
      peer_->gather();
    } catch (const std::exception& e) {
      std::string reason = e.what();
      std::weak_ptr<bool> alive = alive_;
      boost::asio::post(io_, [this, alive, reason] {
        if (!alive.expired()) set_state(State::failed, "media: " + reason);
      });
    }
  });
}

void LoadClient::on_registered() {
  registered_at_ = Clock::now();
  set_state(State::registered);
}

void LoadClient::on_call_answered(const std::string& answer_sdp) {
  if (state_ != State::calling) return;
  answered_at_ = Clock::now();
  set_state(State::answered);
  std::weak_ptr<bool> alive = alive_;
  media_.worker->post([this, alive, answer_sdp] {
    if (!peer_) return;
    std::string problem = peer_->apply_answer(answer_sdp);
    if (problem.empty()) return;
    boost::asio::post(io_, [this, alive, problem] {
      if (!alive.expired()) set_state(State::failed, problem);
    });
  });
}

void LoadClient::on_call_ended(const std::string& reason) { set_state(State::ended, reason); }

void LoadClient::on_error(const std::string& what) { set_state(State::failed, what); }

void LoadClient::finish() {
  if (signalling_) {
    signalling_->hangup();
    signalling_->close();
  }
  destroy_peer();
}

void LoadClient::destroy_peer() {
  // peer_ is only touched on the worker; the task below owns the last reference.
  media_.worker->post([this, media = &media_] {
    if (!peer_) return;
    media->pacer->remove(peer_.get());
    peer_.reset();
  });
  media_.worker->barrier();
}

void LoadClient::set_state(State state, std::string error) {
  if (state_ == State::failed || state_ == State::ended) return;
  state_ = state;
  if (!error.empty()) error_ = std::move(error);
  if (on_change_) on_change_(*this);
}

std::optional<LoadClient::Clock::duration> LoadClient::registration_time() const {
  if (registered_at_ == Clock::time_point{}) return std::nullopt;
  return registered_at_ - register_sent_;
}
std::optional<LoadClient::Clock::duration> LoadClient::setup_time() const {
  if (answered_at_ == Clock::time_point{} || call_sent_ == Clock::time_point{}) return std::nullopt;
  return answered_at_ - call_sent_;
}
std::optional<LoadClient::Clock::duration> LoadClient::media_time() const {
  if (media_at_ == Clock::time_point{}) return std::nullopt;
  return media_at_ - answered_at_;
}

}  // namespace sipgw::loadgen
