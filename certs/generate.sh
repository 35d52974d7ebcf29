#!/usr/bin/env bash
# generate.sh — create a self-signed development certificate for the gateway's HTTPS/WSS
# listener: certs/gateway.crt + certs/gateway.key (ECDSA P-256, SAN IP:127.0.0.1, DNS:localhost).
#
# Idempotent: does nothing when both files exist and the certificate has not expired.
# Usage: certs/generate.sh [--force] [EXTRA_IP]   (EXTRA_IP is added to the SAN, e.g. a lab IP)
# Never use this certificate in production.
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CRT="$DIR/gateway.crt"
KEY="$DIR/gateway.key"

force=0
if [[ "${1:-}" == "--force" ]]; then force=1; shift; fi
extra_ip="${1:-}"

san="IP:127.0.0.1,DNS:localhost"
if [[ -n "$extra_ip" && "$extra_ip" != "127.0.0.1" ]]; then
  san="$san,IP:$extra_ip"
fi

if [[ $force -eq 0 && -s "$CRT" && -s "$KEY" ]] && \
   openssl x509 -in "$CRT" -noout -checkend 86400 >/dev/null 2>&1 && \
   { [[ -z "$extra_ip" ]] || openssl x509 -in "$CRT" -noout -ext subjectAltName 2>/dev/null | grep -q "IP Address:$extra_ip\b"; }; then
  echo "certs: $CRT already present"
  exit 0
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
  -keyout "$tmp/gateway.key" -out "$tmp/gateway.crt" -days 825 -sha256 \
  -subj "/CN=SIP Gateway development certificate" \
  -addext "subjectAltName=$san" \
  -addext "basicConstraints=critical,CA:FALSE" \
  -addext "keyUsage=critical,digitalSignature" \
  -addext "extendedKeyUsage=serverAuth" 2>/dev/null
chmod 600 "$tmp/gateway.key"
mv "$tmp/gateway.key" "$KEY"
mv "$tmp/gateway.crt" "$CRT"
echo "certs: wrote $CRT and $KEY (SAN $san)"
