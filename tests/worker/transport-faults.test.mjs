// The provider's transport failing mid-login (issue 12, "Faults"), through the built
// Worker in workerd against the emulator: the token endpoint resetting the connection or
// answering 40 MB, userinfo hanging past the time limit or answering 40 MB. Each ends in
// a typed error, with no session, no request that hangs past its time limit, and the
// transaction consumed once: the same callback again redeems nothing at the emulator.
// An emulator of its own: its faults are global to it. `make test-worker`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  approveAtEmulator,
  freePort,
  goodVars,
  lineLogged,
  startEmulator,
  startWorkers,
} from "./harness.mjs";

const TIMEOUT = { timeout: 120_000 };
// The Worker's time limit for each request to the provider in these tests.
const LIMIT_MS = 500;

let emulator;
let workers;
let client; // the default time limit (10 s): the 40 MB answers take the emulator a while to build
let impatient; // LIMIT_MS

before(async () => {
  const port = await freePort();
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  emulator = await startEmulator(redirectUri);
  workers = await startWorkers(port, {
    main: goodVars(emulator, redirectUri),
    impatient: goodVars(emulator, redirectUri, { VIPPS_HTTP_TIMEOUT_MS: String(LIMIT_MS) }),
  });
  client = await workers.client("main");
  impatient = await workers.client("impatient");
}, TIMEOUT);

after(async () => {
  await workers?.mf.dispose();
  emulator?.child.kill();
});

/**
 * One login under `fault`: its callback's JSON answer (POST /api/callback), how long it
 * took, and the same callback posted again; the emulator's token requests counted.
 */
async function failedLogin(fault, worker = client) {
  const browser = worker.fresh();
  const login = await browser.get("/login");
  assert.equal(login.status, 302, await login.text());
  const callback = new URL(await approveAtEmulator(login.headers.get("location")));
  const body = Object.fromEntries(callback.searchParams);
  await emulator.control("faults", fault);
  try {
    const tokensBefore = emulator.tokenRequests();
    const from = workers.logs.length;
    const started = Date.now();
    const first = await browser.post("/api/callback", body);
    const elapsedMs = Date.now() - started;
    const answer = await first.json();
    const tokensAfterFirst = emulator.tokenRequests();
    const again = await browser.post("/api/callback", body);
    const againAnswer = await again.json();
    return {
      status: first.status,
      answer,
      elapsedMs,
      cookies: first.headers.getSetCookie(),
      tokenRequests: tokensAfterFirst - tokensBefore,
      again: { status: again.status, answer: againAnswer },
      tokenRequestsAgain: emulator.tokenRequests() - tokensAfterFirst,
      logged: await lineLogged(workers.logs, from, answer.error),
    };
  } finally {
    await emulator.control("reset");
  }
}

function assertConsumedOnce(result) {
  assert.ok(!result.cookies.some((l) => /vipps_session=[^;]/.test(l)), "no session on failure");
  assert.equal(result.tokenRequests, 1, "the code was sent to the token endpoint once");
  // The login ended with its failure: the same callback gets nothing new.
  assert.notEqual(result.again.status, 200, JSON.stringify(result.again.answer));
  assert.equal(result.tokenRequestsAgain, 0, "the repeated callback redeemed nothing");
}

test("the token endpoint resets the connection: provider_unreachable (502), consumed once", TIMEOUT, async () => {
  const result = await failedLogin({ token_reset: true });
  assert.equal(result.status, 502, JSON.stringify(result.answer));
  assert.equal(result.answer.error, "provider_unreachable");
  assert.ok(result.answer.hint, "a hint comes with the code");
  assertConsumedOnce(result);
});

test("the token endpoint answers 40 MB: refused at 256 KiB, consumed once", TIMEOUT, async () => {
  const result = await failedLogin({ token_huge: true });
  assert.equal(result.status, 502, JSON.stringify(result.answer));
  assert.equal(result.answer.error, "provider_unreachable");
  // Refused at 256 KiB (MAX_PROVIDER_RESPONSE_BYTES), not after 40 MB.
  assert.ok(result.logged.message.includes("the token endpoint answered more than 262144 bytes"), result.logged.message);
  assertConsumedOnce(result);
});

test("userinfo hangs past the time limit: provider_timeout within the limit, consumed once", TIMEOUT, async () => {
  const result = await failedLogin({ userinfo_delay_ms: 5000 }, impatient);
  assert.equal(result.status, 502, JSON.stringify(result.answer));
  assert.equal(result.answer.error, "provider_timeout");
  assert.ok(result.logged.message.includes(`${LIMIT_MS} ms`), result.logged.message);
  // Token request + userinfo, each within LIMIT_MS (JWKS cached or fast): well before 5 s.
  assert.ok(result.elapsedMs < 4000, `answered after ${result.elapsedMs} ms`);
  assertConsumedOnce(result);
});

test("userinfo answers 40 MB: refused at 256 KiB, consumed once", TIMEOUT, async () => {
  const result = await failedLogin({ userinfo_huge: true });
  assert.equal(result.status, 502, JSON.stringify(result.answer));
  assert.equal(result.answer.error, "provider_unreachable");
  assert.ok(result.logged.message.includes("userinfo answered more than 262144 bytes"), result.logged.message);
  assertConsumedOnce(result);
});

test("after the faults, the same Worker logs in as before", TIMEOUT, async () => {
  const browser = client.fresh();
  const login = await browser.get("/login");
  const done = await browser.get(await approveAtEmulator(login.headers.get("location")));
  assert.equal(done.status, 302, await done.clone().text());
  assert.ok(done.headers.getSetCookie().some((l) => /vipps_session=[^;]/.test(l)), "a session");
});
