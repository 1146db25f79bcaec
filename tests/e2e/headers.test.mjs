// The static site's headers (www/_headers, Workers static assets' `_headers` file, which
// miniflare reads from the assets directory as a deployment does): the CSP, nosniff,
// no-referrer and frame-ancestors on every page and file, Cache-Control: no-store on
// /app/callback (its URL holds a code); that no page in www/ needs inline script or
// style; and that the demo works under the policy in Chromium with no CSP violation:
// both ways in and the emulated phone in its iframe.
// `make test-e2e`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../browser/chromium.mjs";
import { startStack } from "./stack.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const TIMEOUT = { timeout: 90_000 };
const KEY = "e2e-phone-login-key-0123456789abcdef";

let stack;
let browser;

before(async () => {
  stack = await startStack({ vars: { PHONE_LOGIN_API_KEY: KEY } });
  browser = await launchChromium();
}, TIMEOUT);

after(async () => {
  await browser?.close();
  await stack?.close();
});

/** The CSP's directives as a Map of name → source list. */
function directives(csp) {
  return new Map(
    csp.split(";").map((d) => d.trim()).filter(Boolean).map((d) => {
      const [name, ...sources] = d.split(/\s+/);
      return [name, sources];
    }),
  );
}

function assertPageHeaders(response, what) {
  const csp = response.headers.get("content-security-policy");
  assert.ok(csp, `${what}: a CSP`);
  const d = directives(csp);
  assert.deepEqual(d.get("default-src"), ["'none'"], what);
  assert.deepEqual(d.get("script-src"), ["'self'", "'wasm-unsafe-eval'"], `${what}: no inline script`);
  assert.deepEqual(d.get("style-src"), ["'self'"], `${what}: no inline style`);
  assert.deepEqual(d.get("connect-src"), ["'self'"], what);
  assert.deepEqual(d.get("frame-ancestors"), ["'none'"], what);
  assert.deepEqual(d.get("frame-src"), ["http://127.0.0.1:*", "http://localhost:*"], what);
  assert.ok(!csp.includes("unsafe-inline") && !csp.includes("'unsafe-eval'"), `${what}: ${csp}`);
  assert.equal(response.headers.get("x-content-type-options"), "nosniff", what);
  assert.equal(response.headers.get("referrer-policy"), "no-referrer", what);
}

test("every page and file of the site has the CSP, nosniff and no-referrer; /app/callback no-store", TIMEOUT, async () => {
  for (const path of ["", "app.js", "phone-login.js", "app-callback.js", "style.css", "demo-config.json",
    "pkg/vipps_login.js", "pkg/vipps_login_bg.wasm"]) {
    const response = await fetch(`${stack.url}${path}`);
    // demo-config.json is written by scripts/demo.sh only; a 404 from assets falls to the Worker.
    if (path === "demo-config.json" && response.status === 404) continue;
    assert.equal(response.status, 200, path);
    assertPageHeaders(response, `/${path}`);
    assert.notEqual(response.headers.get("cache-control"), "no-store", `/${path} is cacheable as before`);
  }
  for (const path of ["app/callback", "app/callback?code=c-1&state=s-1&iss=x"]) {
    const response = await fetch(`${stack.url}${path}`, { redirect: "manual" });
    assert.equal(response.status, 200, path);
    assert.match(response.headers.get("content-type"), /^text\/html/, path);
    assertPageHeaders(response, `/${path}`);
    assert.equal(response.headers.get("cache-control"), "no-store", path);
  }
  // The file itself is not served.
  assert.notEqual((await fetch(`${stack.url}_headers`)).status, 200);
});

test("no page in www/ has an inline script, event handler or style attribute", async () => {
  const pages = [];
  async function walk(dir) {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.name.endsWith(".html")) pages.push(path);
    }
  }
  await walk(join(root, "www"));
  assert.ok(pages.length >= 2, pages.join());
  for (const path of pages) {
    const html = await readFile(path, "utf8");
    for (const tag of html.match(/<script\b[^>]*>/gi) ?? []) {
      assert.match(tag, /\bsrc=/, `${path}: inline script ${tag}`);
    }
    assert.doesNotMatch(html, /<[^>]*\son[a-z]+\s*=/i, `${path}: inline event handler`);
    assert.doesNotMatch(html, /<[^>]*\sstyle\s*=|<style\b/i, `${path}: inline style`);
    assert.doesNotMatch(html, /javascript:/i, `${path}: javascript: URL`);
  }
});

/** A page that records every CSP violation and console error. */
async function watchedPage() {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI}`);
    });
  });
  const page = await context.newPage();
  const problems = [];
  // Every console error but a failed load's status (GET /api/session is 401 while logged
  // out): Chromium's "Refused to ..." CSP reports, the listener's, script errors.
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource: the server responded with a status of"))
      problems.push(`${page.url()}: ${m.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`${page.url()}: ${err.message}`));
  return { context, page, problems };
}

async function approve(page) {
  await page.waitForURL((u) => u.href.startsWith(stack.issuer));
  await page.getByLabel(/Ola Nordmann/).check();
  await page.getByRole("button", { name: /approve/i }).click();
}

test("the demo under its CSP in Chromium: both ways in and the emulated phone, no violation", TIMEOUT, async () => {
  const { context, page, problems } = await watchedPage();
  for (const button of ["#login-worker", "#login-frontend"]) {
    await page.goto(stack.url);
    await page.waitForSelector('body[data-ready="true"]');
    await page.waitForSelector('#session-state[data-state="logged-out"]');
    await page.click(button);
    await approve(page);
    await page.waitForURL(stack.url);
    await page.waitForSelector('#session-state[data-state="logged-in"]');
    await page.click("#logout");
    await page.waitForSelector('#session-state[data-state="logged-out"]');
  }
  // The phone panel frames the emulator's phone page (frame-src: loopback).
  await page.fill("#phone-number", "+47 123 45 678");
  await page.dispatchEvent("#phone-number", "change");
  await page.frameLocator("#phone-frame").locator("body").waitFor({ timeout: 15_000 });
  assert.ok((await page.locator("#phone-frame").getAttribute("src")).startsWith(stack.emulatorUrl));
  await page.waitForTimeout(500);
  assert.deepEqual(problems, []);
  await context.close();
});
