#pragma once
// A view over the fixed RTP header (RFC 3550 §5.1) of a packet in a caller's buffer, with the
// setters the relay needs to rewrite it in place (SSRC, sequence number, timestamp, payload type,
// marker). No copy, no allocation: it runs on the per-packet path.
//
// Threads: none of its own; a view is used by one thread at a time.
#include <cstddef>
#include <cstdint>

namespace sipgw::media {

inline uint16_t read_u16(const uint8_t* p) noexcept {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline uint32_t read_u32(const uint8_t* p) noexcept {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline void write_u16(uint8_t* p, uint16_t v) noexcept {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void write_u32(uint8_t* p, uint32_t v) noexcept {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

class RtpHeader {
 public:
  static constexpr size_t kFixedSize = 12;

  /// `data` must stay valid while the view is used; call `valid()` before anything else.
  RtpHeader(uint8_t* data, size_t size) noexcept : data_(data), size_(size) {}

  /// Version 2, and the fixed header, CSRC list and extension (RFC 3550 §5.3.1) fit in `size`.
  bool valid() const noexcept { return size_ >= kFixedSize && (data_[0] >> 6) == 2 &&
                                       header_size() <= size_; }

  uint8_t payload_type() const noexcept { return data_[1] & 0x7f; }
  bool marker() const noexcept { return (data_[1] & 0x80) != 0; }
  uint16_t sequence() const noexcept { return read_u16(data_ + 2); }
  uint32_t timestamp() const noexcept { return read_u32(data_ + 4); }
  uint32_t ssrc() const noexcept { return read_u32(data_ + 8); }

  void set_payload_type(uint8_t pt) noexcept {
    data_[1] = static_cast<uint8_t>((data_[1] & 0x80) | (pt & 0x7f));
  }
  void set_marker(bool on) noexcept {
    data_[1] = static_cast<uint8_t>(on ? (data_[1] | 0x80) : (data_[1] & 0x7f));
  }
  void set_sequence(uint16_t v) noexcept { write_u16(data_ + 2, v); }
  void set_timestamp(uint32_t v) noexcept { write_u32(data_ + 4, v); }
  void set_ssrc(uint32_t v) noexcept { write_u32(data_ + 8, v); }

  /// Fixed header + CSRCs + header extension. May exceed `size` for a malformed packet.
  size_t header_size() const noexcept {
    size_t n = kFixedSize + 4u * (data_[0] & 0x0f);
    if ((data_[0] & 0x10) != 0) {
      if (n + 4 > size_) return size_ + 1;
      n += 4 + 4u * read_u16(data_ + n + 2);
    }
    return n;
  }
  /// Payload (padding, if any, included: the relay never needs the exact end).
  const uint8_t* payload() const noexcept { return data_ + header_size(); }
  uint8_t* mutable_payload() noexcept { return data_ + header_size(); }
  size_t payload_size() const noexcept { return size_ - header_size(); }

 private:
  uint8_t* data_;
  size_t size_;
};

/// RFC 1982 serial-number comparison of 16-bit RTP sequence numbers: true when `a` is newer.
inline bool sequence_newer(uint16_t a, uint16_t b) noexcept {
  return a != b && static_cast<uint16_t>(a - b) < 0x8000;
}

}  // namespace sipgw::media
