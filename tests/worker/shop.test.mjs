// The Worker inside a shop, in workerd against the emulator: mounted under the shop's
// own domain at VIPPS_BASE_PATH=/auth and called by the shop's JS Worker through a
// service binding (env.VIPPS_LOGIN.fetch), which also reads the session server-side;
// the verified login handed to the shop before the session is set, through a
// LOGIN_HOOK service binding (a JS hook Worker that stores the address, adds a claim,
// or refuses a login with a reason) and through LOGIN_HOOK_URL (a loopback server that
// checks the HMAC signature); VIPPS_ERROR_PATH. `make test-worker`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import {
  approveAtEmulator,
  backWithLoginError,
  cookieOf,
  freePort,
  goodVars,
  startEmulator,
  startWorkers,
} from "./harness.mjs";

const TIMEOUT = { timeout: 60_000 };
const HOOK_SECRET = "shop-hook-secret-0123456789abcdef-xyz";

// The shop's Worker: /auth/* is ours through the binding; /account reads the session
// server-side through the same binding; everything else is the shop's own.
const SHOP = `
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/auth/")) return env.VIPPS_LOGIN.fetch(request);
    if (url.pathname === "/account") {
      const session = await env.VIPPS_LOGIN.fetch(new Request(new URL("/auth/api/session", url), {
        headers: { cookie: request.headers.get("cookie") ?? "" },
      }));
      if (session.status !== 200) return new Response("please log in", { status: 401 });
      const { user } = await session.json();
      return new Response("Hello " + user.name + ", shop user " + (user.claims?.shopUserId ?? "none"));
    }
    return new Response("the shop's own page " + url.pathname);
  },
};`;

// The shop's login hook: keeps what it got (as a shop would store it), adds its user
// id, refuses Kari.
const HOOK = `
let received = [];
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/_received") return Response.json(received);
    const body = await request.text();
    const login = JSON.parse(body);
    received.push({ login, signature: request.headers.get("vipps-login-signature"), method: request.method });
    if (login.userinfo.name === "Kari Nordmann") {
      return Response.json({ reason: "Kari's shop account is closed. Call us." }, { status: 403 });
    }
    return Response.json({ claims: { shopUserId: "42" } });
  },
};`;

let emulator;
let workers;
let shop; // the shop's Worker, as a browser reaches it
let origin;
let hookServer;
let hookRequests = [];

/** Verifies `Vipps-Login-Signature: t=..,v1=..` as a shop would (src/handoff.rs). */
function signatureValid(header, body, secret) {
  const parts = Object.fromEntries((header ?? "").split(",").map((p) => p.split("=")));
  if (!parts.t || !parts.v1) return false;
  if (Math.abs(Date.now() / 1000 - Number(parts.t)) > 300) return false;
  const expected = createHmac("sha256", secret).update(`${parts.t}.${body}`).digest("hex");
  return expected.length === parts.v1.length && timingSafeEqual(Buffer.from(expected), Buffer.from(parts.v1));
}

before(async () => {
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  const redirectUri = `${origin}/auth/callback`;
  emulator = await startEmulator([redirectUri]);

  // The URL hook: a server on loopback that checks the signature.
  hookServer = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const valid = signatureValid(req.headers["vipps-login-signature"], body, HOOK_SECRET);
    hookRequests.push({ valid, body: JSON.parse(body) });
    res.writeHead(valid ? 200 : 401, { "content-type": "application/json" });
    res.end(valid ? JSON.stringify({ claims: { shopUserId: "url-7", vip: true } }) : "{}");
  });
  await new Promise((resolve) => hookServer.listen(0, "127.0.0.1", resolve));
  const hookUrl = `http://127.0.0.1:${hookServer.address().port}/vipps-hook`;

  const vipps = goodVars(emulator, redirectUri, {
    VIPPS_BASE_PATH: "/auth",
    VIPPS_ALLOWED_FLOWS: "automatic_return_from_vipps_app",
  });
  workers = await startWorkers(port, {
    shop: { js: SHOP, services: { VIPPS_LOGIN: "vipps" } },
    vipps: { vipps, services: { LOGIN_HOOK: "hook" } },
    hook: { js: HOOK },
    "vipps-url-hook": { ...vipps, LOGIN_HOOK_URL: hookUrl, LOGIN_HOOK_SECRET: HOOK_SECRET },
    "vipps-wrong-secret": { ...vipps, LOGIN_HOOK_URL: hookUrl, LOGIN_HOOK_SECRET: `${HOOK_SECRET}-not` },
    "vipps-error-path": { ...vipps, VIPPS_ERROR_PATH: "/login-failed" },
  });
  shop = await workers.client("shop");
}, TIMEOUT);

