#include "gateway/media/dtls_certificate.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <stdexcept>

namespace sipgw::media {

namespace {

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
struct X509Deleter {
  void operator()(X509* p) const noexcept { X509_free(p); }
};

[[noreturn]] void fail(const char* what) {
  throw std::runtime_error(std::string("DtlsCertificate: ") + what + " failed");
}

}  // namespace

std::shared_ptr<const DtlsCertificate> DtlsCertificate::generate() {
  // RFC 8827 §6.5: ECDSA with P-256 is the one every browser accepts.
  std::unique_ptr<EVP_PKEY, EvpPkeyDeleter> key(EVP_EC_gen("P-256"));
  if (!key) fail("EVP_EC_gen(P-256)");

  std::unique_ptr<X509, X509Deleter> cert(X509_new());
  if (!cert) fail("X509_new");
  if (X509_set_version(cert.get(), 2) != 1) fail("X509_set_version");

  // A random positive 63-bit serial: browsers do not check it, but reusing one is poor form.
  uint64_t serial = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof serial) != 1)
    fail("RAND_bytes");
  serial &= 0x7fffffffffffffffULL;
  if (ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial) != 1)
    fail("ASN1_INTEGER_set_uint64");

  // Valid from a day ago (clock skew) for 30 days.
  if (!X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24L * 3600)) fail("notBefore");
  if (!X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600)) fail("notAfter");

  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("sip-gateway"), -1, -1,
                                 0) != 1)
    fail("X509_NAME_add_entry_by_txt");
  if (X509_set_issuer_name(cert.get(), name) != 1) fail("X509_set_issuer_name");
  if (X509_set_pubkey(cert.get(), key.get()) != 1) fail("X509_set_pubkey");
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) fail("X509_sign");

  std::string fingerprint = media::sha256_fingerprint(cert.get());
  if (fingerprint.empty()) fail("X509_digest");

  std::shared_ptr<DtlsCertificate> result(new DtlsCertificate());
  result->key_ = key.release();
  result->cert_ = cert.release();
  result->fingerprint_ = std::move(fingerprint);
  spdlog::debug("DTLS certificate generated, sha-256 {}", result->fingerprint_);
  return result;
}

DtlsCertificate::~DtlsCertificate() {
  X509_free(cert_);
  EVP_PKEY_free(key_);
}

std::string sha256_fingerprint(X509* cert) {
  if (!cert) return {};
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(cert, EVP_sha256(), digest, &length) != 1 || length != 32) return {};
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(length * 3);
  for (unsigned int i = 0; i < length; ++i) {
    if (i) out.push_back(':');
    out.push_back(hex[digest[i] >> 4]);
    out.push_back(hex[digest[i] & 0x0f]);
  }
  return out;
}

}  // namespace sipgw::media
