// End to end in real headless Chromium: the demo page served by the Worker (workerd),
// both ways in, through the local Vipps emulator's landing page, back to a logged-in
// page; cancel; a login completed in a fresh browser; logout. Screenshots go to
// test-results/. `make test-e2e`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../browser/chromium.mjs";
import { startStack } from "./stack.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const TIMEOUT = { timeout: 90_000 };

let stack;
let browser;

before(async () => {
  stack = await startStack();
  browser = await launchChromium();
  await mkdir(join(root, "test-results"), { recursive: true });
}, TIMEOUT);

after(async () => {
  await browser?.close();
  await stack?.close();
});

async function openShop() {
  const context = await browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (err) => pageErrors.push(err.message));
  await page.goto(stack.url);
  await page.waitForSelector('body[data-ready="true"]');
  await page.waitForSelector('#session-state[data-state="logged-out"]');
  return { context, page, pageErrors };
}

/** On the emulator's landing page: pick a user and approve, or cancel. */
async function decide(page, { user = /Ola Nordmann/, cancel = false } = {}) {
  await page.waitForURL((u) => u.href.startsWith(stack.issuer));
  if (cancel) {
    await page.getByRole("button", { name: /cancel/i }).click();
  } else {
    await page.getByLabel(user).check();
    await page.getByRole("button", { name: /approve/i }).click();
  }
}

async function assertLoggedInAsOla(page) {
  await page.waitForSelector('#session-state[data-state="logged-in"]');
  assert.match(await page.locator("#session-state").textContent(), /Ola Nordmann/);
  assert.equal(await page.locator('[data-claim="email"]').textContent(), "ola@example.no");
  assert.match(await page.locator('[data-claim="sub"]').textContent(), /^[0-9a-f-]{36}$/);
}

test("worker-driven: Log in with Vipps → emulator → approve → logged in; logout", TIMEOUT, async () => {
  const { context, page, pageErrors } = await openShop();
  await page.click("#login-worker");
  await decide(page);
  await page.waitForURL(stack.url);
  await assertLoggedInAsOla(page);
  await page.screenshot({ path: join(root, "test-results/e2e-worker-logged-in.png"), fullPage: true });
  // The README's picture: the two ways in and the session, as a user sees them.
  await page.locator("#session-panel").scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(root, "test-results/e2e-readme.png"), clip: { x: 0, y: 0, width: 1000, height: 900 } });

  // The session cookie is the Worker's: HttpOnly, invisible to the page's scripts.
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "vipps_session");
  assert.ok(session?.httpOnly, "an HttpOnly session cookie");
  assert.equal(session.sameSite, "Lax");
  assert.equal(await page.evaluate(() => document.cookie.includes("vipps_session")), false);

  await page.click("#logout");
  await page.waitForSelector('#session-state[data-state="logged-out"]');
  assert.equal((await context.cookies()).some((c) => c.name === "vipps_session" && c.value), false);
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test("front-end-driven: the package's state/nonce/PKCE → /api/login → emulator → /app/callback → logged in", TIMEOUT, async () => {
  const { context, page, pageErrors } = await openShop();
  // Read what the Worker answers to POST /api/callback before the page navigates away.
  let answered;
  const callbackAnswer = new Promise((resolve) => {
    answered = resolve;
  });
  await page.route("**/api/callback", async (route) => {
    const response = await route.fetch();
    const json = await response.json();
    answered({ status: response.status(), json });
    await route.fulfill({ response, json });
  });
  const registered = page.waitForResponse((r) => r.url().endsWith("/api/login"));
  await page.click("#login-frontend");
  const response = await registered;
  assert.equal(response.status(), 200);
  await decide(page);
  // The app callback page hands the code to POST /api/callback, then returns home.
  const completed = await callbackAnswer;
  assert.equal(completed.status, 200, JSON.stringify(completed.json));
  const { user } = completed.json;
  assert.equal(user.name, "Ola Nordmann");
  assert.equal(user.email, "ola@example.no");
  assert.equal(user.nin, undefined, "the national identity number never reaches the browser");
  await page.waitForURL(stack.url);
  await assertLoggedInAsOla(page);
  await page.screenshot({ path: join(root, "test-results/e2e-frontend-logged-in.png"), fullPage: true });
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test("cancel shows vipps_access_denied with its hint, in both flows", TIMEOUT, async () => {
  let { context, page } = await openShop();
  await page.click("#login-worker");
  await decide(page, { cancel: true });
  await page.waitForURL((u) => u.href.startsWith(`${stack.url}callback`));
  const html = await page.content();
  assert.match(html, /vipps_access_denied/);
  assert.match(html, /cancelled/);
  await page.screenshot({ path: join(root, "test-results/e2e-cancel.png"), fullPage: true });
  await context.close();

  ({ context, page } = await openShop());
  await page.click("#login-frontend");
  await decide(page, { cancel: true });
  await page.waitForSelector('body[data-done="error"]');
  assert.equal(await page.locator("#error-code").textContent(), "vipps_access_denied");
  assert.match(await page.locator("#error-hint").textContent(), /cancelled/);
  await context.close();
});

test("a login started in one browser completes in a fresh one (Vipps' automatic return)", TIMEOUT, async () => {
  const first = await openShop();
  // Catch the redirect back from Vipps in the first browser instead of following it.
  let caught;
  const callback = new Promise((resolve) => {
    caught = resolve;
  });
  // (Playwright does not route the requests of a redirect chain, so catch the
  // emulator's answer to the approve form and keep its Location.)
  await first.page.route("**/oauth2/auth/decision", async (route) => {
    const response = await route.fetch({ maxRedirects: 0 });
    caught(response.headers().location);
    await route.abort();
  });
  await first.page.click("#login-worker");
  await decide(first.page);
  const callbackUrl = await callback;
  assert.match(callbackUrl, /[?&]code=/, "the emulator redirected back with a code");

  // A second browser with none of the first one's cookies completes it.
  const second = await openShop();
  await second.page.goto(callbackUrl);
  await second.page.waitForURL(stack.url);
  await assertLoggedInAsOla(second.page);
  // The first browser is not logged in, and the state cannot be used again there.
  await first.page.unroute("**/oauth2/auth/decision");
  await first.page.goto(stack.url);
  await first.page.waitForSelector('#session-state[data-state="logged-out"]');
  await first.context.close();
  await second.context.close();
});
