#include "recorder/opus_decoder.hpp"

#include <opus/opus.h>

#include <stdexcept>
#include <string>

namespace sipgw::recorder {

void OpusStreamDecoder::Deleter::operator()(::OpusDecoder* d) const noexcept { opus_decoder_destroy(d); }

OpusStreamDecoder::OpusStreamDecoder(uint32_t sample_rate) : sample_rate_(sample_rate) {
  int error = OPUS_OK;
  decoder_.reset(opus_decoder_create(static_cast<opus_int32>(sample_rate), 1, &error));
  if (error != OPUS_OK || !decoder_) {
    throw std::runtime_error(std::string("opus_decoder_create: ") + opus_strerror(error));
  }
}

OpusStreamDecoder::~OpusStreamDecoder() = default;

int OpusStreamDecoder::decode(const uint8_t* payload, size_t size, int16_t* out) noexcept {
  return opus_decode(decoder_.get(), payload, static_cast<opus_int32>(size), out,
                     static_cast<int>(max_samples()), 0);
}

int OpusStreamDecoder::samples_in(const uint8_t* payload, size_t size) const noexcept {
  return opus_packet_get_nb_samples(payload, static_cast<opus_int32>(size),
                                    static_cast<opus_int32>(sample_rate_));
}

}  // namespace sipgw::recorder
