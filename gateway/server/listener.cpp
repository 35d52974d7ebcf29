#include "gateway/server/listener.hpp"

#include <spdlog/spdlog.h>

#include "gateway/server/http_session.hpp"

namespace sipgw::server {

namespace asio = boost::asio;

Listener::Listener(asio::io_context& io, const std::string& address, uint16_t port,
                   std::shared_ptr<asio::ssl::context> tls, std::shared_ptr<const Routes> routes)
    : io_(io), acceptor_(io), tls_(std::move(tls)), routes_(std::move(routes)) {
  const asio::ip::tcp::endpoint endpoint{asio::ip::make_address(address), port};
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

void Listener::start() { accept(); }

void Listener::stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

uint16_t Listener::port() const { return acceptor_.local_endpoint().port(); }

void Listener::accept() {
  acceptor_.async_accept(io_, [self = shared_from_this()](boost::system::error_code ec, asio::ip::tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) {
      socket.set_option(asio::ip::tcp::no_delay(true), ec);
      start_http_session(std::move(socket), self->tls_, self->routes_);
    } else {
      spdlog::warn("accept failed: {}", ec.message());
    }
    self->accept();
  });
}

std::shared_ptr<asio::ssl::context> make_tls_context(const std::string& cert_file, const std::string& key_file) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  try {
    context->use_certificate_chain_file(cert_file);
  } catch (const std::exception& error) {
    throw std::runtime_error("cannot load TLS certificate '" + cert_file + "': " + error.what() +
                             " (run certs/generate.sh for a development certificate)");
  }
  try {
    context->use_private_key_file(key_file, asio::ssl::context::pem);
  } catch (const std::exception& error) {
    throw std::runtime_error("cannot load TLS key '" + key_file + "': " + error.what());
  }
  return context;
}

}  // namespace sipgw::server
