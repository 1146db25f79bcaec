// Every Vipps option through the built Worker in workerd against the emulator: market,
// requestedFlow, finalRedirectIsApp, acrValues and a scope subset on GET /login (query)
// and POST /api/login (JSON), each only when a setting allows it; acr_values makes the
// id_token's acr required and checked; a partner's VIPPS_MSN is sent as msn and the
// id_token's msn checked. `make test-worker`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  CLIENT_ID,
  PARTNER_CLIENT_ID,
  PARTNER_CLIENT_SECRET,
  PARTNER_MSN,
  approveAtEmulator,
  backWithLoginError,
  freePort,
  goodVars,
  lineLogged,
  startEmulator,
  startWorkers,
} from "./harness.mjs";

const pkgUrl = new URL("../../pkg/", import.meta.url);
const vippsLogin = await import(new URL("vipps_login.js", pkgUrl));
vippsLogin.initSync({ module: readFileSync(new URL("vipps_login_bg.wasm", pkgUrl)) });

const TIMEOUT = { timeout: 60_000 };
const APP_AUTH = "urn:vipps:acr:app_auth";

let emulator;
let workers;
let open; // every option allowed
let closed; // no option allowed
let partner; // VIPPS_MSN

before(async () => {
  const port = await freePort();
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  emulator = await startEmulator([redirectUri]);
  const base = goodVars(emulator, redirectUri);
  const allowAll = {
    VIPPS_ALLOWED_MARKETS: "NO,DK",
    VIPPS_ALLOWED_FLOWS: "automatic_return_from_vipps_app",
    VIPPS_ALLOW_FINAL_REDIRECT_IS_APP: "true",
    VIPPS_ALLOWED_ACR_VALUES: APP_AUTH,
  };
  workers = await startWorkers(port, {
    open: { ...base, ...allowAll },
    closed: base,
    partner: {
      ...base,
      ...allowAll,
      VIPPS_CLIENT_ID: PARTNER_CLIENT_ID,
      VIPPS_CLIENT_SECRET: PARTNER_CLIENT_SECRET,
      VIPPS_MSN: PARTNER_MSN,
    },
  });
  open = await workers.client("open");
  closed = await workers.client("closed");
  partner = await workers.client("partner");
}, TIMEOUT);

after(async () => {
  await workers?.mf.dispose();
  emulator?.child.kill();
});

const EVERY_OPTION = {
  market: "DK",
  requestedFlow: "automatic_return_from_vipps_app",
  finalRedirectIsApp: "true",
  acrValues: APP_AUTH,
  scope: "name email",
};

/** GET /login with `options` as its query: the authorization URL. */
async function authorizeUrl(client, options = {}) {
  const response = await client.get(`/login?${new URLSearchParams(options)}`);
  assert.equal(response.status, 302, await response.clone().text());
  return new URL(response.headers.get("location"));
}

/** A login with `options` in `client`, approved at the emulator, then its callback. */
async function loginWith(client, options = {}) {
  const url = await authorizeUrl(client, options);
  return client.get(await approveAtEmulator(url.href, "ola"));
}

/** The code of a failed login: `login_error` of the redirect back, the page's, or JSON's. */
async function errorCode(response) {
  const text = await response.text();
  if (response.status === 302) {
    return new URL(response.headers.get("location"), "http://worker.test").searchParams.get("login_error");
  }
  return /<code>([a-z_]+)<\/code>/.exec(text)?.[1] ?? JSON.parse(text).error;
}

test("GET /login: every allowed option reaches the authorization URL, and the login completes", TIMEOUT, async () => {
  const url = await authorizeUrl(open, EVERY_OPTION);
  const q = url.searchParams;
  assert.equal(q.get("market"), "DK");
  assert.equal(q.get("requested_flow"), "automatic_return_from_vipps_app");
  assert.equal(q.get("final_redirect_is_app"), "true");
  assert.equal(q.get("acr_values"), APP_AUTH);
  assert.equal(q.get("scope"), "openid name email");
  assert.equal(q.get("client_id"), CLIENT_ID);
  // The id_token carries the acr asked for; the login completes in the same browser.
  const done = await open.get(await approveAtEmulator(url.href, "ola"));
  assert.equal(done.status, 302, await done.clone().text());
  // The stored transaction carried the expectations (checked through the next one).
  const state = new URL((await authorizeUrl(open, { acrValues: APP_AUTH })).href).searchParams.get("state");
  const { transaction } = await workers.take(state, "open");
  assert.equal(transaction.acr_values, APP_AUTH);
});

