// Login from phone number (CIBA, merchant-initiated) through the built Worker in
// workerd against the emulator: POST /api/phone-login and GET /api/phone-login/{id}
// (poll mode: approve, deny, pacing by the interval, slow_down, 429 with Retry-After,
// expiry), the API key (none configured: 404; wrong or missing: 401), invalid_user
// (unknown number, under 15) and old_app, the ping variant (POST /webhooks/vipps with
// Vipps' Webhooks API signature, good and bad) and the redirect variant
// (GET /phone-callback: ES256, authReqId, single use). The emulator's token requests
// are counted to prove the pacing. `make test-worker`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  freePort,
  goodVars,
  startEmulator,
  startWorkers,
} from "./harness.mjs";
import { inspectStorage } from "./do-storage.mjs";

const TIMEOUT = { timeout: 60_000 };
const KEY = "phone-login-test-api-key-0123456789abcdef";
const WEBHOOK_SECRET = "A0+AeKBRG2KRGvnNwJpQlb6IJFk48CKXCIcrLoHncVJKDILsQSxS6NWCccwWm6r6FhGKhiHTBsG2wo/xU6FY/A==";
const PING_EVENT = "login.merchant-initiated.ping.v1";
// The emulator's interval for these tests (its default is Vipps' 5 s).
const INTERVAL_MS = 1000;
const AFTER_INTERVAL_MS = INTERVAL_MS + 400;
// A user under 15 (the emulator refuses them with invalid_user).
const LISE = `
[[users]]
id = "lise"
name = "Lise Nordmann"
given_name = "Lise"
family_name = "Nordmann"
email = "lise@example.no"
phone_number = "4711111111"
birthdate = "2019-05-17"
nin = "17051912345"
`;

let emulator;
let main; // poll mode, with the redirect variant
let pinging; // ping mode, on its own port so the emulator can deliver to it
let nokey; // no PHONE_LOGIN_API_KEY: the routes do not exist
let origin;
let pingOrigin;
let persist; // the Durable Objects' storage of both Worker instances, to count objects

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

before(async () => {
  const [port, pingPort] = [await freePort(), await freePort()];
  origin = `http://127.0.0.1:${port}`;
  pingOrigin = `http://127.0.0.1:${pingPort}`;
  emulator = await startEmulator([`${origin}/callback`, `${origin}/phone-callback`, `${pingOrigin}/callback`], {
    settings: "ciba_interval_secs = 1",
    users: LISE,
  });
  const good = goodVars(emulator, `${origin}/callback`);
  persist = await mkdtemp(join(tmpdir(), "vipps-phone-do-"));
  main = await startWorkers(
    port,
    {
      main: { ...good, PHONE_LOGIN_API_KEY: KEY, VIPPS_PHONE_REDIRECT_URI: `${origin}/phone-callback` },
      nokey: good,
    },
    { persist: join(persist, "main") },
  );
  pinging = await startWorkers(pingPort, {
    ping: {
      ...good,
      VIPPS_REDIRECT_URI: `${pingOrigin}/callback`,
      PHONE_LOGIN_API_KEY: KEY,
      VIPPS_CIBA_MODE: "ping",
      VIPPS_WEBHOOK_SECRET: WEBHOOK_SECRET,
    },
  }, { persist: join(persist, "ping") });
});

after(async () => {
  await main?.mf.dispose();
  await pinging?.mf.dispose();
  emulator?.child.kill();
  if (persist) await rm(persist, { recursive: true, force: true });
});

/** How many Durable Objects the two Worker instances have made, and how many hold data. */
const stored = () => inspectStorage(persist);

/** A request to a Worker's phone-login API, as the shop's server sends it. */
async function api(base, method, path, body, { key = KEY, worker } = {}) {
  const headers = {};
  if (key !== null) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const init = { method, headers, body: body === undefined ? undefined : JSON.stringify(body) };
  const url = `${base}${path}`;
  const response = worker ? await worker.fetch(url, init) : await fetch(url, init);
  const text = await response.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, json, text };
}

