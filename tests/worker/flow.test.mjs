// Whole logins through the built Worker in workerd (miniflare) against the local Vipps
// Login emulator: GET /login → the emulator (browserless approve) → GET /callback or
// POST /api/callback → the session cookie → GET /api/session → POST /api/logout; the
// front-end-driven flow (POST /api/login with values made by the npm package); the
// binding to the browser that started (a copied callback URL elsewhere gets nothing);
// duplicate callbacks; unknown, expired and replayed
// states; cancel; client_secret_post; the session cookie; CORS and the JSON content type
// rule. `make test-worker`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  POST_CLIENT_ID,
  POST_CLIENT_SECRET,
  SCOPES,
  SESSION_SECRET,
  approveAtEmulator,
  backWithLoginError,
  eventually,
  failurePage,
  hintLogged,
  mintState,
  freePort,
  parseSetCookie,
  startEmulator,
  startWorkers,
} from "./harness.mjs";

// The npm package, as a front-end uses it (tests/node/package.test.mjs loads it alike).
const pkgUrl = new URL("../../pkg/", import.meta.url);
const vippsLogin = await import(new URL("vipps_login.js", pkgUrl));
vippsLogin.initSync({ module: readFileSync(new URL("vipps_login_bg.wasm", pkgUrl)) });

const TIMEOUT = { timeout: 60_000 };
const ALLOWED_ORIGIN = "http://127.0.0.1:8080";
// A deployed shop: the Worker's redirect URI is https, so its cookie must be
// `__Host-` prefixed and Secure.
const HTTPS_REDIRECT_URI = "https://shop.example/callback";
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let emulator;
let workers;
let main; // a client for the main Worker
let redirectUri;
let appRedirectUri; // the front-end-driven flow's page (VIPPS_APP_REDIRECT_URI)
let origin; // the Worker's own origin

before(async () => {
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  redirectUri = `${origin}/callback`;
  appRedirectUri = `${origin}/app/callback`;
  emulator = await startEmulator([redirectUri, appRedirectUri, HTTPS_REDIRECT_URI]);
  const good = {
    VIPPS_ISSUER: emulator.issuer,
    VIPPS_CLIENT_ID: CLIENT_ID,
    VIPPS_REDIRECT_URI: redirectUri,
    VIPPS_SCOPES: SCOPES,
    VIPPS_TOKEN_AUTH_METHOD: "client_secret_basic",
    ALLOWED_ORIGINS: ALLOWED_ORIGIN,
    VIPPS_CLIENT_SECRET: CLIENT_SECRET,
    SESSION_SECRET,
  };
  const post = {
    ...good,
    VIPPS_CLIENT_ID: POST_CLIENT_ID,
    VIPPS_CLIENT_SECRET: POST_CLIENT_SECRET,
    VIPPS_TOKEN_AUTH_METHOD: "client_secret_post",
  };
  workers = await startWorkers(port, {
    main: good,
    post,
    app: { ...good, VIPPS_APP_REDIRECT_URI: appRedirectUri },
    https: { ...good, VIPPS_REDIRECT_URI: HTTPS_REDIRECT_URI, ALLOWED_ORIGINS: "https://shop.example" },
    // The post-client sales unit, configured with the other method by mistake.
    "post-as-basic": { ...post, VIPPS_TOKEN_AUTH_METHOD: "client_secret_basic" },
  });
  main = await workers.client("main");
}, TIMEOUT);

after(async () => {
  await workers?.mf.dispose();
  emulator?.child.kill();
});

/** GET /login on `client`: the authorization URL it redirects to. */
async function startLogin(client, returnTo = "/") {
  const response = await client.get(`/login?returnTo=${encodeURIComponent(returnTo)}`);
  assert.equal(response.status, 302, await response.text());
  // The only cookie: the login-binding one (RFC 9700 4.7.1), kept by the client's jar.
  const [line, ...more] = response.headers.getSetCookie();
  assert.deepEqual(more, []);
  const binding = parseSetCookie(line);
  assert.match(binding.name, /vipps_login_binding$/);
  for (const attr of ["httponly", "samesite=lax", "path=/", "max-age=900"]) {
    assert.ok(binding.attrs.includes(attr), `${attr} in ${binding.attrs}`);
  }
  return response.headers.get("location");
}

