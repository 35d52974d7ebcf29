#include "gateway/media/dtls_transport.hpp"

#include <glib.h>
#include <openssl/err.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <strings.h>

#include <mutex>
#include <stdexcept>
#include <vector>

#include "gateway/media/dtls_certificate.hpp"
#include "gateway/media/dtls_context.hpp"

namespace sipgw::media {

namespace {

constexpr char kExporterLabel[] = "EXTRACTOR-dtls_srtp";  // RFC 5764 §4.2

int transport_ex_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

std::string openssl_error_string() {
  std::string out;
  while (const unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof buffer);
    if (!out.empty()) out += "; ";
    out += buffer;
  }
  return out;
}

}  // namespace

// C callbacks. Each catches everything: an exception must never unwind through OpenSSL or GLib.
struct DtlsTransport::Trampolines {
  // The outgoing BIO: every DTLS write becomes exactly one datagram (a memory BIO would merge a
  // whole flight into one buffer, defeating the MTU).
  static int bio_write(BIO* bio, const char* data, int length) {
    try {
      auto* self = static_cast<DtlsTransport*>(BIO_get_data(bio));
      if (self && length > 0)
        self->listener_.on_dtls_send(reinterpret_cast<const uint8_t*>(data),
                                     static_cast<size_t>(length));
    } catch (const std::exception& e) {
      spdlog::error("DTLS: send callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("DTLS: send callback threw");
    }
    return length;  // datagram semantics: a lost datagram is retransmitted by DTLS itself
  }

  static long bio_ctrl(BIO*, int command, long, void*) {
    switch (command) {
      case BIO_CTRL_FLUSH: return 1;
      case BIO_CTRL_DGRAM_QUERY_MTU: return 0;  // SSL_OP_NO_QUERY_MTU; SSL_set_mtu decides
      case BIO_CTRL_WPENDING:
      case BIO_CTRL_PENDING: return 0;
      default: return 0;
    }
  }

  static int bio_create(BIO* bio) {
    BIO_set_init(bio, 1);
    BIO_set_data(bio, nullptr);
    return 1;
  }

  static int bio_destroy(BIO* bio) {
    BIO_set_data(bio, nullptr);
    return 1;
  }

  static BIO_METHOD* outgoing_method() {
    static BIO_METHOD* method = [] {
      BIO_METHOD* m =
          BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "sipgw DTLS datagram out");
      if (!m) throw std::runtime_error("BIO_meth_new failed");
      BIO_meth_set_write(m, &bio_write);
      BIO_meth_set_ctrl(m, &bio_ctrl);
      BIO_meth_set_create(m, &bio_create);
      BIO_meth_set_destroy(m, &bio_destroy);
      return m;
    }();
    return method;
  }

  // DTLS retransmission: start at 400 ms (OpenSSL's default is 1 s), double, cap at 4 s; the
  // overall deadline is the separate handshake timeout.
  static unsigned int timer_duration(SSL*, unsigned int previous_us) {
    if (previous_us == 0) return 400'000;
    return std::min(previous_us * 2, 4'000'000u);
  }

  static gboolean on_retransmit(gpointer data) {
    auto* self = static_cast<DtlsTransport*>(data);
    try {
      g_source_unref(self->retransmit_timer_);
      self->retransmit_timer_ = nullptr;
      if (self->state_ != State::handshaking) return G_SOURCE_REMOVE;
      ERR_clear_error();
      if (DTLSv1_handle_timeout(self->ssl_) < 0) {
        self->fail("DTLS handshake failed: retransmission limit reached (" +
                   openssl_error_string() + ")");
        return G_SOURCE_REMOVE;
      }
      self->arm_retransmit_timer();
    } catch (const std::exception& e) {
      spdlog::error("DTLS: retransmit timer threw: {}", e.what());
    } catch (...) {
      spdlog::error("DTLS: retransmit timer threw");
    }
    return G_SOURCE_REMOVE;
  }

  static gboolean on_deadline(gpointer data) {
    auto* self = static_cast<DtlsTransport*>(data);
    try {
      g_source_unref(self->deadline_);
      self->deadline_ = nullptr;
      if (self->state_ == State::handshaking)
        self->fail("DTLS handshake timed out after " +
                   std::to_string(self->handshake_timeout_ms_) + " ms");
    } catch (const std::exception& e) {
      spdlog::error("DTLS: deadline threw: {}", e.what());
    } catch (...) {
      spdlog::error("DTLS: deadline threw");
    }
    return G_SOURCE_REMOVE;
  }
};

