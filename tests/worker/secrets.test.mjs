// Nothing secret leaves the Worker (issue 12, "Secrets"): logins through the built Worker
// in workerd against the emulator — Worker-driven, front-end-driven (with a PKCE verifier
// and nonce this test knows), one that fails at the token endpoint, and a session read —
// then the client secret, the session secret, and every authorization code, PKCE
// verifier and access token of those logins are looked for, as they are and encoded
// (base64, base64url, percent-encoding; the secret also inside the Basic credentials),
// in every response the Worker gave (status line, headers, body), in every log line
// workerd printed, and in every file under pkg/ and build/site/ (`make pkg site`).
// The codes are allowed where they must be: in the emulator's redirect to the callback,
// which is not a Worker response. `make test-worker`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  SESSION_SECRET,
  approveAtEmulator,
  cookieOf,
  freePort,
  goodVars,
  root,
  s256,
  startEmulator,
  startWorkers,
} from "./harness.mjs";

const TIMEOUT = { timeout: 120_000 };

let emulator;
let workers;
let client;
/** Every response the Worker gave, as text: status, headers and body. */
const seen = [];
/** The per-login secrets this test learns: codes, verifiers, access tokens. */
const codes = [];
const verifiers = [];
/** The emulator's redirects to the callback: where the codes must be (the search's control). */
const redirects = [];

before(async () => {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  emulator = await startEmulator([`${origin}/callback`, `${origin}/app/callback`]);
  workers = await startWorkers(port, {
    main: goodVars(emulator, `${origin}/callback`, { VIPPS_APP_REDIRECT_URI: `${origin}/app/callback` }),
  });
  client = await workers.client("main");
}, TIMEOUT);

after(async () => {
  await workers?.mf.dispose();
  emulator?.child.kill();
});

/** A request to the Worker whose whole answer is kept for the search. */
async function recorded(browser, method, path, body, headers = {}) {
  const response = method === "GET" ? await browser.get(path, headers) : await browser.post(path, body, headers);
  const text = await response.text();
  seen.push([`${response.status} ${method} ${new URL(path, "http://w").pathname}`, ...[...response.headers].map(([k, v]) => `${k}: ${v}`), text].join("\n"));
  return { response, text };
}

function codeOf(callbackUrl) {
  const code = new URL(callbackUrl).searchParams.get("code");
  assert.ok(code, callbackUrl);
  codes.push(code);
  redirects.push(callbackUrl);
  return code;
}

/** A secret and the encodings it could leak in. */
function forms(secret) {
  const b = Buffer.from(secret);
  return [
    secret,
    b.toString("base64"),
    b.toString("base64url"),
    encodeURIComponent(secret),
    // The client secret inside the Basic credentials (RFC 6749 2.3.1).
    Buffer.from(`${CLIENT_ID}:${secret}`).toString("base64"),
  ].filter((f) => f.length >= 8);
}

test("the logins: Worker-driven, front-end-driven, a failing one, a session read", TIMEOUT, async () => {
  // Worker-driven.
  const a = client.fresh();
  const start = await recorded(a, "GET", "/login");
  assert.equal(start.response.status, 302);
  const callback = await approveAtEmulator(start.response.headers.get("location"));
  codeOf(callback);
  const done = await recorded(a, "GET", callback);
  assert.equal(done.response.status, 302, done.text);
  const session = cookieOf(done.response, "vipps_session");
  assert.ok(session?.value);
  const me = await recorded(a, "GET", "/api/session", undefined, { cookie: `${session.name}=${session.value}` });
  assert.equal(me.response.status, 200, me.text);

  // Front-end-driven, with a verifier and nonce this test made.
  const b = client.fresh();
  const codeVerifier = randomBytes(32).toString("base64url");
  verifiers.push(codeVerifier);
  const nonce = randomBytes(32).toString("base64url");
  const begun = await recorded(b, "POST", "/api/login", { nonce, codeVerifier, returnTo: "/" });
  assert.equal(begun.response.status, 200, begun.text);
  const { url } = JSON.parse(begun.text);
  assert.equal(new URL(url).searchParams.get("code_challenge"), s256(codeVerifier));
  const appCallback = new URL(await approveAtEmulator(url));
  codeOf(appCallback.href);
  const finished = await recorded(b, "POST", "/api/callback", Object.fromEntries(appCallback.searchParams));
  assert.equal(finished.response.status, 200, finished.text);

  // One that fails at the token endpoint: its error answer and log line are searched too.
  const c = client.fresh();
  const start3 = await recorded(c, "GET", "/login");
  const callback3 = await approveAtEmulator(start3.response.headers.get("location"));
  codeOf(callback3);
  await emulator.control("faults", { token_500: true });
  try {
    const failed = await recorded(c, "POST", "/api/callback", Object.fromEntries(new URL(callback3).searchParams));
    assert.equal(failed.response.status, 502, failed.text);
  } finally {
    // Not /_emulator/reset: it would forget the access tokens this test looks for.
    await emulator.control("faults", { token_500: false });
  }
});

test("no secret, code, verifier or access token in any response, log line or built file", TIMEOUT, async () => {
  const issued = await (await fetch(`${emulator.base}/_emulator/issued`)).json();
  const accessTokens = issued.access_tokens;
  // The two successful logins each got an access token from the emulator.
  assert.ok(accessTokens.length >= 2, JSON.stringify(issued));
  assert.equal(codes.length, 3);
  assert.equal(verifiers.length, 1);
  const secrets = [
    ["VIPPS_CLIENT_SECRET", CLIENT_SECRET],
    ["SESSION_SECRET", SESSION_SECRET],
    ...codes.map((c, i) => [`code ${i}`, c]),
    ...verifiers.map((v, i) => [`PKCE verifier ${i}`, v]),
    ...accessTokens.map((t, i) => [`access token ${i}`, t]),
  ];
  // Give workerd a moment to print the last log lines.
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.ok(workers.logs.length >= 5, "workerd printed the requests' log lines");
  const places = [
    ...seen.map((text, i) => [`Worker response ${i} (${text.split("\n")[0]})`, text]),
    ...workers.logs.map((line, i) => [`log line ${i}`, line]),
  ];
  for (const dir of ["pkg", "build/site"]) {
    for (const file of filesUnder(join(root, dir))) places.push([file.slice(root.length), readFileSync(file, "latin1")]);
  }
  assert.ok(places.some(([where]) => where.startsWith("pkg/")), "pkg/ is built (make pkg)");
  assert.ok(places.some(([where]) => where.startsWith("build/site/")), "the site is built (make site)");
  // The search itself finds what is there: each code in the emulator's redirect to the
  // callback (not a Worker response).
  const control = redirects.map((url, i) => [`the emulator's redirect ${i}`, url]);
  assert.equal(search(codes.map((c, i) => [`code ${i}`, c]), control).length, codes.length);
  assert.deepEqual(search(secrets, places), []);
});

/** "<name> in <where>" for every form of every secret found in the places. */
function search(secrets, places) {
  const found = [];
  for (const [name, secret] of secrets) {
    for (const form of forms(secret)) {
      for (const [where, text] of places) if (text.includes(form)) found.push(`${name} in ${where}`);
    }
  }
  return [...new Set(found)];
}

/** Every regular file below `dir`, bounded in count. */
function filesUnder(dir, out = [], limit = 2000) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) filesUnder(path, out, limit);
    else if (stat.isFile()) out.push(path);
    if (out.length > limit) throw new Error(`more than ${limit} files under ${dir}`);
  }
  return out;
}
