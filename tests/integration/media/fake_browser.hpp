#pragma once
// A minimal WebRTC peer for tests, built from the same C libraries a browser's stack uses: a
// controlling libnice agent (it offers), an OpenSSL DTLS 1.2 *server* (a=setup:actpass answered
// with active by the gateway) with its own self-signed certificate, and libsrtp2. It runs on its
// own GLib thread (a MediaWorker used only as a GMainContext thread). Independent of the
// gateway's DtlsTransport/IceAgent code on purpose.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/media/media_session.hpp"

namespace sipgw::media::test {

class FakeBrowser {
 public:
  /// offerer: the browser offers (ICE controlling, DTLS server after the gateway answers
  /// a=setup:active). answerer: the gateway offered (the browser is ICE controlled and answers
  /// a=setup:active, so it is the DTLS client and starts the handshake once ICE is connected).
  enum class Role { offerer, answerer };

  /// `srtp_profiles` is the use_srtp list the browser's DTLS endpoint accepts.
  explicit FakeBrowser(std::string srtp_profiles, Role role = Role::offerer);
  ~FakeBrowser();

  /// Gathers on 127.0.0.1 and returns the browser's transport parameters, offer or answer
  /// (waits up to 10 s). As answerer, `dtls_client` is false (the gateway is the server).
  RemoteWebRtcParameters gather_offer();
  /// Applies the gateway's answer (credentials and candidates) and starts the checks.
  void apply_answer(const LocalMediaParameters& answer);
  /// Makes the browser drop every DTLS datagram it receives (a silent peer), counting them.
  void ignore_dtls();
  size_t dtls_datagrams_ignored() const;
  /// Sets the fingerprint the browser expects from the gateway's certificate.
  void expect_gateway_fingerprint(std::string fingerprint);

  /// Waits for the DTLS handshake to finish on the browser side.
  bool wait_dtls_connected(std::chrono::milliseconds timeout);
  bool dtls_failed() const;
  /// The selected SRTP profile name, after connection.
  std::string srtp_profile() const;
  /// True once the gateway's certificate matched the expected fingerprint.
  bool gateway_fingerprint_verified() const;

  /// Protects and sends one RTP/RTCP packet to the gateway (on the browser's thread).
  void send_rtp(std::vector<uint8_t> packet);
  void send_rtcp(std::vector<uint8_t> packet);

  /// Plain packets received from the gateway (after SRTP unprotect), and the count of
  /// unprotect failures.
  bool wait_rtp(size_t count, std::chrono::milliseconds timeout);
  bool wait_rtcp(size_t count, std::chrono::milliseconds timeout);
  std::vector<std::vector<uint8_t>> received_rtp() const;
  std::vector<std::vector<uint8_t>> received_rtcp() const;
  size_t unprotect_failures() const;
  size_t packets_received_total() const;

  struct State;

 private:
  std::unique_ptr<State> state_;
};

}  // namespace sipgw::media::test
