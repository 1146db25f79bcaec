// Every login is bound to the browser that started it (RFC 9700 4.7.1; OIDC login CSRF),
// through the built Worker in workerd against the emulator. Only a login that asked for
// requested_flow=automatic_return_from_vipps_app (Vipps may bring the user back in
// another browser) completes elsewhere, and only after that browser has been shown who
// is logging in and has confirmed it, by a same-origin POST. Each "browser" is a
// WorkerClient with its own cookie jar (harness.mjs). `make test-worker`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  approveAtEmulator,
  goodVars,
  cookieOf,
  eventually,
  freePort,
  startEmulator,
  startWorkers,
} from "./harness.mjs";

const pkgUrl = new URL("../../pkg/", import.meta.url);
const vippsLogin = await import(new URL("vipps_login.js", pkgUrl));
vippsLogin.initSync({ module: readFileSync(new URL("vipps_login_bg.wasm", pkgUrl)) });

const TIMEOUT = { timeout: 60_000 };
const AUTOMATIC = "automatic_return_from_vipps_app";

let emulator;
let workers;
let main;
let origin;

before(async () => {
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  emulator = await startEmulator([`${origin}/callback`]);
  workers = await startWorkers(port, {
    main: goodVars(emulator, `${origin}/callback`, { VIPPS_ALLOWED_FLOWS: AUTOMATIC }),
  });
  main = await workers.client("main");
}, TIMEOUT);

after(async () => {
  await workers?.mf.dispose();
  emulator?.child.kill();
});

/** A callback URL for a login started in `browser` with `query`, approved as `user`. */
async function callbackUrl(browser, query = "", user = "ola") {
  const response = await browser.get(`/login?returnTo=%2Fwelcome${query}`);
  assert.equal(response.status, 302, await response.clone().text());
  return approveAtEmulator(response.headers.get("location"), user);
}

async function tokenRequestsSettle(expected) {
  await eventually(() => emulator.tokenRequests() >= expected, "the emulator's log");
  assert.equal(emulator.tokenRequests(), expected);
}

test("automatic return: another browser sees who logs in, confirms by POST, and only then gets the session", TIMEOUT, async () => {
  const callback = await callbackUrl(main, `&requestedFlow=${AUTOMATIC}`);
  const state = new URL(callback).searchParams.get("state");
  const before = emulator.tokenRequests();

  // Browser B, where Vipps sent the user back: the confirmation page, no session yet.
  const b = main.fresh();
  const page = await b.get(callback);
  const html = await page.text();
  assert.equal(page.status, 200, html);
  assert.match(page.headers.get("content-type"), /^text\/html/);
  assert.ok(html.includes("Continue as Ola Nordmann?"), html);
  assert.ok(html.includes('<form method="post" action="/callback">'), html);
  assert.match(page.headers.get("content-security-policy"), /frame-ancestors 'none'/);
  assert.match(page.headers.get("content-security-policy"), /form-action 'self'/);
  assert.equal(page.headers.get("cache-control"), "no-store");
  assert.equal(cookieOf(page, "vipps_session"), undefined, "no session before the confirmation");
  assert.ok(b.binding(), "B now holds a binding of its own");
  await tokenRequestsSettle(before + 1);

  // A reload in B shows the page again, without a second token request.
  const again = await b.get(callback);
  assert.ok((await again.text()).includes("Continue as Ola Nordmann?"));
  // A third browser gets nothing from the URL, and cannot confirm.
  const c = main.fresh();
  assert.ok((await (await c.get(callback)).text()).includes("<code>browser_binding_missing</code>"));
  const stolen = await c.postForm("/callback", { state });
  assert.ok((await stolen.text()).includes("<code>confirmation_required</code>"));
  assert.equal(cookieOf(stolen, "vipps_session"), undefined);
  // Nor does the browser that started it: the login now belongs to B.
  assert.ok((await (await main.get(callback)).text()).includes("<code>browser_binding_mismatch</code>"));

  // CSRF: a cross-site form, a POST without Origin, or JSON cannot confirm for B.
  for (const headers of [
    { origin: "https://evil.example" },
    { origin: "null" },
    { origin: "null", "sec-fetch-site": "cross-site" },
  ]) {
    const crossSite = await b.postForm("/callback", { state }, headers);
    assert.equal(crossSite.status, 403, JSON.stringify(headers));
    assert.ok((await crossSite.text()).includes("<code>confirmation_required</code>"));
    assert.equal(cookieOf(crossSite, "vipps_session"), undefined);
  }
  const noOrigin = await b.request("/callback", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `state=${state}`,
  });
  assert.equal(noOrigin.status, 403);
  await noOrigin.body?.cancel();
  assert.equal(page.headers.get("referrer-policy"), "same-origin", "else browsers send Origin: null");
  const json = await b.post("/callback", { state }, { origin });
  assert.equal(json.status, 415);
  await json.body?.cancel();

  // B confirms: 303 to returnTo with the session, which names Ola.
  const confirmed = await b.postForm("/callback", { state });
  assert.equal(confirmed.status, 303, await confirmed.clone().text());
  assert.equal(confirmed.headers.get("location"), "/welcome");
  const session = cookieOf(confirmed, "vipps_session");
  assert.ok(session?.value);
  const me = await b.get("/api/session", { cookie: `vipps_session=${session.value}` });
  assert.equal((await me.json()).user.name, "Ola Nordmann");
  // A double click, and the callback again in B: the same session; still one redemption.
  const twice = await b.postForm("/callback", { state });
  assert.equal(cookieOf(twice, "vipps_session").value, session.value);
  // A browser that sends Origin: null for its own form says so in Sec-Fetch-Site.
  const nullOrigin = await b.postForm("/callback", { state }, { origin: "null", "sec-fetch-site": "same-origin" });
  assert.equal(nullOrigin.status, 303);
  const replay = await b.get(callback);
  assert.equal(replay.status, 302);
  assert.equal(cookieOf(replay, "vipps_session").value, session.value);
  // Elsewhere, still nothing.
  const elsewhere = await c.get(callback);
  assert.equal(cookieOf(elsewhere, "vipps_session"), undefined);
  await elsewhere.body?.cancel();
  await tokenRequestsSettle(before + 1);
});

