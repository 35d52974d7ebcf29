#pragma once
// DTLS-SRTP protection profiles we negotiate (RFC 5764 §4.1.2, RFC 7714 §14.2) and the layout of
// the keying material exported from the DTLS handshake (RFC 5764 §4.2).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace sipgw::media {

enum class SrtpProfile {
  aes128_cm_sha1_80,  // SRTP_AES128_CM_SHA1_80 (0x0001): 16-byte key, 14-byte salt
  aead_aes_128_gcm,   // SRTP_AEAD_AES_128_GCM (0x0007): 16-byte key, 12-byte salt
};

/// Maps an OpenSSL SRTP_PROTECTION_PROFILE id to ours; nullopt for anything else.
std::optional<SrtpProfile> srtp_profile_from_id(unsigned long id) noexcept;
const char* srtp_profile_name(SrtpProfile profile) noexcept;
size_t srtp_master_key_length(SrtpProfile profile) noexcept;
size_t srtp_master_salt_length(SrtpProfile profile) noexcept;
/// 2 * (key + salt): how many bytes to export with "EXTRACTOR-dtls_srtp".
size_t dtls_srtp_keying_material_length(SrtpProfile profile) noexcept;

/// The two master keys of one association, each as key||salt (the form libsrtp takes).
struct DtlsSrtpKeys {
  std::vector<uint8_t> client_write;  // protects what the DTLS client sends
  std::vector<uint8_t> server_write;  // protects what the DTLS server sends
};

/// Splits exported keying material laid out client key | server key | client salt | server salt
/// (RFC 5764 §4.2). `material` must be dtls_srtp_keying_material_length(profile) bytes long;
/// otherwise std::invalid_argument.
DtlsSrtpKeys split_dtls_srtp_keying_material(SrtpProfile profile, const uint8_t* material,
                                             size_t length);

}  // namespace sipgw::media
