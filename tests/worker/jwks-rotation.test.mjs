// Key rotation under load (issue 12, "Faults"), through the built Worker in workerd
// against the emulator: a key rotated twice within the refetch cooldown is picked up both
// times (in probing, logins failed for 60 s after a second rotation); concurrent logins
// that all meet a rotated key share one JWKS fetch; during a JWKS outage the last known
// keys keep verifying. The emulator's request log counts the JWKS fetches.
// An emulator of its own: rotation and faults are global to it. `make test-worker`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import {
  approveAtEmulator,
  cookieOf,
  eventually,
  freePort,
  goodVars,
  startEmulator,
  startWorkers,
} from "./harness.mjs";

const TIMEOUT = { timeout: 120_000 };
const CONCURRENT = 10;

let emulator;
let workers;
let client;

before(async () => {
  const port = await freePort();
  const redirectUri = `http://127.0.0.1:${port}/callback`;
  emulator = await startEmulator(redirectUri);
  workers = await startWorkers(port, { main: goodVars(emulator, redirectUri) });
  client = await workers.client("main");
}, TIMEOUT);

after(async () => {
  await workers?.mf.dispose();
  emulator?.child.kill();
});

const jwksFetches = () => emulator.requests.filter((l) => /jwks\.json /.test(l)).length;

/** A complete login as a fresh browser: the callback's answer (a session, or not). */
async function login() {
  const browser = client.fresh();
  const start = await browser.get("/login");
  assert.equal(start.status, 302, await start.text());
  const done = await browser.get(await approveAtEmulator(start.headers.get("location")));
  const text = await done.text();
  return { status: done.status, session: cookieOf(done, "vipps_session")?.value, text, location: done.headers.get("location") };
}

function assertLoggedIn(result) {
  assert.equal(result.status, 302, result.text);
  assert.ok(result.session, `a session (went to ${result.location})`);
}

test("a key rotated twice within the refetch cooldown is picked up both times, one fetch each", TIMEOUT, async () => {
  assertLoggedIn(await login());
  await eventually(() => jwksFetches() === 1, "the first JWKS fetch");

  await emulator.control("rotate-key");
  assertLoggedIn(await login());
  await eventually(() => jwksFetches() === 2, "a refetch for the first rotation");

  // Seconds later, well within the 60 s cooldown: another rotation.
  await emulator.control("rotate-key");
  assertLoggedIn(await login());
  await eventually(() => jwksFetches() === 3, "a refetch for the second rotation");

  // The keys are known now: no more fetching.
  assertLoggedIn(await login());
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(jwksFetches(), 3);
});

test(`${CONCURRENT} concurrent logins that all meet a rotated key share one JWKS fetch`, TIMEOUT, async () => {
  // Still within the cooldown window of the test before, which forced two refetches:
  // this rotation's kid is the window's third (MAX_FORCED_REFETCHES).
  // The keys' fetch time is kept in whole seconds (src/jwks.rs), so a refetch shares only
  // with runs whose keys are from an earlier second (src/worker/upstream.rs, `since`):
  // start in a second after the test before's refetch, as any real rotation is.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const before = jwksFetches();
  await emulator.control("rotate-key");
  // Every login up to its callback first, then all callbacks at once.
  const browsers = [];
  for (let i = 0; i < CONCURRENT; i++) {
    const browser = client.fresh();
    const start = await browser.get("/login");
    await start.text();
    browsers.push({ browser, callback: await approveAtEmulator(start.headers.get("location")) });
  }
  const results = await Promise.all(
    browsers.map(async ({ browser, callback }) => {
      const done = await browser.get(callback);
      const text = await done.text();
      return { status: done.status, session: cookieOf(done, "vipps_session")?.value, text, location: done.headers.get("location") };
    }),
  );
  for (const result of results) assertLoggedIn(result);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(jwksFetches() - before, 1, "one JWKS fetch for all of them");
});

test("during a JWKS outage the last known keys keep verifying", TIMEOUT, async () => {
  await emulator.control("faults", { jwks_unavailable: true });
  try {
    for (let i = 0; i < 3; i++) assertLoggedIn(await login());
  } finally {
    await emulator.control("faults", { jwks_unavailable: false });
  }
});
