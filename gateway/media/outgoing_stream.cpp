#include "gateway/media/outgoing_stream.hpp"

#include <cstring>

#include "gateway/media/rtp_header.hpp"

namespace sipgw::media {

namespace {
constexpr uint8_t kSr = 200;
constexpr uint8_t kRr = 201;
constexpr uint8_t kBye = 203;
}  // namespace

bool OutgoingStream::track(const uint8_t* data, int64_t now_us) noexcept {
  const uint32_t ssrc = read_u32(data + 8);
  const uint16_t in_seq = read_u16(data + 2);
  const uint32_t in_ts = read_u32(data + 4);
  if (!have_in_) {
    // The first PBX stream keeps its own numbering (already random, RFC 3550 §5.1).
    have_in_ = true;
    in_ssrc_ = ssrc;
    seq_offset_ = 0;
    ts_offset_ = 0;
    last_out_seq_ = static_cast<uint16_t>(in_seq - 1);
    last_out_ts_ = in_ts;
    last_time_us_ = now_us;
    return false;
  }
  if (ssrc == in_ssrc_) return false;
  // A new PBX stream: continue right after the last packet the browser got.
  const int64_t gap_us = now_us > last_time_us_ ? now_us - last_time_us_ : 0;
  const auto gap_ticks = static_cast<uint32_t>(gap_us * clock_ / 1'000'000);
  in_ssrc_ = ssrc;
  seq_offset_ = static_cast<uint16_t>(last_out_seq_ + 1 - in_seq);
  ts_offset_ = last_out_ts_ + (gap_ticks ? gap_ticks : 1) - in_ts;
  mark_next_ = true;
  return true;
}

bool OutgoingStream::rewrite_rtp(uint8_t* data, size_t size, int64_t now_us) noexcept {
  const bool changed = track(data, now_us);
  RtpHeader header(data, size);
  const auto seq = static_cast<uint16_t>(header.sequence() + seq_offset_);
  const uint32_t ts = header.timestamp() + ts_offset_;
  header.set_sequence(seq);
  header.set_timestamp(ts);
  header.set_ssrc(ssrc_);
  if (mark_next_) {
    header.set_marker(true);
    mark_next_ = false;
  }
  if (sequence_newer(seq, last_out_seq_)) {
    last_out_seq_ = seq;
    last_out_ts_ = ts;
    last_time_us_ = now_us;
  }
  ++packets_sent_;
  octets_sent_ += static_cast<uint32_t>(header.payload_size());
  return changed;
}

bool OutgoingStream::drop_rtp(const uint8_t* data, size_t, int64_t now_us) noexcept {
  const bool changed = track(data, now_us);
  --seq_offset_;
  return changed;
}

size_t OutgoingStream::rewrite_rtcp(uint8_t* data, size_t size) noexcept {
  size_t offset = 0;
  while (offset + 4 <= size) {
    uint8_t* part = data + offset;
    if ((part[0] >> 6) != 2) return 0;
    const uint8_t type = part[1];
    const size_t length = 4u * (read_u16(part + 2) + 1u);
    if (offset + length > size) return 0;
    if (type == kBye) {
      std::memmove(part, part + length, size - offset - length);
      size -= length;
      continue;
    }
    if (length >= 8) {
      if (type == kSr) {
        if (length < 28 || !have_in_ || read_u32(part + 4) != in_ssrc_) return 0;
        write_u32(part + 16, read_u32(part + 16) + ts_offset_);
        write_u32(part + 20, packets_sent_);
        write_u32(part + 24, octets_sent_);
      }
      write_u32(part + 4, ssrc_);  // sender SSRC of SR, RR, SDES (1st chunk), APP, FB, XR
    }
    offset += length;
  }
  return offset == size ? size : 0;
}

void OutgoingStream::translate_browser_rtcp(uint8_t* data, size_t size) const noexcept {
  if (!have_in_) return;
  size_t offset = 0;
  while (offset + 4 <= size) {
    uint8_t* part = data + offset;
    if ((part[0] >> 6) != 2) return;
    const uint8_t type = part[1];
    const size_t length = 4u * (read_u16(part + 2) + 1u);
    if (offset + length > size) return;
    if (type == kSr || type == kRr) {
      const size_t first = type == kSr ? 28 : 8;
      const unsigned count = part[0] & 0x1f;
      for (unsigned i = 0; i < count && first + 24 * (i + 1) <= length; ++i) {
        uint8_t* block = part + first + 24 * i;
        if (read_u32(block) != ssrc_) continue;
        write_u32(block, in_ssrc_);
        // Extended highest sequence number: back into the PBX stream's numbering (the cycle
        // count stays; a wrap during the offset is rare and harmless for a report).
        const uint32_t extended = read_u32(block + 8);
        const auto low = static_cast<uint16_t>((extended & 0xffff) - seq_offset_);
        write_u32(block + 8, (extended & 0xffff0000u) | low);
      }
    }
    offset += length;
  }
}

}  // namespace sipgw::media