/** A callback URL (code and state) for a login started on `client` and approved as `user`. */
async function callbackUrl(client = main, user = "ola", returnTo = "/") {
  return approveAtEmulator(await startLogin(client, returnTo), user);
}

/** The one session Set-Cookie of a response. */
function sessionCookie(response) {
  const lines = response.headers.getSetCookie();
  assert.equal(lines.length, 1, lines.join("\n"));
  return parseSetCookie(lines[0]);
}

/** The built-in page of a GET /callback whose login is unknown: code, no cookie. */
async function errorPage(response, code, status = 400) {
  const html = await failurePage(response, code, status);
  assert.deepEqual(response.headers.getSetCookie(), [], "no cookie on failure");
  return html;
}

/** The JSON error of a failed POST: status, {error, message, hint?}, and no cookie. */
async function errorJson(response, code, status = 400) {
  const body = await response.json();
  assert.equal(response.status, status, JSON.stringify(body));
  assert.equal(body.error, code, JSON.stringify(body));
  assert.equal(typeof body.message, "string");
  assert.deepEqual(response.headers.getSetCookie(), [], "no session on failure");
  return body;
}

async function sessionOf(client, cookie) {
  return client.get("/api/session", { cookie: `${cookie.name}=${cookie.value}` });
}

test("GET /login → emulator → GET /callback: 302 to returnTo with the session cookie; /api/session; /api/logout", TIMEOUT, async () => {
  const logsBefore = workers.logs.length;
  const callback = await callbackUrl(main, "ola", "/account?tab=1");
  const { searchParams } = new URL(callback);
  const state = searchParams.get("state");
  const code = searchParams.get("code");

  const done = await main.get(callback);
  assert.equal(done.status, 302, await done.clone().text());
  assert.equal(done.headers.get("location"), "/account?tab=1");
  assert.equal(done.headers.get("cache-control"), "no-store");
  assert.equal(done.headers.get("referrer-policy"), "no-referrer");
  const cookie = sessionCookie(done);
  assert.equal(cookie.name, "vipps_session", "no __Host- prefix on http");
  for (const attr of ["httponly", "samesite=lax", "path=/", "max-age=28800"]) {
    assert.ok(cookie.attrs.includes(attr), `${attr} in ${cookie.attrs}`);
  }
  assert.ok(!cookie.attrs.includes("secure"), "no Secure on http");
  // The cookie holds no personal number, phone, birth date or address in clear text.
  const payload = Buffer.from(cookie.value.split(".")[0], "base64url").toString();
  for (const secret of ["12048512345", "4712345678", "1985-04-12", "Robert Levins"]) {
    assert.ok(!payload.includes(secret), `${secret} in the cookie`);
  }

  const session = await sessionOf(main, cookie);
  assert.equal(session.status, 200);
  const { user } = await session.json();
  assert.match(user.sub, UUID);
  assert.deepEqual(user, { sub: user.sub, name: "Ola Nordmann", given_name: "Ola", email: "ola@example.no" });

  // The transaction is gone: the state is used.
  assert.equal((await workers.take(state)).status, 404);

  const logout = await main.post("/api/logout", {}, { cookie: `${cookie.name}=${cookie.value}` });
  assert.equal(logout.status, 200);
  assert.deepEqual(await logout.json(), { ok: true });
  const cleared = sessionCookie(logout);
  assert.equal(cleared.name, "vipps_session");
  assert.equal(cleared.value, "");
  assert.ok(cleared.attrs.includes("max-age=0"));

  // One line per request, and none holds the code, the state, the cookie or a secret.
  await eventually(() => workers.logs.slice(logsBefore).some((l) => l.includes('"/api/logout"')), "log lines");
  const logs = workers.logs.slice(logsBefore).join("\n");
  for (const leak of [code, state, cookie.value, CLIENT_SECRET, SESSION_SECRET]) {
    assert.ok(!logs.includes(leak), `the log holds ${leak}`);
  }
});

