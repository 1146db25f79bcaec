// Rotating SESSION_SECRET (README "Rotating SESSION_SECRET"), through the built Worker in
// workerd against the emulator: the Worker restarted on the same port and the same
// Durable Object storage with SESSION_SECRET = the new secret and SESSION_SECRET_PREVIOUS
// = the old one until SESSION_SECRET_PREVIOUS_UNTIL. A session made with the old secret
// still works and is re-sealed under the new one; one made with neither fails; after
// the time the old one fails. Logins in flight survive the rotation: a Worker-driven
// login's state and a phone login's id made with the old secret. `make test-worker`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  approveAtEmulator,
  goodVars,
  cookieOf,
  freePort,
  startEmulator,
  startWorkers,
} from "./harness.mjs";

const TIMEOUT = { timeout: 60_000 };
const OLD = "the-old-session-secret-0123456789abcdef";
const NEW = "the-new-session-secret-0123456789abcdef";
const THIRD = "nobody-s-session-secret-0123456789abcdef";
const KEY = "rotation-phone-login-key-0123456789abcdef";
const FUTURE = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, "Z");
const PAST = new Date(Date.now() - 1000).toISOString().replace(/\.\d+Z$/, "Z");

let emulator;
let port;
let origin;
let persist;
let workers;

before(async () => {
  port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  emulator = await startEmulator([`${origin}/callback`]);
  persist = await mkdtemp(join(tmpdir(), "vipps-rotation-do-"));
}, TIMEOUT);

after(async () => {
  await workers?.mf.dispose();
  emulator?.child.kill();
  if (persist) await rm(persist, { recursive: true, force: true });
});

/** (Re)starts the Worker on the same port and storage with these secrets. */
async function worker(secrets) {
  await workers?.mf.dispose();
  workers = await startWorkers(
    port,
    {
      main: goodVars(emulator, `${origin}/callback`, { PHONE_LOGIN_API_KEY: KEY, ...secrets }),
    },
    { persist },
  );
  return workers.client("main");
}

/** A Worker-driven login started in `browser`, approved: its callback URL. */
async function approvedCallback(browser) {
  const response = await browser.get("/login?returnTo=%2F");
  assert.equal(response.status, 302, await response.clone().text());
  return approveAtEmulator(response.headers.get("location"));
}

/** The sealed session of a callback's answer. */
async function sessionOf(browser, callback) {
  const response = await browser.get(callback);
  assert.equal(response.status, 302, await response.clone().text());
  const cookie = cookieOf(response, "vipps_session");
  assert.ok(cookie?.value, "a session cookie");
  return cookie.value;
}

const sessionAnswer = (browser, sealed) => browser.get("/api/session", { cookie: `vipps_session=${sealed}` });

async function phoneStart() {
  const response = await fetch(`${origin}/api/phone-login`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ phone: "4712345678" }),
  });
  const json = await response.json();
  assert.equal(response.status, 202, JSON.stringify(json));
  return json.id;
}
const phoneStatus = (id) => fetch(`${origin}/api/phone-login/${id}`, { headers: { authorization: `Bearer ${KEY}` } });

