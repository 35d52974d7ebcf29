#include "fake_browser.hpp"

#include <nice/agent.h>
#include <openssl/err.h>
#include <openssl/srtp.h>
#include <openssl/ssl.h>
#include <srtp2/srtp.h>
#include <strings.h>

#include <cstring>
#include <future>
#include <stdexcept>

#include "gateway/media/dtls_certificate.hpp"
#include "gateway/media/media_worker.hpp"
#include "gateway/media/srtp_library.hpp"
#include "protocol/packet_kind.hpp"

namespace sipgw::media::test {

struct FakeBrowser::State {
  std::string srtp_profiles;
  Role role = Role::offerer;
  MediaWorker thread{99};
  std::shared_ptr<const DtlsCertificate> certificate = DtlsCertificate::generate();

  // Browser thread only.
  NiceAgent* agent = nullptr;
  guint stream = 0;
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  BIO* rbio = nullptr;
  BIO* wbio = nullptr;
  GSource* dtls_timer = nullptr;
  srtp_t srtp_in = nullptr;   // gateway -> browser: the gateway's DTLS role's write key
  srtp_t srtp_out = nullptr;  // browser -> gateway: the browser's DTLS role's write key
  bool dtls_started = false;

  // Shared with the test thread.
  mutable std::mutex mutex;
  std::condition_variable cv;
  bool gathered = false;
  RemoteWebRtcParameters offer;
  bool dtls_connected = false;
  bool dtls_failed = false;
  bool fingerprint_ok = false;
  std::string expected_gateway_fingerprint;
  std::string profile;
  std::vector<std::vector<uint8_t>> rtp;
  std::vector<std::vector<uint8_t>> rtcp;
  size_t unprotect_failures = 0;
  bool ignore_dtls = false;
  size_t dtls_ignored = 0;
  size_t total = 0;

  template <typename F>
  void run_sync(F&& f) {
    std::promise<void> done;
    auto future = done.get_future();
    thread.post([&] {
      try {
        f();
        done.set_value();
      } catch (...) {
        done.set_exception(std::current_exception());
      }
    });
    future.get();
  }

