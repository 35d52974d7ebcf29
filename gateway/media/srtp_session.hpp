#pragma once
// One direction of SRTP/SRTCP protection (libsrtp2), keyed from DTLS-SRTP.
// Not thread-safe: owned and used by one media worker.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "gateway/media/srtp_profile.hpp"

struct srtp_ctx_t_;

namespace sipgw::media {

class SrtpSession {
 public:
  enum class Direction { inbound, outbound };

  /// Bytes a protect call may append to a packet (libsrtp's SRTP_MAX_TRAILER_LEN, + 4 for the
  /// SRTCP index). Buffers handed to protect_* need this much room after the packet.
  static constexpr size_t kMaxTrailer = 16 + 128 + 4;

  /// `key_salt` is master key||master salt for `profile`. ssrc_any_inbound/outbound (every SSRC
  /// of the direction shares the key), replay window 1024. Throws std::runtime_error.
  SrtpSession(SrtpProfile profile, Direction direction, const std::vector<uint8_t>& key_salt);
  ~SrtpSession();
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  /// In place. `capacity` is the buffer size (>= length + kMaxTrailer). Return false (and leave
  /// the packet unusable) on failure; `length` is updated on success.
  bool protect_rtp(uint8_t* data, size_t& length, size_t capacity) noexcept;
  bool protect_rtcp(uint8_t* data, size_t& length, size_t capacity) noexcept;
  bool unprotect_rtp(uint8_t* data, size_t& length) noexcept;
  bool unprotect_rtcp(uint8_t* data, size_t& length) noexcept;

  /// libsrtp status of the last failure (0 when none), for logs.
  int last_error() const noexcept { return last_error_; }
  SrtpProfile profile() const noexcept { return profile_; }

 private:
  srtp_ctx_t_* session_ = nullptr;
  SrtpProfile profile_;
  int last_error_ = 0;
};

}  // namespace sipgw::media
