#include "gateway/media/srtp_library.hpp"

#include <spdlog/spdlog.h>
#include <srtp2/srtp.h>

#include <array>
#include <cstring>
#include <mutex>
#include <stdexcept>

namespace sipgw::media {

namespace {

std::once_flag g_once;
bool g_gcm_supported = false;

// Debian's libsrtp2 is built on NSS; GCM depends on how the library was configured, so ask it:
// a session with the GCM policy either gets created or not.
bool probe_gcm() {
  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof policy);
  srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
  srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
  std::array<unsigned char, 64> key{};
  policy.key = key.data();
  policy.ssrc.type = ssrc_any_outbound;
  policy.window_size = 1024;
  srtp_t session = nullptr;
  if (srtp_create(&session, &policy) != srtp_err_status_ok) return false;
  srtp_dealloc(session);
  return true;
}

}  // namespace

void SrtpLibrary::ensure_initialized() {
  std::call_once(g_once, [] {
    const srtp_err_status_t status = srtp_init();
    if (status != srtp_err_status_ok)
      throw std::runtime_error("srtp_init failed: " + std::to_string(status));
    g_gcm_supported = probe_gcm();
    spdlog::info("libsrtp {} initialised; AEAD_AES_128_GCM {}", srtp_get_version_string(),
                 g_gcm_supported ? "available" : "not available");
  });
}

bool SrtpLibrary::aead_gcm_supported() {
  ensure_initialized();
  return g_gcm_supported;
}

}  // namespace sipgw::media