const start = (body, base = origin) => api(base, "POST", "/api/phone-login", body);
const statusOf = (id, base = origin) => api(base, "GET", `/api/phone-login/${id}`);
const authReqIdOf = (id) => Buffer.from(id.split(".")[0], "base64url").toString();
const cibaStarts = () => emulator.requests.filter((l) => /^POST \/vipps-login-ciba\//.test(l)).length;

async function emulatorJson(method, path, body) {
  const response = await fetch(`${emulator.base}/_emulator/${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  assert.equal(response.status, 200, JSON.stringify(json));
  return json;
}

const decide = (id, decision) => emulatorJson("POST", "ciba/decision", { auth_req_id: authReqIdOf(id), decision });
const faults = (patch) => emulatorJson("POST", "faults", patch);

async function started(body, base = origin) {
  const r = await start(body, base);
  assert.equal(r.status, 202, r.text);
  return r.json;
}

test("no PHONE_LOGIN_API_KEY: the routes do not exist", TIMEOUT, async () => {
  const worker = await main.worker("nokey");
  const before = cibaStarts();
  assert.equal((await api(origin, "POST", "/api/phone-login", { phone: "4712345678" }, { worker })).status, 404);
  assert.equal((await api(origin, "GET", "/api/phone-login/x.y", undefined, { worker })).status, 404);
  assert.equal((await api(origin, "GET", "/phone-callback?code=a&state=b", undefined, { worker })).status, 404);
  assert.equal((await api(origin, "POST", "/webhooks/vipps", {}, { worker })).status, 404);
  assert.equal(cibaStarts(), before);
});

test("GET /api/config says phone login is on, with the redirect variant, and never shows the key", TIMEOUT, async () => {
  const config = await api(origin, "GET", "/api/config", undefined, { key: null });
  assert.equal(config.status, 200);
  assert.deepEqual(config.json.phoneLogin, { enabled: true, webpage: true });
  assert.ok(!config.text.includes(KEY), "the API key leaked");
  const pinging = await api(pingOrigin, "GET", "/api/config", undefined, { key: null });
  assert.deepEqual(pinging.json.phoneLogin, { enabled: true, webpage: false });
});

test("a missing or wrong key is 401, and nothing reaches Vipps", TIMEOUT, async () => {
  const before = cibaStarts();
  for (const key of [null, "wrong", `${KEY}x`, KEY.slice(0, -1)]) {
    const r = await api(origin, "POST", "/api/phone-login", { phone: "4712345678" }, { key });
    assert.equal(r.status, 401, String(key));
    assert.equal(r.json.error, "phone_login_unauthorized");
    assert.equal(r.headers.get("www-authenticate"), "Bearer");
    const s = await api(origin, "GET", "/api/phone-login/anything", undefined, { key });
    assert.equal(s.status, 401);
  }
  assert.equal(cibaStarts(), before);
});

test("phone numbers and binding messages are checked before Vipps is asked", TIMEOUT, async () => {
  const before = cibaStarts();
  for (const phone of ["12345678", "+47 123 45 67a", "+47 12345678901234", ""]) {
    const r = await start({ phone });
    assert.equal(r.status, 400, phone);
    assert.equal(r.json.error, "phone_number_invalid");
    assert.ok(r.json.hint.includes("country code"), r.json.hint);
  }
  for (const bindingMessage of ["abc-12", "ABCD", "ABCDEFGHI", "AB 123"]) {
    const r = await start({ phone: "4712345678", bindingMessage });
    assert.equal(r.status, 400, bindingMessage);
    assert.equal(r.json.error, "binding_message_invalid");
  }
  assert.equal((await start({ phone: "4712345678", extra: 1 })).json.error, "invalid_options");
  assert.equal((await start({ phone: "4712345678", scope: "openid profile" })).json.error, "option_not_allowed");
  assert.equal((await start({ phone: "4712345678", flow: "push" })).json.error, "option_not_allowed");
  assert.equal(cibaStarts(), before);
});

test("approve: pending, then the verified user, at most one token request per interval", TIMEOUT, async () => {
  const { id, expiresIn, interval } = await started({ phone: "+47 123 45 678", bindingMessage: "ABC-123", scope: "name phoneNumber" });
  assert.equal(expiresIn, 300);
  assert.equal(interval, 1);
  const held = (await emulatorJson("GET", "ciba")).find((r) => r.auth_req_id === authReqIdOf(id));
  assert.equal(held.phone, "4712345678");
  assert.equal(held.binding_message, "ABC-123");
  // Right after the start: the interval has not passed, so no token request.
  const t0 = emulator.tokenRequests();
  const first = await statusOf(id);
  assert.equal(first.status, 200);
  assert.equal(first.json.status, "pending");
  assert.equal(emulator.tokenRequests(), t0);
  await sleep(AFTER_INTERVAL_MS);
  assert.equal((await statusOf(id)).json.status, "pending");
  assert.equal(emulator.tokenRequests(), t0 + 1);
  // Many status requests within the interval: answered from storage.
  for (let i = 0; i < 5; i++) assert.equal((await statusOf(id)).json.status, "pending");
  assert.equal(emulator.tokenRequests(), t0 + 1);
  await decide(id, "approve");
  await sleep(AFTER_INTERVAL_MS);
  const approved = await statusOf(id);
  assert.equal(approved.json.status, "approved", approved.text);
  assert.equal(approved.json.id, id);
  assert.equal(approved.json.user.name, "Ola Nordmann");
  assert.equal(approved.json.user.phone_number, "4712345678");
  assert.match(approved.json.user.sub, /^[0-9a-f-]{36}$/);
  assert.equal(approved.json.user.sid, undefined);
  assert.equal(emulator.tokenRequests(), t0 + 2);
  // Finished: the same answer again, without asking Vipps.
  await sleep(AFTER_INTERVAL_MS);
  assert.deepEqual((await statusOf(id)).json, approved.json);
  assert.equal(emulator.tokenRequests(), t0 + 2);
  // The log lines name the route, never the id (it names Vipps' auth_req_id).
  assert.ok(main.logs.some((l) => l.includes('"path":"/api/phone-login/{id}"')), main.logs.slice(-3).join("\n"));
  assert.ok(!main.logs.some((l) => l.includes(id) || l.includes(authReqIdOf(id))));
  // Every stored login has its alarm, due at the latest 5 minutes after it expires.
  const s = stored();
  assert.ok(s.withData >= 1 && s.alarms === s.withData, JSON.stringify(s));
  assert.ok(s.dueMaxS <= 300 + 300 + 1 && s.dueMinS > 0, JSON.stringify(s));
});

test("an id_token whose signature does not verify fails the login", TIMEOUT, async () => {
  const { id } = await started({ phone: "4712345678" });
  await decide(id, "approve");
  await faults({ bad_signature: true });
  try {
    await sleep(AFTER_INTERVAL_MS);
    const r = await statusOf(id);
    assert.equal(r.json.status, "failed", r.text);
    assert.equal(r.json.error, "id_token_signature_invalid");
    assert.equal(r.json.user, undefined);
  } finally {
    await faults({ bad_signature: false });
  }
});

test("deny", TIMEOUT, async () => {
  const { id } = await started({ phone: "4798765432" });
  await decide(id, "deny");
  await sleep(AFTER_INTERVAL_MS);
  const r = await statusOf(id);
  assert.equal(r.json.status, "denied", r.text);
  assert.equal(r.json.user, undefined);
});

test("slow_down adds 5 s to the interval for good", TIMEOUT, async () => {
  const { id } = await started({ phone: "4712345678" });
  await sleep(AFTER_INTERVAL_MS);
  // Someone else polls the same request: the Worker's poll then comes too soon.
  const direct = await fetch(`${emulator.issuer}oauth2/token`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64")}`,
    },
    body: new URLSearchParams({ grant_type: "urn:openid:params:grant-type:ciba", auth_req_id: authReqIdOf(id) }),
  });
  assert.equal((await direct.json()).error, "authorization_pending");
  const t0 = emulator.tokenRequests();
  const r = await statusOf(id);
  assert.equal(r.json.status, "pending");
  assert.equal(r.json.interval, 6, r.text);
  assert.equal(emulator.tokenRequests(), t0 + 1);
  // The old interval has passed, the new one has not: no request.
  await sleep(AFTER_INTERVAL_MS);
  assert.equal((await statusOf(id)).json.status, "pending");
  assert.equal(emulator.tokenRequests(), t0 + 1);
});