test("POST /api/callback answers { user } as userinfo gave it (Vipps' shapes, no nin) with the cookie", TIMEOUT, async () => {
  const callback = new URL(await callbackUrl(main, "ola"));
  const response = await main.post("/api/callback", {
    code: callback.searchParams.get("code"),
    state: callback.searchParams.get("state"),
  });
  assert.equal(response.status, 200);
  const { user } = await response.json();
  assert.match(user.sub, UUID);
  assert.equal(user.name, "Ola Nordmann");
  assert.equal(user.given_name, "Ola");
  assert.equal(user.family_name, "Nordmann");
  assert.equal(user.email, "ola@example.no");
  assert.equal(user.email_verified, true);
  assert.equal(user.phone_number, "4712345678", "Vipps: digits with country code, no +");
  assert.equal(user.birthdate, "1985-04-12");
  assert.equal(user.address.street_address, "Robert Levins gate 5");
  assert.equal(user.address.postal_code, "0154");
  assert.equal(user.address.address_type, "home");
  assert.ok(Array.isArray(user.other_addresses));
  assert.equal(user.other_addresses[0].address_type, "work");
  assert.equal(user.nin, undefined, "the national identity number never reaches the browser");
  assert.equal(user.sid, undefined);
  assert.equal(sessionCookie(response).name, "vipps_session");

  // A user without an address gets Vipps' address of empty strings; the raw query works too.
  const kari = new URL(await callbackUrl(main, "kari"));
  const second = await main.post("/api/callback", { query: kari.search });
  assert.equal(second.status, 200);
  const body = await second.json();
  assert.equal(body.user.name, "Kari Nordmann");
  assert.equal(body.user.address.street_address, "");
  assert.deepEqual(body.user.other_addresses, []);
});

test("front-end-driven: POST /api/login with nonce and verifier from the npm package; the Worker's state", TIMEOUT, async () => {
  const nonce = vippsLogin.randomNonce();
  const { codeVerifier, codeChallenge } = vippsLogin.createPkce();
  const headers = { origin: ALLOWED_ORIGIN };
  const registered = await main.post("/api/login", { nonce, codeVerifier, returnTo: "/done" }, headers);
  assert.equal(registered.status, 200);
  assert.equal(registered.headers.get("access-control-allow-origin"), ALLOWED_ORIGIN);
  // The state is the Worker's own: minted, so it can tell forged callbacks unread.
  const { url, state } = await registered.json();
  assert.match(state, /^[A-Za-z0-9_-]{54}$/);
  const authorize = new URL(url);
  assert.equal(`${authorize.origin}${authorize.pathname}`, `${emulator.issuer}oauth2/auth`);
  const q = authorize.searchParams;
  // The Worker fixed client, redirect URI and scopes; the page's values are used as given.
  assert.equal(q.get("client_id"), CLIENT_ID);
  assert.equal(q.get("redirect_uri"), redirectUri);
  assert.equal(q.get("scope"), SCOPES);
  assert.equal(q.get("state"), state);
  assert.equal(q.get("nonce"), nonce);
  assert.equal(q.get("code_challenge"), codeChallenge);
  assert.equal(q.get("code_challenge_method"), "S256");
  assert.ok(!url.includes(codeVerifier), "the verifier never goes to Vipps");

  // The callback page parses the callback with the package and hands code and state over.
  const callback = await approveAtEmulator(url, "ola");
  const parsed = vippsLogin.parseCallback(callback, state, emulator.issuer);
  const done = await main.post("/api/callback", { code: parsed.code, state }, headers);
  assert.equal(done.status, 200);
  assert.equal(done.headers.get("access-control-allow-credentials"), "true");
  assert.equal((await done.json()).user.name, "Ola Nordmann");
  assert.equal(sessionCookie(done).name, "vipps_session");

  // The page may not choose the state.
  const chosen = await main.post("/api/login", { state, nonce: vippsLogin.randomNonce(), codeVerifier });
  const refused = await errorJson(chosen, "invalid_options");
  assert.match(refused.message, /leave state out/);
});

