// The end-to-end stack (stack.mjs) serves what `make demo` serves: the demo page and
// the npm package as static assets, the Worker's routes behind them, the emulator as the
// issuer. `make test-e2e`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startStack } from "./stack.mjs";

const TIMEOUT = { timeout: 60_000 };
let stack;

before(async () => {
  stack = await startStack();
}, TIMEOUT);

after(async () => {
  await stack?.close();
});

test("GET / is the demo page (build/site/index.html, from www/)", TIMEOUT, async () => {
  const response = await fetch(stack.url);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type"), /^text\/html/);
  const html = await response.text();
  assert.equal(html, await readFile(new URL("../../www/index.html", import.meta.url), "utf8"));
});

test("GET /pkg/vipps_login.js is the npm package's module, with a JS content type", TIMEOUT, async () => {
  const response = await fetch(`${stack.url}pkg/vipps_login.js`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type"), /^(text|application)\/javascript/);
  assert.equal(await response.text(), await readFile(new URL("../../pkg/vipps_login.js", import.meta.url), "utf8"));
  const wasm = await fetch(`${stack.url}pkg/vipps_login_bg.wasm`);
  assert.equal(wasm.status, 200);
  assert.match(wasm.headers.get("content-type"), /^application\/wasm/);
  await wasm.body.cancel();
});

test("GET /api/config is the Worker's JSON, with both redirect URIs on the stack's origin", TIMEOUT, async () => {
  const response = await fetch(`${stack.url}api/config`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type"), /^application\/json/);
  const config = await response.json();
  assert.equal(config.issuer, stack.issuer);
  assert.equal(config.clientId, "demo-client");
  assert.equal(config.redirectUri, `${stack.url}callback`);
  assert.equal(config.appRedirectUri, `${stack.url}app/callback`);
});

test("GET /login redirects to the emulator's authorize endpoint; /callback reaches the Worker", TIMEOUT, async () => {
  const response = await fetch(`${stack.url}login?returnTo=/`, { redirect: "manual" });
  assert.equal(response.status, 302);
  const location = new URL(response.headers.get("location"));
  assert.ok(location.href.startsWith(stack.issuer), location.href);
  assert.equal(location.searchParams.get("redirect_uri"), `${stack.url}callback`);
  // The emulator knows that redirect URI (its landing page, not an error page).
  const landing = await fetch(location, { redirect: "manual" });
  assert.equal(landing.status, 200, await landing.clone().text());
  await landing.body.cancel();
  // run_worker_first: the Worker's callback page, not a static file or a 404.
  const callback = await fetch(`${stack.url}callback?code=x&state=never-issued-0123456789abc`, { redirect: "manual" });
  assert.equal(callback.status, 400);
  assert.match(await callback.text(), /transaction_not_found/);
});

test("GET /app/callback (VIPPS_APP_REDIRECT_URI) is the static landing page, served without a redirect", TIMEOUT, async () => {
  const response = await fetch(`${stack.url}app/callback?code=x&state=y`, { redirect: "manual" });
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type"), /^text\/html/);
  assert.equal(await response.text(), await readFile(new URL("../../www/app/callback/index.html", import.meta.url), "utf8"));
});

test("the Worker's routes reach the Worker even when a file of that name exists", TIMEOUT, async () => {
  const dir = await mkdtemp(join(tmpdir(), "vipps-e2e-site-"));
  const other = await (async () => {
    await mkdir(join(dir, "api"));
    for (const name of ["index.html", "login", "callback", "api/config", "api/session"]) {
      await writeFile(join(dir, name), "a static file");
    }
    return startStack({ assetsDirectory: dir });
  })();
  try {
    assert.equal(await (await fetch(other.url)).text(), "a static file");
    assert.equal((await fetch(`${other.url}login`, { redirect: "manual" })).status, 302);
    assert.match(await (await fetch(`${other.url}callback?code=x&state=never-issued-0123456789abc`)).text(), /transaction_not_found/);
    assert.equal((await (await fetch(`${other.url}api/config`)).json()).clientId, "demo-client");
    assert.equal((await fetch(`${other.url}api/session`)).status, 401);
  } finally {
    await other.close();
    await rm(dir, { recursive: true, force: true });
  }
});
