#!/usr/bin/env bash
# fuzz.sh — build the protocol/ fuzz targets with clang + libFuzzer (ASan, UBSan) into build-fuzz/
# and run each for FUZZ_SECONDS (default 60), one after the other, on a scratch copy of its
# committed corpus (build-fuzz/corpus/<target>/; the committed tests/fuzz/corpus/ never grows on
# its own). Exits non-zero if any fuzzer found a crash, leak, timeout or out-of-memory.
#
#   scripts/fuzz.sh                          # every target, 60 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh fuzz_sdp  # one target, 10 minutes
#
# Env: FUZZ_SECONDS (per target), BUILD_DIR (default build-fuzz), JOBS (build jobs, default 2),
#      FUZZ_ARGS (extra libFuzzer flags, e.g. "-max_len=16384").
#
# Adding a reproducer: when a fuzzer fails, its input is in build-fuzz/artifacts/<target>/
# (crash-<sha1>, leak-…, timeout-…). Reproduce with `build-fuzz/tests/fuzz/<target> <file>`,
# fix the bug, then commit the input as tests/fuzz/corpus/<target>/crash-<short-description>:
# the ctest test <target>_corpus replays every corpus file in the normal build, so it stays a
# regression test. (To keep interesting inputs the fuzzer found, minimise them first with
# `<target> -merge=1 <new-dir> build-fuzz/corpus/<target>` and commit only a few small ones.)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD_DIR="${BUILD_DIR:-build-fuzz}"
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
JOBS="${JOBS:-2}"
ALL_TARGETS=(fuzz_messages fuzz_sdp fuzz_sdp_translation fuzz_packet_kind)
TARGETS=("$@")
[ ${#TARGETS[@]} -eq 0 ] && TARGETS=("${ALL_TARGETS[@]}")

dict_for() {
  case "$1" in
    fuzz_messages) echo tests/fuzz/messages.dict ;;
    fuzz_sdp | fuzz_sdp_translation) echo tests/fuzz/sdp.dict ;;
    *) echo "" ;;
  esac
}

CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DSIPGW_FUZZ=ON >/dev/null
ninja -C "$BUILD_DIR" -j"$JOBS" "${TARGETS[@]}"

failed=()
for target in "${TARGETS[@]}"; do
  work="$BUILD_DIR/corpus/$target"
  artifacts="$BUILD_DIR/artifacts/$target"
  log="$BUILD_DIR/logs/$target.log"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  cp -n tests/fuzz/corpus/"$target"/* "$work"/ 2>/dev/null || true
  dict="$(dict_for "$target")"
  echo "== $target: ${FUZZ_SECONDS}s (log: $log)"
  status=0
  # shellcheck disable=SC2086  # FUZZ_ARGS is a list of words on purpose
  "$BUILD_DIR/tests/fuzz/$target" "$work" \
    -max_total_time="$FUZZ_SECONDS" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" ${dict:+-dict="$dict"} ${FUZZ_ARGS:-} >"$log" 2>&1 || status=$?
  grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" | sed 's/^/   /' || true
  grep -E '^#[0-9]+.*(DONE|cov:)' "$log" | tail -1 | sed 's/^/   /' || true
  if [ "$status" -ne 0 ]; then
    failed+=("$target")
    echo "!! $target FAILED (exit $status). Last lines of $log:"
    grep -E 'ERROR|FUZZ_CHECK|SUMMARY|runtime error|Test unit written' "$log" | tail -8 | sed 's/^/   /'
    echo "   reproducer(s): $(ls -t "$artifacts" | head -3 | sed "s|^|$artifacts/|" | tr '\n' ' ')"
    echo "   replay: $BUILD_DIR/tests/fuzz/$target <reproducer>"
    echo "   after the fix: commit it as tests/fuzz/corpus/$target/crash-<short-description>"
  fi
done

if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz.sh: failures in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: no failure in ${TARGETS[*]} (${FUZZ_SECONDS}s each)"