test("VIPPS_APP_REDIRECT_URI: POST /api/login comes back to the app page, GET /login to /callback; the code exchange uses each", TIMEOUT, async () => {
  const app = await workers.client("app");
  const config = await (await app.get("/api/config")).json();
  assert.equal(config.redirectUri, redirectUri);
  assert.equal(config.appRedirectUri, appRedirectUri);

  // The front-end-driven flow: the URL carries the app's redirect URI ...
  const nonce = vippsLogin.randomNonce();
  const { codeVerifier } = vippsLogin.createPkce();
  const registered = await app.post("/api/login", { nonce, codeVerifier });
  assert.equal(registered.status, 200);
  const { url, state } = await registered.json();
  assert.equal(new URL(url).searchParams.get("redirect_uri"), appRedirectUri);
  // ... the emulator sends the user back there, and the page posts the callback.
  const callback = await approveAtEmulator(url, "ola");
  assert.ok(callback.startsWith(`${appRedirectUri}?`), callback);
  const parsed = vippsLogin.parseCallback(callback, state, emulator.issuer);
  const done = await app.post("/api/callback", { code: parsed.code, state: parsed.state });
  const text = await done.text();
  assert.equal(done.status, 200, text);
  assert.equal(JSON.parse(text).user.name, "Ola Nordmann");
  assert.equal(sessionCookie(done).name, "vipps_session");

  // The Worker-driven flow on the same Worker still uses VIPPS_REDIRECT_URI end to end.
  const authorize = new URL(await startLogin(app, "/here"));
  assert.equal(authorize.searchParams.get("redirect_uri"), redirectUri);
  const back = await approveAtEmulator(authorize.href, "kari");
  assert.ok(back.startsWith(`${redirectUri}?`), back);
  const finished = await app.get(back);
  assert.equal(finished.status, 302, await finished.clone().text());
  assert.equal(finished.headers.get("location"), "/here");
});

test("POST /api/login refuses weak or malformed values and anything that would change where the login goes", TIMEOUT, async () => {
  const good = {
    nonce: vippsLogin.randomNonce(),
    codeVerifier: vippsLogin.createPkce().codeVerifier,
  };
  await errorJson(await main.post("/api/login", { ...good, state: vippsLogin.randomState() }), "invalid_options");
  await errorJson(await main.post("/api/login", { ...good, nonce: "short" }), "invalid_options");
  await errorJson(await main.post("/api/login", { ...good, codeVerifier: "short" }), "code_verifier_invalid");
  for (const extra of [{ clientId: "someone-else" }, { redirectUri: "https://evil.example/cb" }, { issuer: "https://evil.example" }]) {
    await errorJson(await main.post("/api/login", { ...good, ...extra }), "invalid_options");
  }
  // A scope is a subset of VIPPS_SCOPES, never more.
  const more = await errorJson(await main.post("/api/login", { ...good, scope: "name gender" }), "option_not_allowed");
  assert.match(more.message, /VIPPS_SCOPES/);
  await errorJson(await main.post("/api/login", "not json"), "invalid_options");
  // returnTo is kept same-origin.
  const evil = await main.post("/api/login", { ...good, returnTo: "//evil.example" });
  assert.equal(evil.status, 200);
  assert.equal((await workers.take((await evil.json()).state)).transaction.return_to, "/");
});

test("a copy of the callback URL in another browser gets nothing and consumes nothing", TIMEOUT, async () => {
  const callback = await callbackUrl(main, "ola", "/welcome");
  const before = emulator.tokenRequests();
  // A browser that has never seen the Worker, and one with a binding of its own.
  const fresh = main.fresh();
  await startLogin(fresh.fresh());
  const other = main.fresh();
  await startLogin(other);
  const from = workers.logs.length;
  const missing = await errorPage(await fresh.get(callback), "browser_binding_missing");
  assert.ok(missing.includes("started in another browser"), missing);
  assert.match(await hintLogged(workers.logs, from, "browser_binding_missing"), /browser that started it/);
  await errorPage(await other.get(callback), "browser_binding_mismatch");
  const { searchParams } = new URL(callback);
  await errorJson(
    await fresh.post("/api/callback", { code: searchParams.get("code"), state: searchParams.get("state") }),
    "browser_binding_missing",
  );
  assert.equal(emulator.tokenRequests(), before, "no token request for the refused callbacks");
  // The browser that started it still completes.
  const done = await main.get(callback);
  assert.equal(done.status, 302, await done.clone().text());
  assert.equal(done.headers.get("location"), "/welcome");
  assert.equal(sessionCookie(done).name, "vipps_session");
  // And after it, a copy elsewhere still gets no session.
  await errorPage(await fresh.get(callback), "browser_binding_missing");
  await errorPage(await other.get(callback), "browser_binding_mismatch");
});

