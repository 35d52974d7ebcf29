#include "gateway/media/srtp_session.hpp"

#include <srtp2/srtp.h>

#include <climits>
#include <cstring>
#include <stdexcept>
#include <string>

#include "gateway/media/srtp_library.hpp"

namespace sipgw::media {

static_assert(SrtpSession::kMaxTrailer >= SRTP_MAX_TRAILER_LEN + 4);

SrtpSession::SrtpSession(SrtpProfile profile, Direction direction,
                         const std::vector<uint8_t>& key_salt)
    : profile_(profile) {
  SrtpLibrary::ensure_initialized();
  const size_t expected = srtp_master_key_length(profile) + srtp_master_salt_length(profile);
  if (key_salt.size() != expected)
    throw std::runtime_error("SrtpSession: key||salt must be " + std::to_string(expected) +
                             " bytes");

  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof policy);
  switch (profile) {
    case SrtpProfile::aes128_cm_sha1_80:
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtp);
      srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(&policy.rtcp);
      break;
    case SrtpProfile::aead_aes_128_gcm:
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
      srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
      break;
  }
  // libsrtp copies the key during srtp_create; keep a local buffer big enough for any cipher.
  unsigned char key[SRTP_MAX_KEY_LEN] = {};
  std::memcpy(key, key_salt.data(), key_salt.size());
  policy.key = key;
  policy.ssrc.type = direction == Direction::inbound ? ssrc_any_inbound : ssrc_any_outbound;
  policy.window_size = 1024;
  // The PBX may resend a packet with the same sequence number (e.g. after a re-bridge); let it
  // through rather than drop it as a replay.
  policy.allow_repeat_tx = direction == Direction::outbound ? 1 : 0;
  policy.next = nullptr;

  srtp_t session = nullptr;
  const srtp_err_status_t status = srtp_create(&session, &policy);
  std::memset(key, 0, sizeof key);
  if (status != srtp_err_status_ok)
    throw std::runtime_error(std::string("srtp_create failed for ") + srtp_profile_name(profile) +
                             ": " + std::to_string(status));
  session_ = session;
}

SrtpSession::~SrtpSession() {
  if (session_) srtp_dealloc(session_);
}

bool SrtpSession::protect_rtp(uint8_t* data, size_t& length, size_t capacity) noexcept {
  if (length + kMaxTrailer > capacity || length > INT_MAX) return false;
  int len = static_cast<int>(length);
  const srtp_err_status_t status = srtp_protect(session_, data, &len);
  if (status != srtp_err_status_ok) {
    last_error_ = status;
    return false;
  }
  length = static_cast<size_t>(len);
  return true;
}

bool SrtpSession::protect_rtcp(uint8_t* data, size_t& length, size_t capacity) noexcept {
  if (length + kMaxTrailer > capacity || length > INT_MAX) return false;
  int len = static_cast<int>(length);
  const srtp_err_status_t status = srtp_protect_rtcp(session_, data, &len);
  if (status != srtp_err_status_ok) {
    last_error_ = status;
    return false;
  }
  length = static_cast<size_t>(len);
  return true;
}

bool SrtpSession::unprotect_rtp(uint8_t* data, size_t& length) noexcept {
  if (length > INT_MAX) return false;
  int len = static_cast<int>(length);
  const srtp_err_status_t status = srtp_unprotect(session_, data, &len);
  if (status != srtp_err_status_ok) {
    last_error_ = status;
    return false;
  }
  length = static_cast<size_t>(len);
  return true;
}

bool SrtpSession::unprotect_rtcp(uint8_t* data, size_t& length) noexcept {
  if (length > INT_MAX) return false;
  int len = static_cast<int>(length);
  const srtp_err_status_t status = srtp_unprotect_rtcp(session_, data, &len);
  if (status != srtp_err_status_ok) {
    last_error_ = status;
    return false;
  }
  length = static_cast<size_t>(len);
  return true;
}

}  // namespace sipgw::media
