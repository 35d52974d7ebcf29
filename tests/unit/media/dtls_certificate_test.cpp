#include "gateway/media/dtls_certificate.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <regex>

using sipgw::media::DtlsCertificate;

TEST(DtlsCertificate, IsEcdsaP256SelfSignedForThirtyDays) {
  const auto cert = DtlsCertificate::generate();
  ASSERT_NE(cert->key(), nullptr);
  ASSERT_NE(cert->certificate(), nullptr);

  EXPECT_EQ(EVP_PKEY_get_base_id(cert->key()), EVP_PKEY_EC);
  char group[64] = {};
  size_t group_length = 0;
  ASSERT_EQ(EVP_PKEY_get_group_name(cert->key(), group, sizeof group, &group_length), 1);
  EXPECT_STREQ(group, "prime256v1");

  // Self-signed: the certificate verifies with its own key.
  EXPECT_EQ(X509_verify(cert->certificate(), cert->key()), 1);
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert->certificate()),
                          X509_get_issuer_name(cert->certificate())),
            0);
  // Valid now, expired in 31 days.
  EXPECT_LT(X509_cmp_current_time(X509_get0_notBefore(cert->certificate())), 0);
  EXPECT_GT(X509_cmp_current_time(X509_get0_notAfter(cert->certificate())), 0);
  time_t in_31_days = time(nullptr) + 31L * 24 * 3600;
  EXPECT_LT(X509_cmp_time(X509_get0_notAfter(cert->certificate()), &in_31_days), 0);
}

TEST(DtlsCertificate, FingerprintIs32UpperCaseHexPairs) {
  const auto cert = DtlsCertificate::generate();
  const std::string& fp = cert->sha256_fingerprint();
  EXPECT_TRUE(std::regex_match(fp, std::regex("([0-9A-F]{2}:){31}[0-9A-F]{2}"))) << fp;
  EXPECT_EQ(fp, sipgw::media::sha256_fingerprint(cert->certificate()));

  // It is the SHA-256 of the DER encoding (RFC 8122 §5).
  unsigned char* der = nullptr;
  const int der_length = i2d_X509(cert->certificate(), &der);
  ASSERT_GT(der_length, 0);
  unsigned char digest[32];
  unsigned int digest_length = 0;
  ASSERT_EQ(EVP_Digest(der, der_length, digest, &digest_length, EVP_sha256(), nullptr), 1);
  OPENSSL_free(der);
  char first[3];
  snprintf(first, sizeof first, "%02X", digest[0]);
  EXPECT_EQ(fp.substr(0, 2), first);
  char last[3];
  snprintf(last, sizeof last, "%02X", digest[31]);
  EXPECT_EQ(fp.substr(fp.size() - 2), last);
}

TEST(DtlsCertificate, EachGenerationIsFresh) {
  EXPECT_NE(DtlsCertificate::generate()->sha256_fingerprint(),
            DtlsCertificate::generate()->sha256_fingerprint());
}

TEST(DtlsCertificate, FingerprintOfNullIsEmpty) {
  EXPECT_TRUE(sipgw::media::sha256_fingerprint(nullptr).empty());
}
