#!/bin/sh
# Starts the bundled test PBX in the foreground (the caller backgrounds and kills it).
#   tests/pbx/run-kamailio.sh WORKDIR LISTEN_IP PORT
# Writes WORKDIR/kamailio.cfg and a db_text database (WORKDIR/db) with extensions 1000-1009,
# password "pass<ext>", domain LISTEN_IP, then execs kamailio (its PID is this script's PID).
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
} > "$workdir/db/subscriber"

sed -e "s|@LISTEN_IP@|$listen_ip|g" -e "s|@PORT@|$port|g" -e "s|@DBDIR@|$workdir/db|g" \
  "$here/kamailio.cfg" > "$workdir/kamailio.cfg"

exec kamailio -DD -E -f "$workdir/kamailio.cfg" -Y "$workdir/run" -m 64 -M 8