  template <typename Pred>
  bool wait(std::chrono::milliseconds timeout, Pred pred) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, timeout, pred);
  }

  void signal() {
    cv.notify_all();
  }

  // ---- browser thread ----

  void flush_dtls() {
    char buffer[4096];
    for (;;) {
      const int pending = static_cast<int>(BIO_ctrl_pending(wbio));
      if (pending <= 0) return;
      const int n = BIO_read(wbio, buffer, std::min<int>(pending, sizeof buffer));
      if (n <= 0) return;
      nice_agent_send(agent, stream, 1, n, buffer);
    }
  }

  void on_dtls_data(const uint8_t* data, size_t length) {
    BIO_write(rbio, data, static_cast<int>(length));
    if (!SSL_is_init_finished(ssl)) {
      ERR_clear_error();
      const int ret = SSL_do_handshake(ssl);
      flush_dtls();
      if (ret == 1) {
        on_handshake_done();
      } else {
        const int error = SSL_get_error(ssl, ret);
        if (error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE) {
          std::lock_guard lock(mutex);
          dtls_failed = true;
          signal();
        }
      }
    } else {
      char buffer[2048];
      while (SSL_read(ssl, buffer, sizeof buffer) > 0) {
      }
      flush_dtls();
    }
  }

  void on_handshake_done() {
    X509* peer = SSL_get1_peer_certificate(ssl);
    const std::string peer_fingerprint = sha256_fingerprint(peer);
    X509_free(peer);
    const SRTP_PROTECTION_PROFILE* selected = SSL_get_selected_srtp_profile(ssl);
    if (!selected) throw std::runtime_error("no SRTP profile");
    const bool gcm = selected->id == SRTP_AEAD_AES_128_GCM;
    const size_t key = 16;
    const size_t salt = gcm ? 12 : 14;
    std::vector<uint8_t> material(2 * (key + salt));
    if (SSL_export_keying_material(ssl, material.data(), material.size(), "EXTRACTOR-dtls_srtp",
                                   19, nullptr, 0, 0) != 1)
      throw std::runtime_error("export failed");
    // client key | server key | client salt | server salt (RFC 5764 §4.2), written out by hand
    // here rather than with the gateway's helper.
    uint8_t client[SRTP_MAX_KEY_LEN] = {};
    uint8_t server[SRTP_MAX_KEY_LEN] = {};
    std::memcpy(client, material.data(), key);
    std::memcpy(client + key, material.data() + 2 * key, salt);
    std::memcpy(server, material.data() + key, key);
    std::memcpy(server + key, material.data() + 2 * key + salt, salt);

    auto make = [&](uint8_t* master, bool inbound) {
      srtp_policy_t policy;
      std::memset(&policy, 0, sizeof policy);
      if (gcm) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
      } else {
        srtp_crypto_policy_set_rtp_default(&policy.rtp);
        srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
      }
      policy.key = master;
      policy.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
      policy.window_size = 1024;
      srtp_t session = nullptr;
      if (srtp_create(&session, &policy) != srtp_err_status_ok)
        throw std::runtime_error("srtp_create failed");
      return session;
    };
    const bool browser_is_server = role == Role::offerer;
    srtp_in = make(browser_is_server ? client : server, true);
    srtp_out = make(browser_is_server ? server : client, false);

    std::lock_guard lock(mutex);
    fingerprint_ok = !expected_gateway_fingerprint.empty() &&
                     strcasecmp(peer_fingerprint.c_str(), expected_gateway_fingerprint.c_str()) == 0;
    profile = selected->name;
    dtls_connected = true;
    signal();
  }

  void on_packet(const uint8_t* data, size_t length) {
    {
      std::lock_guard lock(mutex);
      ++total;
    }
    const auto kind = protocol::classify_packet(data, length);
    if (kind == protocol::PacketKind::dtls) {
      {
        std::lock_guard lock(mutex);
        if (ignore_dtls) {
          ++dtls_ignored;
          return;
        }
      }
      on_dtls_data(data, length);
      return;
    }
    if (kind != protocol::PacketKind::rtp && kind != protocol::PacketKind::rtcp) return;
    std::vector<uint8_t> packet(data, data + length);
    int len = static_cast<int>(length);
    srtp_err_status_t status = srtp_err_status_fail;
    if (srtp_in)
      status = kind == protocol::PacketKind::rtp ? srtp_unprotect(srtp_in, packet.data(), &len)
                                                 : srtp_unprotect_rtcp(srtp_in, packet.data(), &len);
    std::lock_guard lock(mutex);
    if (status != srtp_err_status_ok) {
      ++unprotect_failures;
    } else {
      packet.resize(len);
      (kind == protocol::PacketKind::rtp ? rtp : rtcp).push_back(std::move(packet));
    }
    signal();
  }

  void send(std::vector<uint8_t> packet, bool is_rtcp) {
    if (!srtp_out) throw std::runtime_error("browser SRTP not ready");
    int len = static_cast<int>(packet.size());
    packet.resize(packet.size() + SRTP_MAX_TRAILER_LEN + 4);
    const auto status = is_rtcp ? srtp_protect_rtcp(srtp_out, packet.data(), &len)
                                : srtp_protect(srtp_out, packet.data(), &len);
    if (status != srtp_err_status_ok) throw std::runtime_error("browser protect failed");
    nice_agent_send(agent, stream, 1, len, reinterpret_cast<const gchar*>(packet.data()));
  }

  static void on_receive(NiceAgent*, guint, guint, guint length, gchar* buffer, gpointer data) {
    try {
      static_cast<State*>(data)->on_packet(reinterpret_cast<const uint8_t*>(buffer), length);
    } catch (...) {
    }
  }

  static void on_gathering_done(NiceAgent* agent, guint stream_id, gpointer data) {
    auto* self = static_cast<State*>(data);
    gchar* ufrag = nullptr;
    gchar* pwd = nullptr;
    nice_agent_get_local_credentials(agent, stream_id, &ufrag, &pwd);
    RemoteWebRtcParameters offer;
    offer.ice_ufrag = ufrag;
    offer.ice_pwd = pwd;
    g_free(ufrag);
    g_free(pwd);
    GSList* candidates = nice_agent_get_local_candidates(agent, stream_id, 1);
    for (GSList* item = candidates; item; item = item->next) {
      gchar* sdp = nice_agent_generate_local_candidate_sdp(agent,
                                                           static_cast<NiceCandidate*>(item->data));
      std::string line = sdp;
      g_free(sdp);
      offer.candidates.push_back(line.substr(2));  // browsers put "candidate:..." in JSON
    }
    g_slist_free_full(candidates, reinterpret_cast<GDestroyNotify>(&nice_candidate_free));
    offer.fingerprint_algorithm = "sha-256";
    offer.dtls_client = self->role == Role::offerer;  // the gateway's role
    offer.fingerprint = self->certificate->sha256_fingerprint();
    std::lock_guard lock(self->mutex);
    self->offer = offer;
    self->gathered = true;
    self->signal();
  }

  // As answerer (a=setup:active) the browser starts the DTLS handshake once ICE works.
  static void on_state_changed(NiceAgent*, guint, guint, guint state, gpointer data) {
    auto* self = static_cast<State*>(data);
    if (self->role != Role::answerer || self->dtls_started) return;
    if (state != NICE_COMPONENT_STATE_CONNECTED && state != NICE_COMPONENT_STATE_READY) return;
    self->dtls_started = true;
    SSL_do_handshake(self->ssl);
    self->flush_dtls();
  }

  static gboolean on_dtls_timer(gpointer data) {
    auto* self = static_cast<State*>(data);
    if (self->ssl && !SSL_is_init_finished(self->ssl)) {
      DTLSv1_handle_timeout(self->ssl);
      self->flush_dtls();
    }
    return G_SOURCE_CONTINUE;
  }

  void setup() {
    SrtpLibrary::ensure_initialized();
    agent = nice_agent_new_full(thread.context(), NICE_COMPATIBILITY_RFC5245,
                                NICE_AGENT_OPTION_NONE);
    g_object_set(agent, "controlling-mode", role == Role::offerer ? TRUE : FALSE, "ice-tcp",
                 FALSE, "upnp", FALSE, nullptr);
    NiceAddress address;
    nice_address_init(&address);
    nice_address_set_from_string(&address, "127.0.0.1");
    nice_agent_add_local_address(agent, &address);
    stream = nice_agent_add_stream(agent, 1);
    g_signal_connect(agent, "candidate-gathering-done", G_CALLBACK(&State::on_gathering_done),
                     this);
    g_signal_connect(agent, "component-state-changed", G_CALLBACK(&State::on_state_changed),
                     this);
    nice_agent_attach_recv(agent, stream, 1, thread.context(), &State::on_receive, this);

    ctx = SSL_CTX_new(DTLS_method());
    SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
    SSL_CTX_use_certificate(ctx, certificate->certificate());
    SSL_CTX_use_PrivateKey(ctx, certificate->key());
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       [](int, X509_STORE_CTX*) { return 1; });
    if (SSL_CTX_set_tlsext_use_srtp(ctx, srtp_profiles.c_str()) != 0)
      throw std::runtime_error("browser use_srtp failed");
    ssl = SSL_new(ctx);
    rbio = BIO_new(BIO_s_mem());
    wbio = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(rbio, -1);
    BIO_set_mem_eof_return(wbio, -1);
    SSL_set_bio(ssl, rbio, wbio);
    if (role == Role::offerer)
      SSL_set_accept_state(ssl);  // the browser offered actpass; the gateway answered active
    else
      SSL_set_connect_state(ssl);  // the gateway offered actpass; the browser answered active

    dtls_timer = g_timeout_source_new(100);
    g_source_set_callback(dtls_timer, &State::on_dtls_timer, this, nullptr);
    g_source_attach(dtls_timer, thread.context());

    if (!nice_agent_gather_candidates(agent, stream))
      throw std::runtime_error("browser gathering failed");
  }

  void teardown() {
    if (dtls_timer) {
      g_source_destroy(dtls_timer);
      g_source_unref(dtls_timer);
    }
    if (agent) {
      g_signal_handlers_disconnect_by_data(agent, this);
      nice_agent_attach_recv(agent, stream, 1, thread.context(), nullptr, nullptr);
      g_object_unref(agent);
    }
    if (srtp_in) srtp_dealloc(srtp_in);
    if (srtp_out) srtp_dealloc(srtp_out);
    if (ssl) SSL_free(ssl);
    if (ctx) SSL_CTX_free(ctx);
  }
};

