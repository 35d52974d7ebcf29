#pragma once
// OpusDecoder: one Opus stream (RFC 6716, RTP payload format RFC 7587) decoded to mono 16-bit
// PCM with libopus. Recorder thread only (one per call leg).
//
// Sample rate: libopus decodes any Opus stream directly at 8, 12, 16, 24 or 48 kHz (it resamples
// internally), so the decoder is created at the recording's output rate; a call that negotiated
// Opus is recorded at 48 kHz by default (RecordingParams::opus_sample_rate). Stereo streams
// (RFC 7587 §7: "opus/48000/2") are downmixed by libopus to the single channel asked for.
#include <cstddef>
#include <cstdint>
#include <memory>

struct OpusDecoder;  // libopus

namespace sipgw::recorder {

class OpusStreamDecoder {
 public:
  /// `sample_rate`: 8000, 12000, 16000, 24000 or 48000. Throws std::runtime_error otherwise.
  explicit OpusStreamDecoder(uint32_t sample_rate);
  ~OpusStreamDecoder();
  OpusStreamDecoder(const OpusStreamDecoder&) = delete;
  OpusStreamDecoder& operator=(const OpusStreamDecoder&) = delete;

  /// Largest number of samples one packet can yield at this rate (120 ms, RFC 6716 §3.2.5).
  size_t max_samples() const noexcept { return sample_rate_ / 1000 * 120; }

  /// Decodes one RTP payload into `out` (room for `max_samples()`). Returns the number of
  /// samples, or a negative libopus error code (corrupt packet).
  int decode(const uint8_t* payload, size_t size, int16_t* out) noexcept;

  /// Samples (at the output rate) the next packet would yield, from its TOC; <= 0 if invalid.
  int samples_in(const uint8_t* payload, size_t size) const noexcept;

  uint32_t sample_rate() const noexcept { return sample_rate_; }

 private:
  struct Deleter {
    void operator()(::OpusDecoder* d) const noexcept;
  };
  std::unique_ptr<::OpusDecoder, Deleter> decoder_;
  uint32_t sample_rate_;
};

}  // namespace sipgw::recorder
