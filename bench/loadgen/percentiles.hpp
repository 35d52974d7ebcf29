#pragma once
// Percentiles of a sample set (nearest-rank, on a copy): what the load generator reports for
// registration, call setup, ICE+DTLS and media round-trip times.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace sipgw::loadgen {

/// The p-th percentile (0 < p ≤ 100) of `samples` by nearest rank; 0 for an empty set.
template <class T>
double percentile(std::vector<T> samples, double p) {
  if (samples.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * double(samples.size())));
  rank = std::clamp<size_t>(rank, 1, samples.size());
  std::nth_element(samples.begin(), samples.begin() + long(rank - 1), samples.end());
  return double(samples[rank - 1]);
}

}  // namespace sipgw::loadgen
