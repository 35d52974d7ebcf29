#!/usr/bin/env bash
# run-load-bench.sh — the WebRTC load benchmark (issue 6; docs/benchmarks.md "Load").
#
# N simulated browsers (bench/loadgen: sipgw-loadgen, ICE + DTLS-SRTP + 20 ms PCMU both ways,
# each packet carrying its send time) register through the gateway on the bundled Kamailio and
# call "echo": a sipp UAS that echoes RTP. Everything runs in a fresh loopback-only network
# namespace (unshare); no packet leaves it. Each scenario starts a fresh gateway (and Janus),
# holds every call for --hold seconds, and stops by itself.
#
#   bench/run-load-bench.sh                      # 50 and 200 calls, 1000 idle sessions
#   bench/run-load-bench.sh --calls "50 200 400" --idle "1000 5000" --janus
#   bench/run-load-bench.sh --smoke              # 3 calls for 3 s; exits 1 unless all carry media
#
# Options:
#   --calls "N ..."     concurrent-call scenarios (default "50 200")
#   --idle "N ..."      idle registered-session scenarios (default "1000"; "" for none)
#   --hold S            seconds all calls are held once up (default 20)
#   --rate R            registrations, then calls, started per second (default 25; idle: 8×)
#   --workers W         gateway media workers = Janus event_loops (default 2)
#   --janus             also run every scenario against Janus 1.1.2's SIP plugin (apt: janus)
#   --recording-compare also run each call scenario with recording off (--no-recording)
#   --smoke             the test command's smoke run (3 calls, 3 s, strict checks)
#   --gateway PATH      gateway binary (default build/gateway/sip-gateway)
#   --loadgen PATH      load generator (default build/bench/loadgen/sipgw-loadgen)
#   --out DIR           results: one JSON per run + results.md (default build/bench-load)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CALLS="50 200"
IDLE="1000"
HOLD=20
RATE=25
WORKERS=2
JANUS=0
RECORDING_COMPARE=0
SMOKE=0
GATEWAY="$ROOT/build/gateway/sip-gateway"
LOADGEN="$ROOT/build/bench/loadgen/sipgw-loadgen"
OUT="$ROOT/build/bench-load"
ARGS=("$@")
while [[ $# -gt 0 ]]; do
  case "$1" in
    --calls) CALLS="$2"; shift 2 ;;
    --idle) IDLE="$2"; shift 2 ;;
    --hold) HOLD="$2"; shift 2 ;;
    --rate) RATE="$2"; shift 2 ;;
    --workers) WORKERS="$2"; shift 2 ;;
    --janus) JANUS=1; shift ;;
    --recording-compare) RECORDING_COMPARE=1; shift ;;
    --smoke) SMOKE=1; shift ;;
    --gateway) GATEWAY="$2"; shift 2 ;;
    --loadgen) LOADGEN="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "run-load-bench: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
if [[ $SMOKE == 1 ]]; then
  CALLS=3 IDLE="" HOLD=3 RATE=10 JANUS=0 RECORDING_COMPARE=0
fi
for binary in "$GATEWAY" "$LOADGEN"; do
  [[ -x "$binary" ]] || { echo "run-load-bench: $binary not built (scripts/build.sh)" >&2; exit 2; }
done
for tool in kamailio sipp curl python3; do
  command -v "$tool" > /dev/null || { echo "run-load-bench: $tool missing (scripts/setup.sh)" >&2; exit 2; }
done
if [[ $JANUS == 1 ]] && ! command -v janus > /dev/null; then
  echo "run-load-bench: --janus needs Janus: apt-get install -y janus" >&2
  exit 2
fi

# Re-execute inside a fresh user + network + PID namespace with only `lo`: every packet stays
# in it, and when the script ends the kernel kills whatever it started.
if [[ "${SIPGW_BENCH_IN_NS:-}" != 1 ]]; then
  exec unshare --user --map-root-user --net --pid --fork --mount-proc --kill-child=SIGTERM \
    env SIPGW_BENCH_IN_NS=1 bash "$0" "${ARGS[@]}"
