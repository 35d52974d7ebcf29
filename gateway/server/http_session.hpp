#pragma once
// One accepted TCP connection: TLS handshake (unless plain is allowed), HTTP/1.1 requests
// (GET/HEAD of static files and /healthz), and the upgrade of /ws and /events to WebSockets.
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "gateway/server/routes.hpp"

namespace sipgw::server {

/// Serves `socket` until it closes or is upgraded. `tls` null = plain HTTP/WS. Control thread.
void start_http_session(boost::asio::ip::tcp::socket socket, std::shared_ptr<boost::asio::ssl::context> tls,
                        std::shared_ptr<const Routes> routes);

}  // namespace sipgw::server