test("HTTP 429: the start answers retryAfter, a poll waits Retry-After", TIMEOUT, async () => {
  await faults({ ciba_rate_limited: true });
  try {
    const r = await start({ phone: "4712345678" });
    assert.equal(r.status, 429, r.text);
    assert.equal(r.json.error, "vipps_rate_limited");
    assert.equal(r.json.retryAfter, 2);
    assert.equal(r.headers.get("retry-after"), "2");
    assert.ok(r.json.hint);
  } finally {
    await faults({ ciba_rate_limited: false });
  }
  const { id } = await started({ phone: "4712345678" });
  await sleep(AFTER_INTERVAL_MS);
  await faults({ ciba_rate_limited: true });
  const t0 = emulator.tokenRequests();
  try {
    assert.equal((await statusOf(id)).json.status, "pending");
    assert.equal(emulator.tokenRequests(), t0 + 1);
  } finally {
    await faults({ ciba_rate_limited: false });
  }
  // The interval (1 s) has passed, Retry-After (2 s) has not.
  await sleep(AFTER_INTERVAL_MS);
  assert.equal((await statusOf(id)).json.status, "pending");
  assert.equal(emulator.tokenRequests(), t0 + 1);
  await sleep(1000);
  assert.equal((await statusOf(id)).json.status, "pending");
  assert.equal(emulator.tokenRequests(), t0 + 2);
});

