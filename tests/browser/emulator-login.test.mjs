// A login in real headless Chromium through the local Vipps Login emulator: the demo
// page builds the URL with the npm package, the emulator's landing page approves or
// cancels, and the page reads the callback. `make test-browser` (needs `make emulator`).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, writeFile, mkdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { launchChromium } from "./chromium.mjs";
import { startServer } from "../../scripts/serve.mjs";
import { emulatorConfigFor } from "../e2e/stack.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const TIMEOUT = { timeout: 60_000 };

let server;
let emulator;
let issuer;
let browser;

/** Starts the emulator binary on a free port with the shipped config (its users: ola,
 * emil under 15, ...), registering the page server's origin instead of port 8787. */
async function startEmulator(origin) {
  const dir = await mkdtemp(join(tmpdir(), "vipps-emulator-"));
  const config = join(dir, "config.toml");
  await writeFile(config, await emulatorConfigFor(origin));
  const child = spawn(join(root, "target/debug/vipps-login-emulator"), ["--port", "0", "--config", config], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`emulator exited with ${code}`)));
    lines.once("line", resolve);
  });
  const match = first.match(/issuer=(\S+)/);
  assert.ok(match, `unexpected start line: ${first}`);
  lines.on("line", () => {}); // keep draining the request log
  return { child, issuer: match[1] };
}

before(async () => {
  // The page server's port goes into the emulator's registered redirect URI, and the
  // emulator's issuer into the page's config: the config object is read per request.
  const demoConfig = { clientId: "demo-client" };
  server = await startServer({ port: 0, demoConfig });
  ({ child: emulator, issuer } = await startEmulator(server.url.replace(/\/$/, "")));
  demoConfig.issuer = issuer;
  browser = await launchChromium();
}, TIMEOUT);

after(async () => {
  await browser?.close();
  await server?.close();
  emulator?.kill();
});

/** Opens the demo page in a fresh context and follows "Log in with Vipps" to the emulator. */
async function toLandingPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="true"]');
  assert.equal(await page.inputValue("#environment"), "emulator", "make demo's page offers the emulator");
  await page.setChecked("#scope-name", true);
  await page.setChecked("#scope-email", true);
  await page.click("#build");
  const url = await page.locator("#login-url").textContent();
  assert.ok(url.startsWith(`${issuer}oauth2/auth?client_id=demo-client&`), url);
  const state = await page.locator("#state").textContent();
  await page.click("#login-link");
  await page.waitForURL((u) => u.href.startsWith(issuer));
  return { context, page, state };
}

test("approve on the emulator's landing page comes back with a code for this login", TIMEOUT, async () => {
  const { context, page, state } = await toLandingPage();
  await page.getByLabel(/Ola Nordmann/).check();
  await page.getByRole("button", { name: /approve/i }).click();
  await page.waitForURL((u) => u.href.startsWith(server.url));
  await page.waitForSelector("#callback-code");
  assert.equal(await page.locator("#callback-state").textContent(), state);
  assert.match(await page.locator("#callback-code").textContent(), /^\S{16,}$/);
  assert.equal(await page.locator("#callback-scope").textContent(), "openid name email");
  await mkdir(join(root, "test-results"), { recursive: true });
  await page.screenshot({ path: join(root, "test-results/emulator-callback.png"), fullPage: true });
  await context.close();
});

test("cancel comes back as vipps_access_denied with its hint", TIMEOUT, async () => {
  const { context, page } = await toLandingPage();
  await page.getByRole("button", { name: /cancel/i }).click();
  await page.waitForURL((u) => u.href.startsWith(server.url));
  await page.waitForSelector("#error:not([hidden])");
  assert.equal(await page.locator("#error-code").textContent(), "vipps_access_denied");
  assert.match(await page.locator("#error-hint").textContent(), /cancelled/);
  await context.close();
});

test("a user under 15 cannot log in", TIMEOUT, async () => {
  const { context, page } = await toLandingPage();
  await page.getByLabel(/Emil Nordmann/).check();
  await page.getByRole("button", { name: /approve/i }).click();
  await page.waitForURL((u) => u.href.startsWith(server.url));
  await page.waitForSelector("#error:not([hidden])");
  assert.equal(await page.locator("#error-code").textContent(), "vipps_access_denied");
  await context.close();
});
