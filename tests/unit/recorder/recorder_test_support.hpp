#pragma once
// Test support for the recorder: a hand-written WAV reader (checks every header field), synthetic
// PCMU tone packets, Goertzel tone power, temporary directories.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "recorder/g711.hpp"
#include "recorder/recorded_packet.hpp"

namespace sipgw::recorder::test {

/// A parsed WAV file: 16-bit PCM only. `ok` is false (and `problem` says why) when the header is
/// not a valid canonical PCM header or its sizes point past the end of the file.
struct Wav {
  bool ok = false;
  std::string problem;
  uint16_t channels = 0;
  uint32_t sample_rate = 0;
  uint32_t riff_size = 0;
  uint32_t data_size = 0;
  uint64_t file_size = 0;
  std::vector<int16_t> samples;  // interleaved, data_size / 2 of them

  size_t frames() const { return channels ? samples.size() / channels : 0; }
  double seconds() const { return sample_rate ? double(frames()) / sample_rate : 0; }
  std::vector<double> channel(size_t c, size_t from = 0, size_t count = SIZE_MAX) const {
    std::vector<double> out;
    for (size_t f = from; f < frames() && out.size() < count; ++f) out.push_back(samples[f * channels + c]);
    return out;
  }
};

inline uint32_t rd32(const std::vector<uint8_t>& b, size_t o) {
  return b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (uint32_t(b[o + 3]) << 24);
}
inline uint16_t rd16(const std::vector<uint8_t>& b, size_t o) { return uint16_t(b[o] | (b[o + 1] << 8)); }

inline Wav read_wav(const std::string& path) {
  Wav w;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    w.problem = "cannot open " + path;
    return w;
  }
  std::vector<uint8_t> b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  w.file_size = b.size();
  if (b.size() < 44) {
    w.problem = "shorter than a header";
    return w;
  }
  if (std::string(b.begin(), b.begin() + 4) != "RIFF" || std::string(b.begin() + 8, b.begin() + 16) != "WAVEfmt " ||
      std::string(b.begin() + 36, b.begin() + 40) != "data") {
    w.problem = "bad chunk ids";
    return w;
  }
  w.riff_size = rd32(b, 4);
  w.channels = rd16(b, 22);
  w.sample_rate = rd32(b, 24);
  w.data_size = rd32(b, 40);
  if (rd32(b, 16) != 16 || rd16(b, 20) != 1 || rd16(b, 34) != 16) {
    w.problem = "not 16-bit PCM";
    return w;
  }
  if (rd32(b, 28) != w.sample_rate * w.channels * 2 || rd16(b, 32) != w.channels * 2) {
    w.problem = "inconsistent byte rate / block align";
    return w;
  }
  if (w.riff_size != 36 + w.data_size) {
    w.problem = "RIFF size != 36 + data size";
    return w;
  }
  if (44ull + w.data_size > b.size()) {
    w.problem = "data size points past the end of the file";
    return w;
  }
  if (w.data_size % (w.channels * 2u) != 0) {
    w.problem = "data size not a whole number of frames";
    return w;
  }
  w.samples.resize(w.data_size / 2);
  for (size_t i = 0; i < w.samples.size(); ++i) w.samples[i] = static_cast<int16_t>(rd16(b, 44 + 2 * i));
  w.ok = true;
  return w;
}

/// Relative power of `freq` in `x` (Goertzel), normalised by the signal's energy: ~1 for a pure
/// tone at `freq`, ~0 for silence or another frequency.
inline double goertzel_ratio(const std::vector<double>& x, double freq, double rate) {
  if (x.empty()) return 0;
  const double k = 2 * std::cos(2 * M_PI * freq / rate);
  double s1 = 0, s2 = 0, energy = 0;
  for (double v : x) {
    const double s = v + k * s1 - s2;
    s2 = s1;
    s1 = s;
    energy += v * v;
  }
  const double power = s1 * s1 + s2 * s2 - k * s1 * s2;
  return energy > 0 ? 2 * power / (energy * x.size()) : 0;
}

inline double rms(const std::vector<double>& x) {
  double e = 0;
  for (double v : x) e += v * v;
  return x.empty() ? 0 : std::sqrt(e / x.size());
}

/// A 20 ms PCMU packet (160 samples) of a sine at `freq` Hz, amplitude 8000, sample index
/// continuing from `seq * 160` so consecutive packets are phase-continuous.
inline RecordedPacket pcmu_tone(uint64_t id, Leg leg, double freq, uint16_t seq, uint32_t ts,
                                int64_t arrival_us, uint32_t ssrc = 0x1234) {
  RecordedPacket p;
  p.recording_id = id;
  p.leg = leg;
  p.arrival_us = arrival_us;
  p.payload_type = 0;
  p.sequence = seq;
  p.timestamp = ts;
  p.ssrc = ssrc;
  p.payload_size = 160;
  for (int i = 0; i < 160; ++i) {
    const double t = (double(ts) + i) / 8000.0;
    p.payload[i] = pcm_to_ulaw(static_cast<int16_t>(8000 * std::sin(2 * M_PI * freq * t)));
  }
  return p;
}

/// A fresh directory under the system temp dir, removed at destruction.
struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sipgw-rec-XXXXXX").string();
    path = mkdtemp(tmpl.data()) ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string file(const std::string& name) const { return path + "/" + name; }
};

/// `soxi -<flag> path` output, or "" when soxi is not installed.
inline std::string soxi(const std::string& flag, const std::string& path) {
  if (std::system("command -v soxi >/dev/null 2>&1") != 0) return "";
  std::string cmd = "soxi " + flag + " '" + path + "' 2>/dev/null";
  FILE* f = popen(cmd.c_str(), "r");
  if (!f) return "";
  char buf[256];
  std::string out;
  while (fgets(buf, sizeof buf, f)) out += buf;
  pclose(f);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

}  // namespace sipgw::recorder::test