DtlsTransport::DtlsTransport(GMainContext* context, std::shared_ptr<DtlsContext> dtls_context,
                             Role role, std::string peer_fingerprint,
                             uint32_t handshake_timeout_ms, Listener& listener)
    : context_(context),
      dtls_context_(std::move(dtls_context)),
      role_(role),
      peer_fingerprint_(std::move(peer_fingerprint)),
      handshake_timeout_ms_(handshake_timeout_ms),
      listener_(listener) {
  ssl_ = SSL_new(dtls_context_->get());
  if (!ssl_) throw std::runtime_error("SSL_new failed: " + openssl_error_string());
  incoming_ = BIO_new(BIO_s_mem());
  BIO* outgoing = BIO_new(Trampolines::outgoing_method());
  if (!incoming_ || !outgoing) {
    BIO_free(incoming_);
    BIO_free(outgoing);
    SSL_free(ssl_);
    throw std::runtime_error("BIO_new failed");
  }
  BIO_set_mem_eof_return(incoming_, -1);  // empty means "would block", not EOF
  BIO_set_data(outgoing, this);
  SSL_set_bio(ssl_, incoming_, outgoing);  // ssl_ owns both
  SSL_set_ex_data(ssl_, transport_ex_index(), this);
  SSL_set_mtu(ssl_, kMtu);
  DTLS_set_timer_cb(ssl_, &Trampolines::timer_duration);
  // RFC 5763 §5: a=setup:active is the DTLS client, passive the server.
  if (role_ == Role::client)
    SSL_set_connect_state(ssl_);
  else
    SSL_set_accept_state(ssl_);
}

DtlsTransport::~DtlsTransport() {
  cancel_retransmit_timer();
  cancel_deadline();
  if (ssl_) {
    // No more writes may reach the listener from SSL_free.
    if (BIO* out = SSL_get_wbio(ssl_)) BIO_set_data(out, nullptr);
    SSL_free(ssl_);
  }
}

DtlsTransport* DtlsTransport::from_ssl(SSL* ssl) noexcept {
  return static_cast<DtlsTransport*>(SSL_get_ex_data(ssl, transport_ex_index()));
}

bool DtlsTransport::verify_peer_certificate(X509* certificate) {
  const std::string actual = sha256_fingerprint(certificate);
  if (!actual.empty() && actual.size() == peer_fingerprint_.size() &&
      strcasecmp(actual.c_str(), peer_fingerprint_.c_str()) == 0)
    return true;
  // RFC 8122 §5 / RFC 8827 §6.5: the certificate must match the SDP fingerprint.
  verify_failure_ = "DTLS fingerprint mismatch: SDP says sha-256 " + peer_fingerprint_ +
                    ", peer certificate is " + (actual.empty() ? "unreadable" : actual);
  return false;
}

void DtlsTransport::start() {
  if (state_ != State::idle) return;
  state_ = State::handshaking;
  started_us_ = g_get_monotonic_time();
  deadline_ = g_timeout_source_new(handshake_timeout_ms_);
  g_source_set_callback(deadline_, &Trampolines::on_deadline, this, nullptr);
  g_source_attach(deadline_, context_);
  spdlog::debug("DTLS: handshake started as {}", role_ == Role::client ? "client" : "server");
  if (role_ == Role::client) continue_handshake();
}

void DtlsTransport::receive(const uint8_t* data, size_t length) {
  if (state_ != State::handshaking && state_ != State::connected) return;
  if (BIO_write(incoming_, data, static_cast<int>(length)) <= 0) return;
  if (state_ == State::handshaking)
    continue_handshake();
  else
    drain_application_data();
}

void DtlsTransport::shutdown() {
  cancel_retransmit_timer();
  cancel_deadline();
  if (state_ == State::connected) {
    ERR_clear_error();
    SSL_shutdown(ssl_);  // close_notify, so the browser learns at once (RFC 5246 §7.2.1)
  }
  if (state_ != State::failed) state_ = State::closed;
}

