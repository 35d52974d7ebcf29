#pragma once
// A tiny HTTP(S) webhook receiver for the events integration tests: Beast, on 127.0.0.1 with an
// ephemeral port, on its own thread and io_context, so the sender under test (on the test's
// io_context) talks to it over real loopback TCP/TLS.
//
// Each request gets the scripted reply for its index (then the default reply), after an
// optional delay. Threads: the receiver thread serves; every public method may be called from
// the test thread (state behind a mutex).
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

namespace sipgw::events::test {

enum class Reply {
  kOk,        ///< 200 after the configured delay
  kError500,  ///< 500 Internal Server Error
  kReset,     ///< read the request, then close with a TCP RST (SO_LINGER 0), no response
  kStall,     ///< read the request, never answer (until the client gives up)
};

struct ReceivedRequest {
  std::string target;
  std::string body;
  std::string content_type;
  std::string user_agent;
  std::string signature;
  std::string delivery;
  std::string attempt;
  std::chrono::steady_clock::time_point at;  ///< when the full request was read
  Reply reply = Reply::kOk;
};

class TestReceiver {
 public:
  /// Plain HTTP, or HTTPS when `tls` is given.
  explicit TestReceiver(std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
  ~TestReceiver();

  uint16_t port() const { return port_; }
  std::string url(const std::string& path = "/hook") const;

  /// Replies to the first requests, in order; later requests get `default_reply`.
  void script(std::vector<Reply> first, Reply default_reply = Reply::kOk);
  /// Delay before each kOk reply (a slow receiver).
  void set_delay(std::chrono::milliseconds delay);

  std::vector<ReceivedRequest> requests() const;
  size_t request_count() const;
  /// Bodies of requests answered 2xx, in arrival order.
  std::vector<std::string> accepted_bodies() const;

  struct Shared;

 private:
  std::shared_ptr<Shared> shared_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  uint16_t port_ = 0;
  std::thread thread_;
  void accept();
};

/// A throwaway self-signed certificate (EC P-256, CN/SAN localhost + 127.0.0.1) as PEM.
struct SelfSigned {
  std::string cert_pem;
  std::string key_pem;
};
SelfSigned make_self_signed_certificate();
std::shared_ptr<boost::asio::ssl::context> make_server_tls(const SelfSigned& cert);

}  // namespace sipgw::events::test
