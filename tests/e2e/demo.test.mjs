// End to end in real headless Chromium: the demo page served by the Worker (workerd),
// both ways in, through the local Vipps emulator's landing page, back to a logged-in
// page; cancel (back on the shop with ?login_error, which the page explains and removes
// from the address bar); logout; the per-login options (market, acr_values) reaching
// Vipps; a login bound to the browser that started it (a fresh browser is refused with
// the Worker's built-in page, the first one still completes) and, with Vipps' automatic
// return, a fresh browser that confirms who is logging in before it gets a session.
// Screenshots go to test-results/.
// `make test-e2e`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { browserSuite, openDemo, root, TIMEOUT } from "./suite.mjs";

const suite = browserSuite();

async function openShop() {
  const opened = await openDemo(suite);
  await opened.page.waitForSelector('#session-state[data-state="logged-out"]');
  return opened;
}

/** On the emulator's landing page: pick a user and approve, or cancel. */
async function decide(page, { user = /Ola Nordmann/, cancel = false } = {}) {
  await page.waitForURL((u) => u.href.startsWith(suite.stack.issuer));
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
  await page.waitForURL(suite.stack.url);
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

/** The Worker's JSON log lines so far (one a request). */
function logLines() {
  return suite.stack.logs.map((line) => {
    try {
      return JSON.parse(line);
    } catch {
      return {};
    }
  });
}

/**
 * Lets the page's requests to `pattern` through, recording what was sent and answered
 * (read before the page navigates away). → { answer: Promise<{ sent, status, json }> }
 * (wrapped: an async function returning the promise itself would wait for it).
 */
async function recordApi(page, pattern) {
  let answered;
  const answer = new Promise((resolve) => {
    answered = resolve;
  });
  await page.route(pattern, async (route) => {
    const response = await route.fetch();
    const json = await response.json();
    answered({ sent: route.request().postDataJSON(), status: response.status(), json });
    await route.fulfill({ response, json });
  });
  return { answer };
}

test("front-end-driven: the package's nonce/PKCE → /api/login → {url, state} → emulator → /app/callback → logged in", TIMEOUT, async () => {
  const { context, page, pageErrors } = await openShop();
  const { answer: loginAnswer } = await recordApi(page, "**/api/login");
  const { answer: callbackAnswer } = await recordApi(page, "**/api/callback");
  await page.click("#login-frontend");
  // The page sends no state: the Worker mints it and answers it with the URL.
  const registered = await loginAnswer;
  assert.equal(registered.status, 200, JSON.stringify(registered.json));
  assert.equal("state" in registered.sent, false, JSON.stringify(registered.sent));
  assert.match(registered.sent.nonce, /^[A-Za-z0-9_-]{43}$/);
  const { state } = registered.json;
  assert.equal(typeof state, "string");
  await page.waitForURL((u) => u.href.startsWith(suite.stack.issuer));
  assert.equal(new URL(page.url()).searchParams.get("state"), state, "the authorize URL carries the Worker's state");
  await decide(page);
  // The app callback page hands the code to POST /api/callback, then returns home.
  const completed = await callbackAnswer;
  // /app/callback kept the Worker's state (sessionStorage), checked the callback against
  // it with parseCallback, and sent on the parameters it read.
  assert.equal(completed.sent.state, state);
  assert.ok(completed.sent.code, JSON.stringify(completed.sent));
  assert.equal(completed.status, 200, JSON.stringify(completed.json));
  const { user } = completed.json;
  assert.equal(user.name, "Ola Nordmann");
  assert.equal(user.email, "ola@example.no");
  assert.equal(user.nin, undefined, "the national identity number never reaches the browser");
  await page.waitForURL(suite.stack.url);
  await assertLoggedInAsOla(page);
  await page.screenshot({ path: join(root, "test-results/e2e-frontend-logged-in.png"), fullPage: true });
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test("POST /api/login refuses a state from the page (the Worker mints it)", TIMEOUT, async () => {
  const { context } = await openShop();
  const response = await context.request.post(`${suite.stack.url}api/login`, {
    data: { state: "s".repeat(43), nonce: "n".repeat(43), codeVerifier: "v".repeat(43), returnTo: "/" },
  });
  assert.equal(response.status(), 400);
  assert.equal((await response.json()).error, "invalid_options");
  await context.close();
});

const CANCELLED = "The login was cancelled. You can try again.";

test("cancel: Worker-driven back on the shop with its words; front-end-driven on /app/callback with code and hint", TIMEOUT, async () => {
  let { context, page, pageErrors } = await openShop();
  await page.click("#login-worker");
  await decide(page, { cancel: true });
  await page.waitForSelector('#login-error[data-code="vipps_access_denied"]');
  assert.equal(page.url(), suite.stack.url);
  assert.equal(await page.locator("#login-error-message").textContent(), CANCELLED);
  assert.deepEqual(pageErrors, []);
  await context.close();

  ({ context, page, pageErrors } = await openShop());
  await page.click("#login-frontend");
  await decide(page, { cancel: true });
  await page.waitForSelector('body[data-done="error"]');
  assert.ok(page.url().startsWith(`${suite.stack.url}app/callback?`), page.url());
  assert.equal(await page.locator("#error-code").textContent(), "vipps_access_denied");
  assert.ok((await page.locator("#error-message").textContent()).length > 0);
  assert.match(await page.locator("#error-hint").textContent(), /cancelled/);
  await page.screenshot({ path: join(root, "test-results/e2e-cancel-app.png"), fullPage: true });
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test("a Worker-driven cancel lands on the shop: the customer's words for vipps_access_denied, the URL without login_error", TIMEOUT, async () => {
  const { context, page, pageErrors } = await openShop();
  // GET /callback answers 302 to the login's returnTo with the code added.
  const redirected = page.waitForResponse((r) => r.url().startsWith(`${suite.stack.url}callback?`));
  await page.click("#login-worker");
  await decide(page, { cancel: true });
  const callback = await redirected;
  assert.equal(callback.status(), 302);
  assert.equal(callback.headers().location, "/?login_error=vipps_access_denied");

  const box = page.locator("#login-error");
  await box.waitFor();
  assert.equal(await box.getAttribute("role"), "alert");
  assert.equal(await page.locator("#login-error-message").textContent(), CANCELLED);
  assert.ok(await page.locator("#login-error-code-row").isVisible());
  assert.equal(await page.locator("#login-error-code-row").textContent(), "Error code: vipps_access_denied");
  // Removed from the address bar once shown; nothing else on the page went wrong.
  assert.equal(page.url(), suite.stack.url);
  assert.equal(await page.evaluate(() => location.search), "");
  assert.equal(await page.locator("#error").isVisible(), false);
  // The page asks /api/session after it loads: wait for the answer (it was read too early
  // once, still "unknown"), then it must say logged out.
  await page.waitForSelector('#session-state:not([data-state="unknown"])');
  assert.equal(await page.locator("#session-state").getAttribute("data-state"), "logged-out");
  // No developer words on the shop: the hint is in the Worker's log line.
  const text = await box.textContent();
  const logged = logLines().filter((line) => line.path === "/callback" && line.error === "vipps_access_denied").at(-1);
  assert.ok(logged, `a log line for the failed callback: ${suite.stack.logs.join("\n")}`);
  assert.equal(logged.status, 302);
  assert.ok(logged.hint?.length > 0, "the hint goes to the log line");
  assert.equal(text.includes(logged.hint), false);
  await page.screenshot({ path: join(root, "test-results/login-error-on-shop.png"), clip: { x: 0, y: 0, width: 1000, height: 600 } });

  // A reload does not show it again; the login buttons still work.
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await box.isVisible(), false);
  await page.click("#login-worker");
  await decide(page);
  await page.waitForURL(suite.stack.url);
  await assertLoggedInAsOla(page);
  assert.equal(await box.isVisible(), false);
  assert.deepEqual(pageErrors, []);
  await context.close();
});

/** Whether a browser context has a session: its cookie, and what GET /api/session says. */
async function sessionOf(context) {
  const cookie = (await context.cookies()).find((c) => c.name === "vipps_session" && c.value);
  const response = await context.request.get(`${suite.stack.url}api/session`);
  return { cookie: Boolean(cookie), status: response.status(), user: (await response.json()).user };
}

async function assertNoSession(context) {
  const session = await sessionOf(context);
  assert.equal(session.cookie, false, "no session cookie");
  assert.equal(session.status, 401);
  assert.equal(session.user, undefined);
}

/**
 * Starts a login in `page` with `button` (#login-worker or #login-frontend), approves it
 * on the emulator, and catches the redirect back from Vipps instead of following it.
 * → { callbackUrl, authorizeUrl }
 */
async function approveAndCatch(page, button) {
  let caught;
  const callback = new Promise((resolve) => {
    caught = resolve;
  });
  // (Playwright does not route the requests of a redirect chain, so catch the
  // emulator's answer to the approve form and keep its Location.)
  await page.route("**/oauth2/auth/decision", async (route) => {
    const response = await route.fetch({ maxRedirects: 0 });
    caught(response.headers().location);
    await route.abort();
  });
  await page.click(button);
  await page.waitForURL((u) => u.href.startsWith(suite.stack.issuer));
  const authorizeUrl = new URL(page.url());
  await decide(page);
  const callbackUrl = await callback;
  await page.unroute("**/oauth2/auth/decision");
  assert.match(callbackUrl, /[?&]code=/, "the emulator redirected back with a code");
  return { callbackUrl, authorizeUrl };
}

/**
 * The Worker's built-in page for a failed login: the customer's words, the code in small
 * print, "Try again" and "Back to the shop"; no developer hint (that is in the log line,
 * which this checks too).
 */
async function assertFallbackPage(page, code, words) {
  assert.equal(await page.title(), "Login did not complete");
  assert.equal(await page.getByRole("heading", { level: 1 }).textContent(), "Login did not complete");
  const html = await page.content();
  assert.ok(html.includes(`<code>${code}</code>`), html);
  assert.equal(await page.locator(".code").textContent(), `Error code: ${code}`);
  assert.ok(await page.getByText(words, { exact: true }).isVisible(), `"${words}" in ${html}`);
  assert.equal(await page.getByRole("link", { name: "Back to the shop" }).getAttribute("href"), "/");
  assert.equal(await page.getByRole("link", { name: "Try again" }).getAttribute("href"), "/login?returnTo=%2F");
  const text = await page.locator("body").innerText();
  for (const developerWords of [/automatic_return_from_vipps_app/, /requestedFlow/, /RFC/, /cookie/i, /VIPPS_/, /hint/i]) {
    assert.doesNotMatch(text, developerWords);
  }
  const logged = logLines().filter((line) => line.error === code && line.hint).at(-1);
  assert.ok(logged, `a log line with ${code}'s hint`);
  assert.equal(html.includes(logged.hint), false, "the log line's hint is not on the page");
}

/** A browser context with none of the others' cookies (or session storage). */
async function freshBrowser() {
  const context = await suite.browser.newContext({ viewport: { width: 1000, height: 700 } });
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (err) => pageErrors.push(err.message));
  return { context, page, pageErrors };
}

test("the options offered are the ones /api/config allows; the Worker-driven link follows them", TIMEOUT, async () => {
  const { context, page, pageErrors } = await openShop();
  const { options } = await (await context.request.get(`${suite.stack.url}api/config`)).json();
  assert.ok(await page.locator("#login-options").isVisible());
  const markets = await page.locator("#market option").evaluateAll((all) => all.map((o) => o.value));
  assert.deepEqual(markets, ["", ...options.markets], "none first (the default), then the allowed markets");
  assert.equal(await page.locator("#market").inputValue(), "");
  assert.ok(await page.getByLabel(/Vipps may return me in another browser/).isVisible());
  assert.ok(await page.getByLabel(/Confirm in the app/).isVisible());
  assert.equal(await page.getByLabel(/finalRedirectIsApp/).count(), 0, "not allowed by wrangler.toml, not offered");
  assert.equal(await page.locator("#login-worker").getAttribute("href"), "/login?returnTo=/");

  await page.selectOption("#market", "FI");
  await page.getByLabel(/Vipps may return me in another browser/).check();
  await page.getByLabel(/Confirm in the app/).check();
  assert.equal(await page.locator("#login-worker").getAttribute("href"),
    "/login?returnTo=/&market=FI&requestedFlow=automatic_return_from_vipps_app&acrValues=urn:vipps:acr:app_auth");
  assert.match(await page.locator("#login-worker-request").textContent(), /^GET \/login\?returnTo=\/&market=FI&/);
  await page.locator("#worker-panel").screenshot({ path: join(root, "test-results/e2e-login-options.png") });
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test("the chosen market and acr_values reach the authorize URL, in both flows", TIMEOUT, async () => {
  for (const [button, market] of [["#login-worker", "DK"], ["#login-frontend", "SE"]]) {
    const { context, page, pageErrors } = await openShop();
    await page.selectOption("#market", market);
    await page.getByLabel(/Confirm in the app/).check();
    await page.click(button);
    await page.waitForURL((u) => u.href.startsWith(suite.stack.issuer));
    // The emulator's landing page is the authorize URL the Worker built.
    const landing = new URL(page.url());
    assert.equal(landing.searchParams.get("market"), market, `${button}: ${landing}`);
    assert.equal(landing.searchParams.get("acr_values"), "urn:vipps:acr:app_auth");
    assert.equal(landing.searchParams.get("requested_flow"), null, "the automatic return was not asked for");
    // The id_token then carries that acr, which the Worker requires: the login completes.
    await decide(page);
    await page.waitForURL(suite.stack.url);
    await assertLoggedInAsOla(page);
    assert.deepEqual(pageErrors, []);
    await context.close();
  }
});

test("a login is bound to its browser: a fresh one is refused (browser_binding_missing), the first one still completes", TIMEOUT, async () => {
  // Worker-driven: GET /callback.
  let first = await openShop();
  let { callbackUrl, authorizeUrl } = await approveAndCatch(first.page, "#login-worker");
  assert.equal(authorizeUrl.searchParams.get("requested_flow"), null);
  let second = await freshBrowser();
  const refused = await second.page.goto(callbackUrl);
  // The Worker does not tell this browser where the login was going: its built-in page.
  assert.equal(refused.status(), 400);
  await assertFallbackPage(second.page, "browser_binding_missing",
    "This login was started in another browser. Please start it again here.");
  await second.page.screenshot({ path: join(root, "test-results/fallback-error-page.png"), fullPage: true });
  await assertNoSession(second.context);
  // "Back to the shop" is the shop, without a login_error to explain.
  await second.page.getByRole("link", { name: "Back to the shop" }).click();
  await second.page.waitForSelector('body[data-ready="true"]');
  assert.equal(second.page.url(), suite.stack.url);
  assert.equal(await second.page.locator("#login-error").isVisible(), false);
  // Nothing was consumed: the same callback URL, in the browser that started the login.
  await first.page.goto(callbackUrl);
  await first.page.waitForURL(suite.stack.url);
  await assertLoggedInAsOla(first.page);
  // The code is single use: the fresh browser is still refused, and still has no session.
  const again = await second.page.goto(callbackUrl);
  assert.equal(again.status(), 400);
  await assertNoSession(second.context);
  await first.context.close();
  await second.context.close();

  // Front-end-driven: /app/callback → POST /api/callback.
  first = await openShop();
  ({ callbackUrl } = await approveAndCatch(first.page, "#login-frontend"));
  assert.ok(callbackUrl.startsWith(`${suite.stack.url}app/callback?`), callbackUrl);
  second = await freshBrowser();
  const answer = second.page.waitForResponse((r) => r.url().endsWith("/api/callback"));
  await second.page.goto(callbackUrl);
  assert.equal((await answer).status(), 400);
  await second.page.waitForSelector('body[data-done="error"]');
  assert.equal(await second.page.locator("#error-code").textContent(), "browser_binding_missing");
  assert.match(await second.page.locator("#error-message").textContent(), /cookie/);
  assert.match(await second.page.locator("#error-hint").textContent(), /browser that started it/);
  await second.page.screenshot({ path: join(root, "test-results/e2e-refused-other-browser-app.png"), fullPage: true });
  await assertNoSession(second.context);
  await first.page.goto(callbackUrl);
  await first.page.waitForURL(suite.stack.url);
  await assertLoggedInAsOla(first.page);
  assert.deepEqual(second.pageErrors, []);
  await first.context.close();
  await second.context.close();
});

test("automatic return, Worker-driven: a fresh browser is asked \"Continue as Ola Nordmann?\" and logged in only after the button", TIMEOUT, async () => {
  const first = await openShop();
  await first.page.getByLabel(/Vipps may return me in another browser/).check();
  const { callbackUrl, authorizeUrl } = await approveAndCatch(first.page, "#login-worker");
  assert.equal(authorizeUrl.searchParams.get("requested_flow"), "automatic_return_from_vipps_app");

  const second = await freshBrowser();
  const page = await second.page.goto(callbackUrl);
  assert.equal(page.status(), 200);
  await second.page.getByRole("heading", { name: "Continue as Ola Nordmann?" }).waitFor();
  await second.page.screenshot({ path: join(root, "test-results/confirm-other-browser.png"), fullPage: true });
  // Only the binding so far, no session.
  await assertNoSession(second.context);
  assert.ok((await second.context.cookies()).some((c) => c.name === "vipps_login_binding"));
  assert.ok(await second.page.getByRole("link", { name: "Cancel" }).isVisible());

  // The form POSTs to /callback (same origin) and is answered 303 to returnTo.
  const posted = second.page.waitForResponse((r) => r.request().method() === "POST" && r.url() === `${suite.stack.url}callback`);
  await second.page.getByRole("button", { name: "Continue as Ola Nordmann" }).click();
  const confirmed = await posted;
  assert.equal(confirmed.status(), 303,
    `POST /callback answered ${confirmed.status()} ${await confirmed.text().catch(() => "")} ` +
    `(Origin: ${await confirmed.request().headerValue("origin")})`);
  await second.page.waitForURL(suite.stack.url);
  await second.page.waitForSelector('body[data-ready="true"]');
  await assertLoggedInAsOla(second.page);
  assert.ok((await sessionOf(second.context)).cookie);

  // The browser that started it did not get the session, and the code is spent.
  await first.page.goto(suite.stack.url);
  await first.page.waitForSelector('#session-state[data-state="logged-out"]');
  const late = await first.page.goto(callbackUrl);
  assert.equal(late.status(), 400);
  await assertNoSession(first.context);
  assert.deepEqual(second.pageErrors, []);
  await first.context.close();
  await second.context.close();
});

test("automatic return, front-end-driven: /app/callback in a fresh browser asks, then POST /api/confirm logs it in", TIMEOUT, async () => {
  const first = await openShop();
  await first.page.getByLabel(/Vipps may return me in another browser/).check();
  const { callbackUrl, authorizeUrl } = await approveAndCatch(first.page, "#login-frontend");
  assert.equal(authorizeUrl.searchParams.get("requested_flow"), "automatic_return_from_vipps_app");
  assert.ok(callbackUrl.startsWith(`${suite.stack.url}app/callback?`), callbackUrl);

  const second = await freshBrowser();
  const answer = second.page.waitForResponse((r) => r.url().endsWith("/api/callback"));
  await second.page.goto(callbackUrl);
  const accepted = await answer;
  assert.equal(accepted.status(), 202);
  assert.deepEqual((await accepted.json()).confirm, { name: "Ola Nordmann" });
  await second.page.waitForSelector('body[data-done="confirm"]');
  assert.equal(await second.page.locator("#callback-status").textContent(), "Continue as Ola Nordmann?");
  await second.page.screenshot({ path: join(root, "test-results/confirm-other-browser-app.png"), fullPage: true });
  await assertNoSession(second.context);

  // Read the Worker's answer to POST /api/confirm before the page navigates away.
  let answered;
  const confirmed = new Promise((resolve) => {
    answered = resolve;
  });
  await second.page.route("**/api/confirm", async (route) => {
    const response = await route.fetch();
    const json = await response.json();
    answered({ status: response.status(), json });
    await route.fulfill({ response, json });
  });
  await second.page.getByRole("button", { name: "Continue as Ola Nordmann" }).click();
  const done = await confirmed;
  assert.equal(done.status, 200, JSON.stringify(done.json));
  const { user } = done.json;
  assert.equal(user.name, "Ola Nordmann");
  assert.equal(user.nin, undefined);
  await second.page.waitForURL(suite.stack.url);
  await second.page.waitForSelector('body[data-ready="true"]');
  await assertLoggedInAsOla(second.page);

  await first.page.goto(suite.stack.url);
  await first.page.waitForSelector('#session-state[data-state="logged-out"]');
  assert.deepEqual(second.pageErrors, []);
  await first.context.close();
  await second.context.close();
});
