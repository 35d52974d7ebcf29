#!/usr/bin/env bash
# test.sh — the project's test command: install dependencies, build, make dev certificates,
# then run every test suite registered in CTest (unit, integration, e2e).
#
# Env: BUILD_DIR (default build), CTEST_ARGS (extra ctest arguments, e.g. "-L e2e" or "-R call").
# Exits non-zero when any step or any test fails.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD_DIR="${BUILD_DIR:-build}"

bash scripts/setup.sh
bash scripts/build.sh
bash certs/generate.sh

# shellcheck disable=SC2086  # CTEST_ARGS is a list of words on purpose
ctest --test-dir "$BUILD_DIR" --output-on-failure ${CTEST_ARGS:-}