void DtlsTransport::continue_handshake() {
  ERR_clear_error();
  const int ret = SSL_do_handshake(ssl_);
  if (ret == 1) {
    on_handshake_done();
    return;
  }
  const int error = SSL_get_error(ssl_, ret);
  if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) {
    arm_retransmit_timer();
    return;
  }
  fail(take_ssl_error(ret));
}

void DtlsTransport::on_handshake_done() {
  cancel_retransmit_timer();
  cancel_deadline();

  // The verify callback has run already; check again so that no path (e.g. a peer sending no
  // certificate) reaches SRTP unauthenticated.
  X509* peer = SSL_get1_peer_certificate(ssl_);
  const bool verified = peer && verify_peer_certificate(peer);
  X509_free(peer);
  if (!verified) {
    fail(verify_failure_.empty() ? "DTLS peer sent no certificate" : verify_failure_);
    return;
  }

  const SRTP_PROTECTION_PROFILE* selected = SSL_get_selected_srtp_profile(ssl_);
  const auto profile = selected ? srtp_profile_from_id(selected->id) : std::nullopt;
  if (!profile) {
    fail("DTLS handshake negotiated no usable SRTP profile (use_srtp)");
    return;
  }
  std::vector<uint8_t> material(dtls_srtp_keying_material_length(*profile));
  if (SSL_export_keying_material(ssl_, material.data(), material.size(), kExporterLabel,
                                 sizeof kExporterLabel - 1, nullptr, 0, 0) != 1) {
    fail("DTLS keying material export failed: " + openssl_error_string());
    return;
  }
  const DtlsSrtpKeys keys = split_dtls_srtp_keying_material(*profile, material.data(),
                                                            material.size());
  OPENSSL_cleanse(material.data(), material.size());
  state_ = State::connected;
  spdlog::debug("DTLS: connected as {} in {} ms, {} {}, {}",
                role_ == Role::client ? "client" : "server",
                (g_get_monotonic_time() - started_us_) / 1000, SSL_get_version(ssl_),
                SSL_get_cipher_name(ssl_), srtp_profile_name(*profile));
  listener_.on_dtls_connected(*profile, keys);
  // Records that arrived with the last flight, if any.
  if (state_ == State::connected && BIO_ctrl_pending(incoming_) > 0) drain_application_data();
}

void DtlsTransport::drain_application_data() {
  uint8_t buffer[2048];
  for (;;) {
    ERR_clear_error();
    const int ret = SSL_read(ssl_, buffer, sizeof buffer);
    if (ret > 0) continue;  // no data channel here: application data is ignored
    const int error = SSL_get_error(ssl_, ret);
    if (error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE) return;
    if (error == SSL_ERROR_ZERO_RETURN) {
      fail("DTLS closed by peer (close_notify)");
      return;
    }
    fail(take_ssl_error(ret));
    return;
  }
}

void DtlsTransport::arm_retransmit_timer() {
  cancel_retransmit_timer();
  struct timeval tv {};
  if (DTLSv1_get_timeout(ssl_, &tv) <= 0) return;
  const guint ms = static_cast<guint>(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
  retransmit_timer_ = g_timeout_source_new(ms);
  g_source_set_callback(retransmit_timer_, &Trampolines::on_retransmit, this, nullptr);
  g_source_attach(retransmit_timer_, context_);
}

void DtlsTransport::cancel_retransmit_timer() {
  if (!retransmit_timer_) return;
  g_source_destroy(retransmit_timer_);
  g_source_unref(retransmit_timer_);
  retransmit_timer_ = nullptr;
}

void DtlsTransport::cancel_deadline() {
  if (!deadline_) return;
  g_source_destroy(deadline_);
  g_source_unref(deadline_);
  deadline_ = nullptr;
}

void DtlsTransport::fail(std::string reason) {
  if (state_ == State::failed || state_ == State::closed) return;
  state_ = State::failed;
  cancel_retransmit_timer();
  cancel_deadline();
  spdlog::debug("DTLS: {}", reason);
  listener_.on_dtls_failed(reason);
}

std::string DtlsTransport::take_ssl_error(int ret) {
  const int error = SSL_get_error(ssl_, ret);
  std::string detail = openssl_error_string();
  if (!verify_failure_.empty()) return verify_failure_;
  if (detail.empty()) detail = "SSL error " + std::to_string(error);
  return (state_ == State::connected ? "DTLS error: " : "DTLS handshake failed: ") + detail;
}

}  // namespace sipgw::media
