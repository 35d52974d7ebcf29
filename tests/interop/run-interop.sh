#!/usr/bin/env bash
# run-interop.sh — the interop suite: the gateway between headless Chromium and sipp phones that
# behave like real PBXs (Asterisk/FreeSWITCH answers, early media, hold, offerless re-INVITE,
# UPDATE, BYE, busy, CANCEL, DTMF, incoming calls), through the bundled Kamailio.
#
#   tests/interop/run-interop.sh [--gateway BIN] [--work-dir DIR] [SCENARIO...]
#
# SCENARIO: asterisk freeswitch early_media hold reinvite_nosdp update pbx_bye busy cancel dtmf
# incoming incoming_delayed local_hold hold_c0 codec_change (none = all, in that order). See tests/interop/README.md.
#
# Network rule: re-executes itself in fresh user + network + PID namespaces that have only `lo`
# (`unshare --user --map-root-user --net --pid --fork --kill-child`): every packet stays on the
# namespace's loopback and every process started here dies with it. Every wait is bounded.
# Inside: Kamailio 127.0.0.1:5060, gateway SIP 127.0.0.1:5080 + HTTPS/WSS 127.0.0.1:8443 + RTP
# 20000-20999, sipp phones 1002 (SIP 5072, RTP echo 6000) and 1003 (SIP 5073, RTP echo 6010).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

GATEWAY="${SIPGW_GATEWAY:-$ROOT/build/gateway/sip-gateway}"
WORK=""
SCENARIOS=()
while (($#)); do
  case "$1" in
    --gateway) GATEWAY="$2"; shift 2 ;;
    --work-dir) WORK="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed 's/^# \{0,1\}//; /^set -euo/d'; exit 0 ;;
    -*) echo "run-interop: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) SCENARIOS+=("$1"); shift ;;
  esac
done
WORK="${WORK:-$ROOT/build/interop-work}"

if [[ "${SIPGW_IOP_IN_NS:-}" != 1 ]]; then
  GATEWAY="$(cd "$(dirname "$GATEWAY")" 2>/dev/null && pwd)/$(basename "$GATEWAY")" || true
  exec unshare --user --map-root-user --net --pid --fork --mount-proc --kill-child=SIGTERM \
    env SIPGW_IOP_IN_NS=1 bash "$0" --gateway "$GATEWAY" --work-dir "$WORK" "${SCENARIOS[@]}"
fi

# ------------------------------------------------------------------------------------------------
# Inside the namespace.
ip link set lo up

ADDR=127.0.0.1
PBX_PORT=5060
GW_SIP_PORT=5080
GW_HTTPS_PORT=8443
BASE_URL="https://$ADDR:$GW_HTTPS_PORT"
CERT="$WORK/certs/gateway.crt"
KEY="$WORK/certs/gateway.key"

declare -A PIDS=()
STATUS=1
START_TS=$(date +%s)
say() { printf '[interop +%ss] %s\n' "$(($(date +%s) - START_TS))" "$*"; }
die() { say "FAIL: $*"; exit 1; }

cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  [[ $STATUS -eq 0 ]] || STATUS=$(( rc == 0 ? 1 : rc ))
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 20); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ $STATUS -ne 0 ]]; then
    say "FAILED (exit $STATUS); logs: $WORK (gateway.log, kamailio.log, <scenario>/sipp-phone-*.log, <scenario>/steps.log)"
    [[ -f "$WORK/gateway.log" ]] && { echo "----- gateway.log (last 30 lines) -----"; tail -n 30 "$WORK/gateway.log" | cut -c1-300; }
  else
    say "PASSED in $(($(date +%s) - START_TS)) s; work dir: $WORK"
  fi
  exit "$STATUS"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

wait_until() {
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs)) name
  until "$@" >/dev/null 2>&1; do
    for name in "${!PIDS[@]}"; do
      kill -0 "${PIDS[$name]}" 2>/dev/null || die "$name exited while waiting for $what (see $WORK/$name.log)"
    done
    ((SECONDS < deadline)) || die "timed out after ${secs}s waiting for $what"
    sleep 0.2
  done
  say "ok: $what"
}
start() {
  local name=$1; shift
  "$@" >"$WORK/$name.log" 2>&1 </dev/null &
  PIDS[$name]=$!
  say "started $name (pid $!)"
}
udp_bound() { ss -Hlun "sport = :$1" | grep -q .; }

for tool in node sox curl ss sipp kamailio python3 /usr/bin/chromium; do
  command -v "$tool" >/dev/null || die "missing $tool — run scripts/setup.sh"
done
[[ -d "$ROOT/tests/e2e/node_modules/playwright-core" ]] || die "missing tests/e2e/node_modules — run scripts/setup.sh"
[[ -x "$GATEWAY" ]] || die "gateway binary not found at $GATEWAY (build it: scripts/build.sh)"

rm -rf "$WORK"
mkdir -p "$WORK/certs"
say "work dir $WORK, gateway $GATEWAY"

openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -days 2 \
  -keyout "$KEY" -out "$CERT" -subj "/CN=sipgw-interop" \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" >/dev/null 2>&1 || die "openssl failed"
# The browser's microphone: a 1000 Hz tone (48 kHz, what Chromium's fake capture expects).
sox -n -r 48000 -c 1 -b 16 -e signed-integer "$WORK/browser-mic-1000hz.wav" synth 240 sine 1000 vol 0.5

start kamailio sh "$ROOT/tests/pbx/run-kamailio.sh" "$WORK/pbx" "$ADDR" "$PBX_PORT"
wait_until "Kamailio listening on $ADDR:$PBX_PORT/udp" 15 udp_bound "$PBX_PORT"

# SIPGW_SIP_TRACE=1: every SIP message the gateway sends and receives is in gateway.log.
start gateway env SIPGW_SIP_TRACE=1 "$GATEWAY" \
  --listen "$ADDR:$GW_HTTPS_PORT" --tls-cert "$CERT" --tls-key "$KEY" \
  --sip-address "$ADDR" --sip-port "$GW_SIP_PORT" --advertised-address "$ADDR" \
  --ice-address "$ADDR" --rtp-port-min 20000 --rtp-port-max 20999 --media-workers 1 \
  --web-root "$HERE/web" --db "$WORK/gateway.db" --recordings-dir "$WORK/recordings" --log-level debug
wait_until "gateway answers GET /healthz" 20 curl -ksf --max-time 2 "$BASE_URL/healthz"

say "running scenarios: ${SCENARIOS[*]:-all}"
set +e
SIPGW_IOP_WORK="$WORK" SIPGW_IOP_BASE_URL="$BASE_URL" SIPGW_IOP_PBX="$ADDR:$PBX_PORT" \
SIPGW_IOP_FAKE_MIC="$WORK/browser-mic-1000hz.wav" \
  timeout --kill-after=5 240 node "$HERE/interop.mjs" "${SCENARIOS[@]}" 2>&1 | tee "$WORK/node.log"
rc=${PIPESTATUS[0]}
set -e
[[ $rc -ne 124 ]] || say "scenarios timed out (240 s)"
kill -0 "${PIDS[gateway]}" 2>/dev/null || { say "the gateway died during the run (see gateway.log)"; rc=1; }
STATUS=$rc
