// The built Worker under hostile input and odd providers, in workerd against the
// emulator (and two small loopback providers of this file's own): bodies bounded while
// read, forged states that store nothing, ended logins that keep their state taken, a
// wrong code that cannot destroy a live login, a duplicate that waits as long as the
// first redemption may take, a loopback issuer on a public hostname, settings read once
// per isolate, userinfo and discovery answers misattributed no more, non-integer
// NumericDates. `make test-worker`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, readdir, stat } from "node:fs/promises";
import { createServer, request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CLIENT_ID,
  SCOPES,
  approveAtEmulator,
  backWithLoginError,
  cookieOf,
  eventually,
  freePort,
  goodVars,
  lineLogged,
  startEmulator,
  startWorkers,
} from "./harness.mjs";

const pkgUrl = new URL("../../pkg/", import.meta.url);
const vippsLogin = await import(new URL("vipps_login.js", pkgUrl));
vippsLogin.initSync({ module: readFileSync(new URL("vipps_login_bg.wasm", pkgUrl)) });

const TIMEOUT = { timeout: 90_000 };

let emulator;
let workers;
let main;
let port;
let persist;
let providers; // two tiny discovery-only providers: one without userinfo, one whose issuer differs

before(async () => {
  port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  emulator = await startEmulator([`${origin}/callback`]);

  // Providers that only answer discovery: enough to be refused before any login.
  const server = createServer((req, res) => {
    const base = `http://127.0.0.1:${server.address().port}`;
    const issuer = req.url.startsWith("/no-userinfo") ? `${base}/no-userinfo` : `${base}/other-issuer`;
    const doc = {
      issuer: req.url.startsWith("/no-userinfo") ? issuer : `${issuer}-not-this`,
      authorization_endpoint: `${issuer}/auth`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
    };
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(doc));
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  providers = { server, noUserinfo: `${base}/no-userinfo`, otherIssuer: `${base}/other-issuer` };

  const good = goodVars(emulator, `${origin}/callback`, {
    VIPPS_ALLOWED_FLOWS: "automatic_return_from_vipps_app",
    VIPPS_DEBUG_ROUTES: "true",
  });
  persist = await mkdtemp(join(tmpdir(), "vipps-robust-do-"));
  workers = await startWorkers(
    port,
    {
      main: good,
      "no-userinfo": { ...good, VIPPS_ISSUER: providers.noUserinfo, VIPPS_SCOPES: "openid" },
      "other-issuer": { ...good, VIPPS_ISSUER: providers.otherIssuer, VIPPS_SCOPES: "openid" },
    },
    { persist },
  );
  main = await workers.client("main");
}, TIMEOUT);

after(async () => {
  await workers?.mf.dispose();
  emulator?.child.kill();
  await new Promise((resolve) => providers?.server.close(resolve));
});

async function callbackUrl(client, query = "", user = "ola") {
  const start = await client.get(`/login?returnTo=%2Fhere${query}`);
  assert.equal(start.status, 302, await start.clone().text());
  return approveAtEmulator(start.headers.get("location"), user);
}

/** Every file under `dir`, with its size: what the local Durable Object storage holds. */
async function storageFiles(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath ?? entry.path, entry.name);
      out.push(`${path}:${(await stat(path)).size}`);
    }
  }
  return out.sort();
}

/** A raw HTTP/1.1 request on loopback; resolves with the status line, or null on a time-out. */
function rawRequest(head, waitMs = 5000) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(head));
    let data = "";
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(null);
    }, waitMs);
    socket.on("data", (chunk) => {
      data += chunk;
      if (data.includes("\r\n")) {
        clearTimeout(timer);
        socket.destroy();
        resolve(data.split("\r\n")[0]);
      }
    });
    socket.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

test("a declared Content-Length over the limit is 413 at once, however many digits it has", TIMEOUT, async () => {
  for (const length of ["16385", "4294967296", "18446744073709551616", "99999999999999999999999999"]) {
    const head =
      `POST /api/callback HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${length}\r\n\r\n`;
    const started = Date.now();
    const status = await rawRequest(head);
    assert.ok(status, `Content-Length ${length}: no answer within 5 s`);
    // workerd itself may refuse a length it cannot represent (400); the Worker answers 413.
    assert.match(status, / (413|400) /, `Content-Length ${length}: ${status}`);
    assert.ok(Date.now() - started < 5000);
  }
  const exact = await rawRequest(
    `POST /api/callback HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 16385\r\n\r\n`,
  );
  assert.match(exact, / 413 /, "a length just over the limit is the Worker's 413");
});

