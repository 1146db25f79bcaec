// What the browser suites (demo.test.mjs, phone-login.test.mjs) share: the stack
// (stack.mjs) and headless Chromium, started before a file's tests and closed after
// them, and a fresh page at the demo.
import { before, after } from "node:test";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchChromium } from "../browser/chromium.mjs";
import { startStack } from "./stack.mjs";

export const root = fileURLToPath(new URL("../../", import.meta.url));
export const TIMEOUT = { timeout: 90_000 };

/**
 * Registers the file's before/after hooks: `startStack(options)`, Chromium and
 * test-results/ before, both closed after. → { stack, browser }, set once before() ran.
 */
export function browserSuite(options) {
  const suite = { stack: undefined, browser: undefined };
  before(async () => {
    suite.stack = await startStack(options);
    suite.browser = await launchChromium();
    await mkdir(join(root, "test-results"), { recursive: true });
  }, TIMEOUT);
  after(async () => {
    await suite.browser?.close();
    await suite.stack?.close();
  });
  return suite;
}

/** A fresh browser context (none of the others' cookies) with the demo page open and ready; its page errors collected. */
export async function openDemo(suite) {
  const context = await suite.browser.newContext({ viewport: { width: 1000, height: 900 } });
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (err) => pageErrors.push(err.message));
  await page.goto(suite.stack.url);
  await page.waitForSelector('body[data-ready="true"]');
  return { context, page, pageErrors };
}
