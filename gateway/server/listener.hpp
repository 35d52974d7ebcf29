#pragma once
// The HTTPS/WSS listening socket. Control thread.
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "gateway/server/routes.hpp"

namespace sipgw::server {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  /// Binds and listens on address:port. `tls` null = plain (only with allow_plain_ws).
  /// Throws std::system_error when the address cannot be bound.
  Listener(boost::asio::io_context& io, const std::string& address, uint16_t port,
           std::shared_ptr<boost::asio::ssl::context> tls, std::shared_ptr<const Routes> routes);
  void start();
  void stop();
  uint16_t port() const;

 private:
  void accept();
  boost::asio::io_context& io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::shared_ptr<boost::asio::ssl::context> tls_;
  std::shared_ptr<const Routes> routes_;
};

/// Loads a TLS server context from PEM files (TLS 1.2+). Throws std::runtime_error naming the
/// file on failure. Main thread, at start-up.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::string& cert_file, const std::string& key_file);

}  // namespace sipgw::server
