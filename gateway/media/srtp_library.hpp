#pragma once
// libsrtp2's process-wide state: `srtp_init` runs exactly once, here and nowhere else.

namespace sipgw::media {

class SrtpLibrary {
 public:
  /// Runs srtp_init once per process (thread-safe; cheap after the first call). Throws
  /// std::runtime_error when libsrtp cannot start. Any thread.
  static void ensure_initialized();

  /// True when this libsrtp build can do AEAD_AES_128_GCM (RFC 7714); probed once at init by
  /// creating a GCM session. Any thread.
  static bool aead_gcm_supported();
};

}  // namespace sipgw::media