test("POST /api/login: the same options as JSON reach the URL", TIMEOUT, async () => {
  const response = await open.post("/api/login", {
    nonce: vippsLogin.randomNonce(),
    codeVerifier: vippsLogin.createPkce().codeVerifier,
    market: "NO",
    requestedFlow: "automatic_return_from_vipps_app",
    finalRedirectIsApp: false,
    acrValues: APP_AUTH,
    scope: "email",
  });
  assert.equal(response.status, 200);
  const q = new URL((await response.json()).url).searchParams;
  assert.equal(q.get("market"), "NO");
  assert.equal(q.get("requested_flow"), "automatic_return_from_vipps_app");
  assert.equal(q.get("final_redirect_is_app"), "false");
  assert.equal(q.get("acr_values"), APP_AUTH);
  assert.equal(q.get("scope"), "openid email");
});

test("an option no setting allows is option_not_allowed, naming the setting, and starts nothing", TIMEOUT, async () => {
  for (const [name, value, setting] of [
    ["market", "NO", "VIPPS_ALLOWED_MARKETS"],
    ["requestedFlow", "automatic_return_from_vipps_app", "VIPPS_ALLOWED_FLOWS"],
    ["finalRedirectIsApp", "true", "VIPPS_ALLOW_FINAL_REDIRECT_IS_APP"],
    ["acrValues", APP_AUTH, "VIPPS_ALLOWED_ACR_VALUES"],
    ["scope", "name gender", "VIPPS_SCOPES"],
  ]) {
    // The customer goes back to the shop with the code; the developer reads the
    // setting in the log line.
    const from = workers.logs.length;
    const page = await closed.get(`/login?${new URLSearchParams({ [name]: value, returnTo: "/shop" })}`);
    await backWithLoginError(page, "option_not_allowed", "/shop");
    const line = await lineLogged(workers.logs, from, "option_not_allowed");
    assert.ok(line.message.includes(setting), `${setting} in ${line.message}`);
    assert.ok(line.hint.includes(setting), line.hint);

    const fromPost = workers.logs.length;
    const json = await closed.post("/api/login", {
      nonce: vippsLogin.randomNonce(),
      codeVerifier: vippsLogin.createPkce().codeVerifier,
      [name]: name === "finalRedirectIsApp" ? true : value,
    });
    const body = await json.json();
    assert.equal(json.status, 400);
    assert.equal(body.error, "option_not_allowed");
    assert.ok(body.message.includes(setting), body.message);
    assert.ok(body.hint.includes(setting), body.hint);
    assert.equal(body.state, undefined, "nothing registered");
    // Its log line arrives asynchronously: waited for here, so that the next round's
    // lookup cannot take this one's line for its own.
    const posted = await lineLogged(workers.logs, fromPost, "option_not_allowed");
    assert.ok(posted.message.includes(setting), posted.message);
  }
  // Allowed lists let only their values through; bad values keep the core's codes.
  assert.equal(await errorCode(await open.get("/login?market=SE")), "option_not_allowed");
  assert.equal(await errorCode(await open.get("/login?market=XX")), "market_invalid");
  assert.equal(await errorCode(await open.get("/login?requestedFlow=app_to_app_v2")), "option_not_allowed");
  assert.equal(await errorCode(await open.get("/login?finalRedirectIsApp=maybe")), "invalid_options");
});

test("GET /api/config names the options this Worker allows", TIMEOUT, async () => {
  const config = await (await open.get("/api/config")).json();
  assert.deepEqual(config.options, {
    markets: ["NO", "DK"],
    requestedFlows: ["automatic_return_from_vipps_app"],
    finalRedirectIsApp: true,
    acrValues: [APP_AUTH],
  });
  const none = await (await closed.get("/api/config")).json();
  assert.deepEqual(none.options, { markets: [], requestedFlows: [], finalRedirectIsApp: false, acrValues: [] });
});

test("acrValues: the id_token's acr is required and checked", TIMEOUT, async () => {
  for (const fault of ["wrong_acr", "missing_acr"]) {
    await emulator.control("faults", { [fault]: true });
    try {
      const refused = await loginWith(open, { acrValues: APP_AUTH });
      assert.equal(await errorCode(refused), "id_token_acr_mismatch", fault);
      // Without acr_values no acr is expected: the same fault does not matter.
      const plain = await loginWith(open);
      assert.equal(plain.status, 302, await plain.clone().text());
    } finally {
      await emulator.control("reset");
    }
  }
});

test("VIPPS_MSN: msn instead of client_id at authorize, and the id_token's msn checked", TIMEOUT, async () => {
  const url = await authorizeUrl(partner);
  assert.equal(url.searchParams.get("msn"), PARTNER_MSN);
  assert.equal(url.searchParams.get("client_id"), null);
  const done = await partner.get(await approveAtEmulator(url.href, "ola"));
  assert.equal(done.status, 302, await done.clone().text());

  await emulator.control("faults", { wrong_msn: true });
  try {
    assert.equal(await errorCode(await loginWith(partner)), "id_token_msn_mismatch");
  } finally {
    await emulator.control("reset");
  }
});
