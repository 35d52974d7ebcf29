#include "bench/loadgen/media_pacer.hpp"

#include <glib.h>

#include <algorithm>

#include "bench/loadgen/webrtc_peer.hpp"

namespace sipgw::loadgen {

namespace {
constexpr int64_t kPacketIntervalUs = 20000;
constexpr uint32_t kTickMs = 2;
}  // namespace

void MediaPacer::add(WebRtcPeer* peer) {
  entries_.push_back({peer, g_get_monotonic_time()});
  if (!timer_.active()) timer_.start(context_, kTickMs, &MediaPacer::tick, this);
}

void MediaPacer::remove(WebRtcPeer* peer) {
  std::erase_if(entries_, [peer](const Entry& e) { return e.peer == peer; });
  if (entries_.empty()) timer_.stop();
}

bool MediaPacer::tick(void* self_pointer) {
  auto* self = static_cast<MediaPacer*>(self_pointer);
  const int64_t now = g_get_monotonic_time();
  for (Entry& entry : self->entries_) {
    if (now < entry.next_us) continue;
    if (self->sending_) entry.peer->send_packet(now);
    entry.next_us += kPacketIntervalUs;
    // A stalled worker does not catch up with a burst: it skips the missed periods.
    if (now - entry.next_us > 5 * kPacketIntervalUs) entry.next_us = now + kPacketIntervalUs;
  }
  return true;
}

}  // namespace sipgw::loadgen
