// The built Worker in real workerd (miniflare; see harness.mjs for why) against the
// local Vipps Login emulator: configuration, /api/config, /login with its Durable
// Object transaction, the round trip through the emulator, bad configuration, unknown
// routes and the log lines. `make test-worker` (builds the Worker and the emulator).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  SCOPES,
  SESSION_SECRET,
  eventually,
  freePort,
  s256,
  startEmulator,
  startWorkers,
} from "./harness.mjs";

const TIMEOUT = { timeout: 60_000 };

let emulator;
let issuer;
let workers;
let base; // the Worker's own URL, e.g. http://127.0.0.1:PORT/
let redirectUri;

/** A complete, valid configuration for the emulator. */
function goodBindings() {
  return {
    VIPPS_ENV: "test",
    VIPPS_ISSUER: issuer,
    VIPPS_CLIENT_ID: CLIENT_ID,
    VIPPS_REDIRECT_URI: redirectUri,
    VIPPS_SCOPES: SCOPES,
    VIPPS_TOKEN_AUTH_METHOD: "client_secret_basic",
    ALLOWED_ORIGINS: "http://127.0.0.1:8080",
    VIPPS_CLIENT_SECRET: CLIENT_SECRET,
    SESSION_SECRET,
  };
}

function without(bindings, name) {
  const copy = { ...bindings };
  delete copy[name];
  return copy;
}

/** Misconfigured Workers, each expected to name one setting. */
const BAD = {
  "missing-client-id": ["VIPPS_CLIENT_ID", (b) => without(b, "VIPPS_CLIENT_ID")],
  "http-issuer-not-loopback": [
    "VIPPS_ISSUER",
    (b) => ({ ...b, VIPPS_ISSUER: "http://vipps.example/access-management-1.0/access/" }),
  ],
  "bad-auth-method": ["VIPPS_TOKEN_AUTH_METHOD", (b) => ({ ...b, VIPPS_TOKEN_AUTH_METHOD: "private_key_jwt" })],
  "bad-env": ["VIPPS_ENV", (b) => ({ ...without(b, "VIPPS_ISSUER"), VIPPS_ENV: "prod" })],
  "missing-client-secret": ["VIPPS_CLIENT_SECRET", (b) => without(b, "VIPPS_CLIENT_SECRET")],
  "short-session-secret": ["SESSION_SECRET", (b) => ({ ...b, SESSION_SECRET: "too-short" })],
  "bad-redirect-uri": ["VIPPS_REDIRECT_URI", (b) => ({ ...b, VIPPS_REDIRECT_URI: "http://shop.example/callback" })],
  "bad-app-redirect-uri": [
    "VIPPS_APP_REDIRECT_URI",
    (b) => ({ ...b, VIPPS_APP_REDIRECT_URI: "http://127.0.0.1:8080/app/callback#x" }),
  ],
  "app-redirect-uri-other-origin": [
    "VIPPS_APP_REDIRECT_URI",
    (b) => ({ ...b, VIPPS_APP_REDIRECT_URI: "http://localhost:9999/app/callback" }),
  ],
  "bad-scope": ["VIPPS_SCOPES", (b) => ({ ...b, VIPPS_SCOPES: "openid profile" })],
  "bad-origin": ["ALLOWED_ORIGINS", (b) => ({ ...b, ALLOWED_ORIGINS: "*" })],
  "bad-timeout": ["VIPPS_HTTP_TIMEOUT_MS", (b) => ({ ...b, VIPPS_HTTP_TIMEOUT_MS: "ten seconds" })],
};

before(async () => {
  // The redirect URI names the Worker's port, and the emulator must have it registered
  // before the Worker (which needs the emulator's issuer) starts: pick the port first.
  const port = await freePort();
  base = `http://127.0.0.1:${port}/`;
  redirectUri = `${base}callback`;
  ({ child: emulator, issuer } = await startEmulator(redirectUri));
  const good = goodBindings();
  const all = { main: good };
  for (const [name, [, make]] of Object.entries(BAD)) all[name] = make(good);
  workers = await startWorkers(port, all);
}, TIMEOUT);

after(async () => {
  await workers?.mf.dispose();
  emulator?.kill();
});

function get(path, init = {}) {
  return fetch(new URL(path, base), { redirect: "manual", ...init });
}

/** GET /login and the authorization URL it redirects to. */
async function login(returnTo) {
  const path = returnTo === undefined ? "/login" : `/login?returnTo=${encodeURIComponent(returnTo)}`;
  const response = await get(path);
  assert.equal(response.status, 302, await response.clone().text());
  const location = new URL(response.headers.get("location"));
  return { response, location, state: location.searchParams.get("state") };
}

