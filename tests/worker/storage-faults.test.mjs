// Durable Objects failing mid-login (issue 12, "Faults"): the built Worker in workerd with
// its LOGIN_TRANSACTIONS (or PHONE_LOGINS) bound to a small Durable Object class of this
// test's, in another Worker of the same workerd, that throws, answers 500 or garbage, or
// does not answer, for one operation, and hands every other operation to the real
// LoginTransactions object. Each fault is a typed storage_unavailable (503 in JSON, the
// customer's words and the code in the browser), no panic, no request that waits past
// the Worker's 5 s limit on a Durable Object call (src/worker/storage.rs), and no code
// redeemed more than once at the emulator. `make test-worker`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  approveAtEmulator,
  backWithLoginError,
  cookieOf,
  freePort,
  goodVars,
  lineLogged,
  startEmulator,
  startWorkers,
} from "./harness.mjs";

const TIMEOUT = { timeout: 120_000 };
const PHONE_KEY = "storage-faults-phone-key-0123456789abcdef";

// The failing object: FAULTS is {op: "throw" | "500" | "garbage" | "hang"}; any other
// op goes to the real object (REAL) named by the body's state, as the Worker would.
const FAULTY_DO = `
export class FaultyObject {
  constructor(ctx, env) { this.env = env; }
  async fetch(request) {
    const op = new URL(request.url).pathname.slice(1);
    const fault = JSON.parse(this.env.FAULTS)[op];
    if (fault === "throw") throw new Error("storage failed (test fault)");
    if (fault === "500") return new Response("internal", { status: 500 });
    if (fault === "garbage") return new Response("{not json", { status: 200 });
    if (fault === "hang") { await new Promise((resolve) => setTimeout(resolve, 60000)); return new Response("late"); }
    const body = await request.text();
    const real = this.env.REAL;
    const stub = real.get(real.idFromName(JSON.parse(body).state));
    return stub.fetch(request.url, { method: "POST", headers: request.headers, body });
  }
}
export default { fetch: () => new Response("a Durable Object host", { status: 404 }) };
`;

const FAULTS = {
  putThrows: { put: "throw" },
  putHangs: { put: "hang" },
  claim500: { claim: "500" },
  claimGarbage: { claim: "garbage" },
  completeThrows: { complete: "throw" },
};

let emulator;
let workers;
let port;

before(async () => {
  port = await freePort();
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  emulator = await startEmulator(redirectUri);
  const vars = goodVars(emulator, redirectUri, { PHONE_LOGIN_API_KEY: PHONE_KEY });
  const defs = {};
  // The first Worker answers on the port: the one whose callbacks come back to it.
  for (const [name, faults] of Object.entries(FAULTS)) {
    defs[name] = { vipps: vars, transactions: { className: "FaultyObject", scriptName: `${name}-do` } };
  }
  defs.phonePutThrows = { vipps: vars, phoneLogins: { className: "FaultyObject", scriptName: "phonePutThrows-do" } };
  for (const [name, faults] of [...Object.entries(FAULTS), ["phonePutThrows", { put: "throw" }]]) {
    defs[`${name}-do`] = {
      js: FAULTY_DO,
      bindings: { FAULTS: JSON.stringify(faults) },
      durableObjects: {
        FAULTY: { className: "FaultyObject", useSQLite: true },
        REAL: { className: "LoginTransactions", scriptName: name, useSQLite: true },
      },
    };
  }
  workers = await startWorkers(port, defs);
}, TIMEOUT);

after(async () => {
  await workers?.mf.dispose();
  emulator?.child.kill();
});

async function storageError(response, status = 503) {
  const body = await response.json();
  assert.equal(response.status, status, JSON.stringify(body));
  assert.equal(body.error, "storage_unavailable");
  assert.match(body.hint, /Durable Object/);
  return body;
}

test("put throws: GET /login sends the customer back with the code; POST /api/login 503 with the hint", TIMEOUT, async () => {
  const client = await workers.client("putThrows");
  const from = workers.logs.length;
  const r = await client.get("/login?returnTo=/account");
  await backWithLoginError(r, "storage_unavailable", "/account");
  assert.equal(cookieOf(r, "vipps_login_binding"), undefined, "no binding cookie for a login that did not start");
  const line = await lineLogged(workers.logs, from, "storage_unavailable");
  assert.match(line.message ?? "", /LoginTransactions put failed/);
  const api = await client.post("/api/login", { nonce: "n".repeat(43), codeVerifier: "v".repeat(43) });
  await storageError(api);
});

