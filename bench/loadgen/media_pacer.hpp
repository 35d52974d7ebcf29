#pragma once
// Paces the RTP of every connected WebRtcPeer on one media worker: each peer sends one packet
// every 20 ms from the moment it connected, so the packets of many peers are spread over the
// 20 ms period instead of leaving in one burst. A 2 ms GLib timer drives it.
//
// Threads: everything on the worker owning `context`.
#include <cstdint>
#include <vector>

#include "gateway/media/glib_timer.hpp"

typedef struct _GMainContext GMainContext;

namespace sipgw::loadgen {

class WebRtcPeer;

class MediaPacer {
 public:
  explicit MediaPacer(GMainContext* context) : context_(context) {}

  void add(WebRtcPeer* peer);
  void remove(WebRtcPeer* peer);
  /// Stops (false) or resumes (true) sending for every peer; receiving goes on.
  void set_sending(bool sending) { sending_ = sending; }

 private:
  struct Entry {
    WebRtcPeer* peer;
    int64_t next_us;
  };
  static bool tick(void* self);

  GMainContext* context_;
  media::GlibTimer timer_;
  std::vector<Entry> entries_;
  bool sending_ = true;
};

}  // namespace sipgw::loadgen
