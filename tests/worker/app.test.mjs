// The app flows in workerd against the emulator, as an iOS or Android app drives them:
// the app's HTTP client (with its own cookie jar, and no Origin header) posts
// POST /api/login with its nonce and PKCE verifier and requestedFlow app_to_app_v2 or
// app_to_app (+ appCallbackUri), opens the URL (the Vipps app), comes back at its
// universal link (VIPPS_MOBILE_REDIRECT_URI) and posts the code and state to
// /api/callback. These are the README's "From an iOS or Android app" examples.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { SESSION_SECRET, approveAtEmulator, backWithLoginError, cookieOf, freePort, s256, startEmulator, startWorkers } from "./harness.mjs";

const TIMEOUT = { timeout: 60_000 };
const APP_CLIENT_ID = "app-client";
const REGISTERED = "myshop://vipps/return";
const UNREGISTERED = "myshop://vipps/not-registered";

let emulator;
let workers;
let mobileRedirectUri;

before(async () => {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  // A universal link in production (https://shop.example/app/vipps); loopback here.
  mobileRedirectUri = `${origin}/app/vipps`;
  emulator = await startEmulator([`${origin}/callback`], {
    extraToml: `
[[sales_units]]
name = "Worker app shop"
client_id = "${APP_CLIENT_ID}"
client_secret = "app-secret"
redirect_uris = ["${origin}/callback", "${mobileRedirectUri}"]
scopes = ["openid", "name", "email", "phoneNumber"]
app_callback_uris = ["${REGISTERED}"]
`,
  });
  workers = await startWorkers(port, {
    app: {
      VIPPS_ISSUER: emulator.issuer,
      VIPPS_CLIENT_ID: APP_CLIENT_ID,
      VIPPS_CLIENT_SECRET: "app-secret",
      VIPPS_REDIRECT_URI: `${origin}/callback`,
      VIPPS_MOBILE_REDIRECT_URI: mobileRedirectUri,
      VIPPS_ALLOWED_FLOWS: "app_to_app_v2 app_to_app",
      // The Worker allows both; only the first is registered at the emulator.
      VIPPS_APP_CALLBACK_URIS: `${REGISTERED} ${UNREGISTERED}`,
      VIPPS_SCOPES: "openid name phoneNumber",
      SESSION_SECRET,
    },
  });
}, TIMEOUT);

after(async () => {
  await workers?.mf.dispose();
  emulator?.child.kill();
});

/** What the app makes itself: 32 random bytes each, base64url (43 characters). */
function appSecrets() {
  return { nonce: randomBytes(32).toString("base64url"), codeVerifier: randomBytes(32).toString("base64url") };
}

/** POST /api/login as the app; the JSON answer and the app's client. */
async function start(body, app) {
  const response = await app.post("/api/login", body);
  const json = await response.json();
  return { response, json };
}

test("app_to_app_v2 end to end: PKCE, the universal link, the code posted back by the app with its cookie jar", TIMEOUT, async () => {
  const app = await workers.client("app");
  const { nonce, codeVerifier } = appSecrets();
  const { response, json } = await start({ nonce, codeVerifier, requestedFlow: "app_to_app_v2" }, app);
  assert.equal(response.status, 200, JSON.stringify(json));
  assert.deepEqual(Object.keys(json).sort(), ["state", "url"]);
  assert.ok(app.binding(), "the binding cookie is in the app's cookie jar");
  const url = new URL(json.url);
  assert.equal(url.searchParams.get("requested_flow"), "app_to_app_v2");
  assert.equal(url.searchParams.get("code_challenge"), s256(codeVerifier));
  assert.equal(url.searchParams.get("code_challenge_method"), "S256");
  assert.equal(url.searchParams.get("redirect_uri"), mobileRedirectUri);
  assert.equal(url.searchParams.get("state"), json.state);

  // The Vipps app approves and opens the universal link.
  const back = new URL(await approveAtEmulator(json.url));
  assert.equal(`${back.origin}${back.pathname}`, mobileRedirectUri);
  assert.equal(back.searchParams.get("state"), json.state);
  const code = back.searchParams.get("code");

  // Another client (no binding cookie) gets nothing and consumes nothing.
  const stranger = await app.fresh().post("/api/callback", { code, state: json.state });
  assert.equal(stranger.status, 400);
  assert.equal((await stranger.json()).error, "browser_binding_missing");

  const done = await app.post("/api/callback", { code, state: json.state });
  const body = await done.json();
  assert.equal(done.status, 200, JSON.stringify(body));
  assert.equal(body.user.name, "Ola Nordmann");
  assert.equal(body.user.phone_number, "4712345678");
  const session = cookieOf(done, "vipps_session");
  assert.ok(session?.value, "the session cookie, for the app's jar");
  const me = await app.get("/api/session", { cookie: `vipps_session=${session.value}` });
  assert.equal(me.status, 200);
  assert.equal((await me.json()).user.name, "Ola Nordmann");
});

test("legacy app_to_app with a registered app_callback_uri", TIMEOUT, async () => {
  const app = await workers.client("app");
  const { json } = await start({ ...appSecrets(), requestedFlow: "app_to_app", appCallbackUri: REGISTERED }, app);
  const url = new URL(json.url);
  assert.equal(url.searchParams.get("requested_flow"), "app_to_app");
  assert.equal(url.searchParams.get("app_callback_uri"), REGISTERED);
  const back = new URL(await approveAtEmulator(json.url));
  const done = await app.post("/api/callback", { query: back.search });
  assert.equal(done.status, 200, await done.clone().text());
  assert.equal((await done.json()).user.name, "Ola Nordmann");
});

test("app_to_app with an app_callback_uri Vipps has not registered: the emulator's error reaches the app typed", TIMEOUT, async () => {
  const app = await workers.client("app");
  const { json } = await start({ ...appSecrets(), requestedFlow: "app_to_app", appCallbackUri: UNREGISTERED }, app);
  const back = new URL(await approveAtEmulator(json.url));
  assert.equal(back.searchParams.get("error"), "app_callback_uri_not_registered");
  const done = await app.post("/api/callback", { query: back.search });
  const body = await done.json();
  assert.equal(done.status, 400);
  assert.equal(body.error, "vipps_app_callback_uri_not_registered");
  assert.ok(body.hint.includes("Register the app_callback_uri"), body.hint);
});

test("the Worker refuses what its settings do not allow, and app flows through GET /login", TIMEOUT, async () => {
  const app = await workers.client("app");
  const { response, json } = await start({ ...appSecrets(), requestedFlow: "app_to_app", appCallbackUri: "otherapp://steal" }, app);
  assert.equal(response.status, 400);
  assert.equal(json.error, "option_not_allowed");
  const missing = await start({ ...appSecrets(), requestedFlow: "app_to_app" }, app);
  assert.equal(missing.json.error, "app_callback_uri_missing");
  const extra = await start({ ...appSecrets(), requestedFlow: "app_to_app_v2", appCallbackUri: REGISTERED }, app);
  assert.equal(extra.json.error, "app_callback_uri_unexpected");
  await backWithLoginError(await app.get("/login?requestedFlow=app_to_app_v2&returnTo=%2Fa"), "option_not_allowed", "/a");
});