test("put never answers: the start ends with storage_unavailable, not a hang", TIMEOUT, async () => {
  const client = await workers.client("putHangs");
  const from = workers.logs.length;
  const r = await client.get("/login?returnTo=/account");
  await backWithLoginError(r, "storage_unavailable", "/account");
  const line = await lineLogged(workers.logs, from, "storage_unavailable");
  assert.match(line.message ?? "", /did not answer within 5000 ms/);
});

for (const [name, what] of [
  ["claim500", /answered HTTP 500/],
  ["claimGarbage", /JSON that is not its protocol's/],
]) {
  test(`${name}: the callback is storage_unavailable and redeems nothing`, TIMEOUT, async () => {
    const client = await workers.client(name);
    const browser = client.fresh();
    const login = await browser.get("/login");
    assert.equal(login.status, 302, await login.text());
    const callback = new URL(await approveAtEmulator(login.headers.get("location")));
    const tokens = emulator.tokenRequests();
    const from = workers.logs.length;
    const api = await browser.post("/api/callback", Object.fromEntries(callback.searchParams));
    const body = await storageError(api);
    assert.match(body.message, what);
    assert.equal(cookieOf(api, "vipps_session"), undefined, "no session");
    // The browser's own route: the customer's words, the code for support.
    const page = await browser.get(callback.pathname + callback.search);
    const location = page.headers.get("location");
    const html = location ? "" : await page.text();
    assert.ok(
      (location && new URL(location, "http://x").searchParams.get("login_error") === "storage_unavailable") ||
        (page.status === 503 && html.includes("<code>storage_unavailable</code>") && html.includes("Please try again")),
      `${page.status} ${location ?? html.slice(0, 300)}`,
    );
    assert.equal(emulator.tokenRequests(), tokens, "no code redeemed while the store is down");
    await lineLogged(workers.logs, from, "storage_unavailable");
  });
}

test("complete throws after the redemption: the customer is logged in once, the failure logged", TIMEOUT, async () => {
  const client = await workers.client("completeThrows");
  const browser = client.fresh();
  const login = await browser.post("/api/login", { nonce: "n".repeat(43), codeVerifier: "v".repeat(43) });
  assert.equal(login.status, 200, await login.clone().text());
  const { url } = await login.json();
  const callback = new URL(await approveAtEmulator(url));
  const tokens = emulator.tokenRequests();
  const from = workers.logs.length;
  const answer = await browser.post("/api/callback", Object.fromEntries(callback.searchParams));
  const body = await answer.json();
  assert.equal(answer.status, 200, JSON.stringify(body));
  assert.equal(body.user.sub.length > 0, true);
  assert.ok(cookieOf(answer, "vipps_session")?.value, "a session");
  assert.equal(emulator.tokenRequests(), tokens + 1, "one redemption");
  await new Promise((resolve) => setTimeout(resolve, 200));
  const warning = workers.logs
    .slice(from)
    .map((l) => { try { return JSON.parse(l); } catch { return {}; } })
    .find((l) => l.warning === "storage_unavailable");
  assert.ok(warning, "the failed complete is logged");
  assert.match(warning.message, /LoginTransactions complete failed/);
  // The same callback from another browser: refused, nothing redeemed again.
  const other = await client.fresh().post("/api/callback", Object.fromEntries(callback.searchParams));
  assert.equal(other.status, 400, await other.clone().text());
  assert.equal(emulator.tokenRequests(), tokens + 1, "the code is not redeemed twice");
});

test("PhoneLogins put throws: POST /api/phone-login is 503 storage_unavailable with the hint", TIMEOUT, async () => {
  const worker = await workers.worker("phonePutThrows");
  const response = await worker.fetch(`http://127.0.0.1:${port}/api/phone-login`, {
    method: "POST",
    headers: { authorization: `Bearer ${PHONE_KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ phone: "4712345678" }),
  });
  const body = await storageError(response);
  assert.match(body.message, /PhoneLogins put failed/);
});
