// The built Worker against a certified OpenID Provider nobody here wrote: npm
// oidc-provider (tests/oidc/provider.mjs), configured as a standard provider —
// client_secret_basic, PKCE S256 required, RS256, a string `aud`, RFC 9207 `iss` in the
// callback, endpoints only from discovery. A full code flow through GET /login and
// GET /callback proves the Worker speaks standard OIDC and is not tuned to its own
// emulator. `make test-worker`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startProvider, authorizeWithCookies, TEST_ACCOUNT } from "../oidc/provider.mjs";
import {
  SESSION_SECRET,
  backWithLoginError,
  freePort,
  hintLogged,
  parseSetCookie,
  startWorkers,
} from "./harness.mjs";

const TIMEOUT = { timeout: 60_000 };
const CLIENT_ID = "oidc-client";
const CLIENT_SECRET = "oidc-secret-0123456789";

let provider;
let workers;
let worker;

before(async () => {
  const port = await freePort();
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  const mountedRedirectUri = `http://127.0.0.1:${port}/auth/callback`;
  provider = await startProvider({
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUris: [redirectUri, mountedRedirectUri],
  });
  const settings = {
    VIPPS_ISSUER: provider.issuer,
    VIPPS_CLIENT_ID: CLIENT_ID,
    VIPPS_CLIENT_SECRET: CLIENT_SECRET,
    VIPPS_REDIRECT_URI: redirectUri,
    VIPPS_SCOPES: "openid profile email",
    VIPPS_TOKEN_AUTH_METHOD: "client_secret_basic",
    VIPPS_ALLOWED_FLOWS: "automatic_return_from_vipps_app",
    SESSION_SECRET,
  };
  workers = await startWorkers(port, {
    main: settings,
    // Mounted at /auth with the shop's hook behind a binding, against a standard provider.
    mounted: {
      vipps: { ...settings, VIPPS_BASE_PATH: "/auth", VIPPS_REDIRECT_URI: mountedRedirectUri },
      services: { LOGIN_HOOK: "hook" },
    },
    hook: {
      js: `export default { async fetch(request) {
        const login = await request.json();
        return Response.json({ claims: { seen: login.userinfo.email, provider: login.issuer } });
      } };`,
    },
  });
  worker = await workers.client("main");
}, TIMEOUT);

after(async () => {
  await workers?.mf.dispose();
  await provider?.close();
});

async function login(returnTo, options = {}, query = "") {
  const response = await worker.get(`/login?returnTo=${encodeURIComponent(returnTo)}${query}`);
  assert.equal(response.status, 302, await response.text());
  const location = response.headers.get("location");
  assert.ok(location.startsWith(`${provider.issuer}/`), location);
  const authorize = new URL(location);
  assert.equal(authorize.searchParams.get("code_challenge_method"), "S256");
  return authorizeWithCookies(location, { providerOrigin: provider.issuer, ...options });
}

test("oidc-provider: full code flow through GET /login and GET /callback; the session names its user", TIMEOUT, async () => {
  const callback = await login("/home");
  const params = new URL(callback).searchParams;
  assert.equal(params.get("iss"), provider.issuer, "RFC 9207 iss in the callback");
  assert.ok(params.get("code"));

  const done = await worker.get(callback);
  assert.equal(done.status, 302, await done.clone().text());
  assert.equal(done.headers.get("location"), "/home");
  const cookie = parseSetCookie(done.headers.getSetCookie()[0]);
  assert.equal(cookie.name, "vipps_session");

  const session = await worker.get("/api/session", { cookie: `${cookie.name}=${cookie.value}` });
  assert.equal(session.status, 200);
  assert.deepEqual((await session.json()).user, {
    sub: TEST_ACCOUNT.sub,
    name: TEST_ACCOUNT.name,
    given_name: TEST_ACCOUNT.given_name,
    email: TEST_ACCOUNT.email,
  });
});

