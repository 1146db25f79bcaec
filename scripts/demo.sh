#!/usr/bin/env bash
# `make demo`: the local Vipps Login emulator and the Worker in workerd (`wrangler dev`),
# which serves the demo page (build/site/) same-origin with its routes, all on 127.0.0.1.
# Ctrl-C stops everything this script started. Expects `make worker site emulator` to
# have run (make does).
#
# DEMO_PORT (8787) and EMULATOR_PORT (7000) move them: the Worker then gets its redirect
# URIs and the issuer with `--var`, and the emulator a copy of its shipped config with
# the Worker's redirect URIs on DEMO_PORT.
#
# The emulator runs only while wrangler.toml's VIPPS_ISSUER is the emulator's
# (http://127.0.0.1:7000/...). Remove it (VIPPS_ENV = "test": apitest.vipps.no) and put the
# sales unit's values in [vars] and .dev.vars, and this starts the Worker alone with them.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

DEMO_PORT=${DEMO_PORT:-8787}
EMULATOR_PORT=${EMULATOR_PORT:-7000}
EMULATOR=target/debug/vipps-login-emulator
SHIPPED_CONFIG=emulator/config/default.toml
# wrangler without network: no metrics, no error reports, no request.cf download.
export WRANGLER_SEND_METRICS=false WRANGLER_SEND_ERROR_REPORTS=false CLOUDFLARE_CF_FETCH_ENABLED=false

shipped_issuer=$(sed -n 's/^VIPPS_ISSUER *= *"\(.*\)".*/\1/p' wrangler.toml | head -n1)
use_emulator=
case "$shipped_issuer" in http://127.0.0.1:7000/*) use_emulator=1 ;; esac

ports=("$DEMO_PORT")
[ -n "$use_emulator" ] && ports+=("$EMULATOR_PORT")
for port in "${ports[@]}"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "demo: port $port on 127.0.0.1 is in use (set DEMO_PORT / EMULATOR_PORT to others)" >&2
    exit 1
  fi
done

if [ ! -f .dev.vars ]; then
  cp .dev.vars.example .dev.vars
  echo "demo: created .dev.vars from .dev.vars.example (the emulator's client secret)"
elif ! grep -q '^PHONE_LOGIN_API_KEY=' .dev.vars; then
  # A .dev.vars from before phone login: the demo's key added, nothing else touched.
  grep '^PHONE_LOGIN_API_KEY=' .dev.vars.example >>.dev.vars
  echo "demo: added the demo's PHONE_LOGIN_API_KEY to .dev.vars"
fi
phone_key=$(sed -n 's/^PHONE_LOGIN_API_KEY=//p' .dev.vars | head -n1)

