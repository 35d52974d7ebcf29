#pragma once
// The seam between the transport (a WebSocket connection) and what speaks over it (a client
// session or an event subscriber). Keeps Beast out of the session code.
//
// Threads: everything here runs on the control thread (the io_context thread).
#include <memory>
#include <string>

namespace sipgw::server {

/// The sending half, implemented by the WebSocket session.
class MessageChannel {
 public:
  virtual ~MessageChannel() = default;
  /// Queues one text frame. Never blocks; frames beyond the channel's queue limit are dropped
  /// and counted (a slow peer never delays anyone else). No-op after close.
  virtual void send(std::shared_ptr<const std::string> frame) = 0;
  /// Starts a normal close (1000). Idempotent.
  virtual void close() = 0;
  /// The peer's address "ip:port", for logs.
  virtual const std::string& peer() const = 0;
};

/// The receiving half, implemented by whoever the connection was opened for.
class ChannelHandler {
 public:
  virtual ~ChannelHandler() = default;
  /// One complete text frame (at most protocol::kMaxMessageBytes).
  virtual void on_message(const std::string& frame) = 0;
  /// The connection ended (close frame, error, or ping timeout). Called exactly once.
  virtual void on_close() = 0;
};

}  // namespace sipgw::server
