#pragma once
// A GLib timeout source on a worker's GMainContext, owned like a unique_ptr: stop() (or the
// destructor) destroys it, so its callback can never run on a freed owner. The callback
// returns true to keep repeating; the timer knows when GLib dropped the source.
//
// Threads: the worker owning the context (start, stop, destruction and the callback).
#include <glib.h>

#include <cstdint>

namespace sipgw::media {

class GlibTimer {
 public:
  using Callback = bool (*)(void* data);

  GlibTimer() = default;
  ~GlibTimer() { stop(); }
  GlibTimer(const GlibTimer&) = delete;
  GlibTimer& operator=(const GlibTimer&) = delete;

  /// (Re)starts: `callback(data)` every `interval_ms` until it returns false or stop().
  void start(GMainContext* context, uint32_t interval_ms, Callback callback, void* data) {
    stop();
    callback_ = callback;
    data_ = data;
    source_ = g_timeout_source_new(interval_ms);
    g_source_set_callback(source_, &GlibTimer::dispatch, this, nullptr);
    g_source_attach(source_, context);
  }

  void stop() noexcept {
    if (!source_) return;
    g_source_destroy(source_);
    g_source_unref(source_);
    source_ = nullptr;
  }

  bool active() const noexcept { return source_ != nullptr; }

 private:
  static gboolean dispatch(gpointer self_pointer) {
    auto* self = static_cast<GlibTimer*>(self_pointer);
    GSource* source = self->source_;
    // The callback may stop() or restart this timer (or free its owner after deferring): only
    // touch `self` again when the same source is still current.
    const bool again = self->callback_(self->data_);
    if (again) return G_SOURCE_CONTINUE;
    if (self->source_ == source) {
      g_source_unref(source);
      self->source_ = nullptr;
    }
    return G_SOURCE_REMOVE;
  }

  GSource* source_ = nullptr;
  Callback callback_ = nullptr;
  void* data_ = nullptr;
};

}  // namespace sipgw::media
