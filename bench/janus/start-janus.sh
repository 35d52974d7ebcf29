#!/bin/bash
# Starts Janus 1.1.2 (Debian package) as the peer the load generator measures against: the SIP
# plugin only, the WebSocket transport only, a fixed pool of event loops. Run it INSIDE the
# benchmark's loopback-only network namespace (it adds a device there and fails outside one).
#
#   bench/janus/start-janus.sh --work-dir DIR [--port 8188] [--event-loops 2]
#                              [--rtp-ports MIN-MAX] [--debug-level 3]
#
# --rtp-ports sets both Janus's ICE port range (WebRTC side) and the SIP plugin's RTP range (PBX
# side); default 40000-44999 and 45000-49999. JANUS_NICE_DEBUG=true (with G_MESSAGES_DEBUG=all)
# adds libnice's own debug output to the log.
#
# Writes DIR/etc/*.jcfg (edited copies of /etc/janus/*.jcfg; nothing generated lives in the
# repo), starts Janus in the background with its log in DIR/janus.log, waits until its
# WebSocket port accepts connections and prints Janus's PID on stdout (the caller kills it).
#
# Why the ifb device: Janus never gathers ICE candidates on a loopback interface, so in a namespace
# with only `lo` every call fails ("Error gathering candidates"). An `ifb` device carries no
# traffic; holding 127.0.0.2/32 it gives Janus a non-loopback interface whose address still routes
# over `lo`, and `ice_enforce_list` keeps Janus to it (see /work/shared/LAB.md, "Janus 1.1.2").
set -euo pipefail

usage() {
  sed -n '6,7p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
workdir=
ws_port=8188
event_loops=2
ice_ports=40000-44999
sip_rtp_ports=45000-49999
debug_level=3
while [ $# -gt 0 ]; do
  case "$1" in
    --work-dir) workdir=$2; shift 2 ;;
    --port) ws_port=$2; shift 2 ;;
    --event-loops) event_loops=$2; shift 2 ;;
    --rtp-ports) ice_ports=$2; sip_rtp_ports=$2; shift 2 ;;
    --debug-level) debug_level=$2; shift 2 ;;
    *) usage ;;
  esac
done
[ -n "$workdir" ] || usage
ice_ip=127.0.0.2
ifb=ifbjanus

command -v janus >/dev/null || { echo "janus is not installed (apt-get install -y janus)" >&2; exit 1; }
[ -f /etc/janus/janus.jcfg ] || { echo "/etc/janus/janus.jcfg missing" >&2; exit 1; }

# Refuse to run where the benchmark could touch a real network: only lo (and our ifb) allowed.
if ip -o link show | awk -F': ' '{print $2}' | grep -vqxE "lo|$ifb(@.*)?"; then
  echo "$0: this namespace has interfaces other than lo; run me inside unshare -rn" >&2
  exit 1
fi

if ! ip link show "$ifb" >/dev/null 2>&1; then
  ip link add "$ifb" type ifb
  ip addr add "$ice_ip/32" dev "$ifb"
fi
ip link set "$ifb" up
# The same address on lo too. libnice 0.1.21 pins each host candidate's socket to the interface
# that holds its address (IP_UNICAST_IF); pinned to the ifb, every send from 127.0.0.2 to
# 127.0.0.1 fails with EINVAL (a loopback source on a non-loopback device), so Janus never
# answered a connectivity check. libnice takes the first interface with the address — lo —
# while Janus, which skips loopback interfaces, still finds it on the ifb.
ip -4 addr show dev lo | grep -q " $ice_ip/32 " || ip addr add "$ice_ip/32" dev lo

mkdir -p "$workdir/etc"
workdir=$(cd "$workdir" && pwd)
etc=$workdir/etc
cp /etc/janus/janus.jcfg /etc/janus/janus.transport.websockets.jcfg \
  /etc/janus/janus.plugin.sip.jcfg "$etc/"

