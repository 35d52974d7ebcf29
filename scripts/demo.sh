#!/usr/bin/env bash
# demo.sh — the project's demo command: one command to a working browser phone.
#
# Installs what is missing (setup.sh), builds (build.sh), makes the dev certificate, then starts
#   - the bundled Kamailio PBX on ADDR:5060 (extensions 1000–1009, password "pass<ext>"),
#   - a demo phone: baresip registered as extension 1002, auto-answer, playing a little tune as
#     its microphone (made with sox), sound output discarded,
#   - the gateway: https://ADDR:8443/ (demo page, /ws, /events), SIP on ADDR:5080, ICE on ADDR,
# waits until the gateway answers /healthz, prints what to do, and stays in the foreground
# (showing the gateway's log) until Ctrl-C, which stops everything.
#
# Env: SIPGW_DEMO_ADDRESS (default 127.0.0.1) — the one address every component uses.
#      SIPGW_DEMO_SKIP_BUILD=1 — skip setup.sh and build.sh (when already done).
#      SIPGW_GATEWAY — gateway binary (default build/gateway/sip-gateway).
# Runtime files and logs: .run/demo/ (git-ignored).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ADDR="${SIPGW_DEMO_ADDRESS:-127.0.0.1}"
PBX_PORT=5060
PHONE_SIP_PORT=5070
GW_SIP_PORT=5080
GW_HTTPS_PORT=8443
EVENTS_TOKEN=demo-token
API_TOKEN=demo-api-token
RUN="$ROOT/.run/demo"
GATEWAY="${SIPGW_GATEWAY:-$ROOT/build/gateway/sip-gateway}"
case "$ADDR" in *:*) URL_HOST="[$ADDR]" ;; *) URL_HOST="$ADDR" ;; esac
BASE_URL="https://$URL_HOST:$GW_HTTPS_PORT"

say() { printf '\033[1;34m[demo]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[demo] %s\033[0m\n' "$*" >&2; exit 1; }

if [[ "${SIPGW_DEMO_SKIP_BUILD:-}" != 1 ]]; then
  bash scripts/setup.sh
  bash scripts/build.sh
fi
bash certs/generate.sh "$ADDR"
[[ -x "$GATEWAY" ]] || die "no gateway binary at $GATEWAY — did the build fail?"

for port in $PBX_PORT $PHONE_SIP_PORT $GW_SIP_PORT; do
  if ss -Hlun "sport = :$port" | grep -q .; then die "UDP port $port is already in use (another demo or a system Kamailio?)"; fi
done
if ss -Hltn "sport = :$GW_HTTPS_PORT" | grep -q .; then die "TCP port $GW_HTTPS_PORT is already in use"; fi

rm -rf "$RUN"
mkdir -p "$RUN/phone" "$RUN/tune"

# ------------------------------------------------------------------------------------------------
# Stop everything we started on exit (Ctrl-C, a component dying, or an error here).
declare -A PIDS=()
cleanup() {
  trap - EXIT INT TERM
  echo
  say "stopping…"
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  say "stopped; logs are in $RUN/"
}
trap cleanup EXIT
trap 'exit 0' INT      # Ctrl-C is the normal way to end the demo
trap 'exit 143' TERM

start() { # start NAME COMMAND... — in the background, output to $RUN/NAME.log
  local name=$1; shift
  "$@" >"$RUN/$name.log" 2>&1 </dev/null &
  PIDS[$name]=$!
}

wait_until() { # wait_until DESCRIPTION SECONDS COMMAND...
  local what=$1 secs=$2 name; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    for name in "${!PIDS[@]}"; do
      kill -0 "${PIDS[$name]}" 2>/dev/null || { tail -n 30 "$RUN/$name.log" >&2; die "$name exited while waiting for $what (log: $RUN/$name.log)"; }
    done
    ((SECONDS < deadline)) || die "timed out after ${secs}s waiting for $what"
    sleep 0.2
  done
  say "$what"
}

