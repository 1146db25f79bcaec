// Partner keys in workerd against the emulator: the Worker logs in for the partner's
// sales unit (VIPPS_MSN) with the partner's keys only (no VIPPS_CLIENT_SECRET): one
// POST /accesstoken/get per isolate for many logins, Authorization: Bearer +
// Merchant-Serial-Number at the token endpoint, the token fetched anew once when the
// emulator forgets it, and wrong keys as a typed error with a hint; a login from phone
// number (CIBA) whose start and poll carry the partner token too.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  PARTNER_CLIENT_ID,
  PARTNER_MSN,
  SESSION_SECRET,
  approveAtEmulator,
  backWithLoginError,
  cookieOf,
  freePort,
  hintLogged,
  startEmulator,
  startWorkers,
} from "./harness.mjs";

const TIMEOUT = { timeout: 60_000 };
const PHONE_KEY = "partner-phone-login-key-0123456789abcdef";
const KEYS = { id: "worker-partner", secret: "worker-partner-secret", subscription: "worker-partner-subscription" };

let emulator;
let workers;
let origin;

before(async () => {
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  emulator = await startEmulator([`${origin}/callback`], {
    settings: "ciba_interval_secs = 1",
    extraToml: `
[[partners]]
client_id = "${KEYS.id}"
client_secret = "${KEYS.secret}"
subscription_key = "${KEYS.subscription}"
msns = ["${PARTNER_MSN}"]
`,
  });
  const partner = {
    VIPPS_ISSUER: emulator.issuer,
    VIPPS_CLIENT_ID: PARTNER_CLIENT_ID,
    VIPPS_MSN: PARTNER_MSN,
    VIPPS_PARTNER_CLIENT_ID: KEYS.id,
    VIPPS_PARTNER_CLIENT_SECRET: KEYS.secret,
    VIPPS_PARTNER_SUBSCRIPTION_KEY: KEYS.subscription,
    VIPPS_REDIRECT_URI: `${origin}/callback`,
    VIPPS_SCOPES: "openid name",
    SESSION_SECRET,
    PHONE_LOGIN_API_KEY: PHONE_KEY,
  };
  workers = await startWorkers(port, {
    partner,
    "partner-wrong-keys": { ...partner, VIPPS_PARTNER_SUBSCRIPTION_KEY: "not-the-subscription-key" },
  });
}, TIMEOUT);

after(async () => {
  await workers?.mf.dispose();
  emulator?.child.kill();
});

const accessTokenRequests = () => emulator.requests.filter((l) => /^POST \/accesstoken\/get /.test(l));

/** GET /login → the emulator approves → GET /callback on `client`: the final answer. */
async function login(client) {
  const start = await client.get("/login?returnTo=%2Faccount");
  assert.equal(start.status, 302, await start.clone().text());
  const authorize = start.headers.get("location");
  assert.ok(authorize.includes(`?msn=${PARTNER_MSN}&`), authorize);
  assert.ok(!authorize.includes("client_id="), authorize);
  return client.get(await approveAtEmulator(authorize));
}

test("a partner logs in with its partner keys only: one /accesstoken/get for several logins, Bearer + Merchant-Serial-Number at the token endpoint", TIMEOUT, async () => {
  const client = await workers.client("partner");
  const tokensBefore = emulator.tokenRequests();
  for (let i = 0; i < 3; i++) {
    const done = await login(client.fresh());
    assert.equal(done.status, 302, await done.clone().text());
    assert.equal(done.headers.get("location"), "/account");
    assert.ok(cookieOf(done, "vipps_session")?.value, "a session");
  }
  assert.equal(emulator.tokenRequests() - tokensBefore, 3);
  assert.deepEqual(
    accessTokenRequests().map((l) => l.split(" ").slice(0, 3).join(" ")),
    ["POST /accesstoken/get 200"],
    "one partner token, cached in the isolate",
  );
});

test("a partner token the token endpoint no longer knows is fetched again, once, and the login goes on", TIMEOUT, async () => {
  const client = await workers.client("partner");
  assert.equal((await login(client.fresh())).status, 302);
  const before = accessTokenRequests().length;
  const tokensBefore = emulator.tokenRequests();
  await emulator.control("reset"); // the emulator forgets every partner token
  const done = await login(client.fresh());
  assert.equal(done.status, 302, await done.clone().text());
  assert.equal(done.headers.get("location"), "/account");
  assert.equal(accessTokenRequests().length - before, 1, "one new partner token");
  assert.equal(emulator.tokenRequests() - tokensBefore, 2, "refused once (invalid_client), then redeemed");
});

test("wrong partner keys are partner_keys_invalid with a hint naming the settings", TIMEOUT, async () => {
  const client = await workers.client("partner-wrong-keys");
  const from = workers.logs.length;
  const tokensBefore = emulator.tokenRequests();
  await backWithLoginError(await login(client), "partner_keys_invalid", "/account");
  const hint = await hintLogged(workers.logs, from, "partner_keys_invalid");
  for (const name of ["VIPPS_PARTNER_CLIENT_ID", "VIPPS_PARTNER_CLIENT_SECRET", "VIPPS_PARTNER_SUBSCRIPTION_KEY", "environment"]) {
    assert.ok(hint.includes(name), hint);
  }
  assert.equal(emulator.tokenRequests(), tokensBefore, "no token request without a partner token");
  assert.ok(accessTokenRequests().some((l) => l.startsWith("POST /accesstoken/get 401")));
});

test("a partner's login from phone number: the CIBA start and poll carry the partner token, no client secret", TIMEOUT, async () => {
  // "partner" is the Worker on the port: reached as the shop's server reaches it.
  const call = (method, path, body) =>
    fetch(`${origin}${path}`, {
      method,
      headers: { authorization: `Bearer ${PHONE_KEY}`, ...(body && { "content-type": "application/json" }) },
      body: body && JSON.stringify(body),
    });
  const starts = () => emulator.requests.filter((l) => /^POST \/vipps-login-ciba\//.test(l));
  const tokensBefore = emulator.tokenRequests();
  const started = await call("POST", "/api/phone-login", { phone: "+47 123 45 678" });
  assert.equal(started.status, 202, await started.clone().text());
  const { id } = await started.json();
  // The emulator accepted the start with the partner's Bearer + Merchant-Serial-Number:
  // this Worker has no client secret to send.
  assert.match(starts().at(-1), /^POST \S+ 200 /);
  const authReqId = Buffer.from(id.split(".")[0], "base64url").toString();
  const decided = await fetch(`${emulator.base}/_emulator/ciba/decision`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ auth_req_id: authReqId, decision: "approve" }),
  });
  assert.equal(decided.status, 200, await decided.text());
  await new Promise((resolve) => setTimeout(resolve, 1400)); // the emulator's interval
  const status = await (await call("GET", `/api/phone-login/${id}`)).json();
  assert.equal(status.status, "approved", JSON.stringify(status));
  assert.equal(status.user.name, "Ola Nordmann");
  assert.match(status.user.sub, /^[0-9a-f-]{36}$/);
  assert.equal(emulator.tokenRequests() - tokensBefore, 1, "one poll, redeemed with the partner token");
});