test("a chunked body is read only until it passes the limit: 413 long before 90 MB are sent", TIMEOUT, async () => {
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  const limit = 90 * chunk.length;
  let sent = 0;
  const from = workers.logs.length;
  const { status, body } = await new Promise((resolve) => {
    const req = request({
      host: "127.0.0.1",
      port,
      path: "/api/callback",
      method: "POST",
      headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
    });
    let answered = false;
    req.on("response", (res) => {
      answered = true;
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode, body: text }));
      res.on("error", () => resolve({ status: res.statusCode, body: text }));
    });
    // workerd may reset the connection as soon as it answers, before the answer is read
    // here: the Worker's log line below says what it answered.
    req.on("error", () => setTimeout(() => answered || resolve({ status: null, body: "" }), 200));
    const pump = () => {
      while (!answered && sent < limit) {
        sent += chunk.length;
        if (!req.write(chunk)) return req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
  if (status !== null) {
    assert.equal(status, 413, body);
    assert.equal(JSON.parse(body).error, "payload_too_large");
  }
  const line = await lineLogged(workers.logs, from, "payload_too_large");
  assert.equal(line.status, 413);
  assert.equal(line.path, "/api/callback");
  assert.ok(sent < limit, `the Worker answered after ${sent} bytes, before the end`);
});

test("forged callbacks (states the Worker never issued) create no Durable Object and no storage", TIMEOUT, async () => {
  // A real login stores something: the count below can see storage.
  const empty = await storageFiles(persist);
  await (await main.get("/login")).body?.cancel();
  let seen = false;
  for (let i = 0; i < 50 && !seen; i++) {
    seen = JSON.stringify(await storageFiles(persist)) !== JSON.stringify(empty);
    if (!seen) await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(seen, "a real login's transaction shows in the storage folder");
  const before = await storageFiles(persist);
  for (let i = 0; i < 40; i++) {
    const forged = i % 2 ? vippsLogin.randomState() : `${vippsLogin.randomState()}${vippsLogin.randomState()}`.slice(0, 54);
    const page = await main.get(`/callback?code=abc&state=${forged}`);
    assert.ok((await page.text()).includes("<code>transaction_not_found</code>"));
    const api = await main.post("/api/callback", { code: "abc", state: forged });
    assert.equal((await api.json()).error, "transaction_not_found");
    const confirm = await main.postForm("/callback", { state: forged });
    await confirm.body?.cancel();
  }
  assert.deepEqual(await storageFiles(persist), before, "forged states stored nothing");
});

test("an ended login keeps its state taken: it cannot be registered again", TIMEOUT, async () => {
  const start = await main.get("/login");
  const authorize = start.headers.get("location");
  const state = new URL(authorize).searchParams.get("state");
  const cancelled = await fetch(`${authorize}&_emulator_cancel=1`, { redirect: "manual" });
  await backWithLoginError(await main.get(cancelled.headers.get("location")), "vipps_access_denied", "/");
  const now = Math.floor(Date.now() / 1000);
  const again = await workers.put({
    state,
    nonce: vippsLogin.randomNonce(),
    code_verifier: vippsLogin.createPkce().codeVerifier,
    redirect_uri: `http://127.0.0.1:${port}/callback`,
    return_to: "/",
    created_at: now,
    expires_at: now + 900,
    issuer: emulator.issuer,
    client_id: CLIENT_ID,
    scope: SCOPES,
    binding_sha256: "x",
  });
  assert.equal(again, 409, "the ended login's state is still taken");
});

test("a wrong code for a live state (another browser, automatic flow) does not destroy the real login", TIMEOUT, async () => {
  const callback = new URL(await callbackUrl(main, "&requestedFlow=automatic_return_from_vipps_app"));
  const state = callback.searchParams.get("state");
  const attacker = main.fresh();
  const forged = await attacker.get(`/callback?code=not-the-code&state=${state}`);
  await backWithLoginError(forged, "token_invalid_grant", "/here");
  const cancelled = await attacker.get(`/callback?error=access_denied&state=${state}`);
  await backWithLoginError(cancelled, "vipps_access_denied", "/here");
  // The real callback, in the browser that started, still completes.
  const done = await main.get(callback.href);
  assert.equal(done.status, 302, await done.clone().text());
  assert.ok(cookieOf(done, "vipps_session")?.value);
});

test("a duplicate waits as long as the first redemption may take (past 5 s), and shares its result", TIMEOUT, async () => {
  await emulator.control("faults", { token_delay_ms: 6500 });
  try {
    const callback = await callbackUrl(main);
    const before = emulator.tokenRequests();
    const responses = await Promise.all([main.get(callback), main.get(callback)]);
    assert.deepEqual(
      responses.map((r) => r.status),
      [302, 302],
    );
    const sessions = new Set(responses.map((r) => cookieOf(r, "vipps_session")?.value));
    assert.equal(sessions.size, 1);
    assert.ok([...sessions][0]);
    await eventually(() => emulator.tokenRequests() >= before + 1, "the token request");
    assert.equal(emulator.tokenRequests(), before + 1, "one redemption");
  } finally {
    await emulator.control("reset");
  }
});

test("a loopback VIPPS_ISSUER on a public hostname is a configuration error naming the setting", TIMEOUT, async () => {
  for (const path of ["/api/config", "/login"]) {
    const response = await workers.mf.dispatchFetch(`https://shop.example${path}`, { redirect: "manual" });
    const body = await response.json();
    assert.equal(response.status, 500, path);
    assert.equal(body.error, "config_invalid");
    assert.equal(body.setting, "VIPPS_ISSUER");
    assert.match(body.message, /loopback/);
  }
  assert.equal((await main.get("/api/config")).status, 200, "on loopback it is the demo");
});

test("settings are read once per isolate", TIMEOUT, async () => {
  for (let i = 0; i < 5; i++) await (await main.get("/api/config")).body?.cancel();
  await (await main.get("/login")).body?.cancel();
  const report = await (await main.get("/api/_memory")).json();
  assert.equal(report.configLoads, 1);
  assert.ok(report.wasmMemoryBytes > 0);
});

test("userinfo without sub, or not JSON, is the provider's fault (userinfo_invalid, 502)", TIMEOUT, async () => {
  for (const fault of ["userinfo_missing_sub", "userinfo_not_json"]) {
    await emulator.control("faults", { [fault]: true });
    try {
      const start = await main.get("/login");
      const callback = new URL(await approveAtEmulator(start.headers.get("location"), "ola"));
      const api = await main.post("/api/callback", { query: callback.search });
      const body = await api.json();
      assert.equal(api.status, 502, fault);
      assert.equal(body.error, "userinfo_invalid", fault);
    } finally {
      await emulator.control("reset");
    }
  }
});

test("non-integer NumericDates in the id_token (RFC 7519 2) are accepted", TIMEOUT, async () => {
  await emulator.control("faults", { fractional_times: true });
  try {
    const done = await main.get(await callbackUrl(main));
    assert.equal(done.status, 302, await done.clone().text());
    assert.ok(cookieOf(done, "vipps_session")?.value);
  } finally {
    await emulator.control("reset");
  }
});

test("a provider without userinfo is refused before anyone is sent to it; a discovery naming another issuer is configuration", TIMEOUT, async () => {
  const login = { nonce: vippsLogin.randomNonce(), codeVerifier: vippsLogin.createPkce().codeVerifier };
  const noUserinfo = await workers.client("no-userinfo");
  const refused = await noUserinfo.post("/api/login", login);
  const body = await refused.json();
  assert.equal(refused.status, 502);
  assert.equal(body.error, "discovery_invalid");
  assert.match(body.message, /userinfo_endpoint/);
  const page = await noUserinfo.get("/login");
  assert.equal(page.headers.get("location")?.startsWith(providers.noUserinfo), false, "nobody is sent there");

  const other = await workers.client("other-issuer");
  const mismatch = await other.post("/api/login", login);
  const wrong = await mismatch.json();
  assert.equal(mismatch.status, 500, "VIPPS_ISSUER is wrong: configuration, not the provider");
  assert.equal(wrong.error, "discovery_issuer_mismatch");
  assert.ok(!String(wrong.hint).includes("Vipps"), "advice for another provider does not cite Vipps");
});
