#pragma once
// The gateway's DTLS identity: an ECDSA P-256 self-signed certificate generated at start-up
// (RFC 8827 §6.5) and its SHA-256 fingerprint for `a=fingerprint` (RFC 8122 §5).
#include <memory>
#include <string>

typedef struct evp_pkey_st EVP_PKEY;
typedef struct x509_st X509;

namespace sipgw::media {

class DtlsCertificate {
 public:
  /// Generates a fresh key pair and a certificate valid for 30 days. Throws std::runtime_error
  /// on OpenSSL failure. Any thread; called once at start-up.
  static std::shared_ptr<const DtlsCertificate> generate();
  ~DtlsCertificate();

  EVP_PKEY* key() const noexcept { return key_; }
  X509* certificate() const noexcept { return cert_; }
  /// "AB:CD:..." (32 upper-case hex pairs).
  const std::string& sha256_fingerprint() const noexcept { return fingerprint_; }

 private:
  DtlsCertificate() = default;
  EVP_PKEY* key_ = nullptr;
  X509* cert_ = nullptr;
  std::string fingerprint_;
};

/// SHA-256 fingerprint of `cert` as "AB:CD:..."; empty on failure. Any thread.
std::string sha256_fingerprint(X509* cert);

}  // namespace sipgw::media