FakeBrowser::FakeBrowser(std::string srtp_profiles, Role role)
    : state_(std::make_unique<State>()) {
  state_->srtp_profiles = std::move(srtp_profiles);
  state_->role = role;
  state_->run_sync([this] { state_->setup(); });
}

FakeBrowser::~FakeBrowser() {
  state_->run_sync([this] { state_->teardown(); });
}

RemoteWebRtcParameters FakeBrowser::gather_offer() {
  if (!state_->wait(std::chrono::seconds(10), [this] { return state_->gathered; }))
    throw std::runtime_error("fake browser: gathering timed out");
  std::lock_guard lock(state_->mutex);
  return state_->offer;
}

void FakeBrowser::apply_answer(const LocalMediaParameters& answer) {
  state_->run_sync([this, answer] {
    nice_agent_set_remote_credentials(state_->agent, state_->stream, answer.ice_ufrag.c_str(),
                                      answer.ice_pwd.c_str());
    GSList* list = nullptr;
    for (const auto& line : answer.candidates) {
      const std::string sdp = "a=" + line;
      if (NiceCandidate* c =
              nice_agent_parse_remote_candidate_sdp(state_->agent, state_->stream, sdp.c_str()))
        list = g_slist_append(list, c);
    }
    nice_agent_set_remote_candidates(state_->agent, state_->stream, 1, list);
    g_slist_free_full(list, reinterpret_cast<GDestroyNotify>(&nice_candidate_free));
  });
}

