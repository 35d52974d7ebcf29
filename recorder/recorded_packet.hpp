#pragma once
// RecordedPacket: one RTP packet of one call leg, copied by a media worker into the recorder's
// queue (packet_queue.hpp). A fixed-size POD slot: no heap, trivially copyable, so a push is a
// bounded memcpy of the header fields plus `payload_size` bytes.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace sipgw::recorder {

/// Which side of the call a packet came from. The stereo WAV puts `browser` on the left channel
/// and `remote` (the PBX side) on the right.
enum class Leg : uint8_t { browser = 0, remote = 1 };

/// What a slot holds: an RTP packet's parsed header fields and payload, or a whole RTCP compound
/// packet (RFC 3550 §6) in `payload` (only kept for the raw capture, it carries no audio).
enum class PacketKind : uint8_t { rtp = 0, rtcp = 1 };

/// Largest RTP payload kept, in bytes. Larger payloads are truncated by `PacketQueue::try_push_rtp`
/// (they cannot be valid audio from our peers: the gateway's MTU is ~1200).
inline constexpr size_t kMaxRecordedPayload = 1280;

/// The clock of `RecordedPacket::arrival_us` and of every time the recorder is given: the steady
/// clock, in microseconds since its epoch. Any thread.
inline int64_t steady_now_us() noexcept {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

struct RecordedPacket {
  uint64_t recording_id = 0;  ///< as given to `Recorder::start`
  int64_t arrival_us = 0;     ///< steady_now_us() when the worker received (and decrypted) it
  uint32_t timestamp = 0;     ///< RTP timestamp (RFC 3550 §5.1), in the payload type's clock
  uint32_t ssrc = 0;          ///< RTP SSRC (RFC 3550 §5.1)
  uint16_t sequence = 0;      ///< RTP sequence number (RFC 3550 §5.1)
  uint16_t payload_size = 0;  ///< bytes used in `payload`, <= kMaxRecordedPayload
  uint8_t payload_type = 0;   ///< RTP PT (7 bits)
  Leg leg = Leg::browser;
  bool marker = false;        ///< RTP M bit: first packet of a talkspurt for audio (RFC 3551 §4.1)
  PacketKind kind = PacketKind::rtp;
  uint8_t payload[kMaxRecordedPayload];  ///< RTP payload (after header, CSRCs, extension; no
                                         ///< padding), or the whole RTCP packet
};

static_assert(std::is_trivially_copyable_v<RecordedPacket>);
static_assert(std::is_standard_layout_v<RecordedPacket>);
/// Bytes of a slot before the payload: what a push copies besides the payload itself.
inline constexpr size_t kRecordedPacketHeaderBytes = offsetof(RecordedPacket, payload);

}  // namespace sipgw::recorder