test("GET /api/config: the public settings, nothing secret", TIMEOUT, async () => {
  const response = await get("/api/config");
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type"), /^application\/json/);
  assert.equal(response.headers.get("cache-control"), "no-store");
  const text = await response.text();
  assert.deepEqual(JSON.parse(text), {
    issuer,
    clientId: CLIENT_ID,
    redirectUri,
    // No VIPPS_APP_REDIRECT_URI: the front-end-driven flow comes back to the same URI.
    appRedirectUri: redirectUri,
    scopes: SCOPES.split(" "),
    environment: "custom",
    // No VIPPS_ALLOWED_* settings: no per-login option is accepted.
    options: { markets: [], requestedFlows: [], finalRedirectIsApp: false, acrValues: [] },
    // No PHONE_LOGIN_API_KEY: no login from phone number.
    phoneLogin: { enabled: false, webpage: false },
  });
  for (const secret of [CLIENT_SECRET, SESSION_SECRET]) assert.ok(!text.includes(secret), "a secret leaked");
});

test("GET /login: 302 to the emulator's authorize endpoint with PKCE S256, state and nonce", TIMEOUT, async () => {
  const { response, location, state } = await login("/account?tab=1");
  assert.equal(response.headers.get("cache-control"), "no-store");
  assert.equal(`${location.origin}${location.pathname}`, `${issuer}oauth2/auth`);
  const q = location.searchParams;
  assert.equal(q.get("client_id"), CLIENT_ID);
  assert.equal(q.get("response_type"), "code");
  assert.equal(q.get("scope"), SCOPES);
  assert.equal(q.get("redirect_uri"), redirectUri);
  assert.equal(q.get("code_challenge_method"), "S256");
  assert.match(q.get("code_challenge"), /^[A-Za-z0-9_-]{43}$/);
  // The Worker's own state: 24 random bytes and a 16-byte tag (src/state.rs).
  assert.match(state, /^[A-Za-z0-9_-]{54}$/);
  assert.match(q.get("nonce"), /^[A-Za-z0-9_-]{43}$/);
  assert.ok(!location.href.includes(CLIENT_SECRET));

  // The Durable Object named by the state holds the transaction; taking it deletes it.
  const { status, transaction } = await workers.take(state);
  assert.equal(status, 200);
  assert.equal(transaction.state, state);
  assert.equal(transaction.nonce, q.get("nonce"));
  assert.equal(s256(transaction.code_verifier), q.get("code_challenge"));
  assert.equal(transaction.redirect_uri, redirectUri);
  assert.equal(transaction.return_to, "/account?tab=1");
  assert.equal(transaction.expires_at - transaction.created_at, 15 * 60);
  assert.ok(Math.abs(transaction.created_at - Date.now() / 1000) < 60);
  assert.equal((await workers.take(state)).status, 404, "a transaction is single use");
});

test("each login has its own state and its own transaction", TIMEOUT, async () => {
  const a = await login();
  const b = await login();
  assert.notEqual(a.state, b.state);
  assert.notEqual(a.location.searchParams.get("nonce"), b.location.searchParams.get("nonce"));
  assert.equal((await workers.take(a.state)).status, 200);
  assert.equal((await workers.take(b.state)).status, 200, "taking one leaves the other");
  assert.equal((await workers.take("never-issued-state-0123456789")).status, 404);
});

test("two takes racing for one state: exactly one gets the transaction", TIMEOUT, async () => {
  const { state } = await login();
  const results = await Promise.all([workers.take(state), workers.take(state), workers.take(state)]);
  assert.deepEqual(results.map((r) => r.status).sort(), [200, 404, 404]);
});

test("returnTo keeps same-origin paths only", TIMEOUT, async () => {
  const cases = {
    "/": "/",
    "/shop/cart?item=1": "/shop/cart?item=1",
    "//evil.example": "/",
    "/\\evil.example": "/",
    "https://evil.example/": "/",
    "/\t/evil.example": "/",
    "evil.example": "/",
  };
  for (const [given, kept] of Object.entries(cases)) {
    const { state } = await login(given);
    const { transaction } = await workers.take(state);
    assert.equal(transaction.return_to, kept, JSON.stringify(given));
  }
  const { state } = await login();
  assert.equal((await workers.take(state)).transaction.return_to, "/", "no returnTo");
});

