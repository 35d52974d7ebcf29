#pragma once
// The SSL_CTX shared by every DTLS association that uses one certificate: DTLS 1.2 only, our
// ECDSA certificate, use_srtp with the profiles this libsrtp build can do, peer certificates
// checked by SHA-256 fingerprint (RFC 8122) instead of a CA chain.
#include <memory>

typedef struct ssl_ctx_st SSL_CTX;

namespace sipgw::media {

class DtlsCertificate;

class DtlsContext {
 public:
  /// The context for `certificate`, created on first use and shared while anyone holds it.
  /// Throws std::runtime_error on OpenSSL failure. Any thread (control plane, not per packet).
  static std::shared_ptr<DtlsContext> for_certificate(
      std::shared_ptr<const DtlsCertificate> certificate);

  ~DtlsContext();
  DtlsContext(const DtlsContext&) = delete;
  DtlsContext& operator=(const DtlsContext&) = delete;

  SSL_CTX* get() const noexcept { return ctx_; }
  /// The use_srtp profile list offered/accepted (RFC 5764 §4.1.1), most preferred first.
  const char* srtp_profiles() const noexcept;

 private:
  explicit DtlsContext(std::shared_ptr<const DtlsCertificate> certificate);
  std::shared_ptr<const DtlsCertificate> certificate_;
  SSL_CTX* ctx_ = nullptr;
  bool gcm_ = false;
};

}  // namespace sipgw::media
