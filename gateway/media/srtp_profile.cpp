#include "gateway/media/srtp_profile.hpp"

#include <stdexcept>

namespace sipgw::media {

std::optional<SrtpProfile> srtp_profile_from_id(unsigned long id) noexcept {
  switch (id) {
    case 0x0001: return SrtpProfile::aes128_cm_sha1_80;
    case 0x0007: return SrtpProfile::aead_aes_128_gcm;
    default: return std::nullopt;
  }
}

const char* srtp_profile_name(SrtpProfile profile) noexcept {
  return profile == SrtpProfile::aead_aes_128_gcm ? "SRTP_AEAD_AES_128_GCM"
                                                  : "SRTP_AES128_CM_SHA1_80";
}

size_t srtp_master_key_length(SrtpProfile) noexcept { return 16; }

size_t srtp_master_salt_length(SrtpProfile profile) noexcept {
  // RFC 7714 §12: AEAD salts are 96 bits; RFC 3711: AES-CM salts are 112 bits.
  return profile == SrtpProfile::aead_aes_128_gcm ? 12 : 14;
}

size_t dtls_srtp_keying_material_length(SrtpProfile profile) noexcept {
  return 2 * (srtp_master_key_length(profile) + srtp_master_salt_length(profile));
}

DtlsSrtpKeys split_dtls_srtp_keying_material(SrtpProfile profile, const uint8_t* material,
                                             size_t length) {
  const size_t key = srtp_master_key_length(profile);
  const size_t salt = srtp_master_salt_length(profile);
  if (!material || length != 2 * (key + salt))
    throw std::invalid_argument("DTLS-SRTP keying material has the wrong length");
  // RFC 5764 §4.2: client_write_SRTP_master_key | server_write_SRTP_master_key |
  //                client_write_SRTP_master_salt | server_write_SRTP_master_salt
  const uint8_t* client_key = material;
  const uint8_t* server_key = material + key;
  const uint8_t* client_salt = material + 2 * key;
  const uint8_t* server_salt = material + 2 * key + salt;
  DtlsSrtpKeys keys;
  keys.client_write.assign(client_key, client_key + key);
  keys.client_write.insert(keys.client_write.end(), client_salt, client_salt + salt);
  keys.server_write.assign(server_key, server_key + key);
  keys.server_write.insert(keys.server_write.end(), server_salt, server_salt + salt);
  return keys;
}

}  // namespace sipgw::media