# set FILE SECTION KEY VALUE: inside `SECTION: {` … `}`, the first line that sets KEY (commented
# out or not) becomes `KEY = VALUE` and further mentions of KEY are dropped (libconfig refuses a
# duplicate setting); if the section never mentions KEY, the setting goes before its closing brace.
set_key() {
  local file=$1 tmp=$1.tmp
  awk -v sec="$2" -v key="$3" -v val="$4" '
    $0 ~ "^" sec ":[ \t]*[{]" { insec = 1; print; next }
    insec && $0 ~ "^[ \t]*#?[ \t]*" key "[ \t]*=" { if (!done) print "\t" key " = " val; done = 1; next }
    insec && $0 ~ "^[}]" { if (!done) print "\t" key " = " val; done = 1; insec = 0 }
    { print }
    END { if (!done) { print "set_key: no section " sec " in " FILENAME > "/dev/stderr"; exit 1 } }
  ' "$file" > "$tmp"
  mv "$tmp" "$file"
}

# Every .so in a folder except the one we keep, as Janus's comma-separated `disable` list.
all_but() {
  (cd "$1" && ls -- *.so) | grep -vx "$2" | paste -sd, -
}
folder_of() {
  sed -n "s|^[ \t]*$1[ \t]*=[ \t]*\"\([^\"]*\)\".*|\1|p" /etc/janus/janus.jcfg | head -n1
}

core=$etc/janus.jcfg
set_key "$core" general configs_folder "\"$etc\""
set_key "$core" general debug_level "$debug_level"
set_key "$core" general debug_timestamps true
set_key "$core" general debug_colors false
set_key "$core" general interface "\"$ice_ip\""
set_key "$core" general event_loops "$event_loops"
set_key "$core" media rtp_port_range "\"$ice_ports\""
set_key "$core" nat nice_debug "${JANUS_NICE_DEBUG:-false}"
set_key "$core" nat ice_enforce_list "\"$ice_ip\""
set_key "$core" plugins disable "\"$(all_but "$(folder_of plugins_folder)" libjanus_sip.so)\""
set_key "$core" transports disable \
  "\"$(all_but "$(folder_of transports_folder)" libjanus_websockets.so)\""
set_key "$core" loggers disable "\"$(all_but "$(folder_of loggers_folder)" none)\""

ws=$etc/janus.transport.websockets.jcfg
set_key "$ws" general json '"compact"'
set_key "$ws" general ws true
set_key "$ws" general ws_port "$ws_port"
set_key "$ws" general ws_ip '"127.0.0.1"'
set_key "$ws" general wss false
set_key "$ws" admin admin_ws false

sip=$etc/janus.plugin.sip.jcfg
set_key "$sip" general local_ip '"127.0.0.1"'
set_key "$sip" general local_media_ip '"127.0.0.1"'
set_key "$sip" general rtp_port_range "\"$sip_rtp_ports\""
set_key "$sip" general events false
# No OPTIONS keepalives: sofia sends them to the AOR's domain on port 5060 (not to the proxy),
# where the gateway under test may listen in the same namespace; our gateway sends none either.
set_key "$sip" general keepalive_interval 0

# Each registered account owns a sofia stack and its sockets; many sessions need many fds.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

janus -C "$core" -F "$etc" -o > "$workdir/janus.log" 2>&1 &
pid=$!

for _ in $(seq 1 100); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "janus exited during start-up; last lines of $workdir/janus.log:" >&2
    tail -n 20 "$workdir/janus.log" >&2
    exit 1
  fi
  if (exec 3<>"/dev/tcp/127.0.0.1/$ws_port") 2>/dev/null; then
    echo "$pid"
    exit 0
  fi
  sleep 0.1
done
echo "janus did not open ws://127.0.0.1:$ws_port within 10 s (log: $workdir/janus.log)" >&2
kill "$pid" 2>/dev/null || true
exit 1