test("a duplicate callback gets the same result and the code is redeemed once", TIMEOUT, async () => {
  // The same URL twice, one after the other (a reload).
  const callback = await callbackUrl(main);
  const before = emulator.tokenRequests();
  const first = await main.get(callback);
  const second = await main.get(callback);
  assert.equal(first.status, 302);
  assert.equal(second.status, 302, await second.clone().text());
  assert.equal(second.headers.get("location"), first.headers.get("location"));
  assert.equal(sessionCookie(second).value, sessionCookie(first).value);
  // And through the JSON route: the same login, the same session.
  const { searchParams } = new URL(callback);
  const third = await main.post("/api/callback", { code: searchParams.get("code"), state: searchParams.get("state") });
  assert.equal(third.status, 200);
  assert.equal(sessionCookie(third).value, sessionCookie(first).value);
  await eventually(() => emulator.tokenRequests() >= before + 1, "the token request in the emulator's log");
  assert.equal(emulator.tokenRequests(), before + 1, "one token request for three callbacks");

  // A "duplicate" carrying another code is not one: as if the state were unknown.
  const forged = `/callback?code=another-code&state=${searchParams.get("state")}`;
  await errorPage(await main.get(forged), "transaction_not_found");
});

test("parallel duplicate callbacks wait for the first and share its result", TIMEOUT, async () => {
  // A slow token endpoint keeps the first redemption in flight while the others arrive.
  await emulator.control("faults", { token_delay_ms: 600 });
  try {
    const callback = await callbackUrl(main);
    const before = emulator.tokenRequests();
    const responses = await Promise.all([main.get(callback), main.get(callback), main.get(callback)]);
    const texts = await Promise.all(responses.map((r) => r.clone().text()));
    assert.deepEqual(
      responses.map((r) => r.status),
      [302, 302, 302],
      texts.join("\n"),
    );
    const values = new Set(responses.map((r) => sessionCookie(r).value));
    assert.equal(values.size, 1, "the same session for all");
    await eventually(() => emulator.tokenRequests() >= before + 1, "the token request");
    assert.equal(emulator.tokenRequests(), before + 1, "the code was redeemed once");
  } finally {
    await emulator.control("faults", { token_delay_ms: 0 });
  }
});

test("unknown and expired states are transaction_not_found, with the hint", TIMEOUT, async () => {
  const from = workers.logs.length;
  const unknown = await errorPage(await main.get("/callback?code=abc&state=never-issued-0123456789abc"), "transaction_not_found");
  assert.ok(unknown.includes("expired or was already used"), unknown);
  assert.ok(!unknown.includes("15 minutes"), "the developer hint is not on the customer's page");
  assert.match(await hintLogged(workers.logs, from, "transaction_not_found"), /15 minutes/);
  const json = await errorJson(
    await main.post("/api/callback", { code: "abc", state: "never-issued-0123456789abc" }),
    "transaction_not_found",
  );
  assert.ok(json.hint.includes("Start the login again"));

  // A transaction past its expiry, written straight into its Durable Object.
  const now = Math.floor(Date.now() / 1000);
  const state = mintState(SESSION_SECRET);
  const status = await workers.put({
    state,
    nonce: vippsLogin.randomNonce(),
    code_verifier: vippsLogin.createPkce().codeVerifier,
    redirect_uri: redirectUri,
    return_to: "/",
    created_at: now - 16 * 60,
    expires_at: now - 60,
    issuer: emulator.issuer,
    client_id: CLIENT_ID,
    scope: SCOPES,
    binding_sha256: "not-this-browser",
  });
  assert.equal(status, 201);
  await errorPage(await main.get(`/callback?code=abc&state=${state}`), "transaction_not_found");

  // No state at all.
  await errorPage(await main.get("/callback?code=abc"), "callback_missing_state");
  await errorPage(await main.get("/callback"), "callback_invalid");
  // An error callback without state still shows Vipps' error and its advice.
  await errorPage(await main.get("/callback?error=outdated_app_version"), "vipps_outdated_app_version");
});

