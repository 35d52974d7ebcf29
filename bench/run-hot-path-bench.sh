#!/usr/bin/env bash
# run-hot-path-bench.sh — micro-benchmarks of the hot path (docs/benchmarks.md "Hot path").
#
#   bench/run-hot-path-bench.sh [build-dir] [extra Google Benchmark flags...]   (default: build-bench)
#
# Builds hot_path_bench with -DSIPGW_BENCH=ON (Release), then runs every benchmark for at least
# 0.2 s each: SRTP protect/unprotect (AES_CM_128_HMAC_SHA1_80, AEAD_AES_128_GCM) with the SRTP
# backend in the header, AudioRelay per-packet rewrite, SDP translation, JSON parse/serialise.
# Environment: JOBS (default 2), MIN_TIME (seconds, default 0.2).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build-bench}"
shift || true
MIN_TIME="${MIN_TIME:-0.2}"

cmake -S "$ROOT" -B "$BUILD" -G Ninja -DSIPGW_BENCH=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$BUILD" -j"${JOBS:-2}" hot_path_bench >/dev/null
BIN="$BUILD/bench/hot_path_bench"

# Google Benchmark >= 1.8 spells the minimum time "0.2s"; 1.7 (Debian 12) takes a plain number.
if "$BIN" --benchmark_filter=BM_MakeHangupEvent --benchmark_min_time="${MIN_TIME}s" >/dev/null 2>&1; then
  MIN_FLAG="--benchmark_min_time=${MIN_TIME}s"
else
  MIN_FLAG="--benchmark_min_time=${MIN_TIME}"
fi

echo "# $(date -u +%FT%TZ) $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
"$BIN" "$MIN_FLAG" "$@"