test("oidc-provider: POST /api/callback with the raw query answers { user }", TIMEOUT, async () => {
  const callback = new URL(await login("/"));
  const response = await worker.post("/api/callback", { query: callback.search });
  assert.equal(response.status, 200);
  const { user } = await response.json();
  assert.equal(user.sub, "oidc-user-1");
  assert.equal(user.family_name, TEST_ACCOUNT.family_name);
  assert.equal(user.email_verified, true);
});

test("oidc-provider: a cancelled login is access_denied; a wrong iss is refused", TIMEOUT, async () => {
  const from = workers.logs.length;
  const cancelled = await worker.get(await login("/shop", { cancel: true }));
  await backWithLoginError(cancelled, "vipps_access_denied", "/shop");
  // Advice that cites Vipps is not given for another provider.
  const hint = await hintLogged(workers.logs, from, "vipps_access_denied");
  assert.ok(!hint.includes("Vipps"), hint);

  const callback = new URL(await login("/"));
  callback.searchParams.set("iss", "http://127.0.0.1:1");
  await backWithLoginError(await worker.get(callback.href), "issuer_mismatch");
});

test("oidc-provider: RFC 9207 iss is required, since its discovery advertises it", TIMEOUT, async () => {
  const callback = new URL(await login("/"));
  callback.searchParams.delete("iss");
  const from = workers.logs.length;
  await backWithLoginError(await worker.get(callback.href), "issuer_missing");
  assert.match(await hintLogged(workers.logs, from, "issuer_missing"), /authorization_response_iss_parameter_supported/);
});

test("oidc-provider: bound to the browser that started; another browser confirms only in the automatic flow", TIMEOUT, async () => {
  // A plain login's callback in another browser: refused, and the real browser finishes.
  const callback = await login("/mine");
  const other = worker.fresh();
  const refused = await other.get(callback);
  assert.ok((await refused.text()).includes("<code>browser_binding_missing</code>"));
  assert.equal(refused.status, 400);
  const done = await worker.get(callback);
  assert.equal(done.status, 302, await done.clone().text());
  assert.equal(done.headers.get("location"), "/mine");

  // The automatic flow: the other browser is shown who logs in, and confirms.
  const automatic = await login("/theirs", {}, "&requestedFlow=automatic_return_from_vipps_app");
  const second = worker.fresh();
  const page = await second.get(automatic);
  const html = await page.text();
  assert.equal(page.status, 200, html);
  assert.ok(html.includes(`Continue as ${TEST_ACCOUNT.name}?`), html);
  assert.ok(!page.headers.getSetCookie().some((l) => l.startsWith("vipps_session")), "no session before the confirmation");
  const state = new URL(automatic).searchParams.get("state");
  const confirmed = await second.postForm("/callback", { state });
  assert.equal(confirmed.status, 303, await confirmed.clone().text());
  assert.equal(confirmed.headers.get("location"), "/theirs");
  const session = confirmed.headers.getSetCookie().map(parseSetCookie).find((c) => c.name === "vipps_session");
  assert.ok(session?.value, "the session after the confirmation");
});

test("oidc-provider: mounted at /auth, the hand-off through a LOGIN_HOOK binding adds its claims", TIMEOUT, async () => {
  const mounted = await workers.client("mounted");
  const start = await mounted.get("/auth/login?returnTo=%2Fme");
  assert.equal(start.status, 302, await start.clone().text());
  const callback = await authorizeWithCookies(start.headers.get("location"), { providerOrigin: provider.issuer });
  assert.ok(new URL(callback).pathname === "/auth/callback", callback);
  const done = await mounted.get(callback);
  assert.equal(done.status, 302, await done.clone().text());
  assert.equal(done.headers.get("location"), "/me");
  const cookie = parseSetCookie(done.headers.getSetCookie().find((l) => l.startsWith("vipps_session=")));
  assert.ok(cookie.attrs.includes("path=/auth"));
  const me = await mounted.get("/auth/api/session", { cookie: `vipps_session=${cookie.value}` });
  assert.deepEqual((await me.json()).user.claims, { seen: TEST_ACCOUNT.email, provider: provider.issuer });
});
