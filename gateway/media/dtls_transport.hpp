#pragma once
// One DTLS 1.2 association over ICE (RFC 5764 DTLS-SRTP, RFC 8842). Datagrams in through
// `receive`, datagrams out through Listener::on_dtls_send, one per DTLS write (never merged, so
// each stays under the 1200-byte MTU). Retransmission timer and handshake deadline are GLib
// timeout sources on the owning worker's context.
//
// Threads: everything (construction, calls, callbacks, destruction) on one media worker.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "gateway/media/srtp_profile.hpp"

typedef struct ssl_st SSL;
typedef struct bio_st BIO;
typedef struct x509_st X509;
typedef struct _GMainContext GMainContext;
typedef struct _GSource GSource;

namespace sipgw::media {

class DtlsContext;

class DtlsTransport {
 public:
  enum class Role { client, server };

  /// The caller MUST NOT destroy the transport during a callback.
  class Listener {
   public:
    virtual ~Listener() = default;
    /// One DTLS datagram for the peer.
    virtual void on_dtls_send(const uint8_t* data, size_t length) = 0;
    /// Handshake done, peer fingerprint verified, SRTP keys exported.
    virtual void on_dtls_connected(SrtpProfile profile, const DtlsSrtpKeys& keys) = 0;
    /// Handshake failed or timed out, or the peer closed the association. At most once; the
    /// transport does nothing afterwards.
    virtual void on_dtls_failed(const std::string& reason) = 0;
  };

  static constexpr int kMtu = 1200;

  /// `peer_fingerprint` is the SHA-256 fingerprint from the peer's SDP ("AB:CD:...", any case).
  /// Throws std::runtime_error on OpenSSL failure.
  DtlsTransport(GMainContext* context, std::shared_ptr<DtlsContext> dtls_context, Role role,
                std::string peer_fingerprint, uint32_t handshake_timeout_ms,
                Listener& listener);
  ~DtlsTransport();
  DtlsTransport(const DtlsTransport&) = delete;
  DtlsTransport& operator=(const DtlsTransport&) = delete;

  /// Starts the handshake (the client sends its ClientHello now) and the deadline.
  void start();
  /// A datagram from the peer whose first byte is 20–63 (RFC 7983).
  void receive(const uint8_t* data, size_t length);
  /// Sends close_notify if connected (before the ICE agent goes away). No callback follows.
  void shutdown();

  bool connected() const noexcept { return state_ == State::connected; }
  Role role() const noexcept { return role_; }

  // For the SSL_CTX verify callback (dtls_context.cpp): the association an SSL belongs to, and
  // the fingerprint check of the peer's leaf certificate.
  static DtlsTransport* from_ssl(SSL* ssl) noexcept;
  bool verify_peer_certificate(X509* certificate);

  // BIO and timer trampolines (C callbacks).
  struct Trampolines;

 private:
  enum class State { idle, handshaking, connected, failed, closed };

  void continue_handshake();
  void on_handshake_done();
  void drain_application_data();
  void arm_retransmit_timer();
  void cancel_retransmit_timer();
  void cancel_deadline();
  void fail(std::string reason);
  std::string take_ssl_error(int ret);

  GMainContext* context_;
  std::shared_ptr<DtlsContext> dtls_context_;
  Role role_;
  std::string peer_fingerprint_;
  uint32_t handshake_timeout_ms_;
  Listener& listener_;
  SSL* ssl_ = nullptr;
  BIO* incoming_ = nullptr;  // memory BIO fed by receive(); owned by ssl_
  GSource* retransmit_timer_ = nullptr;
  GSource* deadline_ = nullptr;
  State state_ = State::idle;
  std::string verify_failure_;
  int64_t started_us_ = 0;
};

}  // namespace sipgw::media
