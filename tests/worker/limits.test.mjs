// The bound on what anonymous requests can make the Worker store (issue 12, "Bounded cost
// of anonymous requests"; SECURITY.md): every login start asks the LOGIN_RATE_LIMITER
// binding (Workers Rate Limiting, miniflare's implementation in workerd) first, keyed
// by the client's address; a refused start stores no Durable Object and fetches
// nothing. Without the binding the Worker refuses to start logins unless
// LOGIN_RATE_LIMIT = "off" says a rule in front does the job. `make test-worker`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { backWithLoginError, freePort, goodVars, lineLogged, startEmulator, startWorkers } from "./harness.mjs";
import { inspectStorage } from "./do-storage.mjs";

const TIMEOUT = { timeout: 120_000 };
// Login starts per minute per address for the `limited` Worker.
const LIMIT = 3;

let emulator;
let workers;
let persist;

before(async () => {
  const port = await freePort();
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  emulator = await startEmulator(redirectUri);
  persist = await mkdtemp(join(tmpdir(), "vipps-limits-do-"));
  const vars = goodVars(emulator, redirectUri);
  workers = await startWorkers(
    port,
    {
      limited: { vipps: vars, rateLimit: LIMIT },
      unbound: { vipps: vars, rateLimit: null },
      off: { vipps: { ...vars, LOGIN_RATE_LIMIT: "off" }, rateLimit: null },
      misspelt: { vipps: { ...vars, LOGIN_RATE_LIMIT: "sometimes" } },
      broken: { vipps: vars, rateLimit: null, wrappedBindings: { LOGIN_RATE_LIMITER: { scriptName: "broken-limiter" } } },
      // A shop's Worker in front, forwarding the customer's request through a service
      // binding (README "In a shop").
      front: {
        js: "export default { fetch: (request, env) => env.VIPPS_LOGIN.fetch(request) };",
        services: { VIPPS_LOGIN: "limited" },
      },
      // A rate limiter whose limit() fails, as a runtime error would.
      "broken-limiter": {
        wrapped: true,
        js: `export default function () {
          return { async limit() { throw new Error("rate limiter down (test fault)"); } };
        }`,
      },
    },
    { persist },
  );
}, TIMEOUT);

after(async () => {
  await workers?.mf.dispose();
  emulator?.child.kill();
  if (persist) await rm(persist, { recursive: true, force: true });
});

