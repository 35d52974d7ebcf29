#!/bin/sh
# Starts the bundled test PBX in the foreground (the caller backgrounds and kills it).
#   tests/pbx/run-kamailio.sh WORKDIR LISTEN_IP PORT
# Writes WORKDIR/kamailio.cfg and a db_text database (WORKDIR/db) with extensions 1000-1009,
# password "pass<ext>", domain LISTEN_IP, then execs kamailio (its PID is this script's PID).
# Env (benchmarks): PBX_EXTRA_USERS="FIRST LAST" adds extensions FIRST..LAST (same password
# rule); PBX_ECHO_UAS=HOST:PORT relays calls to the number "echo" to that UAS (an RTP echo);
# PBX_QUIET=1 logs warnings only (no line per request); PBX_CHILDREN=N UDP workers (default 1).
set -eu
if [ $# -ne 3 ]; then
  echo "usage: $0 WORKDIR LISTEN_IP PORT" >&2
  exit 2
fi
workdir=$1
listen_ip=$2
port=$3
here=$(cd "$(dirname "$0")" && pwd)

mkdir -p "$workdir/db" "$workdir/run"
workdir=$(cd "$workdir" && pwd)

# db_text: a `version` table plus `subscriber`; ha1/ha1b must be nullable, otherwise every
# REGISTER fails with "null value not allowed" (calculate_ha1=1 uses the plain password).
cat > "$workdir/db/version" <<VERSION
id(int,auto) table_name(string) table_version(int)
1:subscriber:7
VERSION
{
  echo "id(int,auto) username(string) domain(string) password(string) ha1(string,null) ha1b(string,null)"
  i=0
  while [ $i -le 9 ]; do
    echo "$((i + 1)):100$i:$listen_ip:pass100$i::"
    i=$((i + 1))
  done
  if [ -n "${PBX_EXTRA_USERS:-}" ]; then
    # shellcheck disable=SC2086  # two words on purpose
    set -- $PBX_EXTRA_USERS
    id=11
    ext=$1
    while [ "$ext" -le "$2" ]; do
      echo "$id:$ext:$listen_ip:pass$ext::"
      id=$((id + 1))
      ext=$((ext + 1))
    done
  fi
} > "$workdir/db/subscriber"

{
  echo "#!KAMAILIO"
  if [ -n "${PBX_ECHO_UAS:-}" ]; then
    echo "#!define WITH_ECHO_UAS"
    echo "#!substdef \"!ECHO_UAS_ADDRESS!$PBX_ECHO_UAS!\""
  fi
  sed -e "s|@LISTEN_IP@|$listen_ip|g" -e "s|@PORT@|$port|g" -e "s|@DBDIR@|$workdir/db|g" \
    -e "s|^children=1$|children=${PBX_CHILDREN:-1}|" \
    -e "s|^debug=2$|debug=$([ "${PBX_QUIET:-0}" = 1 ] && echo 0 || echo 2)|" \
    "$here/kamailio.cfg" | sed 1d
} > "$workdir/kamailio.cfg"

exec kamailio -DD -E -f "$workdir/kamailio.cfg" -Y "$workdir/run" -m 64 -M 8
