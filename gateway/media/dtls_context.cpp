#include "gateway/media/dtls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <map>
#include <mutex>
#include <stdexcept>

#include "gateway/media/dtls_certificate.hpp"
#include "gateway/media/dtls_transport.hpp"
#include "gateway/media/srtp_library.hpp"

namespace sipgw::media {

namespace {

constexpr const char* kProfilesWithGcm = "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80";
constexpr const char* kProfilesWithoutGcm = "SRTP_AES128_CM_SHA1_80";

// Forward-secret AEAD suites first; the CBC ones remain for older peers. ECDSA and RSA both:
// our certificate is ECDSA, but the browser's (when it is the DTLS server) may be either.
constexpr const char* kCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:"
    "ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA";

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  if (!code) return "unknown error";
  char buffer[256];
  ERR_error_string_n(code, buffer, sizeof buffer);
  return buffer;
}

[[noreturn]] void fail(const char* what) {
  throw std::runtime_error(std::string("DtlsContext: ") + what + ": " + openssl_error());
}

// Peer certificates are self-signed (RFC 8827 §6.5): instead of a CA chain, the leaf is
// authenticated by the fingerprint from the SDP (RFC 8122 §5), which the association checks.
int verify_by_fingerprint(X509_STORE_CTX* store, void*) {
  try {
    auto* ssl = static_cast<SSL*>(
        X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    auto* transport = ssl ? DtlsTransport::from_ssl(ssl) : nullptr;
    X509* leaf = X509_STORE_CTX_get0_cert(store);
    if (!transport || !leaf) return 0;
    if (transport->verify_peer_certificate(leaf)) return 1;
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
  } catch (...) {
    return 0;
  }
}

}  // namespace

std::shared_ptr<DtlsContext> DtlsContext::for_certificate(
    std::shared_ptr<const DtlsCertificate> certificate) {
  if (!certificate) throw std::invalid_argument("DtlsContext: no certificate");
  static std::mutex mutex;
  static std::map<const DtlsCertificate*, std::weak_ptr<DtlsContext>> cache;
  std::lock_guard lock(mutex);
  for (auto it = cache.begin(); it != cache.end();) {
    if (it->second.expired())
      it = cache.erase(it);
    else
      ++it;
  }
  if (auto it = cache.find(certificate.get()); it != cache.end())
    if (auto existing = it->second.lock()) return existing;
  std::shared_ptr<DtlsContext> created(new DtlsContext(certificate));
  cache[certificate.get()] = created;
  return created;
}

DtlsContext::DtlsContext(std::shared_ptr<const DtlsCertificate> certificate)
    : certificate_(std::move(certificate)) {
  gcm_ = SrtpLibrary::aead_gcm_supported();
  ctx_ = SSL_CTX_new(DTLS_method());
  if (!ctx_) fail("SSL_CTX_new(DTLS_method)");
  try {
    // RFC 8827 §6.5 / RFC 8842: DTLS 1.2.
    if (SSL_CTX_set_min_proto_version(ctx_, DTLS1_2_VERSION) != 1) fail("min version");
    if (SSL_CTX_set_max_proto_version(ctx_, DTLS1_2_VERSION) != 1) fail("max version");
    if (SSL_CTX_use_certificate(ctx_, certificate_->certificate()) != 1) fail("certificate");
    if (SSL_CTX_use_PrivateKey(ctx_, certificate_->key()) != 1) fail("private key");
    if (SSL_CTX_check_private_key(ctx_) != 1) fail("key does not match certificate");
    if (SSL_CTX_set_cipher_list(ctx_, kCiphers) != 1) fail("cipher list");
    if (SSL_CTX_set1_groups_list(ctx_, "X25519:P-256:P-384") != 1) fail("groups");
    // MTU is set per association (no path MTU queries on a memory transport); pitfall 2:
    // refuse renegotiation; no session tickets or cache (every association is fresh).
    SSL_CTX_set_options(ctx_, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
    SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    SSL_CTX_set_cert_verify_callback(ctx_, &verify_by_fingerprint, nullptr);
    // Note: returns 0 on success.
    if (SSL_CTX_set_tlsext_use_srtp(ctx_, srtp_profiles()) != 0) fail("use_srtp");
  } catch (...) {
    SSL_CTX_free(ctx_);
    throw;
  }
  spdlog::debug("DTLS context ready (use_srtp {})", srtp_profiles());
}

DtlsContext::~DtlsContext() { SSL_CTX_free(ctx_); }

const char* DtlsContext::srtp_profiles() const noexcept {
  return gcm_ ? kProfilesWithGcm : kProfilesWithoutGcm;
}

}  // namespace sipgw::media
