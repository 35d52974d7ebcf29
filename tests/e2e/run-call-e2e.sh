#!/usr/bin/env bash
# run-call-e2e.sh — end-to-end test harness of the SIP Gateway with real peers.
#
#   tests/e2e/run-call-e2e.sh [--gateway BIN] [--work-dir DIR] SCENARIO
#
# SCENARIO:
#   call         browser (headless Chromium, driven through the demo page) registers 1001 and
#                calls 1002 (baresip, auto-answer) through the gateway and the bundled Kamailio;
#                checks media both ways (1000 Hz browser → phone, 440 Hz phone → browser), the
#                client events and the subscriber stream.
#   errors       wrong password → registration_failed; call to unregistered 1005 → hangup 404;
#                malformed JSON → error 400 and the connection still answers a keepalive;
#                wrong subscriber token → HTTP 401.
#   lifecycle    (lifecycle-e2e.mjs; gateway with --ping-timeout 4, baresip with SIP trace) the
#                browser's page closes mid-call → BYE to the phone, subscriber hangup, unregistered,
#                disconnected, and 1001 is gone from Kamailio (a 1003 client's call to it gets 404);
#                a raw client 1004 that stops answering pings → unregistered, disconnected.
#   callcontrol  (callcontrol-e2e.mjs; both phones with SIP trace and ctrl_tcp) a second baresip,
#                1003, calls the browser: answered in the page (media both ways, hangup cause
#                answered), then declined (486/603 at 1003, cause rejected); the browser calls
#                1002 and clicks Hold/Unhold (re-INVITEs a=sendonly / a=sendrecv), DTMF 1 2 3 #
#                (baresip receives the telephone-events), Mute/Unmute (silence in what 1002
#                records); 1003 calling meanwhile gets 486 and the page shows missed_call; the dial
#                pad, the media-quality view, Record pause/resume, the sessions monitor
#                (admin.html) and a reload mid-call (lib/page-features.mjs).
#                SIPGW_SCREENSHOTS=1 saves docs/screenshots/*.png of the page's main states.
#   crash        (recording-e2e.mjs) the call of `call`; after ~3 s of media the test asks this
#                runner to `kill -9` the gateway: the `.wav.part` left behind is playable (valid
#                header, tones in the right channels); the runner restarts the gateway on the same
#                --db / --recordings-dir: the call's record says `interrupted`, and the event log's
#                numbering continues (no seq reused).
#   events       (events-e2e.mjs; no browser; gateway with --webhook to webhook-receiver.mjs, which
#                fails its first two POSTs) raw clients register through Kamailio: a subscriber
#                that reconnects with since=<seq> gets exactly what it missed, then the live
#                stream; the webhook gets every event once after dedupe by seq, in order; raw
#                1003 → 1004 calls that end busy (486), no-answer (480) and cancelled, with their
#                call records.
#   browser-env  no gateway: the demo page from a small static server, Chromium with a fake
#                microphone and a two-PeerConnection loopback call (checks the environment).
#
# While node runs, the runner serves requests the scenario drops in WORK/ctl/ (`kill-gateway`:
# SIGKILL; `start-gateway`: start it again exactly as before and wait for /healthz), answering in
# WORK/ctl/<request>.done.
#
# Network rule: the script re-executes itself in fresh user + network + PID namespaces
# (`unshare -rn -p -f`) that have only `lo`, so every packet (SIP, ICE, RTP, HTTPS) stays on the
# namespace's loopback, and every process it started dies with the namespace. Every wait is
# bounded; logs of each process stay in the work dir and are printed on failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"

GATEWAY="${SIPGW_GATEWAY:-$ROOT/build/gateway/sip-gateway}"
WORK=""
SCENARIO=""
while (($#)); do
  case "$1" in
    --gateway) GATEWAY="$2"; shift 2 ;;
    --work-dir) WORK="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed 's/^# \{0,1\}//; /^set -euo/d'; exit 0 ;;
    call|errors|lifecycle|callcontrol|crash|events|browser-env) SCENARIO="$1"; shift ;;
    *) echo "run-call-e2e: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[[ -n "$SCENARIO" ]] || { echo "run-call-e2e: give a scenario: call | errors | lifecycle | callcontrol | crash | events | browser-env" >&2; exit 2; }
WORK="${WORK:-$ROOT/build/e2e-work/$SCENARIO}"

# ------------------------------------------------------------------------------------------------
# Outside the namespace: re-execute inside a fresh one. --kill-child: if this process is killed
# (e.g. a ctest timeout), the namespace's first process gets SIGTERM, and when it exits the kernel
# kills everything else in the PID namespace.
if [[ "${SIPGW_E2E_IN_NS:-}" != 1 ]]; then
  exec unshare --user --map-root-user --net --pid --fork --mount-proc --kill-child=SIGTERM \
    env SIPGW_E2E_IN_NS=1 bash "$0" --gateway "$GATEWAY" --work-dir "$WORK" "$SCENARIO"