test("invalid_user (unknown number, under 15) and old_app, with hints", TIMEOUT, async () => {
  for (const phone of ["+47 99 99 99 99", "+47 111 11 111"]) {
    const r = await start({ phone });
    assert.equal(r.status, 502, r.text);
    assert.equal(r.json.error, "vipps_invalid_user");
    assert.ok(r.json.hint.includes("under 15"), r.json.hint);
  }
  await faults({ ciba_old_app: true });
  try {
    const r = await start({ phone: "4712345678" });
    assert.equal(r.status, 502, r.text);
    assert.equal(r.json.error, "vipps_old_app");
    assert.ok(r.json.hint.includes("update"), r.json.hint);
  } finally {
    await faults({ ciba_old_app: false });
  }
});

test("forged ids, pings and callbacks are refused and make no Durable Object", TIMEOUT, async () => {
  const { id } = await started({ phone: "4712345678" });
  const before = stored();
  const [value, tag] = id.split(".");
  const other = Buffer.from("00000000-0000-4000-8000-000000000000").toString("base64url");
  for (const forged of [`${other}.${tag}`, `${value}.${"A".repeat(22)}`, "nonsense", value]) {
    const r = await statusOf(forged);
    assert.equal(r.status, 404, forged);
    assert.equal(r.json.error, "phone_login_not_found");
  }
  const body = JSON.stringify({ auth_req_id: "00000000-0000-4000-8000-000000000000" });
  const ping = await fetch(`${pingOrigin}/webhooks/vipps`, {
    method: "POST",
    headers: signedPing(body, { secret: "forged" }),
    body,
  });
  assert.equal(ping.status, 401);
  await ping.body?.cancel();
  const visit = await fetch(`${origin}/phone-callback?code=abc&state=${"B".repeat(54)}`);
  assert.equal(visit.status, 400);
  await visit.body?.cancel();
  const counts = ({ objects, withData, dataBytes, alarms }) => ({ objects, withData, dataBytes, alarms });
  assert.deepEqual(counts(stored()), counts(before));
});

/** Signs a delivery as Vipps' Webhooks API does. */
function signedPing(body, { date = new Date().toUTCString(), secret = WEBHOOK_SECRET, host = new URL(pingOrigin).host } = {}) {
  const hash = createHash("sha256").update(body).digest("base64");
  const signature = createHmac("sha256", secret).update(`POST\n/webhooks/vipps\n${date};${host};${hash}`).digest("base64");
  return {
    "content-type": "application/json",
    "x-ms-date": date,
    "x-ms-content-sha256": hash,
    authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
  };
}

