#pragma once
// The one RTP stream the browser receives from the gateway (ANCHORS.md pitfalls 5, 16): our own
// SSRC, chosen at start, with continuous sequence numbers and timestamps whatever the PBX does.
//
// When the PBX's SSRC changes (transfer, re-bridge, a new media server), new offsets make the
// next sequence number the last one + 1 and the timestamp jump equal to the wall-clock gap in
// the audio clock; the first packet after the switch is marked (new talkspurt). Packets the
// relay drops (CN, DTMF the browser did not negotiate) leave no gap either.
//
// RTCP toward the browser (compound, RFC 3550 §6.1): every part's sender SSRC becomes ours; an
// SR's RTP timestamp is mapped through the timestamp offset and its packet/octet counts are
// replaced by ours; BYE parts are removed (a PBX leg ending is not the end of our stream); an SR
// from another SSRC than the current one (a stale leg) drops the whole packet. The browser's
// RTCP toward the PBX gets the reverse mapping in its report blocks about our stream.
//
// The rewrite happens before srtp_protect: with libsrtp's ssrc_any_outbound policy there is
// then one SRTP stream (one SSRC, one rollover counter) toward the browser, whose sequence
// numbers never go back.
//
// Pure state. Threads: one media worker (not thread-safe).
#include <cstddef>
#include <cstdint>

namespace sipgw::media {

class OutgoingStream {
 public:
  explicit OutgoingStream(uint32_t ssrc) noexcept : ssrc_(ssrc) {}

  uint32_t ssrc() const noexcept { return ssrc_; }
  /// Clock of the audio stream (for the timestamp jump at an SSRC change).
  void set_clock(uint32_t hz) noexcept { clock_ = hz ? hz : 8000; }

  /// Rewrites one valid RTP packet from the PBX in place. Returns true when the PBX's SSRC
  /// changed with this packet (not for the first SSRC).
  bool rewrite_rtp(uint8_t* data, size_t size, int64_t now_us) noexcept;
  /// A valid RTP packet from the PBX that will not be sent: the next one takes its number.
  /// Returns true on an SSRC change, like rewrite_rtp.
  bool drop_rtp(const uint8_t* data, size_t size, int64_t now_us) noexcept;

  /// Rewrites a (compound) RTCP packet from the PBX in place; returns its new size, 0 = drop.
  size_t rewrite_rtcp(uint8_t* data, size_t size) noexcept;

  /// Maps the browser's report blocks (SR/RR) about our SSRC back to the PBX's SSRC and
  /// sequence numbers, in place (same size).
  void translate_browser_rtcp(uint8_t* data, size_t size) const noexcept;

  uint32_t pbx_ssrc() const noexcept { return in_ssrc_; }

 private:
  // Applies an SSRC change if any; returns true when one happened.
  bool track(const uint8_t* data, int64_t now_us) noexcept;

  const uint32_t ssrc_;
  uint32_t clock_ = 8000;
  bool have_in_ = false;
  uint32_t in_ssrc_ = 0;
  uint16_t seq_offset_ = 0;
  uint32_t ts_offset_ = 0;
  uint16_t last_out_seq_ = 0;
  uint32_t last_out_ts_ = 0;
  int64_t last_time_us_ = 0;
  bool mark_next_ = false;
  uint32_t packets_sent_ = 0;
  uint32_t octets_sent_ = 0;
};

}  // namespace sipgw::media
