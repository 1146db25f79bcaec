// Every fault switch of the emulator, through the built Worker in workerd: each is
// refused with its own error code (the mapping of tests/core_flow.rs), on GET /callback
// and POST /api/callback, and no session is created. Also a provider that is too slow
// (VIPPS_HTTP_TIMEOUT_MS) or unreachable, and a key rotation (refetch on an unknown kid).
// An emulator of its own: the faults are global to it. `make test-worker`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  approveAtEmulator,
  backWithLoginError,
  eventually,
  freePort,
  goodVars,
  lineLogged,
  parseSetCookie,
  startEmulator,
  startWorkers,
} from "./harness.mjs";

const TIMEOUT = { timeout: 120_000 };

let emulator;
let workers;
let main;
let closedPort;

/**
 * Fault → the code the Worker answers with (as tests/core_flow.rs maps them).
 * jwks_unavailable comes first: once a JWKS is cached (in memory and in the Cache API)
 * the Worker no longer needs the endpoint, which the test after the loop shows.
 */
const FAULTS = [
  [{ jwks_unavailable: true }, "jwks_unavailable", 502],
  [{ unknown_kid: true }, "id_token_kid_unknown", 400],
  [{ bad_signature: true }, "id_token_signature_invalid", 400],
  [{ alg_none: true }, "id_token_alg_not_allowed", 400],
  [{ wrong_iss: true }, "id_token_issuer_mismatch", 400],
  [{ wrong_aud: true }, "id_token_audience_mismatch", 400],
  [{ extra_aud: true }, "id_token_azp_mismatch", 400],
  [{ expired: true }, "id_token_expired", 400],
  [{ iat_future: true }, "id_token_issued_in_future", 400],
  [{ wrong_nonce: true }, "id_token_nonce_mismatch", 400],
  [{ missing_nonce: true }, "id_token_nonce_mismatch", 400],
  [{ missing_sub: true }, "id_token_sub_missing", 400],
  [{ userinfo_sub_mismatch: true }, "userinfo_sub_mismatch", 400],
  [{ token_500: true }, "token_server_error", 502],
  [{ token_malformed_json: true }, "token_response_invalid", 502],
];

before(async () => {
  const port = await freePort();
  closedPort = await freePort(); // nothing listens there
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  emulator = await startEmulator(redirectUri);
  const good = goodVars(emulator, redirectUri);
  workers = await startWorkers(port, {
    main: good,
    impatient: { ...good, VIPPS_HTTP_TIMEOUT_MS: "300" },
    unreachable: {
      ...good,
      VIPPS_ISSUER: `http://127.0.0.1:${closedPort}/access-management-1.0/access/`,
    },
    // A fresh isolate for the rotation test: its own JWKS cache and refetch cooldown.
    rotation: good,
  });
  main = await workers.client("main");
}, TIMEOUT);

after(async () => {
  await workers?.mf.dispose();
  emulator?.child.kill();
});

async function callbackUrl(client) {
  const login = await client.get("/login");
  assert.equal(login.status, 302, await login.text());
  return approveAtEmulator(login.headers.get("location"), "ola");
}

function assertNoSession(response) {
  assert.ok(
    !response.headers.getSetCookie().some((l) => l.startsWith("vipps_session=")),
    "no session cookie on failure",
  );
}

test("every emulator fault switch is refused with its code, and no session is created", TIMEOUT, async () => {
  for (const [fault, code, status] of FAULTS) {
    const what = JSON.stringify(fault);
    await emulator.control("reset");
    await emulator.control("faults", fault);

    // The browser route: back to the shop with the code (the hint goes to the log).
    const callback = await callbackUrl(main);
    const from = workers.logs.length;
    const page = await main.get(callback);
    await backWithLoginError(page, code);
    assertNoSession(page);
    const line = await lineLogged(workers.logs, from, code);
    assert.equal(line.status, 302, what);
    // The failed login is over: the same callback again finds no transaction.
    const again = await main.get(callback);
    assert.ok((await again.text()).includes("transaction_not_found"), what);

    // The JSON route.
    const { searchParams } = new URL(await callbackUrl(main));
    const api = await main.post("/api/callback", { code: searchParams.get("code"), state: searchParams.get("state") });
    const body = await api.json();
    assert.equal(api.status, status, `${what}: ${JSON.stringify(body)}`);
    assert.equal(body.error, code, what);
    assertNoSession(api);
  }
  await emulator.control("reset");
});

test("once cached, the JWKS is not needed for every login; hints come with the codes", TIMEOUT, async () => {
  await emulator.control("faults", { jwks_unavailable: true });
  const cached = await main.get(await callbackUrl(main));
  assert.equal(cached.status, 302, await cached.clone().text());
  await emulator.control("reset");

  await emulator.control("faults", { token_500: true });
  const { searchParams } = new URL(await callbackUrl(main));
  const body = await (await main.post("/api/callback", Object.fromEntries(searchParams))).json();
  assert.equal(body.error, "token_server_error");
  assert.ok(body.hint.includes("token endpoint failed"), body.hint);
  assert.ok(body.message.includes("500"), body.message);
  await emulator.control("reset");
});

test("a token endpoint slower than VIPPS_HTTP_TIMEOUT_MS is provider_timeout (502)", TIMEOUT, async () => {
  await emulator.control("faults", { token_delay_ms: 2000 });
  try {
    const impatient = await workers.client("impatient");
    const started = Date.now();
    const from = workers.logs.length;
    const response = await impatient.get(await callbackUrl(impatient));
    await backWithLoginError(response, "provider_timeout");
    assertNoSession(response);
    const line = await lineLogged(workers.logs, from, "provider_timeout");
    assert.ok(line.message.includes("300 ms"), line.message);
    assert.ok(Date.now() - started < 1800, "the Worker gave up before the emulator answered");
  } finally {
    await emulator.control("reset");
  }
});

test("an unreachable provider is provider_unreachable (502)", TIMEOUT, async () => {
  const unreachable = await workers.client("unreachable");
  const login = await unreachable.get("/login");
  const state = new URL(login.headers.get("location")).searchParams.get("state");
  const response = await unreachable.get(`/callback?code=some-code&state=${state}`);
  await backWithLoginError(response, "provider_unreachable");
  assertNoSession(response);
  // The JSON route says 502: the provider failed, not the request.
  const login2 = await unreachable.get("/login");
  const state2 = new URL(login2.headers.get("location")).searchParams.get("state");
  const api = await unreachable.post("/api/callback", { code: "some-code", state: state2 });
  assert.equal(api.status, 502);
  assert.equal((await api.json()).error, "provider_unreachable");
});

// Last: the rotated key stays the emulator's signing key for the rest of this file.
test("key rotation between two logins: the unknown kid makes the Worker refetch the JWKS", TIMEOUT, async () => {
  const rotation = await workers.client("rotation");
  const first = await rotation.get(await callbackUrl(rotation));
  assert.equal(first.status, 302, await first.clone().text());
  const jwksBefore = emulator.requests.filter((l) => l.includes("jwks.json")).length;

  await emulator.control("rotate-key");
  const second = await rotation.get(await callbackUrl(rotation));
  assert.equal(second.status, 302, await second.clone().text());
  const cookie = parseSetCookie(second.headers.getSetCookie()[0]);
  assert.equal(cookie.name, "vipps_session");
  // The emulator logs each request as it answers it; the line arrives shortly.
  const jwksFetches = () => emulator.requests.filter((l) => l.includes("jwks.json")).length;
  await eventually(() => jwksFetches() > jwksBefore, "a JWKS refetch in the emulator's log");
});
