#!/usr/bin/env bash
# build.sh — configure (CMake + Ninja, RelWithDebInfo) into build/ and build everything,
# then the web demo's client library (npm run build in web-demo/).
#
# Env: BUILD_DIR (default build), BUILD_JOBS (default: number of cores).
# Re-running only rebuilds what changed. A build/ made by another generator (e.g. Makefiles)
# is reconfigured from scratch, since CMake cannot switch generators in place.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-build}"
[[ "$BUILD_DIR" = /* ]] || BUILD_DIR="$ROOT/$BUILD_DIR"
JOBS="${BUILD_JOBS:-$(nproc)}"

cache="$BUILD_DIR/CMakeCache.txt"
if [[ -f "$cache" ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$cache"; then
  echo "build: $BUILD_DIR was configured with another generator; reconfiguring with Ninja"
  rm -rf "$cache" "$BUILD_DIR/CMakeFiles"
fi

cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$BUILD_DIR" -j "$JOBS"

# The browser library (web-demo/dist/sipgateway.js + types) and its copy the demo page loads
# (web-demo/public/lib/); needs scripts/setup.sh's npm ci.
npm --prefix "$ROOT/web-demo" run build