tmp=$(mktemp -d)
emulator_pid=
wrangler_pid=
tail_pid=
stop() {
  trap - EXIT INT TERM
  [ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null || true
  if [ -n "$wrangler_pid" ]; then
    # wrangler, its build and workerd: the process group started with setsid below.
    kill -TERM -- "-$wrangler_pid" 2>/dev/null || true
    for _ in $(seq 50); do
      kill -0 -- "-$wrangler_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL -- "-$wrangler_pid" 2>/dev/null || true
  fi
  [ -n "$emulator_pid" ] && kill -- "-$emulator_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap stop EXIT
# Ctrl-C is how a demo ends: stop everything and exit 0, so that make reports no error.
trap 'echo; echo "demo: stopped"; exit 0' INT TERM

# The emulator. Its shipped config registers the Worker's redirect URIs on port 8787;
# for another DEMO_PORT, a copy with that port. The Worker gets its issuer.
worker_vars=()
if [ -n "$use_emulator" ]; then
  emulator_args=(--port "$EMULATOR_PORT")
  if [ "$DEMO_PORT" != 8787 ]; then
    sed -e "s#http://127.0.0.1:8787/#http://127.0.0.1:$DEMO_PORT/#g" \
        -e "s#http://localhost:8787/#http://localhost:$DEMO_PORT/#g" "$SHIPPED_CONFIG" >"$tmp/emulator.toml"
    emulator_args+=(--config "$tmp/emulator.toml")
  fi
  # Its own process group too: Ctrl-C reaches this script, which stops both in order.
  setsid "$EMULATOR" "${emulator_args[@]}" </dev/null >"$tmp/emulator.log" 2>&1 &
  emulator_pid=$!
  for _ in $(seq 50); do
    grep -q "listening on" "$tmp/emulator.log" && break
    kill -0 "$emulator_pid" 2>/dev/null || { cat "$tmp/emulator.log"; echo "demo: the emulator did not start" >&2; exit 1; }
    sleep 0.1
  done
  issuer=$(sed -n 's/.*issuer=\([^ ]*\).*/\1/p' "$tmp/emulator.log" | head -n1)
  [ -n "$issuer" ] || { cat "$tmp/emulator.log"; echo "demo: the emulator did not start" >&2; exit 1; }
  worker_vars+=(--var "VIPPS_ISSUER:$issuer")
fi

# The Worker in workerd, serving build/site/ ([assets] in wrangler.toml). Its [build]
# command (`make worker`) finds the build up to date. Its own process group, so that
# stopping it stops workerd too.
origin="http://127.0.0.1:$DEMO_PORT"
# wrangler.toml's redirect URIs name port 8787; on another port, the same paths on it.
if [ "$DEMO_PORT" != 8787 ]; then
  worker_vars+=(--var "VIPPS_REDIRECT_URI:$origin/callback" --var "VIPPS_APP_REDIRECT_URI:$origin/app/callback"
    --var "VIPPS_PHONE_REDIRECT_URI:$origin/phone-callback")
fi
setsid npx wrangler dev --ip 127.0.0.1 --port "$DEMO_PORT" --show-interactive-dev-session=false \
  --persist-to "$root/.wrangler/state" ${worker_vars[@]+"${worker_vars[@]}"} </dev/null >"$tmp/worker.log" 2>&1 &
wrangler_pid=$!
ready=
for _ in $(seq 600); do
  if curl -fsS -o /dev/null "$origin/api/config" 2>/dev/null; then ready=1; break; fi
  kill -0 "$wrangler_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$ready" ]; then
  cat "$tmp/worker.log"
  echo "demo: the Worker did not start on $origin" >&2
  exit 1
fi

cat <<TXT

  Open $origin/

  The Worker (wrangler dev, workerd) serves the demo page and /login, /callback, /api/*.
TXT
if [ -n "$use_emulator" ]; then
  cat <<TXT
  Local Vipps Login emulator: $issuer
  Test users (pick one on the emulator's page):
    ola   Ola Nordmann, every field, a home and a work address
    kari  Kari Nordmann, no address
    emil  under 15: Vipps refuses the login
    sven  a Swedish user

TXT
  if [ -n "$phone_key" ]; then
    cat <<TXT
  Log in from phone number (merchant-initiated only): the page's panel asks for the
  shop's API key, PHONE_LOGIN_API_KEY in .dev.vars: $phone_key
  The customer's phone: ${issuer%%/access-management-1.0/*}/_emulator/phone

TXT
  fi
  cat <<TXT
  Ctrl-C stops both.

TXT
else
  issuer=$(curl -fsS "$origin/api/config" | sed -n 's/.*"issuer":"\([^"]*\)".*/\1/p')
  cat <<TXT
  Issuer (from wrangler.toml, no emulator): $issuer

  Ctrl-C stops it.

TXT
fi
# The Worker's and the emulator's logs, as they happen.
touch "$tmp/emulator.log"
tail -q -n 0 -f "$tmp/worker.log" "$tmp/emulator.log" &
tail_pid=$!
# Returns when either stops, or at once on Ctrl-C (the INT trap).
wait -n $emulator_pid "$wrangler_pid" || true
echo "demo: the emulator or the Worker stopped" >&2
exit 1
