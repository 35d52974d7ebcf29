#pragma once
// CallApi: the call history API under /api/ — list call records, read the records (legs) of one
// SIP Call-ID, download a recording (docs/protocol.md, "Call history API"). A record is one call
// leg of a client session: both legs of a call between two clients of this gateway share the
// Call-ID. Authenticated with a bearer token
// (RFC 6750 §2.1); an empty token disables the API (every target answers 404).
//
//   GET /api/calls?since_ms=&until_ms=&client_id=&limit=&offset=   → {"calls": [...], "limit", "offset"}
//   GET /api/calls/<call_id>                                       → {"call_id", "legs": [...]}, oldest first
//   GET /api/calls/<call_id>/recording?session_id=                 → the WAV of that session's leg, without
//                                                                     session_id of the first leg that has one
//                                                                     (HEAD, one byte Range)
//
// No Beast here: it answers Routes::api's ApiRequest with an ApiResponse, and the HTTP session
// turns that into HTTP (a file body for recordings).
//
// Threads: handle() runs on the control thread. Queries go to the call store, whose callbacks
// run on the store's thread; they only post back to the io_context, and every response is built
// and delivered on the control thread. Recordings are only served from inside recordings_dir
// (both canonicalised, symlinks resolved); a record pointing anywhere else answers 404.
#include <functional>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "gateway/server/routes.hpp"

namespace sipgw::recorder {
class CallStore;
}

namespace sipgw::server {

class CallApi {
 public:
  /// `io` runs the control thread. `store` and `io` must outlive every query in flight: close the
  /// store (it runs the callbacks it still holds) before destroying the io_context. A relative
  /// recording path in the store is taken relative to the working directory, as the recorder
  /// wrote it. Start-up thread.
  CallApi(boost::asio::io_context& io, recorder::CallStore& store, std::string api_token,
          std::string recordings_dir);
  ~CallApi();
  CallApi(const CallApi&) = delete;
  CallApi& operator=(const CallApi&) = delete;

  /// Answers one request under /api/; `respond` is called exactly once, on the control thread
  /// (at once for authentication, method and parameter errors). Queries in flight keep what they
  /// need alive, so the CallApi may be destroyed before they answer. Control thread.
  void handle(ApiRequest request, std::function<void(ApiResponse)> respond) const;

  /// A Routes::api that forwards to `api`. Control thread (when called).
  static std::function<void(ApiRequest, std::function<void(ApiResponse)>)> route(std::shared_ptr<const CallApi> api);

  struct Impl;

 private:
  std::shared_ptr<const Impl> impl_;
};

}  // namespace sipgw::server