test("cancel at Vipps → vipps_access_denied with its hint; the transaction is over", TIMEOUT, async () => {
  const authorize = await startLogin(main);
  const cancelled = await fetch(`${authorize}&_emulator_cancel=1`, { redirect: "manual" });
  assert.equal(cancelled.status, 302);
  const callback = cancelled.headers.get("location");
  assert.match(callback, /error=access_denied/);
  // Back to the login's returnTo with the code, for the shop's own page to explain.
  const from = workers.logs.length;
  await backWithLoginError(await main.get(callback), "vipps_access_denied", "/");
  assert.match(await hintLogged(workers.logs, from, "vipps_access_denied"), /The user cancelled the login or did not consent/);
  // Single use: the same callback again finds nothing (and nowhere to go back to).
  await errorPage(await main.get(callback), "transaction_not_found");
});

test("RFC 9207: a callback naming another issuer is refused", TIMEOUT, async () => {
  const callback = await callbackUrl(main);
  const mixedUp = `${callback}&iss=${encodeURIComponent("https://evil.example/access-management-1.0/access/")}`;
  await backWithLoginError(await main.get(mixedUp), "issuer_mismatch");
});

test("client_secret_post sales unit; the wrong method is token_invalid_client with the FAQ's hint", TIMEOUT, async () => {
  const post = await workers.client("post");
  const done = await post.get(await callbackUrl(post));
  assert.equal(done.status, 302, await done.clone().text());
  assert.equal(sessionCookie(done).name, "vipps_session");

  const wrong = await workers.client("post-as-basic");
  const from = workers.logs.length;
  await backWithLoginError(await wrong.get(await callbackUrl(wrong)), "token_invalid_client");
  const hint = await hintLogged(workers.logs, from, "token_invalid_client");
  assert.ok(hint.includes("VIPPS_TOKEN_AUTH_METHOD"), hint);
  assert.ok(hint.includes("test and production have separate keys"), hint);
});

test("GET /api/session: 401 session_invalid without a cookie, with a tampered or foreign one", TIMEOUT, async () => {
  const done = await main.get(await callbackUrl(main));
  const cookie = sessionCookie(done);
  const [payload, tag] = cookie.value.split(".");
  const forged = Buffer.from(JSON.stringify({ sub: "admin", iat: 1, exp: 99999999999 })).toString("base64url");
  for (const value of [`${forged}.${tag}`, `${payload}.AAAA`, payload, "garbage"]) {
    const response = await sessionOf(main, { name: "vipps_session", value });
    const body = await errorJson(response, "session_invalid", 401);
    assert.equal(body.hint, "Log in again.");
  }
  await errorJson(await main.get("/api/session"), "session_invalid", 401);
  // The __Host- name is the https cookie: not read on an http Worker.
  await errorJson(await sessionOf(main, { name: "__Host-vipps_session", value: cookie.value }), "session_invalid", 401);
  assert.equal((await sessionOf(main, cookie)).status, 200, "the real one still works");
});

