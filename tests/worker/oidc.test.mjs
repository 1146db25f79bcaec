// The built Worker against a certified OpenID Provider nobody here wrote: npm
// oidc-provider (tests/oidc/provider.mjs), configured as a standard provider —
// client_secret_basic, PKCE S256 required, RS256, a string `aud`, RFC 9207 `iss` in the
// callback, endpoints only from discovery. A full code flow through GET /login and
// GET /callback proves the Worker speaks standard OIDC and is not tuned to its own
// emulator. `make test-worker`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startProvider, authorizeWithCookies, TEST_ACCOUNT } from "../oidc/provider.mjs";
import { SESSION_SECRET, freePort, parseSetCookie, startWorkers } from "./harness.mjs";

const TIMEOUT = { timeout: 60_000 };
const CLIENT_ID = "oidc-client";
const CLIENT_SECRET = "oidc-secret-0123456789";

let provider;
let workers;
let worker;

before(async () => {
  const port = await freePort();
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  provider = await startProvider({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [redirectUri] });
  workers = await startWorkers(port, {
    main: {
      VIPPS_ISSUER: provider.issuer,
      VIPPS_CLIENT_ID: CLIENT_ID,
      VIPPS_CLIENT_SECRET: CLIENT_SECRET,
      VIPPS_REDIRECT_URI: redirectUri,
      VIPPS_SCOPES: "openid profile email",
      VIPPS_TOKEN_AUTH_METHOD: "client_secret_basic",
      SESSION_SECRET,
    },
  });
  worker = await workers.client("main");
}, TIMEOUT);

after(async () => {
  await workers?.mf.dispose();
  await provider?.close();
});

async function login(returnTo, options = {}) {
  const response = await worker.get(`/login?returnTo=${encodeURIComponent(returnTo)}`);
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
  const cancelled = await worker.get(await login("/", { cancel: true }));
  const html = await cancelled.text();
  assert.equal(cancelled.status, 400, html);
  assert.ok(html.includes("<code>vipps_access_denied</code>"), html);
  assert.deepEqual(cancelled.headers.getSetCookie(), []);

  const callback = new URL(await login("/"));
  callback.searchParams.set("iss", "http://127.0.0.1:1");
  const mixedUp = await worker.get(callback.href);
  assert.ok((await mixedUp.text()).includes("<code>issuer_mismatch</code>"));
  assert.deepEqual(mixedUp.headers.getSetCookie(), []);
});
