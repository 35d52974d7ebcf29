#include "gateway/media/srtp_session.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <vector>

#include "gateway/media/srtp_library.hpp"
#include "gateway/media/srtp_profile.hpp"

using namespace sipgw::media;

namespace {

std::vector<uint8_t> rtp_packet(uint16_t sequence, uint32_t ssrc, size_t payload_size) {
  std::vector<uint8_t> packet(12 + payload_size);
  packet[0] = 0x80;
  packet[1] = 0;  // PCMU
  packet[2] = sequence >> 8;
  packet[3] = sequence & 0xff;
  const uint32_t ts = sequence * 160u;
  packet[4] = ts >> 24; packet[5] = ts >> 16; packet[6] = ts >> 8; packet[7] = ts;
  packet[8] = ssrc >> 24; packet[9] = ssrc >> 16; packet[10] = ssrc >> 8; packet[11] = ssrc;
  for (size_t i = 0; i < payload_size; ++i) packet[12 + i] = static_cast<uint8_t>(i * 7 + sequence);
  return packet;
}

std::vector<uint8_t> rtcp_receiver_report(uint32_t ssrc) {
  // RR with no report blocks: V=2, RC=0, PT=201, length=1.
  return {0x80, 201, 0, 1, uint8_t(ssrc >> 24), uint8_t(ssrc >> 16), uint8_t(ssrc >> 8),
          uint8_t(ssrc)};
}

class SrtpRoundTrip : public ::testing::TestWithParam<SrtpProfile> {
 protected:
  void SetUp() override {
    if (GetParam() == SrtpProfile::aead_aes_128_gcm && !SrtpLibrary::aead_gcm_supported())
      GTEST_SKIP() << "this libsrtp build has no AEAD_AES_128_GCM";
  }
};

}  // namespace

TEST(SrtpProfile, KeyingMaterialLayoutFollowsRfc5764) {
  for (const auto profile : {SrtpProfile::aes128_cm_sha1_80, SrtpProfile::aead_aes_128_gcm}) {
    const size_t key = srtp_master_key_length(profile);
    const size_t salt = srtp_master_salt_length(profile);
    ASSERT_EQ(dtls_srtp_keying_material_length(profile), 2 * (key + salt));
    std::vector<uint8_t> material(2 * (key + salt));
    std::iota(material.begin(), material.end(), uint8_t{0});
    const DtlsSrtpKeys keys =
        split_dtls_srtp_keying_material(profile, material.data(), material.size());
    // client key | server key | client salt | server salt
    std::vector<uint8_t> client(material.begin(), material.begin() + key);
    client.insert(client.end(), material.begin() + 2 * key, material.begin() + 2 * key + salt);
    std::vector<uint8_t> server(material.begin() + key, material.begin() + 2 * key);
    server.insert(server.end(), material.begin() + 2 * key + salt, material.end());
    EXPECT_EQ(keys.client_write, client);
    EXPECT_EQ(keys.server_write, server);
  }
  EXPECT_EQ(srtp_master_salt_length(SrtpProfile::aes128_cm_sha1_80), 14u);
  EXPECT_EQ(srtp_master_salt_length(SrtpProfile::aead_aes_128_gcm), 12u);
  std::vector<uint8_t> short_material(10);
  EXPECT_THROW(split_dtls_srtp_keying_material(SrtpProfile::aes128_cm_sha1_80,
                                               short_material.data(), short_material.size()),
               std::invalid_argument);
}

TEST(SrtpProfile, MapsOpenSslIds) {
  EXPECT_EQ(srtp_profile_from_id(0x0001), SrtpProfile::aes128_cm_sha1_80);
  EXPECT_EQ(srtp_profile_from_id(0x0007), SrtpProfile::aead_aes_128_gcm);
  EXPECT_FALSE(srtp_profile_from_id(0x0002).has_value());
}

