#!/usr/bin/env bash
# setup.sh — install everything the build, the tests and the demo need on Debian 12.
#
# Run as root (or with sudo available). Idempotent: when every Debian package is already
# installed, apt is not touched at all (checked with dpkg-query). Then installs the e2e test's
# node packages (playwright-core, ws) from the committed tests/e2e/package-lock.json.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libsofia-sip-ua-dev libnice-dev libsrtp2-dev libssl-dev libboost-dev nlohmann-json3-dev
  libsqlite3-dev sqlite3 libopus-dev libsndfile1-dev libgtest-dev libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev
  kamailio sip-tester baresip chromium sox tcpdump openssl iproute2 util-linux
  nodejs npm curl python3
)

is_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  if is_installed "$pkg"; then
    continue
  fi
  # Some distributions of Node.js (e.g. NodeSource's "nodejs") ship npm inside the nodejs
  # package; installing Debian's npm next to it would conflict.
  if [[ "$pkg" == npm ]] && command -v npm >/dev/null 2>&1; then
    continue
  fi
  missing+=("$pkg")
done

if ((${#missing[@]} > 0)); then
  echo "setup: installing ${#missing[@]} missing package(s): ${missing[*]}"
  SUDO=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null 2>&1 || { echo "setup: run as root (missing: ${missing[*]})" >&2; exit 1; }
    SUDO=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update
  "${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
  # Debian starts kamailio as a service on install; the tests and the demo run their own
  # instances in the foreground, so make sure a packaged one does not hold port 5060.
  if [[ " ${missing[*]} " == *" kamailio "* ]] && command -v systemctl >/dev/null 2>&1; then
    "${SUDO[@]}" systemctl disable --now kamailio >/dev/null 2>&1 || true
  fi
else
  echo "setup: all Debian packages present"
fi

# Node packages for the end-to-end test (Playwright driving the system Chromium, ws client).
E2E="$ROOT/tests/e2e"
if [[ -f "$E2E/package.json" ]]; then
  if [[ -f "$E2E/node_modules/.package-lock.json" ]] && \
     [[ ! "$E2E/package-lock.json" -nt "$E2E/node_modules/.package-lock.json" ]]; then
    echo "setup: tests/e2e node modules up to date"
  elif [[ -f "$E2E/package-lock.json" ]]; then
    (cd "$E2E" && npm ci --no-audit --no-fund)
  else
    (cd "$E2E" && npm install --no-audit --no-fund)
  fi
fi
# The browser client library and demo page (web-demo/: TypeScript, Vite, Vitest).
WEB="$ROOT/web-demo"
if [[ -f "$WEB/package-lock.json" ]]; then
  if [[ -f "$WEB/node_modules/.package-lock.json" ]] && \
     [[ ! "$WEB/package-lock.json" -nt "$WEB/node_modules/.package-lock.json" ]]; then
    echo "setup: web-demo node modules up to date"
  else
    (cd "$WEB" && npm ci --no-audit --no-fund)
  fi
fi
echo "setup: done"
