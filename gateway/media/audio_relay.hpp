#pragma once
// The per-packet policy of one call's audio between the browser and the PBX, after SRTP and
// before the sockets: direction (hold), mute, comfort-noise filtering (pitfall 10),
// telephone-event mapping and generation (pitfall 9, RFC 4733), G.711 μ-law ↔ A-law transcoding
// when the PBX leg changed law by re-INVITE (NegotiatedAudio::browser_audio_pt/pbx_audio_pt), and
// the stable stream toward the browser (pitfall 5). No I/O, no timer, no lock, no allocation per
// packet: the session feeds it packets and the time, and ticks the DTMF sender from a GLib timer.
//
// Threads: one media worker; only the counters are read from other threads (relaxed atomics).
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "gateway/media/media_session.hpp"
#include "gateway/media/outgoing_stream.hpp"
#include "gateway/media/telephone_event_detector.hpp"
#include "gateway/media/telephone_event_sender.hpp"

namespace sipgw::media {

class AudioRelay {
 public:
  static constexpr uint8_t kComfortNoisePt = 13;  // RFC 3551 §4.5.3, RFC 3389
  static constexpr uint8_t kPcmuPt = 0;           // RFC 3551 §6
  static constexpr uint8_t kPcmaPt = 8;

  struct Counters {
    std::atomic<uint64_t> muted_packets{0};
    std::atomic<uint64_t> dropped_cn{0};
    std::atomic<uint64_t> pbx_ssrc_changes{0};
    std::atomic<uint64_t> dtmf_events_sent{0};
    std::atomic<uint64_t> dtmf_events_received{0};
  };

  /// `browser_ssrc` is our SSRC toward the browser (random, chosen by the session).
  explicit AudioRelay(uint32_t browser_ssrc) noexcept : toward_browser_(browser_ssrc) {}

  void set_negotiated(const NegotiatedAudio& audio) noexcept;
  const NegotiatedAudio& negotiated() const noexcept { return audio_; }
  /// The PBX's direction attribute (RFC 3264 §6.1, from the PBX's point of view).
  void set_direction(MediaDirection direction) noexcept { direction_ = direction; }
  MediaDirection direction() const noexcept { return direction_; }
  void set_muted(bool muted) noexcept { muted_ = muted; }

  /// True when the browser's audio goes to the PBX: the PBX receives (sendrecv, recvonly).
  bool sends_to_pbx() const noexcept {
    return direction_ == MediaDirection::sendrecv || direction_ == MediaDirection::recvonly;
  }
  /// True when the PBX is expected to send (sendrecv, sendonly): the RTP timeout applies.
  bool expects_pbx_media() const noexcept {
    return direction_ == MediaDirection::sendrecv || direction_ == MediaDirection::sendonly;
  }

  /// Browser → PBX RTP, unprotected. Returns false to drop; otherwise the packet was rewritten
  /// in place (sequence number, telephone-event PT, G.711 law and PT) and goes to the PBX.
  bool browser_rtp(uint8_t* data, size_t size, int64_t now_us) noexcept;

  /// Browser → PBX RTP that cannot be sent (hold: no PBX address): no sequence gap follows.
  void browser_rtp_dropped(const uint8_t* data, size_t size, int64_t now_us) noexcept {
    dtmf_sender_.on_browser_rtp_dropped(data, size, now_us);
  }

  /// PBX → browser RTP. Returns false to drop; otherwise rewritten in place for the browser
  /// (SSRC, sequence number, timestamp, telephone-event PT, G.711 law and PT).
  /// `dtmf` is set when a telephone-event from the PBX ended with this packet.
  bool pbx_rtp(uint8_t* data, size_t size, int64_t now_us,
               std::optional<TelephoneEventDetector::Detected>& dtmf) noexcept;

  /// PBX → browser RTCP: returns the new size, 0 = drop.
  size_t pbx_rtcp(uint8_t* data, size_t size) noexcept {
    return toward_browser_.rewrite_rtcp(data, size);
  }
  /// Browser → PBX RTCP: report blocks about our stream mapped back, in place.
  void browser_rtcp(uint8_t* data, size_t size) noexcept {
    toward_browser_.translate_browser_rtcp(data, size);
  }

  /// Queues a digit toward the PBX; false when invalid or the queue is full.
  bool queue_dtmf(char digit, uint32_t duration_ms) { return dtmf_sender_.enqueue(digit, duration_ms); }
  bool dtmf_busy() const noexcept { return dtmf_sender_.busy(); }
  void clear_dtmf() noexcept { dtmf_sender_.clear(); }
  /// One DTMF timer tick: true and `out` filled when a packet is due toward the PBX.
  bool dtmf_tick(int64_t now_us, TelephoneEventSender::Packet& out) noexcept;
  uint32_t dtmf_interval_ms() const noexcept;

  const Counters& counters() const noexcept { return counters_; }
  uint32_t browser_ssrc() const noexcept { return toward_browser_.ssrc(); }
  const TelephoneEventSender& dtmf_sender() const noexcept { return dtmf_sender_; }

 private:
  static void bump(std::atomic<uint64_t>& counter) noexcept {
    counter.fetch_add(1, std::memory_order_relaxed);
  }

  NegotiatedAudio audio_;
  // Set when the legs carry different G.711 laws (PT 0 on one, 8 on the other): the byte tables
  // for audio_.browser_audio_pt packets toward the PBX and audio_.pbx_audio_pt ones back.
  const std::array<uint8_t, 256>* to_pbx_law_ = nullptr;
  const std::array<uint8_t, 256>* to_browser_law_ = nullptr;
  MediaDirection direction_ = MediaDirection::sendrecv;
  bool muted_ = false;
  OutgoingStream toward_browser_;
  TelephoneEventSender dtmf_sender_;
  TelephoneEventDetector dtmf_detector_;
  Counters counters_;
};

}  // namespace sipgw::media
