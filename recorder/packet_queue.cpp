#include "recorder/packet_queue.hpp"

#include <unistd.h>

namespace sipgw::recorder {

namespace {
size_t round_up_pow2(size_t n) {
  size_t p = 2;
  while (p < n) p <<= 1;
  return p;
}
}  // namespace

PacketQueue::PacketQueue(size_t capacity)
    : slots_(new RecordedPacket[round_up_pow2(capacity)]), mask_(round_up_pow2(capacity) - 1) {}

void PacketQueue::wake() noexcept {
  uint64_t one = 1;
  // Non-blocking eventfd: a write only fails when the counter would overflow, which cannot
  // happen before the recorder reads it. The result is irrelevant either way.
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

bool PacketQueue::try_push_rtp(uint64_t recording_id, Leg leg, int64_t arrival_us,
                               const uint8_t* rtp, size_t size) noexcept {
  // RFC 3550 §5.1: 12 fixed bytes, then 4 bytes per CSRC, then an optional extension
  // (§5.3.1: 16-bit profile, 16-bit length in 32-bit words), then the payload, then padding
  // whose length is the packet's last byte when P is set.
  if (rtp == nullptr || size < 12 || (rtp[0] >> 6) != 2) return false;
  size_t offset = 12 + 4u * (rtp[0] & 0x0F);
  if (rtp[0] & 0x10) {
    if (size < offset + 4) return false;
    offset += 4 + 4u * ((size_t(rtp[offset + 2]) << 8) | rtp[offset + 3]);
  }
  size_t end = size;
  if (rtp[0] & 0x20) {
    size_t pad = rtp[size - 1];
    if (pad == 0 || pad > end) return false;
    end -= pad;
  }
  if (offset > end) return false;
  size_t n = end - offset;
  if (n > kMaxRecordedPayload) n = kMaxRecordedPayload;

  RecordedPacket* slot = claim();
  if (slot == nullptr) return false;
  slot->recording_id = recording_id;
  slot->arrival_us = arrival_us;
  slot->timestamp = (uint32_t(rtp[4]) << 24) | (uint32_t(rtp[5]) << 16) | (uint32_t(rtp[6]) << 8) | rtp[7];
  slot->ssrc = (uint32_t(rtp[8]) << 24) | (uint32_t(rtp[9]) << 16) | (uint32_t(rtp[10]) << 8) | rtp[11];
  slot->sequence = static_cast<uint16_t>((rtp[2] << 8) | rtp[3]);
  slot->payload_size = static_cast<uint16_t>(n);
  slot->payload_type = rtp[1] & 0x7F;
  slot->leg = leg;
  slot->marker = (rtp[1] & 0x80) != 0;
  slot->kind = PacketKind::rtp;
  std::memcpy(slot->payload, rtp + offset, n);
  publish();
  return true;
}

bool PacketQueue::try_push_rtcp(uint64_t recording_id, Leg leg, int64_t arrival_us, const uint8_t* rtcp,
                                size_t size) noexcept {
  // RFC 3550 §6.4: version 2, a 4-byte common header and the sender's SSRC at least.
  if (rtcp == nullptr || size < 8 || (rtcp[0] >> 6) != 2) return false;
  const size_t n = size < kMaxRecordedPayload ? size : kMaxRecordedPayload;
  RecordedPacket* slot = claim();
  if (slot == nullptr) return false;
  slot->recording_id = recording_id;
  slot->arrival_us = arrival_us;
  slot->timestamp = 0;
  slot->ssrc = (uint32_t(rtcp[4]) << 24) | (uint32_t(rtcp[5]) << 16) | (uint32_t(rtcp[6]) << 8) | rtcp[7];
  slot->sequence = 0;
  slot->payload_size = static_cast<uint16_t>(n);
  slot->payload_type = rtcp[1];  // the first packet's type (200 SR, 201 RR, …): not an RTP PT
  slot->leg = leg;
  slot->marker = false;
  slot->kind = PacketKind::rtcp;
  std::memcpy(slot->payload, rtcp, n);
  publish();
  return true;
}

}  // namespace sipgw::recorder
