#pragma once
// The shared services every client session uses, built once in main() and outliving every
// session. Control thread only (the SIP stack and media workers hand their own work over).
#include <functional>
#include <memory>
#include <string>

#include "gateway/media/media_session.hpp"

namespace boost::asio { class io_context; }

namespace sipgw::sip { class SipStack; }
namespace sipgw::recorder { class Recorder; class CallStore; }
namespace sipgw::events { class RecordingHook; }
namespace sipgw::media { class MediaWorkerPool; class DtlsCertificate; }

namespace sipgw::session {

class EventBus;

struct SessionServices {
  boost::asio::io_context& io;                               // the control thread's context
  sip::SipStack& sip;
  media::MediaWorkerPool& media_workers;
  std::shared_ptr<const media::DtlsCertificate> certificate;
  media::MediaConfig media_config;
  EventBus& events;
  uint32_t reattach_grace_s = 0;  // how long a dropped client may `claim` its session; 0 = never

  // Call history and recording (each may be null: disabled).
  recorder::CallStore* call_store = nullptr;
  recorder::Recorder* recorder = nullptr;
  events::RecordingHook* recording_hook = nullptr;
  std::string recording_directory;  // where recordings are written
  bool record_every_call = true;    // start recording at answer without a start_recording

  /// Runs `task` on the control thread (any thread).
  void post(std::function<void()> task) const;
};

}  // namespace sipgw::session