after(async () => {
  await workers?.mf.dispose();
  emulator?.child.kill();
  await new Promise((resolve) => hookServer?.close(resolve));
});

/** A login started at {base}/login on `client`, approved as `user`: the callback URL. */
async function callbackUrl(client, user = "ola", query = "") {
  const start = await client.get(`/auth/login?returnTo=%2Faccount${query}`);
  assert.equal(start.status, 302, await start.clone().text());
  const binding = cookieOf(start, "vipps_login_binding");
  assert.ok(binding.attrs.includes("path=/auth"), binding.attrs.join("; "));
  return approveAtEmulator(start.headers.get("location"), user);
}

async function hookReceived() {
  const hook = await workers.worker("hook");
  return (await hook.fetch("http://hook.internal/_received")).json();
}

test("mounted at /auth behind the shop's Worker: login, session cookie under /auth, the shop reads the session server-side", TIMEOUT, async () => {
  const callback = await callbackUrl(shop);
  assert.ok(callback.startsWith(`${origin}/auth/callback?`), callback);
  const done = await shop.get(callback);
  assert.equal(done.status, 302, await done.clone().text());
  assert.equal(done.headers.get("location"), "/account");
  const session = cookieOf(done, "vipps_session");
  assert.ok(session.attrs.includes("path=/auth"), session.attrs.join("; "));

  // The shop's own page, served by the shop's Worker, knows who is logged in.
  const account = await shop.get("/account", { cookie: `vipps_session=${session.value}` });
  assert.equal(await account.text(), "Hello Ola Nordmann, shop user 42");
  assert.equal((await shop.get("/account")).status, 401);

  // Outside the base path the routes are not ours: the shop's own pages there, 404 on ours.
  assert.equal(await (await shop.get("/login")).text(), "the shop's own page /login");
  const vipps = await workers.worker("vipps");
  for (const path of ["/login", "/callback", "/api/config", "/authx/login"]) {
    assert.equal((await vipps.fetch(`${origin}${path}`)).status, 404, path);
  }
  assert.equal((await vipps.fetch(`${origin}/auth/api/config`)).status, 200);
});

test("the hook gets the verified login (address, nin, scopes) before the session and adds its claim", TIMEOUT, async () => {
  const before = (await hookReceived()).length;
  const done = await shop.get(await callbackUrl(shop));
  assert.equal(done.status, 302);
  const received = (await hookReceived()).slice(before);
  assert.equal(received.length, 1, "one hand-off per login");
  const { login, signature, method } = received[0];
  assert.equal(method, "POST");
  assert.equal(signature, null, "a binding is private: unsigned without LOGIN_HOOK_SECRET");
  assert.equal(login.type, "vipps_login.verified");
  assert.match(login.sub, /^[0-9a-f-]{36}$/);
  assert.equal(login.issuer, emulator.issuer);
  assert.equal(login.userinfo.sub, login.sub);
  assert.equal(login.userinfo.address.street_address, "Robert Levins gate 5");
  assert.equal(login.userinfo.other_addresses[0].address_type, "work");
  assert.equal(login.userinfo.nin, "12048512345", "the shop, Vipps' data controller, gets the nin server-side");
  assert.equal(login.userinfo.birthdate, "1985-04-12");
  assert.match(login.scope, /address/);
  assert.equal(login.returnTo, "/account");
  assert.equal(login.pendingConfirmation, false);

  const session = cookieOf(done, "vipps_session");
  const me = await shop.get("/auth/api/session", { cookie: `vipps_session=${session.value}` });
  assert.deepEqual((await me.json()).user.claims, { shopUserId: "42" });
});

