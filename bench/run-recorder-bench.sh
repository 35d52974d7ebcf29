#!/usr/bin/env bash
# run-recorder-bench.sh — the recorder's CPU cost per call and its queue drops (docs/benchmarks.md).
#
#   bench/run-recorder-bench.sh [build-dir]       (default: build-bench)
#
# Builds recorder_bench with -DSIPGW_BENCH=ON, then runs:
#   fast mode at 100, 500 and 1000 calls (10 s of simulated audio each, as fast as possible);
#   realtime mode at 500 and 1000 calls (10 s of real time each);
#   realtime 1000 calls with the file-writer thread blocked for 2 s halfway (--writer-stall-ms);
#   fast mode at 50 calls in each format (wav, flac, ogg) and with a pcap capture;
#   with FREEZE_DIR set (the mount point of a file system fsfreeze(8) can freeze, e.g. a
#   loop-mounted ext4; needs root): realtime 1000 calls writing there while the file system is
#   frozen for 2 s, 5 s into the run — a real disk stall.
# Environment: CALLS_FAST, CALLS_REALTIME, SECONDS_FAST, SECONDS_REALTIME, WORKERS, JOBS, FREEZE_DIR.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build-bench}"
CALLS_FAST="${CALLS_FAST:-100 500 1000}"
CALLS_REALTIME="${CALLS_REALTIME:-500 1000}"
SECONDS_FAST="${SECONDS_FAST:-10}"
SECONDS_REALTIME="${SECONDS_REALTIME:-10}"
WORKERS="${WORKERS:-2}"

cmake -S "$ROOT" -B "$BUILD" -G Ninja -DSIPGW_BENCH=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
ninja -C "$BUILD" -j"${JOBS:-2}" recorder_bench >/dev/null
BIN="$BUILD/bench/recorder_bench"

echo "# $(date -u +%FT%TZ) $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
for n in $CALLS_FAST; do
  "$BIN" --mode fast --calls "$n" --seconds "$SECONDS_FAST" --workers "$WORKERS"
done
for n in $CALLS_REALTIME; do
  "$BIN" --mode realtime --calls "$n" --seconds "$SECONDS_REALTIME" --workers "$WORKERS"
done
"$BIN" --mode realtime --calls 1000 --seconds "$SECONDS_REALTIME" --workers "$WORKERS" --writer-stall-ms 2000
for format in wav flac ogg; do
  "$BIN" --mode fast --calls 50 --seconds "$SECONDS_FAST" --workers "$WORKERS" --format "$format"
done
"$BIN" --mode fast --calls 50 --seconds "$SECONDS_FAST" --workers "$WORKERS" --capture pcap

if [[ -n "${FREEZE_DIR:-}" ]]; then
  run_dir="$FREEZE_DIR/recorder-bench.$$"
  mkdir -p "$run_dir"
  trap 'fsfreeze -u "$FREEZE_DIR" 2>/dev/null || true; rm -rf "$run_dir"' EXIT
  "$BIN" --mode realtime --calls 1000 --seconds "$SECONDS_REALTIME" --workers "$WORKERS" --dir "$run_dir" &
  bench=$!
  sleep 5
  echo "# fsfreeze -f $FREEZE_DIR for 2 s"
  fsfreeze -f "$FREEZE_DIR"
  sleep 2
  fsfreeze -u "$FREEZE_DIR"
  wait "$bench"
fi