fi
ip link set lo up
ulimit -n "$(ulimit -Hn)"

ADDR=127.0.0.1
PBX_PORT=5060
GW_SIP_PORT=5080
ECHO_PORT=5090
GW_PORT=8443
JANUS_PORT=8188
FIRST_USER=2000
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
WORK="$OUT/work"
rm -rf "$WORK"
mkdir -p "$WORK"
rm -f "$OUT"/*.json
max_clients=3
for n in $CALLS $IDLE; do (( n > max_clients )) && max_clients=$n; done

PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2> /dev/null || true; done; wait 2> /dev/null || true; }
trap cleanup EXIT

wait_until() {  # wait_until WHAT SECONDS CMD...
  local what=$1 seconds=$2
  shift 2
  for _ in $(seq $((seconds * 10))); do
    "$@" > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "run-load-bench: timed out waiting for $what" >&2
  return 1
}

# The PBX: Kamailio with extensions FIRST_USER.. (password pass<ext>) and "echo" → sipp.
PBX_EXTRA_USERS="$FIRST_USER $((FIRST_USER + max_clients - 1))" PBX_ECHO_UAS="$ADDR:$ECHO_PORT" \
  PBX_QUIET=1 PBX_CHILDREN=2 \
  "$ROOT/tests/pbx/run-kamailio.sh" "$WORK/pbx" "$ADDR" "$PBX_PORT" > "$WORK/kamailio.log" 2>&1 &
PIDS+=($!)
# The far end: a sipp UAS (bench/loadgen/echo-uas.xml) answers at once with PCMU and keeps
# Kamailio's Record-Route (so the BYE takes the proxy path, as with a PBX), and echoes RTP.
(cd "$WORK" && exec sipp -sf "$ROOT/bench/loadgen/echo-uas.xml" -i "$ADDR" -p "$ECHO_PORT" -mi "$ADDR" -mp 6000 -rtp_echo \
  -nostdin -trace_err > "$WORK/sipp.log" 2>&1) &
PIDS+=($!)
sleep 0.5
wait_until "Kamailio on $PBX_PORT" 10 bash -c "ss -lun | grep -q ':$PBX_PORT '"
wait_until "sipp on $ECHO_PORT" 10 bash -c "ss -lun | grep -q ':$ECHO_PORT '"

start_gateway() {  # start_gateway NAME EXTRA_ARGS... → GW_PID
  local name=$1
  shift
  "$GATEWAY" "$@" \
    --listen "$ADDR:$GW_PORT" --tls-cert "$ROOT/certs/gateway.crt" --tls-key "$ROOT/certs/gateway.key" \
    --sip-address "$ADDR" --sip-port "$GW_SIP_PORT" --advertised-address "$ADDR" \
    --ice-address "$ADDR" --rtp-port-min 20000 --rtp-port-max 59999 --media-workers "$WORKERS" \
    --db "$WORK/$name.db" --recordings-dir "$WORK/$name-recordings" --log-level "${GATEWAY_LOG_LEVEL:-info}" \
    > "$WORK/$name.log" 2>&1 &
  GW_PID=$!
  PIDS+=("$GW_PID")
  wait_until "gateway ($name)" 20 curl -ksf --max-time 2 "https://$ADDR:$GW_PORT/healthz"
}

start_janus() {  # start_janus NAME → GW_PID
  local name=$1
  GW_PID=$(bash "$ROOT/bench/janus/start-janus.sh" --work-dir "$WORK/$name" --port "$JANUS_PORT" \
    --event-loops "$WORKERS" --rtp-ports 20000-59999)
  PIDS+=("$GW_PID")
}

stop_process() {  # SIGTERM, then SIGKILL after STOP_WAIT_S (default 15) seconds, said aloud
  local wait_s=${STOP_WAIT_S:-15}
  kill "$1" 2> /dev/null || true
  for _ in $(seq $((wait_s * 10))); do kill -0 "$1" 2> /dev/null || return 0; sleep 0.1; done
  echo "run-load-bench: PID $1 still running ${wait_s} s after SIGTERM; killing it" >&2
  kill -9 "$1" 2> /dev/null || true
}

run() {  # run NAME TARGET MODE CLIENTS [GATEWAY_ARGS...]
  local name=$1 target=$2 mode=$3 clients=$4
  shift 4
  local url rate=$RATE
  [[ $mode == idle ]] && rate=$((RATE * 8))  # offered above what either gateway registers
  if [[ $target == janus ]]; then
    start_janus "$name"
    url="ws://$ADDR:$JANUS_PORT/"
  else
    start_gateway "$name" "$@"
    url="wss://$ADDR:$GW_PORT/ws"
  fi
  echo "== $name: $clients $mode clients against $target" >&2
  ${LOADGEN_WRAPPER:-} "$LOADGEN" --target "$target" --url "$url" --mode "$mode" --clients "$clients" --rate "$rate" \
    --hold "$HOLD" --workers 1 --first-user "$FIRST_USER" --domain "$ADDR" --sip-port "$PBX_PORT" \
    --callee echo --pid "$GW_PID" --json "$OUT/$name.json" > /dev/null || true
  stop_process "$GW_PID"
  [[ -f "$OUT/$name.json" ]] || { echo "run-load-bench: $name produced no result" >&2; return 1; }
  if [[ $target == gateway ]]; then  # the gateway logs its recorder queue drops as it stops
    python3 - "$OUT/$name.json" "$WORK/$name.log" <<'PY'
import json, re, sys
result = json.load(open(sys.argv[1]))
found = re.findall(r"recorder: (\d+) packet\(s\) dropped", open(sys.argv[2], errors="replace").read())
if found and "gateway" in result:
    result["gateway"]["recorder_queue_drops"] = int(found[-1])
    json.dump(result, open(sys.argv[1], "w"), indent=2)
PY
  fi
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("   ", json.dumps(r))' \
    "$OUT/$name.json" >&2
}

for n in $CALLS; do
  run "calls-$n-gateway" gateway calls "$n"
  [[ $RECORDING_COMPARE == 1 ]] && run "calls-$n-gateway-norec" gateway calls "$n" --no-recording
  [[ $JANUS == 1 ]] && run "calls-$n-janus" janus calls "$n"
done
for n in $IDLE; do
  run "idle-$n-gateway" gateway idle "$n"
  [[ $JANUS == 1 ]] && run "idle-$n-janus" janus idle "$n"
done

python3 "$ROOT/bench/loadgen/load_report.py" "$OUT" > "$OUT/results.md"
cat "$OUT/results.md"

if [[ $SMOKE == 1 ]]; then
  python3 - "$OUT/calls-3-gateway.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
problems = []
if r["held"] != 3: problems.append(f"{r['held']} of 3 calls carried media ({r['failures']})")
if r.get("dropped_during_hold"): problems.append(f"{r['dropped_during_hold']} calls dropped")
if r["packets"]["echoed"] < 3 * 100: problems.append(f"only {r['packets']['echoed']} packets echoed")
if r["loss_pct"] > 2: problems.append(f"round-trip loss {r['loss_pct']:.2f} %")
if r["packets"]["unprotect_failures"]: problems.append("SRTP unprotect failures")
if not r.get("gateway", {}).get("cpu_us_per_call_s"): problems.append("no gateway CPU figure")
if problems:
    print("load smoke FAILED: " + "; ".join(problems)); sys.exit(1)
print("load smoke ok: 3 calls, setup p99 %.1f ms, rtt p99 %.2f ms, loss %.2f %%" %
      (r["setup_ms"]["p99"], r["rtt_ms"]["p99"], r["loss_pct"]))
PY
fi