# ------------------------------------------------------------------------------------------------
# The demo phone's microphone: a short tune (a melody of plucked notes, then a C major chord),
# repeated for about ten minutes.
make_tune() {
  local i=0 n
  for n in -5 -5 -4 -2 -2 -4 -5 -7 -9 -9 -7 -5 -5 -7 -7; do  # semitones from A4
    sox -n -r 8000 -c 1 -b 16 -e signed-integer "$RUN/tune/n$(printf %02d $i).wav" \
      synth 0.4 pluck "%$n" fade 0 0.4 0.08 vol 0.7
    i=$((i + 1))
  done
  sox -n -r 8000 -c 1 -b 16 -e signed-integer "$RUN/tune/z-chord.wav" \
    synth 1.6 pluck %-9 pluck %-5 pluck %-2 remix - fade 0 1.6 0.5 vol 0.5
  sox "$RUN"/tune/*.wav "$RUN/tune.wav" repeat 80
}
make_tune

# ------------------------------------------------------------------------------------------------
start kamailio sh tests/pbx/run-kamailio.sh "$RUN/pbx" "$ADDR" "$PBX_PORT"
wait_until "Kamailio PBX listening on $ADDR:$PBX_PORT/udp" 15 \
  sh -c "ss -Hlun 'sport = :$PBX_PORT' | grep -q ."

cat >"$RUN/phone/config" <<EOF
poll_method		epoll
sip_listen		$ADDR:$PHONE_SIP_PORT
sip_transports		udp
net_interface		$ADDR
audio_player		alsa,null
audio_alert		alsa,null
audio_source		aufile,$RUN/tune.wav
ausrc_srate		8000
ausrc_channels		1
rtp_ports		40000-40999
module_path		/usr/lib/baresip/modules
module			g711.so
module			aufile.so
module			alsa.so
module_app		account.so
module_app		menu.so
EOF
echo "<sip:1002@$URL_HOST:$PBX_PORT>;auth_pass=pass1002;answermode=auto;audio_codecs=PCMU,PCMA;regint=600" \
  >"$RUN/phone/accounts"
start phone-1002 baresip -f "$RUN/phone"
wait_until "demo phone registered as 1002 (baresip, auto-answer, plays a tune)" 15 \
  grep -q "1002@.*200 OK" "$RUN/phone-1002.log"

start gateway "$GATEWAY" \
  --listen "$URL_HOST:$GW_HTTPS_PORT" --tls-cert certs/gateway.crt --tls-key certs/gateway.key \
  --web-root web-demo/public \
  --sip-address "$ADDR" --sip-port "$GW_SIP_PORT" --advertised-address "$ADDR" \
  --ice-address "$ADDR" --events-token "$EVENTS_TOKEN" --api-token "$API_TOKEN" \
  --db "$RUN/gateway.db" --recordings-dir "$RUN/recordings" --log-level info
wait_until "gateway up ($BASE_URL/healthz answers)" 30 curl -ksf --max-time 2 "$BASE_URL/healthz"

cat <<EOF

  ┌────────────────────────────────────────────────────────────────────────────────────────┐
    SIP Gateway demo is running.

    1. Open  $BASE_URL/  (self-signed certificate: accept the warning once)
    2. Connect, then Register as  1001 / pass1001  (PBX $ADDR port $PBX_PORT, prefilled)
    3. Call  1002  — the demo phone answers and plays a tune; Hang up when done.
       (Extensions 1000–1009 exist, password "pass<ext>"; 1002 is the auto-answer phone.)

    Subscriber event stream:  wss://$URL_HOST:$GW_HTTPS_PORT/events?token=$EVENTS_TOKEN
      e.g.  node -e "const W=require('./tests/e2e/node_modules/ws');new W('wss://$URL_HOST:$GW_HTTPS_PORT/events?token=$EVENTS_TOKEN',{rejectUnauthorized:false}).on('message',m=>console.log(String(m)))"
    Call history:  curl -k -H "Authorization: Bearer $API_TOKEN" $BASE_URL/api/calls
    Health:  curl -k $BASE_URL/healthz
    Logs:    $RUN/{gateway,kamailio,phone-1002}.log

    Ctrl-C stops everything.
  └────────────────────────────────────────────────────────────────────────────────────────┘

EOF

# Follow the gateway's log until Ctrl-C or until a component stops.
tail -n +1 -f "$RUN/gateway.log" &
TAIL_PID=$!
PIDS[tail]=$TAIL_PID
while :; do
  for name in "${!PIDS[@]}"; do
    if ! kill -0 "${PIDS[$name]}" 2>/dev/null; then
      die "$name stopped unexpectedly (log: $RUN/$name.log)"
    fi
  done
  sleep 1
done
