#!/usr/bin/env bash
# `make demo`: the local Vipps Login emulator and the demo page, both on 127.0.0.1.
# Ctrl-C stops both. Expects `make pkg` and the emulator build to have run (make does).
set -euo pipefail
cd "$(dirname "$0")/.."

DEMO_PORT=${DEMO_PORT:-8080}
EMULATOR_PORT=${EMULATOR_PORT:-7000}
EMULATOR=target/debug/vipps-login-emulator

pids=()
stop() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT TERM

log=$(mktemp)
"$EMULATOR" --port "$EMULATOR_PORT" >"$log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
  grep -q "listening on" "$log" && break
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$log"; echo "the emulator did not start"; exit 1; }
  sleep 0.1
done
issuer=$(sed -n 's/.*issuer=\([^ ]*\).*/\1/p' "$log" | head -n1)
[ -n "$issuer" ] || { cat "$log"; echo "the emulator did not start"; exit 1; }

node scripts/serve.mjs --port "$DEMO_PORT" --issuer "$issuer" --client-id demo-client &
pids+=($!)
sleep 0.5

cat <<TXT

  Open http://127.0.0.1:$DEMO_PORT/ and press "Build login URL", then "Log in with Vipps".

  Local Vipps Login emulator: $issuer
  Test users (pick one on the emulator's page):
    ola   Ola Nordmann, every field, a home and a work address
    kari  Kari Nordmann, no address
    emil  under 15: Vipps refuses the login
    sven  a Swedish user

  Ctrl-C stops both.
TXT
# The emulator's request log, as it happens.
tail -n +2 -f "$log" &
pids+=($!)
wait "${pids[0]}"