test("the hook refuses a login: no session, and its reason reaches the customer", TIMEOUT, async () => {
  // The Worker's own page shows the shop's words (a reason in a URL could be anyone's).
  const refused = await shop.get(await callbackUrl(shop, "kari"));
  const html = await refused.text();
  assert.equal(refused.status, 403, html);
  assert.ok(html.includes("Kari&#39;s shop account is closed. Call us."), html);
  assert.ok(html.includes("<code>login_refused</code>"), html);
  assert.ok(html.includes('href="/account"'), "back to the shop's page");
  assert.equal(cookieOf(refused, "vipps_session"), undefined);
  // The JSON route: 403 with the shop's words as the message.
  const start = await shop.get("/auth/login");
  const callback = new URL(await approveAtEmulator(start.headers.get("location"), "kari"));
  const api = await shop.post("/auth/api/callback", { query: callback.search });
  assert.equal(api.status, 403);
  const body = await api.json();
  assert.equal(body.error, "login_refused");
  assert.equal(body.message, "Kari's shop account is closed. Call us.");
});

test("another browser in the automatic flow: the hook is told the login still waits for confirmation", TIMEOUT, async () => {
  const before = (await hookReceived()).length;
  const callback = await callbackUrl(shop, "ola", "&requestedFlow=automatic_return_from_vipps_app");
  const other = shop.fresh();
  const page = await other.get(callback);
  const html = await page.text();
  assert.ok(html.includes('action="/auth/callback"'), html);
  const [{ login }] = (await hookReceived()).slice(before);
  assert.equal(login.pendingConfirmation, true);
  const state = new URL(callback).searchParams.get("state");
  const confirmed = await other.postForm("/auth/callback", { state });
  assert.equal(confirmed.status, 303, await confirmed.clone().text());
  assert.ok(cookieOf(confirmed, "vipps_session").attrs.includes("path=/auth"));
});

test("LOGIN_HOOK_URL: the hand-off is signed with LOGIN_HOOK_SECRET; a hook that refuses the signature fails the login", TIMEOUT, async () => {
  hookRequests = [];
  const signed = await workers.client("vipps-url-hook");
  const done = await signed.get(await callbackUrl(signed));
  assert.equal(done.status, 302, await done.clone().text());
  assert.equal(hookRequests.length, 1);
  assert.equal(hookRequests[0].valid, true, "the shop's check of the signature passes");
  assert.equal(hookRequests[0].body.userinfo.name, "Ola Nordmann");
  const session = cookieOf(done, "vipps_session");
  const me = await signed.get("/auth/api/session", { cookie: `vipps_session=${session.value}` });
  assert.deepEqual((await me.json()).user.claims, { shopUserId: "url-7", vip: true });

  // Signed with another secret: the shop answers 401, and the login does not go ahead.
  const wrong = await workers.client("vipps-wrong-secret");
  const failed = await wrong.get(await callbackUrl(wrong));
  await backWithLoginError(failed, "login_hook_failed", "/account");
  assert.equal(hookRequests.at(-1).valid, false);
});

test("VIPPS_ERROR_PATH: a failed login sends the customer there with login_error", TIMEOUT, async () => {
  const client = await workers.client("vipps-error-path");
  const start = await client.get("/auth/login?returnTo=%2Faccount");
  const cancelled = await fetch(`${start.headers.get("location")}&_emulator_cancel=1`, { redirect: "manual" });
  const back = await client.get(cancelled.headers.get("location"));
  const location = await backWithLoginError(back, "vipps_access_denied", "/login-failed");
  assert.equal(new URL(location, origin).searchParams.get("returnTo"), "/account", "where the login was going");
  // An unknown login, too (no returnTo is known for it).
  const unknown = await client.get("/auth/callback?code=x&state=never-issued");
  await backWithLoginError(unknown, "transaction_not_found", "/login-failed");
});