test("the emulator sends the user back to the Worker's /callback with a code and the same state", TIMEOUT, async () => {
  const { location, state } = await login("/after");
  // The emulator's browserless shortcut: approve as test user "ola".
  const approved = await fetch(`${location.href}&_emulator_user=ola`, { redirect: "manual" });
  assert.equal(approved.status, 302, await approved.text());
  const back = new URL(approved.headers.get("location"));
  assert.equal(`${back.origin}${back.pathname}`, redirectUri);
  assert.equal(back.searchParams.get("state"), state);
  assert.match(back.searchParams.get("code"), /^\S{16,}$/);
  // Not completed here (tests/worker/flow.test.mjs does): the transaction is still there.
  assert.equal((await workers.take(state)).status, 200);
});

test("bad configuration: 500 config_invalid naming the setting, never a secret", TIMEOUT, async () => {
  for (const [name, [setting]] of Object.entries(BAD)) {
    const worker = await workers.worker(name);
    for (const path of ["/api/config", "/login?returnTo=/x"]) {
      const response = await worker.fetch(`http://worker.test${path}`, { redirect: "manual" });
      const text = await response.text();
      assert.equal(response.status, 500, `${name} ${path}: ${text}`);
      const body = JSON.parse(text);
      assert.equal(body.error, "config_invalid", text);
      assert.equal(body.setting, setting, `${name}: ${text}`);
      assert.equal(typeof body.message, "string");
      assert.ok(body.message.includes(setting), text);
      for (const secret of [CLIENT_SECRET, SESSION_SECRET, "too-short"]) {
        assert.ok(!text.includes(secret), `${name} leaks a secret: ${text}`);
      }
    }
  }
  const insecure = await (await workers.worker("http-issuer-not-loopback")).fetch("http://worker.test/api/config");
  assert.equal((await insecure.json()).code, "issuer_insecure");
});

test("unknown routes 404, wrong methods 405", TIMEOUT, async () => {
  const unknown = await get("/nope");
  assert.equal(unknown.status, 404);
  assert.deepEqual(await unknown.json(), { error: "not_found" });
  for (const [method, path, allow] of [
    ["POST", "/api/config", "GET"],
    ["PUT", "/callback", "GET, POST"],
    ["POST", "/login", "GET"],
    ["GET", "/api/confirm", "POST"],
    ["GET", "/api/login", "POST"],
    ["GET", "/api/callback", "POST"],
    ["DELETE", "/api/session", "GET"],
    ["GET", "/api/logout", "POST"],
  ]) {
    const wrong = await get(path, { method });
    assert.equal(wrong.status, 405, `${method} ${path}`);
    assert.equal(wrong.headers.get("allow"), allow);
    assert.deepEqual(await wrong.json(), { error: "method_not_allowed" });
  }
});

test("one JSON log line per request, without query strings, codes, states or secrets", TIMEOUT, async () => {
  const before = workers.logs.length;
  const marker = `/log-check-${Date.now()}`;
  const secretish = "code=SECRET-CODE-123&state=SECRET-STATE-456";
  await (await get(`${marker}?${secretish}`)).text();
  await (await get(`/callback?${secretish}`)).text();
  const { state } = await login("/x?y=1");
  await eventually(() => workers.logs.slice(before).some((l) => l.includes('"/login"')), "the /login log line");

  const lines = workers.logs.slice(before);
  const entries = lines.map((line) => {
    assert.doesNotThrow(() => JSON.parse(line), `not JSON: ${line}`);
    return JSON.parse(line);
  });
  for (const entry of entries) {
    // Failures add the code, its message and its hint: for developers, in the log.
    const keys = Object.keys(entry).sort().filter((k) => !["error", "message", "hint"].includes(k));
    assert.deepEqual(keys, ["method", "ms", "path", "status"]);
    assert.equal(typeof entry.ms, "number");
    assert.ok(!entry.path.includes("?"), entry.path);
  }
  assert.ok(entries.some((e) => e.path === marker && e.status === 404 && e.method === "GET"));
  assert.ok(
    entries.some((e) => e.path === "/callback" && e.status === 400 && e.error === "transaction_not_found"),
    lines.join("\n"),
  );
  assert.ok(entries.some((e) => e.path === marker && e.error === "not_found"));
  assert.ok(entries.some((e) => e.path === "/login" && e.status === 302));
  const all = lines.join("\n");
  for (const leak of ["SECRET-CODE", "SECRET-STATE", state, CLIENT_SECRET, SESSION_SECRET]) {
    assert.ok(!all.includes(leak), `log holds ${leak}`);
  }
  await workers.take(state);
});