test("ping: status requests never poll; a verified ping makes the one token request", TIMEOUT, async () => {
  await emulatorJson("POST", "webhooks", {
    client_id: CLIENT_ID,
    url: `${pingOrigin}/webhooks/vipps`,
    secret: WEBHOOK_SECRET,
    events: [PING_EVENT],
  });
  const { id } = await started({ phone: "4712345678" }, pingOrigin);
  const t0 = emulator.tokenRequests();
  await sleep(AFTER_INTERVAL_MS);
  assert.equal((await statusOf(id, pingOrigin)).json.status, "pending");
  assert.equal(emulator.tokenRequests(), t0);
  const decided = await decide(id, "approve");
  assert.deepEqual(decided.pinged.map((p) => p.status), [200], JSON.stringify(decided));
  assert.equal(emulator.tokenRequests(), t0 + 1);
  const r = await statusOf(id, pingOrigin);
  assert.equal(r.json.status, "approved", r.text);
  assert.equal(r.json.user.name, "Ola Nordmann");
  // A replayed ping for a finished login asks nothing.
  const body = JSON.stringify({ auth_req_id: authReqIdOf(id) });
  const again = await fetch(`${pingOrigin}/webhooks/vipps`, { method: "POST", headers: signedPing(body), body });
  assert.equal(again.status, 200);
  await again.body?.cancel();
  assert.equal(emulator.tokenRequests(), t0 + 1);
});

test("ping: a bad signature, a stale date or a tampered body is refused and changes nothing", TIMEOUT, async () => {
  const { id } = await started({ phone: "4712345678" }, pingOrigin);
  const t0 = emulator.tokenRequests();
  await faults({ ping_bad_signature: true });
  try {
    const decided = await decide(id, "approve");
    assert.deepEqual(decided.pinged.map((p) => p.status), [401], JSON.stringify(decided));
  } finally {
    await faults({ ping_bad_signature: false });
  }
  assert.equal(emulator.tokenRequests(), t0);
  assert.equal((await statusOf(id, pingOrigin)).json.status, "pending");
  const body = JSON.stringify({ auth_req_id: authReqIdOf(id) });
  const send = (headers, sent = body) => fetch(`${pingOrigin}/webhooks/vipps`, { method: "POST", headers, body: sent });
  const stale = await send(signedPing(body, { date: new Date(Date.now() - 6 * 60_000).toUTCString() }));
  assert.equal(stale.status, 401);
  assert.equal((await stale.json()).error, "webhook_stale");
  const wrongKey = await send(signedPing(body, { secret: "another-secret" }));
  assert.equal((await wrongKey.json()).error, "webhook_signature_invalid");
  const tampered = await send(signedPing(body), JSON.stringify({ auth_req_id: authReqIdOf(id), x: 1 }));
  assert.equal(tampered.status, 401);
  await tampered.body?.cancel();
  const unsigned = await send({ "content-type": "application/json" });
  assert.equal(unsigned.status, 401);
  await unsigned.body?.cancel();
  assert.equal(emulator.tokenRequests(), t0);
  // The genuine ping, now: the one token request.
  const good = await send(signedPing(body));
  assert.equal(good.status, 200);
  assert.equal((await good.json()).status, "approved");
  assert.equal(emulator.tokenRequests(), t0 + 1);
});

async function phoneVisit(url) {
  const response = await fetch(url, { redirect: "manual" });
  return { status: response.status, text: await response.text(), type: response.headers.get("content-type") };
}

