// Vipps' consent-revoked webhook in workerd: the emulator sends its text/plain unsigned
// JWT to POST /webhooks/consent-revoked; the Worker decodes it explicitly (alg none
// only, shape, size, time), stores nothing, and hands {type:
// "vipps_login.consent_revoked", event, sub, ...} to the shop through the LOGIN_HOOK
// binding or the signed LOGIN_HOOK_URL. Every refusal, and a failing or missing hook.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { CLIENT_ID, CLIENT_SECRET, SESSION_SECRET, freePort, lineLogged, startEmulator, startWorkers } from "./harness.mjs";

const TIMEOUT = { timeout: 60_000 };
const HOOK_SECRET = "consent-hook-secret-0123456789abcdef";
const PATH = "/webhooks/consent-revoked";

// The shop's hook Worker: keeps what it got.
const HOOK = `
let received = [];
export default {
  async fetch(request) {
    if (new URL(request.url).pathname === "/_received") return Response.json(received);
    received.push({ body: await request.json(), contentType: request.headers.get("content-type") });
    return new Response(null, { status: 204 });
  },
};`;
const FAILING_HOOK = `export default { fetch() { return new Response("down", { status: 500 }); } };`;

let emulator;
let workers;
let url;
let hookServer;
const urlHookRequests = [];

const b64 = (value) => Buffer.from(typeof value === "string" ? value : JSON.stringify(value)).toString("base64url");
const now = () => Math.floor(Date.now() / 1000);
function unsignedJwt(payload, header = { alg: "none" }) {
  return `${b64(header)}.${b64(payload)}.`;
}
const revoked = (extra = {}) => ({ sub: "c0ffee00-1111-8222-8333-444455556666", event: "CONSENT_REVOKED", iat: now(), nbf: now(), exp: now() + 3600, ...extra });

before(async () => {
  const port = await freePort();
  emulator = await startEmulator([`http://127.0.0.1:${port}/callback`]);
  hookServer = createServer(async (req, res) => {
    let body = "";
    for await (const chunk of req) body += chunk;
    const parts = Object.fromEntries((req.headers["vipps-login-signature"] ?? "").split(",").map((p) => p.split("=")));
    const expected = createHmac("sha256", HOOK_SECRET).update(`${parts.t}.${body}`).digest("hex");
    const valid = expected.length === (parts.v1 ?? "").length && timingSafeEqual(Buffer.from(expected), Buffer.from(parts.v1));
    urlHookRequests.push({ valid, body: JSON.parse(body) });
    res.writeHead(valid ? 200 : 401).end();
  });
  await new Promise((resolve) => hookServer.listen(0, "127.0.0.1", resolve));
  const vipps = {
    VIPPS_ISSUER: emulator.issuer,
    VIPPS_CLIENT_ID: CLIENT_ID,
    VIPPS_CLIENT_SECRET: CLIENT_SECRET,
    VIPPS_REDIRECT_URI: `http://127.0.0.1:${port}/callback`,
    SESSION_SECRET,
  };
  workers = await startWorkers(port, {
    vipps: { vipps, services: { LOGIN_HOOK: "hook" } },
    hook: { js: HOOK },
    "failing-hook": { js: FAILING_HOOK },
    "vipps-failing-hook": { vipps, services: { LOGIN_HOOK: "failing-hook" } },
    "vipps-no-hook": vipps,
    "vipps-url-hook": {
      ...vipps,
      LOGIN_HOOK_URL: `http://127.0.0.1:${hookServer.address().port}/vipps`,
      LOGIN_HOOK_SECRET: HOOK_SECRET,
    },
  });
  url = workers.url.replace(/\/$/, "");
}, TIMEOUT);

after(async () => {
  await workers?.mf.dispose();
  emulator?.child.kill();
  await new Promise((resolve) => hookServer?.close(resolve));
});

async function hookReceived() {
  return (await (await workers.worker("hook")).fetch("http://hook.internal/_received")).json();
}

/** POST to the named Worker's webhook route. */
async function post(name, body, contentType = "text/plain") {
  const target = name === "vipps" ? { fetch } : await workers.worker(name);
  return target.fetch(`${url}${PATH}`, { method: "POST", headers: { "content-type": contentType }, body });
}