void FakeBrowser::ignore_dtls() {
  std::lock_guard lock(state_->mutex);
  state_->ignore_dtls = true;
}

size_t FakeBrowser::dtls_datagrams_ignored() const {
  std::lock_guard lock(state_->mutex);
  return state_->dtls_ignored;
}

void FakeBrowser::expect_gateway_fingerprint(std::string fingerprint) {
  std::lock_guard lock(state_->mutex);
  state_->expected_gateway_fingerprint = std::move(fingerprint);
}

bool FakeBrowser::wait_dtls_connected(std::chrono::milliseconds timeout) {
  return state_->wait(timeout, [this] { return state_->dtls_connected; });
}

bool FakeBrowser::dtls_failed() const {
  std::lock_guard lock(state_->mutex);
  return state_->dtls_failed;
}

std::string FakeBrowser::srtp_profile() const {
  std::lock_guard lock(state_->mutex);
  return state_->profile;
}

bool FakeBrowser::gateway_fingerprint_verified() const {
  std::lock_guard lock(state_->mutex);
  return state_->fingerprint_ok;
}

void FakeBrowser::send_rtp(std::vector<uint8_t> packet) {
  state_->run_sync([this, &packet] { state_->send(std::move(packet), false); });
}

void FakeBrowser::send_rtcp(std::vector<uint8_t> packet) {
  state_->run_sync([this, &packet] { state_->send(std::move(packet), true); });
}

bool FakeBrowser::wait_rtp(size_t count, std::chrono::milliseconds timeout) {
  return state_->wait(timeout, [&] { return state_->rtp.size() >= count; });
}

bool FakeBrowser::wait_rtcp(size_t count, std::chrono::milliseconds timeout) {
  return state_->wait(timeout, [&] { return state_->rtcp.size() >= count; });
}

std::vector<std::vector<uint8_t>> FakeBrowser::received_rtp() const {
  std::lock_guard lock(state_->mutex);
  return state_->rtp;
}

std::vector<std::vector<uint8_t>> FakeBrowser::received_rtcp() const {
  std::lock_guard lock(state_->mutex);
  return state_->rtcp;
}

size_t FakeBrowser::unprotect_failures() const {
  std::lock_guard lock(state_->mutex);
  return state_->unprotect_failures;
}

size_t FakeBrowser::packets_received_total() const {
  std::lock_guard lock(state_->mutex);
  return state_->total;
}

}  // namespace sipgw::media::test