test("redirect variant: the phone's visit redeems the code once (ES256, authReqId)", TIMEOUT, async () => {
  const { id } = await started({ phone: "4712345678", flow: "webpage" });
  const held = (await emulatorJson("GET", "ciba")).find((r) => r.auth_req_id === authReqIdOf(id));
  assert.equal(held.flow, "login_to_webpage");
  // Status requests never poll this variant.
  const t0 = emulator.tokenRequests();
  await sleep(AFTER_INTERVAL_MS);
  assert.equal((await statusOf(id)).json.status, "pending");
  assert.equal(emulator.tokenRequests(), t0);
  const { redirect_to } = await decide(id, "approve");
  assert.ok(redirect_to.startsWith(`${origin}/phone-callback?`), redirect_to);
  const visit = await phoneVisit(redirect_to);
  assert.equal(visit.status, 200, visit.text);
  assert.match(visit.type, /^text\/html/);
  assert.ok(visit.text.includes("You are logged in"));
  assert.equal(emulator.tokenRequests(), t0 + 1);
  const r = await statusOf(id);
  assert.equal(r.json.status, "approved", r.text);
  assert.equal(r.json.user.name, "Ola Nordmann");
  // A second visit with the same code: refused, and the result stays.
  const second = await phoneVisit(redirect_to);
  assert.equal(second.status, 400);
  assert.ok(second.text.includes("already used"), second.text);
  assert.equal((await statusOf(id)).json.status, "approved");
});

test("redirect variant: auth_req_id as the claim's name is accepted", TIMEOUT, async () => {
  await faults({ ciba_auth_req_id_snake: true });
  try {
    const { id } = await started({ phone: "4712345678", flow: "webpage" });
    const { redirect_to } = await decide(id, "approve");
    assert.equal((await phoneVisit(redirect_to)).status, 200);
    assert.equal((await statusOf(id)).json.status, "approved");
  } finally {
    await faults({ ciba_auth_req_id_snake: false });
  }
});

test("redirect variant: an id_token naming another request, and forged callbacks, are refused", TIMEOUT, async () => {
  await faults({ ciba_wrong_auth_req_id: true });
  let id;
  try {
    ({ id } = await started({ phone: "4712345678", flow: "webpage" }));
    const { redirect_to } = await decide(id, "approve");
    const visit = await phoneVisit(redirect_to);
    assert.equal(visit.status, 400);
    assert.ok(visit.text.includes("<code>ciba_auth_req_id_mismatch</code>"), visit.text);
  } finally {
    await faults({ ciba_wrong_auth_req_id: false });
  }
  assert.equal((await statusOf(id)).json.status, "pending");
  // A state this Worker never minted: no token request at all.
  const t0 = emulator.tokenRequests();
  for (const query of ["code=abc&state=forged-state-0123456789", "code=abc", `code=abc&state=${"A".repeat(54)}`]) {
    const visit = await phoneVisit(`${origin}/phone-callback?${query}`);
    assert.equal(visit.status, 400, query);
  }
  assert.equal(emulator.tokenRequests(), t0);
});

test("redirect variant: an ES256 id_token with a forged signature is refused; the login it came back for has failed", TIMEOUT, async () => {
  await faults({ bad_signature: true });
  let id;
  try {
    ({ id } = await started({ phone: "4712345678", flow: "webpage" }));
    const { redirect_to } = await decide(id, "approve");
    const t0 = emulator.tokenRequests();
    const visit = await phoneVisit(redirect_to);
    assert.equal(visit.status, 400, visit.text);
    assert.ok(visit.text.includes("<code>id_token_signature_invalid</code>"), visit.text);
    assert.equal(emulator.tokenRequests(), t0 + 1, "the code was exchanged once");
  } finally {
    await faults({ bad_signature: false });
  }
  // The phone came back with that login's state, and its single-use code is spent: the
  // login has failed, with the code the shop can act on.
  const r = await statusOf(id);
  assert.equal(r.json.status, "failed", r.text);
  assert.equal(r.json.error, "id_token_signature_invalid");
});

// Last: it moves the emulator's clock, and every later id_token would be dated ahead.
test("expiry: Vipps' expired_token ends the login as expired", TIMEOUT, async () => {
  const { id } = await started({ phone: "4712345678" });
  await emulatorJson("POST", "clock", { advance_secs: 400 });
  await sleep(AFTER_INTERVAL_MS);
  const t0 = emulator.tokenRequests();
  const r = await statusOf(id);
  assert.equal(r.json.status, "expired", r.text);
  assert.equal(emulator.tokenRequests(), t0 + 1);
  await sleep(AFTER_INTERVAL_MS);
  assert.equal((await statusOf(id)).json.status, "expired");
  assert.equal(emulator.tokenRequests(), t0 + 1);
});
