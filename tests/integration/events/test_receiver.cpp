#include "test_receiver.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <deque>
#include <stdexcept>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace sipgw::events::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct TestReceiver::Shared {
  mutable std::mutex mutex;
  std::vector<Reply> script;
  Reply default_reply = Reply::kOk;
  std::chrono::milliseconds delay{0};
  std::vector<ReceivedRequest> requests;

  /// Records the request and decides its reply.
  std::pair<Reply, std::chrono::milliseconds> record(ReceivedRequest request) {
    std::lock_guard lock(mutex);
    const size_t index = requests.size();
    request.reply = index < script.size() ? script[index] : default_reply;
    requests.push_back(std::move(request));
    return {requests.back().reply, delay};
  }
};

namespace {

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <class... Args>
  Session(std::shared_ptr<TestReceiver::Shared> shared, Args&&... args)
      : shared_(std::move(shared)), stream_(std::forward<Args>(args)...), timer_(stream_.get_executor()) {}

  void run() {
    if constexpr (std::is_same_v<Stream, beast::ssl_stream<beast::tcp_stream>>) {
      stream_.async_handshake(asio::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (!ec) self->read();
      });
    } else {
      read();
    }
  }

 private:
  void read() {
    request_ = {};
    http::async_read(stream_, buffer_, request_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (!ec) self->on_request();
    });
  }

  void on_request() {
    ReceivedRequest r;
    r.target = std::string(request_.target());
    r.body = request_.body();
    r.content_type = std::string(request_[http::field::content_type]);
    r.user_agent = std::string(request_[http::field::user_agent]);
    r.signature = std::string(request_["X-SipGateway-Signature"]);
    r.delivery = std::string(request_["X-SipGateway-Delivery"]);
    r.attempt = std::string(request_["X-SipGateway-Attempt"]);
    r.at = std::chrono::steady_clock::now();
    const auto [reply, delay] = shared_->record(std::move(r));
    switch (reply) {
      case Reply::kOk:
        timer_.expires_after(delay);
        timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
          if (!ec) self->respond(http::status::ok);
        });
        break;
      case Reply::kError500:
        respond(http::status::internal_server_error);
        break;
      case Reply::kReset: {
        auto& socket = beast::get_lowest_layer(stream_).socket();
        beast::error_code ignored;
        socket.set_option(asio::socket_base::linger(true, 0), ignored);
        socket.close(ignored);
        break;
      }
      case Reply::kStall:  // keep reading: ends when the client closes
        http::async_read(stream_, buffer_, request_, [self = this->shared_from_this()](beast::error_code, size_t) {});
        break;
    }
  }

  void respond(http::status status) {
    response_ = {status, 11};
    response_.set(http::field::content_type, "text/plain");
    response_.body() = status == http::status::ok ? "ok" : "no";
    response_.keep_alive(false);
    response_.prepare_payload();
    http::async_write(stream_, response_, [self = this->shared_from_this()](beast::error_code, size_t) {
      beast::error_code ignored;
      beast::get_lowest_layer(self->stream_).socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  std::shared_ptr<TestReceiver::Shared> shared_;
  Stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

}  // namespace

TestReceiver::TestReceiver(std::shared_ptr<asio::ssl::context> tls)
    : shared_(std::make_shared<Shared>()), acceptor_(io_), tls_(std::move(tls)) {
  const tcp::endpoint endpoint{asio::ip::make_address("127.0.0.1"), 0};
  acceptor_.open(endpoint.protocol());
  acceptor_.bind(endpoint);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  accept();
  thread_ = std::thread([this] { io_.run(); });
}

TestReceiver::~TestReceiver() {
  io_.stop();
  thread_.join();
}

void TestReceiver::accept() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec) return;
    if (tls_) {
      std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(shared_, std::move(socket), *tls_)->run();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(shared_, std::move(socket))->run();
    }
    accept();
  });
}

std::string TestReceiver::url(const std::string& path) const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
}

void TestReceiver::script(std::vector<Reply> first, Reply default_reply) {
  std::lock_guard lock(shared_->mutex);
  shared_->script = std::move(first);
  shared_->default_reply = default_reply;
}

void TestReceiver::set_delay(std::chrono::milliseconds delay) {
  std::lock_guard lock(shared_->mutex);
  shared_->delay = delay;
}

std::vector<ReceivedRequest> TestReceiver::requests() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->requests;
}

size_t TestReceiver::request_count() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->requests.size();
}

std::vector<std::string> TestReceiver::accepted_bodies() const {
  std::lock_guard lock(shared_->mutex);
  std::vector<std::string> out;
  for (const auto& r : shared_->requests)
    if (r.reply == Reply::kOk) out.push_back(r.body);
  return out;
}

SelfSigned make_self_signed_certificate() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) throw std::runtime_error("OpenSSL key/cert allocation failed");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  if (X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1")) {
    X509_add_ext(cert.get(), san, -1);
    X509_EXTENSION_free(san);
  }
  if (!X509_sign(cert.get(), key.get(), EVP_sha256())) throw std::runtime_error("X509_sign failed");

  auto to_pem = [](auto write) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    write(bio.get());
    char* data = nullptr;
    const long len = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<size_t>(len));
  };
  SelfSigned out;
  out.cert_pem = to_pem([&](BIO* bio) { PEM_write_bio_X509(bio, cert.get()); });
  out.key_pem = to_pem([&](BIO* bio) { PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr); });
  return out;
}

std::shared_ptr<asio::ssl::context> make_server_tls(const SelfSigned& cert) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->use_certificate(asio::buffer(cert.cert_pem), asio::ssl::context::pem);
  ctx->use_private_key(asio::buffer(cert.key_pem), asio::ssl::context::pem);
  return ctx;
}

}  // namespace sipgw::events::test