test("the emulator's webhook reaches the shop's hook Worker through the LOGIN_HOOK binding as a hint", TIMEOUT, async () => {
  const response = await fetch(`${emulator.base}/_emulator/consent-revoked`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ client_id: CLIENT_ID, user: "ola", url: `${url}${PATH}` }),
  });
  const sent = await response.json();
  assert.equal(sent.status, 200, JSON.stringify(sent));
  const sub = JSON.parse(Buffer.from(sent.jwt.split(".")[1], "base64url")).sub;
  const [got] = (await hookReceived()).filter((r) => r.body.sub === sub);
  assert.ok(got, "the hook got it");
  assert.match(got.contentType, /^application\/json/);
  assert.equal(got.body.type, "vipps_login.consent_revoked");
  assert.equal(got.body.event, "consent_revoked");
  assert.equal(got.body.verified, false, "a hint, never proof");
  assert.equal(got.body.issuer, emulator.issuer);
  for (const name of ["iat", "nbf", "exp", "receivedAt"]) assert.equal(typeof got.body[name], "number", name);
});

test("a signed LOGIN_HOOK_URL gets it too, and a body without the empty third segment is read", TIMEOUT, async () => {
  const body = unsignedJwt(revoked({ sub: "url-hook-sub" })).replace(/\.$/, "");
  const response = await post("vipps-url-hook", body);
  assert.deepEqual(await response.json(), { ok: true, handedOver: true });
  const got = urlHookRequests.find((r) => r.body.sub === "url-hook-sub");
  assert.ok(got?.valid, "signed with LOGIN_HOOK_SECRET");
});

test("every refusal is a clean 4xx with its code, and nothing reaches the hook", TIMEOUT, async () => {
  const before = (await hookReceived()).length;
  const cases = [
    [unsignedJwt(revoked()) + "x".repeat(5000), "text/plain", 413, "consent_webhook_too_large"],
    [unsignedJwt(revoked()), "application/json", 415, "consent_webhook_malformed"],
    ["not a jwt", "text/plain", 400, "consent_webhook_malformed"],
    [unsignedJwt(revoked(), { alg: "HS256" }), "text/plain", 400, "consent_webhook_malformed"],
    [`${unsignedJwt(revoked())}c2lnbmF0dXJl`, "text/plain", 400, "consent_webhook_malformed"],
    [unsignedJwt({ ...revoked(), sub: undefined }), "text/plain", 400, "consent_webhook_malformed"],
    [unsignedJwt(revoked({ event: "CONSENT_GIVEN" })), "text/plain", 400, "consent_webhook_event_unknown"],
    [unsignedJwt(revoked({ iat: now() - 7200, nbf: now() - 7200, exp: now() - 3600 })), "text/plain", 400, "consent_webhook_stale"],
    [unsignedJwt(revoked({ iat: now() + 3600, nbf: now() + 3600, exp: now() + 7200 })), "text/plain", 400, "consent_webhook_stale"],
  ];
  for (const [body, contentType, status, code] of cases) {
    const response = await post("vipps", body, contentType);
    const json = await response.json();
    assert.equal(response.status, status, `${code}: ${JSON.stringify(json)}`);
    assert.equal(json.error, code);
    assert.ok(json.hint, code);
  }
  const wrongMethod = await fetch(`${url}${PATH}`);
  assert.equal(wrongMethod.status, 405);
  assert.equal((await hookReceived()).length, before);
});

test("a failing hook is 502 login_hook_failed (Vipps may retry); no hook is 200 and a log line", TIMEOUT, async () => {
  const failing = await post("vipps-failing-hook", unsignedJwt(revoked()));
  assert.equal(failing.status, 502);
  assert.equal((await failing.json()).error, "login_hook_failed");

  const from = workers.logs.length;
  const none = await post("vipps-no-hook", unsignedJwt(revoked()));
  assert.deepEqual(await none.json(), { ok: true, handedOver: false });
  let line;
  const until = Date.now() + 5000;
  while (!line && Date.now() < until) {
    line = workers.logs.slice(from).map((l) => { try { return JSON.parse(l); } catch { return null; } })
      .find((l) => l?.path === PATH && l.message?.includes("LOGIN_HOOK"));
    if (!line) await new Promise((r) => setTimeout(r, 20));
  }
  assert.ok(line, "the missing hook is logged");
  assert.equal(line.status, 200);
});