fi

# ------------------------------------------------------------------------------------------------
# Inside the namespace.
ip link set lo up

ADDR=127.0.0.1
PBX_PORT=5060
PHONE_SIP_PORT=5070
GW_SIP_PORT=5080
GW_HTTPS_PORT=8443
EVENTS_TOKEN="e2e-token-$RANDOM$RANDOM"
API_TOKEN="e2e-api-$RANDOM$RANDOM"
WEBHOOK_PORT=8090   # events: webhook-receiver.mjs
BASE_URL="https://$ADDR:$GW_HTTPS_PORT"
CERT="$WORK/certs/gateway.crt"
KEY="$WORK/certs/gateway.key"

declare -A PIDS=()   # name → pid of every background process we started
STATUS=1             # exit status; 0 only when the scenario's checks all passed
START_TS=$(date +%s)

say() { printf '[e2e %s +%ss] %s\n' "$SCENARIO" "$(($(date +%s) - START_TS))" "$*"; }
die() { say "FAIL: $*"; exit 1; }

print_logs() {
  local f
  for f in "$WORK"/*.log; do
    [[ -f "$f" && "$(basename "$f")" != node.log ]] || continue   # node's output was shown live
    echo "----- $(basename "$f") (last 60 lines; full file: $f) -----"
    tail -n 60 "$f" | cut -c1-400
  done
}

cleanup() {
  local rc=$? name pid
  trap - EXIT INT TERM
  [[ $STATUS -eq 0 ]] || STATUS=$(( rc == 0 ? 1 : rc ))
  for name in "${!PIDS[@]}"; do
    pid=${PIDS[$name]}
    kill -TERM "$pid" 2>/dev/null || true
  done
  for _ in $(seq 1 30); do   # up to 3 s for a graceful exit (baresip finalises its WAV files)
    local alive=0
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [[ $STATUS -ne 0 ]]; then
    say "FAILED (exit $STATUS) — process logs follow; work dir: $WORK"
    print_logs
  else
    say "PASSED in $(($(date +%s) - START_TS)) s; work dir: $WORK"
  fi
  exit "$STATUS"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

# wait_until DESCRIPTION SECONDS COMMAND... — poll every 0.2 s; fail the test on timeout, or as
# soon as one of our background processes has died.
wait_until() {
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs)) name
  until "$@" >/dev/null 2>&1; do
    for name in "${!PIDS[@]}"; do
      kill -0 "${PIDS[$name]}" 2>/dev/null || die "$name exited while waiting for $what (see $name.log)"
    done
    ((SECONDS < deadline)) || die "timed out after ${secs}s waiting for $what"
    sleep 0.2
  done
  say "ok: $what"
}

start() { # start NAME COMMAND... — run in the background, output to WORK/NAME.log
  local name=$1; shift
  "$@" >"$WORK/$name.log" 2>&1 </dev/null &
  PIDS[$name]=$!
  say "started $name (pid $!)"
}

udp_bound() { ss -Hlun "sport = :$1" | grep -q .; }
tcp_listening() { ss -Hltn "sport = :$1" | grep -q .; }
log_has() { grep -q -- "$2" "$WORK/$1.log"; }

# ------------------------------------------------------------------------------------------------
# Preflight
for tool in node sox curl ss sqlite3 /usr/bin/chromium; do
  command -v "$tool" >/dev/null || die "missing $tool — run scripts/setup.sh"
done
[[ -d "$HERE/node_modules/playwright-core" && -d "$HERE/node_modules/ws" ]] || \
  die "missing tests/e2e/node_modules — run scripts/setup.sh (npm ci in tests/e2e)"
if [[ "$SCENARIO" != browser-env ]]; then
  for tool in kamailio baresip; do command -v "$tool" >/dev/null || die "missing $tool — run scripts/setup.sh"; done
  [[ -x "$GATEWAY" ]] || die "gateway binary not found at $GATEWAY (build it: scripts/build.sh)"
fi

rm -rf "$WORK"
mkdir -p "$WORK/certs" "$WORK/phone/rec" "$WORK/ctl"
[[ "$SCENARIO" != callcontrol ]] || mkdir -p "$WORK/phone2/rec"
say "work dir $WORK"

# A private certificate for this run (the harness never touches certs/ of the checkout).
openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 -days 2 \
  -keyout "$KEY" -out "$CERT" -subj "/CN=sipgw-e2e" \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" >/dev/null 2>&1 || die "openssl failed"

# Test signals: the browser's microphone plays 1000 Hz (48 kHz, what Chromium's fake capture
# expects), the phone's plays 440 Hz (8 kHz, G.711's rate). Long enough for the whole test.
sox -n -r 48000 -c 1 -b 16 -e signed-integer "$WORK/browser-mic-1000hz.wav" synth 60 sine 1000 vol 0.5
sox -n -r 8000 -c 1 -b 16 -e signed-integer "$WORK/phone-mic-440hz.wav" synth 60 sine 440 vol 0.5

if [[ "$SCENARIO" == browser-env ]]; then
  start static-server node "$HERE/static-server.mjs" "$ROOT/web-demo/public" "$CERT" "$KEY" "$ADDR" "$GW_HTTPS_PORT"
  wait_until "static server answers /healthz" 10 curl -ksf --max-time 2 "$BASE_URL/healthz"
else
  # -- PBX
  start kamailio sh "$ROOT/tests/pbx/run-kamailio.sh" "$WORK/pbx" "$ADDR" "$PBX_PORT"
  wait_until "Kamailio listening on $ADDR:$PBX_PORT/udp" 15 udp_bound "$PBX_PORT"

  # -- the far phones: baresip as 1002 (auto-answer) and, for callcontrol, 1003 (answers nothing;
  #    it calls the browser when the test tells it to through ctrl_tcp). 440 Hz microphone; each
  #    records what it sends and receives (sndfile).
  write_phone() { # write_phone DIR SIP_PORT RTP_PORTS CTRL_TCP_PORT|""
    local dir=$1
    cat >"$dir/config" <<EOF
poll_method		epoll
sip_listen		$ADDR:$2
sip_transports		udp
net_interface		$ADDR
audio_player		alsa,null
audio_alert		alsa,null
audio_source		aufile,$WORK/phone-mic-440hz.wav
ausrc_srate		8000
ausrc_channels		1
rtp_ports		$3
jitter_buffer_delay	1-10
module_path		/usr/lib/baresip/modules
module			g711.so
module			aufile.so
module			alsa.so
module			sndfile.so
module_app		account.so
module_app		menu.so
snd_path		$dir/rec
EOF
    if [[ -n "$4" ]]; then
      printf 'module_app\t\tctrl_tcp.so\nctrl_tcp_listen\t\t%s:%s\n' "$ADDR" "$4" >>"$dir/config"
    fi
  }
  if [[ "$SCENARIO" == call || "$SCENARIO" == lifecycle || "$SCENARIO" == callcontrol || "$SCENARIO" == crash ]]; then
    write_phone "$WORK/phone" "$PHONE_SIP_PORT" 40000-40099 "$([[ "$SCENARIO" == callcontrol ]] && echo 4444)"
    echo "<sip:1002@$ADDR:$PBX_PORT>;auth_pass=pass1002;answermode=auto;audio_codecs=PCMU,PCMA;regint=600" \
      >"$WORK/phone/accounts"
    # lifecycle, callcontrol: -s traces every SIP message (the BYE, the re-INVITEs the phone got).
    start baresip baresip -f "$WORK/phone" $([[ "$SCENARIO" == lifecycle || "$SCENARIO" == callcontrol ]] && echo -s)
    wait_until "baresip registered as 1002" 15 log_has baresip "1002@$ADDR: .*200 OK"
  fi
  if [[ "$SCENARIO" == callcontrol ]]; then
    write_phone "$WORK/phone2" 5072 40100-40199 4445
    echo "<sip:1003@$ADDR:$PBX_PORT>;auth_pass=pass1003;answermode=manual;audio_codecs=PCMU,PCMA;regint=600" \
      >"$WORK/phone2/accounts"
    start baresip2 baresip -f "$WORK/phone2" -s
    wait_until "baresip2 registered as 1003" 15 log_has baresip2 "1003@$ADDR: .*200 OK"
  fi

  # -- events: the webhook receiver (fails its first two POSTs), up before the gateway's first event
  if [[ "$SCENARIO" == events ]]; then
    start webhook node "$HERE/webhook-receiver.mjs" "$ADDR" "$WEBHOOK_PORT" "$WORK/webhook.jsonl"
    wait_until "webhook receiver listening on $ADDR:$WEBHOOK_PORT" 10 tcp_listening "$WEBHOOK_PORT"
  fi

  # -- the gateway (lifecycle: a silent WebSocket is closed after 4 s instead of 30)
  GW_EXTRA=()
  [[ "$SCENARIO" != lifecycle ]] || GW_EXTRA=(--ping-timeout 4)
  # callcontrol: a dropped page may claim its session for 15 s
  [[ "$SCENARIO" != callcontrol ]] || GW_EXTRA=(--reattach-grace 15)
  [[ "$SCENARIO" != events ]] || GW_EXTRA=(--webhook "http://$ADDR:$WEBHOOK_PORT/hook")
  start_gateway() {
    start gateway "$GATEWAY" "${GW_EXTRA[@]}" \
      --listen "$ADDR:$GW_HTTPS_PORT" --tls-cert "$CERT" --tls-key "$KEY" \
      --web-root "$ROOT/web-demo/public" \
      --sip-address "$ADDR" --sip-port "$GW_SIP_PORT" --advertised-address "$ADDR" \
      --ice-address "$ADDR" --rtp-port-min 20000 --rtp-port-max 20999 --media-workers 1 \
      --events-token "$EVENTS_TOKEN" --api-token "$API_TOKEN" \
      --db "$WORK/gateway.db" --recordings-dir "$WORK/recordings" --log-level debug
  }
  start_gateway
  wait_until "gateway answers GET /healthz" 20 curl -ksf --max-time 2 "$BASE_URL/healthz"
fi

# serve_ctl NAME — one request of the node scenario (see the header); never fails the runner
# itself: the answer ("ok …" / "fail …") goes to WORK/ctl/NAME.done and node judges it.
serve_ctl() {
  local name=$1 answer pid rc
  rm -f "$WORK/ctl/$name.req"
  case "$name" in
    kill-gateway)
      pid=${PIDS[gateway]:-}
      if [[ -z "$pid" ]]; then answer="fail no gateway running"
      else
        kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rc=$?
        unset 'PIDS[gateway]'
        # keep the killed process's log; the restarted gateway writes gateway.log afresh
        mv "$WORK/gateway.log" "$WORK/gateway-killed.log"
        answer="ok pid $pid exit status $rc"
      fi ;;
    start-gateway)
      if [[ -n "${PIDS[gateway]:-}" ]]; then answer="fail the gateway is running"
      else
        start_gateway
        if ( wait_until "restarted gateway answers GET /healthz" 20 curl -ksf --max-time 2 "$BASE_URL/healthz" ); then
          answer="ok pid ${PIDS[gateway]}"
        else answer="fail no /healthz within 20 s (gateway.log)"; fi
      fi ;;
    *) answer="fail unknown request $name" ;;
  esac
  say "ctl $name: $answer"
  echo "$answer" >"$WORK/ctl/$name.done"
}

# ------------------------------------------------------------------------------------------------
# The browser and the subscriber (node). The node script prints each check and a figures summary.
say "running scenario in Chromium"
NODE_SCRIPT="$HERE/call-e2e.mjs"
NODE_TIMEOUT=60
[[ "$SCENARIO" != lifecycle ]] || NODE_SCRIPT="$HERE/lifecycle-e2e.mjs"
[[ "$SCENARIO" != callcontrol ]] || { NODE_SCRIPT="$HERE/callcontrol-e2e.mjs"; NODE_TIMEOUT=80; }
[[ "$SCENARIO" != crash ]] || NODE_SCRIPT="$HERE/recording-e2e.mjs"
[[ "$SCENARIO" != events ]] || NODE_SCRIPT="$HERE/events-e2e.mjs"
set +e
( SIPGW_E2E_SCENARIO="$SCENARIO" SIPGW_E2E_WORK="$WORK" SIPGW_E2E_BASE_URL="$BASE_URL" \
  SIPGW_E2E_EVENTS_TOKEN="$EVENTS_TOKEN" SIPGW_E2E_API_TOKEN="$API_TOKEN" \
  SIPGW_E2E_FAKE_MIC="$WORK/browser-mic-1000hz.wav" \
  SIPGW_E2E_PHONE_REC="$WORK/phone/rec" SIPGW_E2E_PBX="$ADDR:$PBX_PORT" \
  SIPGW_E2E_PHONE2_REC="$WORK/phone2/rec" SIPGW_E2E_PHONE_CTRL="$ADDR:4444" SIPGW_E2E_PHONE2_CTRL="$ADDR:4445" \
  SIPGW_E2E_SCREENSHOT_DIR="$ROOT/docs/screenshots" SIPGW_E2E_WEBHOOK_LOG="$WORK/webhook.jsonl" \
    timeout --kill-after=5 "$NODE_TIMEOUT" node "$NODE_SCRIPT" 2>&1
  echo $? >"$WORK/ctl/node.rc" ) | tee "$WORK/node.log" &
NODE_PIPE=$!
while kill -0 "$NODE_PIPE" 2>/dev/null; do   # serve the scenario's requests while it runs
  for req in "$WORK"/ctl/*.req; do
    [[ -e "$req" ]] && serve_ctl "$(basename "$req" .req)"
  done
  sleep 0.1
done
wait "$NODE_PIPE"
rc=$(cat "$WORK/ctl/node.rc" 2>/dev/null || echo 1)
set -e
[[ $rc -ne 124 ]] || say "node scenario timed out ($NODE_TIMEOUT s)"
STATUS=$rc