/** miniflare's limiter counts in fixed windows of the period: start well inside one. */
async function freshWindow(periodMs = 60_000, marginMs = 15_000) {
  const left = periodMs - (Date.now() % periodMs);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

test("login starts over the limit are refused before anything is stored, per address", TIMEOUT, async () => {
  await freshWindow();
  const client = await workers.client("limited");
  const from = (ip) => ({ "cf-connecting-ip": ip });
  const before = inspectStorage(persist).withData;
  for (let i = 0; i < LIMIT; i++) {
    const r = await client.fresh().get("/login?returnTo=/account", from("203.0.113.7"));
    assert.equal(r.status, 302, await r.text());
    assert.ok(r.headers.get("location").startsWith(emulator.issuer), "to the provider");
  }
  const stored = inspectStorage(persist);
  assert.equal(stored.withData - before, LIMIT, "one transaction per allowed start");
  // SECURITY.md's "< 2 KiB" per transaction, measured.
  assert.ok(stored.dataBytes / stored.withData < 2048, JSON.stringify(stored));

  // Over the limit: back to the shop's page with the code, no binding cookie, nothing stored.
  const logs = workers.logs.length;
  const refused = await client.fresh().get("/login?returnTo=/account", from("203.0.113.7"));
  assert.ok(!refused.headers.getSetCookie().some((l) => l.includes("vipps_login_binding")), "no binding cookie");
  await backWithLoginError(refused, "login_rate_limited", "/account");
  const line = await lineLogged(workers.logs, logs, "login_rate_limited");
  assert.match(line.hint ?? "", /LOGIN_RATE_LIMITER/);

  // The front-end flow's start: 429, the code and hint, Retry-After, before the body is read.
  const api = await client.fresh().post("/api/login", "not json", from("203.0.113.7"));
  assert.equal(api.status, 429);
  assert.equal(api.headers.get("retry-after"), "60");
  const body = await api.json();
  assert.equal(body.error, "login_rate_limited");
  assert.match(body.hint, /simple\.limit/);
  assert.equal(inspectStorage(persist).withData - before, LIMIT, "refused starts stored nothing");

  // Another address has its own allowance.
  const other = await client.fresh().get("/login?returnTo=/account", from("198.51.100.20"));
  assert.equal(other.status, 302);
  assert.ok(other.headers.get("location").startsWith(emulator.issuer));
  assert.equal(inspectStorage(persist).withData - before, LIMIT + 1);
});

test("an IPv6 client is counted by its /64: other hosts of it share the allowance", TIMEOUT, async () => {
  await freshWindow();
  const client = await workers.client("limited");
  for (let i = 1; i <= LIMIT; i++) {
    const r = await client.fresh().get("/login", { "cf-connecting-ip": `2001:db8:9:9::${i}` });
    assert.equal(r.status, 302);
    assert.ok(r.headers.get("location").startsWith(emulator.issuer));
  }
  const sameNet = await client.fresh().get("/login", { "cf-connecting-ip": "2001:db8:9:9:ffff:ffff:ffff:ffff" });
  await backWithLoginError(sameNet, "login_rate_limited");
  const otherNet = await client.fresh().get("/login", { "cf-connecting-ip": "2001:db8:9:a::1" });
  assert.ok(otherNet.headers.get("location").startsWith(emulator.issuer), "another /64 has its own");
});

test("callbacks, sessions and the config are not counted as login starts", TIMEOUT, async () => {
  await freshWindow();
  const client = await workers.client("limited");
  const ip = { "cf-connecting-ip": "192.0.2.55" };
  for (let i = 0; i < LIMIT * 3; i++) {
    assert.equal((await client.get("/api/config", ip)).status, 200);
    assert.equal((await client.get("/api/session", ip)).status, 401);
    // A forged state: refused by its tag, not by the limiter.
    const callback = await client.get("/callback?state=forged&code=x", ip);
    assert.notEqual(new URL(callback.headers.get("location") ?? "http://x/", "http://x").searchParams.get("login_error"), "login_rate_limited");
  }
  const start = await client.fresh().get("/login", ip);
  assert.equal(start.status, 302);
  assert.ok(start.headers.get("location").startsWith(emulator.issuer), "the address's starts are untouched");
});

test("without the binding, logins do not start: config_invalid names LOGIN_RATE_LIMITER", TIMEOUT, async () => {
  const client = await workers.client("unbound");
  const before = inspectStorage(persist).withData;
  const r = await client.get("/login");
  assert.equal(r.status, 500);
  const body = await r.json();
  assert.equal(body.error, "config_invalid");
  assert.equal(body.setting, "LOGIN_RATE_LIMITER");
  assert.match(body.message, /\[\[ratelimits\]\]/);
  const api = await client.post("/api/login", {});
  assert.equal(api.status, 500);
  assert.equal((await api.json()).setting, "LOGIN_RATE_LIMITER");
  assert.equal(inspectStorage(persist).withData, before, "nothing stored");
  // Routes that store nothing still work.
  assert.equal((await client.get("/api/config")).status, 200);
});

test('LOGIN_RATE_LIMIT = "off" starts logins without the binding; another value is refused', TIMEOUT, async () => {
  const off = await workers.client("off");
  const r = await off.get("/login");
  assert.equal(r.status, 302);
  assert.ok(r.headers.get("location").startsWith(emulator.issuer));

  const misspelt = await workers.client("misspelt");
  const bad = await misspelt.get("/api/config");
  assert.equal(bad.status, 500);
  const body = await bad.json();
  assert.equal(body.error, "config_invalid");
  assert.equal(body.setting, "LOGIN_RATE_LIMIT");
});

test("anonymous requests other than a start create no Durable Object and store nothing", TIMEOUT, async () => {
  await freshWindow();
  const client = await workers.client("limited");
  const ip = { "cf-connecting-ip": "192.0.2.77" };
  const before = inspectStorage(persist);
  const forged = () => randomBytes(40).toString("base64url");
  for (let i = 0; i < 20; i++) {
    await (await client.fresh().get(`/callback?state=${forged()}&code=x`, ip)).text();
    await (await client.fresh().post("/api/callback", { state: forged(), code: "x" }, ip)).text();
    await (await client.fresh().get("/api/session", { ...ip, cookie: `vipps_session=${forged()}` })).text();
    await (await client.fresh().post("/webhooks/consent-revoked", "not a jwt", { ...ip, "content-type": "text/plain" })).text();
  }
  assert.deepEqual(count(inspectStorage(persist)), count(before), "forged callbacks, sessions and webhooks store nothing");

  // One real start, then its callback from 20 other browsers: read, never consumed or written.
  const start = await client.fresh().get("/login", ip);
  assert.equal(start.status, 302);
  const state = new URL(start.headers.get("location")).searchParams.get("state");
  for (let i = 0; i < 20; i++) {
    const r = await client.fresh().get(`/callback?state=${state}&code=x`, ip);
    await r.text();
  }
  const after = inspectStorage(persist);
  assert.equal(after.objects - before.objects, 1, "one object: the start's");
  assert.equal(after.withData - before.withData, 1);
  const taken = await workers.take(state, "limited");
  assert.equal(taken.status, 200, "the transaction is still pending for its own browser");
});

const count = ({ objects, withData, dataBytes }) => ({ objects, withData, dataBytes });

test("a limiter that fails lets logins start, with a warning logged", TIMEOUT, async () => {
  const client = await workers.client("broken");
  const from = workers.logs.length;
  const r = await client.get("/login");
  assert.equal(r.status, 302, await r.text());
  assert.ok(r.headers.get("location").startsWith(emulator.issuer));
  await new Promise((resolve) => setTimeout(resolve, 200));
  const warned = workers.logs.slice(from).some((l) => l.includes('"warning":"rate_limiter_failed"'));
  assert.ok(warned, "the limiter's failure is logged");
});

test("through a shop's service binding the customer's address still counts", TIMEOUT, async () => {
  await freshWindow();
  const front = await workers.client("front");
  const direct = await workers.client("limited");
  const ip = { "cf-connecting-ip": "198.51.100.99" };
  for (let i = 0; i < LIMIT; i++) {
    const r = await front.fresh().get("/login", ip);
    assert.equal(r.status, 302);
    assert.ok(r.headers.get("location").startsWith(emulator.issuer), "started through the shop");
  }
  // The same address, directly: its allowance is the one the shop's requests used.
  await backWithLoginError(await direct.fresh().get("/login", ip), "login_rate_limited");
  const other = await front.fresh().get("/login", { "cf-connecting-ip": "198.51.100.100" });
  assert.ok(other.headers.get("location").startsWith(emulator.issuer), "another customer is not held back");
});
