#!/bin/sh
# Runs the SIP integration test against real peers, inside a loopback-only network namespace
# (ctest starts it through `unshare -rn`): Kamailio on 127.0.0.1:5070 (tests/pbx), and sipp
# phones registered as 1002 (answers, waits for our BYE), 1003 (answers, then sends BYE) and 1004
# (rings until cancelled). 1005 stays unregistered. The tests register the gateway themselves as
# 1008 (incoming calls from sipp as 1009), and start their own Kamailio on 5071 and a sipp
# registrar on 5096 (registration recovery / short expiry).
#   run_sip_integration.sh TEST_BINARY SOURCE_DIR
# Every peer is killed on exit; every step is bounded by `timeout`.
set -u
bin=$1
src=$2
shift 2  # the rest goes to the test binary (e.g. --gtest_filter=...)
scen="$src/tests/integration/sip/scenarios"
work=$(mktemp -d /tmp/sipgw-sip-it.XXXXXX)
pids=""

cleanup() {
  for p in $pids; do kill "$p" 2>/dev/null; done
  sleep 0.3
  for p in $pids; do kill -9 "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ "${rc:-1}" -ne 0 ]; then
    echo "--- kamailio log (tail) ---"; tail -n 60 "$work/kamailio.log" 2>/dev/null
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

timeout 120 "$src/tests/pbx/run-kamailio.sh" "$work/pbx" 127.0.0.1 5070 >"$work/kamailio.log" 2>&1 &
pids="$pids $!"

register() {  # ext port
  timeout 15 sipp -sf "$scen/register.xml" -s "$1" -au "$1" -ap "pass$1" -m 1 -i 127.0.0.1 \
    -p "$2" 127.0.0.1:5070 -timeout 10 -nostdin >/dev/null 2>&1 ||
    { echo "registering phone $1 failed"; rc=1; exit 1; }
}
phone() {  # ext port media_port sipp-args...
  ext=$1 port=$2 mport=$3
  shift 3
  timeout 120 sipp "$@" -s "$ext" -i 127.0.0.1 -p "$port" -mp "$mport" -nostdin \
    -trace_err -error_file "$work/sipp-$ext.err" >/dev/null 2>&1 &
  pids="$pids $!"
}

register 1002 5092
register 1003 5093
register 1004 5094
phone 1002 5092 6000 -sf "$scen/uas_answer.xml"
phone 1003 5093 6010 -sf "$scen/uas_bye.xml"
phone 1004 5094 6020 -sf "$scen/uas_ring.xml"
sleep 0.3

export SIPGW_TEST_SRC="$src" SIPGW_TEST_SCENARIOS="$scen" SIPGW_TEST_WORK="$work"
export SIPGW_TEST_PBX_PORT=5070
if [ $# -gt 0 ]; then  # a filter or other gtest options: one process, as asked
  timeout 150 "$bin" "$@"
  rc=$?
  exit $rc
fi

# Tests that mostly wait on SIP timers (Timer F: 32 s; registration refresh and retries) run in
# processes of their own beside the rest, so the whole run takes about as long as the slowest.
slow1='SipStackIntegration.SilentPbxTimesOutWith408'
slow2='SipRegistrationRecovery.*:SipShortExpiry.*'
timeout 150 "$bin" --gtest_filter="$slow1" >"$work/slow1.out" 2>&1 &
p1=$!
timeout 150 "$bin" --gtest_filter="$slow2" >"$work/slow2.out" 2>&1 &
p2=$!
pids="$pids $p1 $p2"
timeout 150 "$bin" --gtest_filter="-$slow1:$slow2"
rc=$?
wait $p1
rc1=$?
wait $p2
rc2=$?
cat "$work/slow1.out" "$work/slow2.out"
[ $rc -eq 0 ] && [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] || rc=1
exit $rc