test("automatic return, front-end driven: 202 {confirm: {name}} in the other browser, then POST /api/confirm", TIMEOUT, async () => {
  const registered = await main.post("/api/login", {
    nonce: vippsLogin.randomNonce(),
    codeVerifier: vippsLogin.createPkce().codeVerifier,
    requestedFlow: AUTOMATIC,
    returnTo: "/shop",
  });
  assert.equal(registered.status, 200);
  const { url, state } = await registered.json();
  assert.equal(new URL(url).searchParams.get("requested_flow"), AUTOMATIC);
  const code = new URL(await approveAtEmulator(url, "kari")).searchParams.get("code");

  const b = main.fresh();
  const pending = await b.post("/api/callback", { code, state });
  assert.equal(pending.status, 202);
  assert.deepEqual(await pending.json(), { confirm: { name: "Kari Nordmann" }, state });
  assert.equal(cookieOf(pending, "vipps_session"), undefined);

  const c = main.fresh();
  const refused = await c.post("/api/confirm", { state });
  assert.equal(refused.status, 400);
  assert.equal((await refused.json()).error, "confirmation_required");

  const confirmed = await b.post("/api/confirm", { state });
  assert.equal(confirmed.status, 200);
  assert.equal((await confirmed.json()).user.name, "Kari Nordmann");
  assert.ok(cookieOf(confirmed, "vipps_session")?.value);
});

test("automatic return in the browser that started: no confirmation needed", TIMEOUT, async () => {
  const callback = await callbackUrl(main, `&requestedFlow=${AUTOMATIC}`);
  const done = await main.get(callback);
  assert.equal(done.status, 302, await done.clone().text());
  assert.equal(done.headers.get("location"), "/welcome");
  assert.ok(cookieOf(done, "vipps_session")?.value);
});

test("without the automatic flow no other browser may complete, not even by confirming", TIMEOUT, async () => {
  const callback = await callbackUrl(main);
  const state = new URL(callback).searchParams.get("state");
  const b = main.fresh();
  const page = await b.get(callback);
  assert.equal(page.status, 400);
  assert.ok((await page.text()).includes("<code>browser_binding_missing</code>"));
  assert.equal(b.binding(), null, "a refused browser is not given a binding");
  const confirm = await b.postForm("/callback", { state });
  assert.ok((await confirm.text()).includes("<code>confirmation_required</code>"));
  // The starting browser completes afterwards: nothing was consumed.
  const done = await main.get(callback);
  assert.equal(done.status, 302, await done.clone().text());
});

test("two logins in parallel in one browser (two tabs) share its binding and both complete", TIMEOUT, async () => {
  const first = await callbackUrl(main);
  const binding = main.binding().value;
  const second = await callbackUrl(main);
  assert.equal(main.binding().value, binding, "one binding per browser, renewed");
  for (const callback of [second, first]) {
    const done = await main.get(callback);
    assert.equal(done.status, 302, await done.clone().text());
  }
});
