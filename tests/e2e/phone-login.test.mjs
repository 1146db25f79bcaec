// End to end in real headless Chromium: the demo's "Log in from phone number" panel (the
// shop's till) served by the Worker in workerd, and the customer's phone played by the
// emulator's phone page beside the panel (and in a window of its own). The panel is marked for merchant-initiated
// use only; it starts the login with the shop's API key, the customer approves (or
// declines) on the phone, and the panel shows the verified user. No session cookie is set
// in the till's browser: the customer is not the one using it.
// `make test-e2e`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { browserSuite, openDemo, root, TIMEOUT } from "./suite.mjs";
const KEY = "e2e-phone-login-key-0123456789abcdef";

const suite = browserSuite({ vars: { PHONE_LOGIN_API_KEY: KEY } });

async function openTill() {
  const opened = await openDemo(suite);
  await opened.page.waitForSelector("#phone-panel:not([hidden])");
  return opened;
}

async function start(page, { key = KEY, phone = "+47 123 45 678", binding = "TILL-42", webpage = false } = {}) {
  await page.fill("#phone-key", key);
  await page.fill("#phone-number", phone);
  await page.fill("#phone-binding", binding);
  if (webpage) await page.check("#phone-webpage");
  await page.click("#phone-start");
}

/** The customer's phone: the emulator's page for the number, opened from the panel's link. */
async function openPhone(context, page) {
  const [phone] = await Promise.all([context.waitForEvent("page"), page.click("#phone-open")]);
  await phone.waitForLoadState();
  assert.ok(phone.url().startsWith(suite.stack.emulatorUrl), `the phone page is the emulator's: ${phone.url()}`);
  return phone;
}

test("the panel says it is for merchant-initiated use only", TIMEOUT, async () => {
  const { context, page } = await openTill();
  const warning = await page.locator("#phone-warning").innerText(); // as rendered: one space per gap
  assert.match(warning, /Merchant-initiated use only/);
  assert.match(warning, /point of sale/);
  assert.match(warning, /call centre/);
  await context.close();
});

test("till → phone approves → the panel shows the verified user; no session in the till", TIMEOUT, async () => {
  const { context, page, pageErrors } = await openTill();
  await start(page);
  await page.waitForSelector('#phone-status[data-status="pending"]');
  const id = await page.locator("#phone-id").textContent();
  assert.ok(id.length > 0, "the login id is shown");

  // The emulated phone beside the panel: the request waits on the customer's number,
  // with the binding message both screens show (the page reloads itself every 3 s).
  const phone = page.frameLocator("#phone-frame");
  await phone.locator(".binding", { hasText: "TILL-42" }).waitFor({ timeout: 15_000 });
  await page.locator("#phone-panel").screenshot({ path: join(root, "test-results/e2e-phone-pending.png") });
  await phone.getByRole("button", { name: /approve/i }).first().click();

  await page.waitForSelector('#phone-status[data-status="approved"]', { timeout: 60_000 });
  assert.match(await page.locator('#phone-user [data-claim="sub"]').textContent(), /^[0-9a-f-]{36}$/);
  assert.equal(await page.locator('#phone-user [data-claim="name"]').textContent(), "Ola Nordmann");
  await page.locator("#phone-panel").scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(root, "test-results/e2e-phone-login.png"), fullPage: true });
  // The till's browser got no session: the customer logged in, not the staff.
  const cookies = await context.cookies();
  assert.equal(cookies.find((c) => c.name === "vipps_session"), undefined);
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test("redirect variant: after approving, the phone opens the shop's page, and the till gets the user", TIMEOUT, async () => {
  const { context, page, pageErrors } = await openTill();
  assert.equal(await page.locator("#phone-webpage-row").isVisible(), true, "offered: VIPPS_PHONE_REDIRECT_URI is set");
  await start(page, { binding: "TILL-44", webpage: true });
  await page.waitForSelector('#phone-status[data-status="pending"]');
  const phone = await openPhone(context, page);
  assert.match(await phone.locator("body").textContent(), /TILL-44/);
  await phone.getByRole("button", { name: /approve/i }).first().click();
  // The phone is sent to the Worker's /phone-callback, which redeems the code once.
  await phone.waitForURL((u) => u.href.startsWith(`${suite.stack.url}phone-callback?`));
  assert.match(await phone.locator("body").textContent(), /logged in/i);
  await page.waitForSelector('#phone-status[data-status="approved"]', { timeout: 60_000 });
  assert.equal(await page.locator('#phone-user [data-claim="name"]').textContent(), "Ola Nordmann");
  assert.deepEqual(pageErrors, []);
  await context.close();
});

test("the customer declines on the phone → the panel says so", TIMEOUT, async () => {
  const { context, page } = await openTill();
  await start(page, { binding: "TILL-43" });
  await page.waitForSelector('#phone-status[data-status="pending"]');
  const phone = await openPhone(context, page);
  assert.match(await phone.locator("body").textContent(), /TILL-43/);
  await phone.getByRole("button", { name: /deny|decline/i }).first().click();
  await page.waitForSelector('#phone-status[data-status="denied"]', { timeout: 60_000 });
  assert.equal(await page.locator("#phone-user").isHidden(), true);
  await context.close();
});

test("a wrong API key: the panel shows the Worker's code, and Vipps is not asked", TIMEOUT, async () => {
  const { context, page } = await openTill();
  const before = suite.stack.emulatorRequests.filter((l) => /backchannel/.test(l)).length;
  await start(page, { key: "not-the-key" });
  await page.waitForSelector('#phone-status[data-status="failed"]');
  assert.equal(await page.locator("#phone-error-code").textContent(), "phone_login_unauthorized");
  assert.equal(suite.stack.emulatorRequests.filter((l) => /backchannel/.test(l)).length, before);
  await context.close();
});