test("rotation: old sessions and logins in flight survive until SESSION_SECRET_PREVIOUS_UNTIL, re-sealed under the new secret", TIMEOUT, async () => {
  // Before: everything under the old secret.
  let browser = await worker({ SESSION_SECRET: OLD });
  const oldSession = await sessionOf(browser, await approvedCallback(browser));
  const inFlight = await approvedCallback(browser); // approved, not yet back at the Worker
  const phoneId = await phoneStart();
  const jar = browser.jar;
  browser = await worker({ SESSION_SECRET: THIRD });
  const thirdSession = await sessionOf(browser, await approvedCallback(browser));

  // Rotated, within the grace.
  browser = await worker({ SESSION_SECRET: NEW, SESSION_SECRET_PREVIOUS: OLD, SESSION_SECRET_PREVIOUS_UNTIL: FUTURE });
  browser.jar = jar;
  const answer = await sessionAnswer(browser, oldSession);
  const body = await answer.json();
  assert.equal(answer.status, 200, JSON.stringify(body));
  assert.equal(body.user.name, "Ola Nordmann");
  const resealed = cookieOf(answer, "vipps_session");
  assert.ok(resealed?.value && resealed.value !== oldSession, "re-sealed under the new secret");
  const maxAge = Number(resealed.attrs.find((a) => a.startsWith("max-age=")).slice(8));
  assert.ok(maxAge > 0 && maxAge <= 8 * 3600, `the time the session had left: ${maxAge}`);
  assert.deepEqual(resealed.attrs.filter((a) => !a.startsWith("max-age=")).sort(), ["httponly", "path=/", "samesite=lax"]);
  // A session under the new secret is not re-sealed again.
  const again = await sessionAnswer(browser, resealed.value);
  assert.equal(again.status, 200);
  assert.equal(cookieOf(again, "vipps_session"), undefined);
  // Neither secret's: refused.
  const third = await sessionAnswer(browser, thirdSession);
  assert.equal(third.status, 401, await third.text());
  // The login in flight (state and binding from the old secret) completes, under the new one.
  const completed = await sessionOf(browser, inFlight);
  // The phone login's id from the old secret still names it.
  const status = await phoneStatus(phoneId);
  assert.equal(status.status, 200, await status.clone().text());
  assert.equal((await status.json()).status, "pending");

  // The new secret alone: the re-sealed and the new sessions work, the old one does not.
  browser = await worker({ SESSION_SECRET: NEW });
  assert.equal((await sessionAnswer(browser, resealed.value)).status, 200);
  assert.equal((await sessionAnswer(browser, completed)).status, 200);
  assert.equal((await sessionAnswer(browser, oldSession)).status, 401);

  // After SESSION_SECRET_PREVIOUS_UNTIL: the old secret's session, state and id fail.
  browser = await worker({ SESSION_SECRET: NEW, SESSION_SECRET_PREVIOUS: OLD, SESSION_SECRET_PREVIOUS_UNTIL: PAST });
  const late = await sessionAnswer(browser, oldSession);
  assert.equal(late.status, 401, await late.text());
  assert.equal(cookieOf(late, "vipps_session"), undefined);
  assert.equal((await phoneStatus(phoneId)).status, 404);
  browser = await worker({ SESSION_SECRET: OLD });
  const lateLogin = await approvedCallback(browser);
  const lateJar = browser.jar;
  browser = await worker({ SESSION_SECRET: NEW, SESSION_SECRET_PREVIOUS: OLD, SESSION_SECRET_PREVIOUS_UNTIL: PAST });
  browser.jar = lateJar;
  const refused = await browser.get(lateLogin);
  assert.ok(!refused.headers.getSetCookie().some((l) => /vipps_session=[^;]/.test(l)), "no session");
  assert.ok([302, 400].includes(refused.status), `${refused.status}`);
});

test("SESSION_SECRET_PREVIOUS without its time, or with a bad one, is a configuration error", TIMEOUT, async () => {
  for (const secrets of [
    { SESSION_SECRET: NEW, SESSION_SECRET_PREVIOUS: OLD },
    { SESSION_SECRET: NEW, SESSION_SECRET_PREVIOUS: OLD, SESSION_SECRET_PREVIOUS_UNTIL: "tomorrow" },
    { SESSION_SECRET: NEW, SESSION_SECRET_PREVIOUS: "short", SESSION_SECRET_PREVIOUS_UNTIL: FUTURE },
  ]) {
    const browser = await worker(secrets);
    const response = await browser.get("/api/session");
    const text = await response.text();
    assert.equal(response.status, 500, text);
    assert.match(text, /SESSION_SECRET_PREVIOUS/);
    assert.ok(!text.includes(OLD), "the secret is never shown");
  }
});
