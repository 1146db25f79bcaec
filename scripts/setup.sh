#!/usr/bin/env bash
# Installs everything the build, the demo and the tests need, and nothing that is
# already there: quick on the second run. Only package registries are used (crates.io,
# npm, Debian); nothing is downloaded from GitHub or a CDN.
#
#   scripts/setup.sh            toolchain + npm devDependencies
#   scripts/setup.sh --browser  ... and Chromium + chromedriver (for tests)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }
# `cargo install` puts binaries in $CARGO_HOME/bin, cargo's default home only when
# CARGO_HOME is unset (the official Rust image uses /usr/local/cargo): use that folder,
# never a hard-coded home folder (shared/toolchain.md).
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$CARGO_BIN:$PATH"
if ! command -v cargo >/dev/null; then
  echo "setup: cargo is not on PATH nor in $CARGO_BIN: install Rust with rustup first" >&2
  exit 1
fi
if ! command -v rustup >/dev/null; then
  echo "setup: rustup is not on PATH: it is needed to add the wasm32-unknown-unknown target" >&2
  exit 1
fi

# Versions we pin. wasm-bindgen's must equal the one in Cargo.lock.
WASM_PACK_VERSION=0.15.1
WORKER_BUILD_VERSION=0.8.7
CARGO_FUZZ_VERSION=0.13.2
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (a few minutes, once)"
  # No --locked: the registry mirror lags one of its dependencies (shared/toolchain.md).
  cargo install wasm-bindgen-cli --version "=$WASM_BINDGEN_VERSION"
fi

if [ "$(wasm-pack --version 2>/dev/null | awk '{print $2}')" != "$WASM_PACK_VERSION" ]; then
  log "installing wasm-pack $WASM_PACK_VERSION"
  cargo install wasm-pack --locked --version "=$WASM_PACK_VERSION"
fi

if [ "$(worker-build --version 2>/dev/null)" != "$WORKER_BUILD_VERSION" ]; then
  log "installing worker-build $WORKER_BUILD_VERSION (a few minutes, once)"
  cargo install worker-build --locked --version "=$WORKER_BUILD_VERSION"
fi

# The fuzz targets (fuzz/, scripts/fuzz.sh) build on nightly with cargo-fuzz.
if ! rustup toolchain list | grep -q '^nightly'; then
  log "installing the nightly toolchain (for cargo-fuzz)"
  rustup toolchain install nightly --profile minimal
fi
if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" != "$CARGO_FUZZ_VERSION" ]; then
  log "installing cargo-fuzz $CARGO_FUZZ_VERSION (a few minutes, once)"
  cargo install cargo-fuzz --locked --version "=$CARGO_FUZZ_VERSION"
fi

# What was just installed must be what PATH finds (an older copy earlier on PATH would
# shadow it, and the build would use that one).
[ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" = "$WASM_BINDGEN_VERSION" ] ||
  { echo "setup: wasm-bindgen on PATH ($(command -v wasm-bindgen || echo none)) is not $WASM_BINDGEN_VERSION" >&2; exit 1; }
[ "$(worker-build --version 2>/dev/null)" = "$WORKER_BUILD_VERSION" ] ||
  { echo "setup: worker-build on PATH ($(command -v worker-build || echo none)) is not $WORKER_BUILD_VERSION" >&2; exit 1; }

# npm devDependencies (binaryen's wasm-opt, wrangler with workerd and esbuild, miniflare,
# playwright-core, typescript, ...), again whenever package-lock.json changed.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm devDependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi

if [ "${1:-}" = "--browser" ]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    log "installing Debian's chromium and chromium-driver"
    SUDO=""
    [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi
