# The two commands of the README's Quick start are `make demo` and `make test`.
# Each installs what it needs first (scripts/setup.sh) and is quick when it is there.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
# Tools installed by `cargo install` live in $CARGO_HOME/bin (cargo's default home only when
# CARGO_HOME is unset): that folder, then whatever PATH already has. Never a fixed folder.
CARGO_BIN := $(if $(CARGO_HOME),$(CARGO_HOME),$(HOME)/.cargo)/bin
export PATH := $(CURDIR)/node_modules/.bin:$(CARGO_BIN):$(PATH)

# Chromium for wasm-bindgen-test (cargo test --target wasm32 runs in it).
export CHROMEDRIVER ?= /usr/bin/chromedriver
export WASM_BINDGEN_USE_BROWSER := 1
export WASM_BINDGEN_TEST_TIMEOUT ?= 120
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER := wasm-bindgen-test-runner

DEMO_PORT ?= 8787
EMULATOR_PORT ?= 7000

.PHONY: setup setup-browser pkg worker site demo emulator test lint test-native test-wasm \
        test-node test-types test-vite test-browser test-worker test-e2e size bench-memory load \
        fuzz test-fuzz

setup:
	@scripts/setup.sh

setup-browser:
	@scripts/setup.sh --browser

## Panic locations keep source paths in the .wasm files: remapped (every crate to its
## own folder name, the clone to nothing), so that the bytes, and so the size budgets, do
## not depend on where CARGO_HOME or the clone is. A shell expression, run once where a
## recipe uses it: `cargo fetch` first, so that the registry folders exist on a fresh
## machine.
CARGO_HOME_DIR := $(if $(CARGO_HOME),$(CARGO_HOME),$(HOME)/.cargo)
REMAP_FLAGS = $$(cargo fetch --quiet && for d in "$(CARGO_HOME_DIR)"/registry/src/*/; do printf -- '--remap-path-prefix=%s= ' "$$d"; done)--remap-path-prefix=$(CURDIR)/=

## pkg/: the npm package. Three wasm modules: the main entry (wasm-pack --target web
## --release, feature "browser"), vipps-login/begin and vipps-login/pkce (the no_std
## begin/ crate with features "login" and "wasm", under begin/js/begin.js and pkce.js).
## Then scripts/package-json.mjs: package.json with exports/types/files/sideEffects, and each glue's clear errors before
## init and for init() in Node (it fails if the glue changed), then minified. wasm-pack's
## own output stays in build/*-pkg/ (tests/node/package-json.test.mjs reads it).
pkg: setup
	export RUSTFLAGS="$(REMAP_FLAGS)"; \
	wasm-pack --quiet build --target web --release --out-dir $(CURDIR)/build/main-pkg --out-name vipps_login -- --features browser && \
	wasm-pack --quiet build begin --target web --release --out-dir $(CURDIR)/build/begin-pkg --out-name begin_wasm -- --features login && \
	wasm-pack --quiet build begin --target web --release --out-dir $(CURDIR)/build/pkce-pkg --out-name pkce_wasm -- --features wasm
	rm -rf pkg && cp -R build/main-pkg pkg
	cp build/begin-pkg/begin_wasm.js build/begin-pkg/begin_wasm_bg.wasm build/begin-pkg/begin_wasm_bg.wasm.d.ts \
	   build/pkce-pkg/pkce_wasm.js build/pkce-pkg/pkce_wasm_bg.wasm build/pkce-pkg/pkce_wasm_bg.wasm.d.ts \
	   begin/js/begin.js begin/js/begin.d.ts begin/js/pkce.js begin/js/pkce.d.ts begin/js/common.js pkg/
	node scripts/package-json.mjs pkg
	cp npm/README.md pkg/README.md

## build/: the Cloudflare Worker (worker-build, feature "worker"; wrangler.toml points at
## build/worker/shim.mjs). The *_BIN variables hand worker-build our wasm-bindgen,
## binaryen's wasm-opt and wrangler's esbuild: without them it downloads its own from
## GitHub and fails offline (shared/toolchain.md). worker-build keeps the wasm name section
## (wasm-opt --debuginfo, for stack traces): ~20% of the gzipped module, stripped here.
## The tools are resolved on PATH when the recipe runs (after setup installed them).
WORKER_TOOLS := WASM_BINDGEN_BIN="$$(command -v wasm-bindgen)" \
	WASM_OPT_BIN=$(CURDIR)/node_modules/.bin/wasm-opt \
	ESBUILD_BIN=$(CURDIR)/node_modules/.bin/esbuild
WASM_FEATURES := --enable-mutable-globals --enable-sign-ext --enable-nontrapping-float-to-int \
	--enable-bulk-memory --enable-multivalue --enable-reference-types --enable-exception-handling

## Rebuilt only when a source changed: `wrangler dev` runs `make worker` as its build
## command, and `make demo` has just built it.
WORKER_SOURCES := $(shell find src -name '*.rs') Cargo.toml Cargo.lock

worker: setup build/.worker-built

build/.worker-built: $(WORKER_SOURCES) | setup
	RUSTFLAGS="$(REMAP_FLAGS)" $(WORKER_TOOLS) worker-build --release --features worker
	wasm-opt build/index_bg.wasm -o build/index_bg.stripped.wasm --strip-debug $(WASM_FEATURES)
	mv build/index_bg.stripped.wasm build/index_bg.wasm
	touch $@

## build/site/: what the Worker serves as static assets (wrangler.toml [assets]): the
## demo page from www/ and the npm package at /pkg/ (the page imports
## /pkg/vipps_login.js).
site: pkg
	rm -rf build/site
	mkdir -p build/site/pkg
	cp -R www/. build/site/
	cp pkg/*.js pkg/*.d.ts pkg/*.wasm pkg/package.json build/site/pkg/

## The local Vipps emulator and the Worker (serving the demo page) in workerd, on
## 127.0.0.1 (Ctrl-C stops both).
demo: worker site emulator
	DEMO_PORT=$(DEMO_PORT) EMULATOR_PORT=$(EMULATOR_PORT) scripts/demo.sh

## The local Vipps Login emulator (emulator/README.md).
emulator:
	cargo build -q -p vipps-login-emulator

## Everything.
test: setup-browser lint test-native test-fuzz pkg test-types test-node test-vite test-wasm test-browser \
      test-worker test-e2e
	@echo "make test: all suites passed"

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --features browser -- -D warnings
	cargo clippy -p vipps-login-begin --target wasm32-unknown-unknown --features login -- -D warnings
	cargo clippy -p vipps-login-begin --target wasm32-unknown-unknown --features wasm -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --features worker -- -D warnings
	cargo clippy --features worker --lib --tests -- -D warnings

## Native unit tests, property tests, the TypeScript/Rust error-code check, the
## emulator's HTTP tests, the core's flow against the emulator and against oidc-provider,
## and the oidc-provider harness itself.
test-native:
	cargo test --workspace
	node --test tests/oidc/

## The cargo-fuzz targets (fuzz/README.md, on nightly): a smoke run of each, 3 s, after
## one build of them all. `make fuzz` runs each for 1,000,000 executions.
test-fuzz: setup
	scripts/fuzz.sh --smoke

fuzz: setup
	scripts/fuzz.sh

## Every export, in headless Chromium (wasm-bindgen-test; webdriver.json adds the
## flags Chromium needs as root and offline).
test-wasm:
	cargo test --target wasm32-unknown-unknown --features browser --test wasm_exports

## The built package in Node (node:test).
test-node: pkg
	node --test tests/node/

## The packed package in a scratch Vite app (temporary folder; Vite from the npm
## registry): `vite build` served by `vite preview`, and the dev server, in headless
## Chromium (playwright-core), on 127.0.0.1.
test-vite: setup-browser pkg
	node --test tests/vite/

## A TypeScript consumer compiled against the generated declarations.
test-types: pkg
	tsc --noEmit -p tests/ts

## The demo page and the package in real headless Chromium (playwright-core), with a
## login through the emulator's landing page.
test-browser: pkg emulator
	node --test tests/browser/

## The Worker: its pure parts natively (config rules, transaction records), then the
## built Worker in workerd (miniflare) against the emulator and oidc-provider
## (node:test; the front-end-driven flow uses the npm package from pkg/).
test-worker: worker emulator pkg site
	cargo test --lib --features worker worker::
	node --test tests/worker/

## End to end: the emulator and the built Worker serving build/site/ in workerd
## (tests/e2e/stack.mjs), driven by plain fetch and by Chromium (playwright-core).
test-e2e: setup-browser site worker emulator
	node --test tests/e2e/

## Size report: gzip of the .wasm and its JS glue, written to bench/size-report.md
## (commit it). The budget itself is a test in tests/node/.
size: pkg worker
	node bench/size-report.mjs --write

## Memory per login: complete logins through the built Worker in workerd against the
## emulator (on 127.0.0.1), the Worker's wasm memory and workerd's RSS before any, after
## 100 and after 10,000 (at most 15 minutes), written to bench/memory.md.
bench-memory: worker emulator pkg
	node bench/memory.mjs --write

## The load the Worker holds (bench/load.mjs): 10,000 complete logins at 50 at a time, each
## its own test user with its sub checked, then 100 concurrent replays of one callback
## (exactly one redemption); bounded to 15 minutes, all on 127.0.0.1. Results in
## bench/load.md (commit it); exits non-zero if any login failed or crossed.
load: worker emulator pkg
	node bench/load.mjs --write

## Benchmarks: every comparison in one run on this machine (bench/run.mjs; about 20
## minutes, all load on 127.0.0.1): sizes against oauth4webapi, oidc-client-ts,
## keycloak-js and @auth0/auth0-spa-js, createLogin and cold load in headless Chromium
## against oauth4webapi, and the Worker in workerd against a JS Worker on oauth4webapi
## (bench/js-worker/). Writes BENCHMARKS.md and bench/charts/*.svg. Never pass/fail.
.PHONY: bench
bench: setup-browser pkg worker emulator
	BENCH_COMMAND="make bench" node bench/run.mjs
