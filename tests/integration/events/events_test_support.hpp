#pragma once
// Helpers shared by the events integration tests: driving the sender's io_context from the test
// thread with bounded waits, building events, and checking signatures independently of the code
// under test.
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

namespace sipgw::events::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// The sender side: an io_context run in slices on the test thread (the "control thread").
class ControlLoop {
 public:
  boost::asio::io_context io;

  /// Runs the loop until `done()` or `timeout`; returns whether `done()` became true.
  template <class Pred>
  bool run_until(Pred done, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    while (!done()) {
      if (Clock::now() >= deadline) return false;
      io.restart();
      io.run_for(5ms);
    }
    return true;
  }
  void run_for(std::chrono::milliseconds duration) {
    run_until([] { return false; }, duration);
  }

 private:
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{io.get_executor()};
};

/// An event object in the subscriber body shape, with its sequence number.
inline std::shared_ptr<const std::string> make_event(int seq, const std::string& name = "calling") {
  return std::make_shared<const std::string>(
      nlohmann::json{{"seq", seq}, {"event", name}, {"session_id", "s1"}, {"client_id", "alice"}}.dump());
}

/// The seqs of a batch body (a JSON array of events), in order.
inline std::vector<int> seqs_of(const std::string& body) {
  std::vector<int> out;
  for (const auto& event : nlohmann::json::parse(body)) out.push_back(event.at("seq").get<int>());
  return out;
}

inline std::vector<int> all_seqs(const std::vector<std::string>& bodies) {
  std::vector<int> out;
  for (const auto& body : bodies)
    for (int seq : seqs_of(body)) out.push_back(seq);
  return out;
}

inline std::vector<int> range(int first, int last) {
  std::vector<int> out;
  for (int i = first; i <= last; ++i) out.push_back(i);
  return out;
}

/// What a receiver does: HMAC-SHA256 (RFC 2104) over the raw body, constant-time compare.
inline bool signature_valid(const std::string& secret, const std::string& body, const std::string& header) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()), reinterpret_cast<const unsigned char*>(body.data()),
       body.size(), mac, &len);
  std::string expected = "sha256=";
  char hex[3];
  for (unsigned i = 0; i < len; ++i) {
    snprintf(hex, sizeof hex, "%02x", mac[i]);
    expected += hex;
  }
  return header.size() == expected.size() && CRYPTO_memcmp(header.data(), expected.data(), expected.size()) == 0;
}

}  // namespace sipgw::events::test