TEST_P(SrtpRoundTrip, RtpAndRtcpProtectThenUnprotect) {
  const SrtpProfile profile = GetParam();
  std::vector<uint8_t> material(dtls_srtp_keying_material_length(profile));
  for (size_t i = 0; i < material.size(); ++i) material[i] = static_cast<uint8_t>(i * 13 + 1);
  const DtlsSrtpKeys keys =
      split_dtls_srtp_keying_material(profile, material.data(), material.size());

  // The DTLS client protects with the client key; the server unprotects with the same.
  SrtpSession sender(profile, SrtpSession::Direction::outbound, keys.client_write);
  SrtpSession receiver(profile, SrtpSession::Direction::inbound, keys.client_write);
  SrtpSession wrong_key(profile, SrtpSession::Direction::inbound, keys.server_write);

  for (uint16_t seq = 1000; seq < 1010; ++seq) {
    const auto plain = rtp_packet(seq, 0x11223344, 160);
    std::vector<uint8_t> buffer(plain.size() + SrtpSession::kMaxTrailer);
    std::memcpy(buffer.data(), plain.data(), plain.size());
    size_t length = plain.size();
    ASSERT_TRUE(sender.protect_rtp(buffer.data(), length, buffer.size()));
    EXPECT_EQ(length, plain.size() + (profile == SrtpProfile::aead_aes_128_gcm ? 16u : 10u));
    EXPECT_NE(0, std::memcmp(buffer.data() + 12, plain.data() + 12, 160));  // encrypted

    std::vector<uint8_t> copy(buffer.begin(), buffer.begin() + length);
    size_t wrong_length = copy.size();
    EXPECT_FALSE(wrong_key.unprotect_rtp(copy.data(), wrong_length));

    ASSERT_TRUE(receiver.unprotect_rtp(buffer.data(), length));
    ASSERT_EQ(length, plain.size());
    EXPECT_EQ(0, std::memcmp(buffer.data(), plain.data(), plain.size()));
  }

  const auto rr = rtcp_receiver_report(0x55667788);
  std::vector<uint8_t> buffer(rr.size() + SrtpSession::kMaxTrailer);
  std::memcpy(buffer.data(), rr.data(), rr.size());
  size_t length = rr.size();
  ASSERT_TRUE(sender.protect_rtcp(buffer.data(), length, buffer.size()));
  EXPECT_GT(length, rr.size() + 4);  // SRTCP index + tag
  ASSERT_TRUE(receiver.unprotect_rtcp(buffer.data(), length));
  ASSERT_EQ(length, rr.size());
  EXPECT_EQ(0, std::memcmp(buffer.data(), rr.data(), rr.size()));
}

TEST_P(SrtpRoundTrip, ReplayIsRejectedAndShortBufferRefused) {
  const SrtpProfile profile = GetParam();
  std::vector<uint8_t> material(dtls_srtp_keying_material_length(profile), 0x42);
  const auto keys = split_dtls_srtp_keying_material(profile, material.data(), material.size());
  SrtpSession sender(profile, SrtpSession::Direction::outbound, keys.server_write);
  SrtpSession receiver(profile, SrtpSession::Direction::inbound, keys.server_write);

  const auto plain = rtp_packet(7, 1, 20);
  std::vector<uint8_t> tight(plain);  // no tail room: refused, not overflowed
  size_t tight_length = tight.size();
  EXPECT_FALSE(sender.protect_rtp(tight.data(), tight_length, tight.size()));

  std::vector<uint8_t> buffer(plain.size() + SrtpSession::kMaxTrailer);
  std::memcpy(buffer.data(), plain.data(), plain.size());
  size_t length = plain.size();
  ASSERT_TRUE(sender.protect_rtp(buffer.data(), length, buffer.size()));
  std::vector<uint8_t> replay(buffer.begin(), buffer.begin() + length);
  ASSERT_TRUE(receiver.unprotect_rtp(buffer.data(), length));
  size_t replay_length = replay.size();
  EXPECT_FALSE(receiver.unprotect_rtp(replay.data(), replay_length));
}

TEST(SrtpSession, RejectsWrongKeyLength) {
  EXPECT_THROW(SrtpSession(SrtpProfile::aes128_cm_sha1_80, SrtpSession::Direction::inbound,
                           std::vector<uint8_t>(28)),
               std::runtime_error);
}

INSTANTIATE_TEST_SUITE_P(Profiles, SrtpRoundTrip,
                         ::testing::Values(SrtpProfile::aes128_cm_sha1_80,
                                           SrtpProfile::aead_aes_128_gcm),
                         [](const auto& info) {
                           return std::string(info.param == SrtpProfile::aead_aes_128_gcm
                                                  ? "AeadAes128Gcm"
                                                  : "Aes128CmSha1_80");
                         });