test("CORS: credentials for ALLOWED_ORIGINS only; preflight answered", TIMEOUT, async () => {
  const allowed = await main.get("/api/config", { origin: ALLOWED_ORIGIN });
  assert.equal(allowed.headers.get("access-control-allow-origin"), ALLOWED_ORIGIN);
  assert.equal(allowed.headers.get("access-control-allow-credentials"), "true");
  assert.match(allowed.headers.get("vary"), /Origin/);
  await allowed.body?.cancel();

  for (const other of ["https://evil.example", "http://127.0.0.1:8081", "null"]) {
    const denied = await main.get("/api/session", { origin: other });
    assert.equal(denied.headers.get("access-control-allow-origin"), null, other);
    assert.equal(denied.headers.get("access-control-allow-credentials"), null, other);
    await denied.body?.cancel();
  }

  const preflight = await main.request("/api/login", {
    method: "OPTIONS",
    headers: {
      origin: ALLOWED_ORIGIN,
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type",
    },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get("access-control-allow-origin"), ALLOWED_ORIGIN);
  assert.equal(preflight.headers.get("access-control-allow-credentials"), "true");
  assert.equal(preflight.headers.get("access-control-allow-methods"), "GET, POST");
  assert.equal(preflight.headers.get("access-control-allow-headers"), "content-type");
  assert.match(preflight.headers.get("access-control-max-age"), /^\d+$/);

  const refused = await main.request("/api/logout", {
    method: "OPTIONS",
    headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
  });
  assert.equal(refused.status, 403);
  assert.equal(refused.headers.get("access-control-allow-origin"), null);
  await refused.body?.cancel();

  // Pages are not API: no CORS headers on /login.
  const login = await main.get("/login", { origin: ALLOWED_ORIGIN });
  assert.equal(login.headers.get("access-control-allow-origin"), null);
  await workers.take(new URL(login.headers.get("location")).searchParams.get("state"));
});

test("POST /api/* takes JSON only (415), and refuses origins that are neither its own nor allowed (403)", TIMEOUT, async () => {
  for (const [path, type, body] of [
    ["/api/logout", "text/plain", "{}"],
    ["/api/logout", null, "{}"],
    ["/api/callback", "application/x-www-form-urlencoded", "code=x&state=y"],
    ["/api/login", "multipart/form-data; boundary=x", "--x--"],
  ]) {
    const headers = type ? { "content-type": type } : { "content-type": "" };
    const response = await main.request(path, { method: "POST", headers, body });
    assert.equal(response.status, 415, `${path} ${type}`);
    assert.equal((await response.json()).error, "unsupported_media_type");
    assert.deepEqual(response.headers.getSetCookie(), [], "a form post cannot log out");
  }
  assert.equal((await main.post("/api/logout", {}, { "content-type": "application/json; charset=utf-8" })).status, 200);

  const foreign = await main.post("/api/logout", {}, { origin: "https://evil.example" });
  assert.equal(foreign.status, 403);
  assert.equal((await foreign.json()).error, "origin_not_allowed");
  assert.deepEqual(foreign.headers.getSetCookie(), []);
  const own = await main.post("/api/logout", {}, { origin });
  assert.equal(own.status, 200, "the Worker's own origin may post");
  await own.body?.cancel();
});

test("on https the session cookie is __Host- prefixed and Secure, end to end", TIMEOUT, async () => {
  const https = await workers.client("https");
  const start = await https.get("/login");
  const binding = parseSetCookie(start.headers.getSetCookie()[0]);
  assert.equal(binding.name, "__Host-vipps_login_binding");
  for (const attr of ["secure", "httponly", "samesite=lax", "path=/"]) {
    assert.ok(binding.attrs.includes(attr), `${attr} in ${binding.attrs}`);
  }
  assert.ok(!binding.attrs.some((a) => a.startsWith("domain")), "__Host- cookies have no Domain");
  const callback = new URL(await approveAtEmulator(start.headers.get("location"), "ola"));
  assert.equal(callback.origin, "https://shop.example");
  // The browser would now load https://shop.example/callback?...: the same path and query.
  const response = await https.get(`${callback.pathname}${callback.search}`);
  assert.equal(response.status, 302, await response.text());
  const cookie = sessionCookie(response);
  assert.equal(cookie.name, "__Host-vipps_session");
  assert.ok(cookie.attrs.includes("secure"), cookie.attrs.join("; "));
  assert.ok(cookie.attrs.includes("path=/") && cookie.attrs.includes("httponly"));
  assert.ok(!cookie.attrs.some((a) => a.startsWith("domain")), "__Host- cookies have no Domain");
  const session = await https.get("/api/session", { cookie: `${cookie.name}=${cookie.value}` });
  assert.equal(session.status, 200);
  assert.equal((await session.json()).user.name, "Ola Nordmann");
  // The plain-http name is not accepted on an https Worker.
  const plain = await https.get("/api/session", { cookie: `vipps_session=${cookie.value}` });
  assert.equal(plain.status, 401);
});
