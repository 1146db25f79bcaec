// End-to-end test of the demo page (www/) in headless Chromium.
//   node --test tests/browser/
// Needs pkg/ (make pkg) and /usr/bin/chromium. Loopback only: nothing leaves 127.0.0.1.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { launchChromium } from "./chromium.mjs";
import { startServer } from "../../scripts/serve.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const TIMEOUT = { timeout: 60_000 };
const BASE64URL_43 = /^[A-Za-z0-9_-]{43}$/;

let server;
let browser;
let page;
const consoleErrors = [];
const failedRequests = [];
let wasmResponse;

before(async () => {
  server = await startServer({ port: 0 });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  page.on("console", (msg) => {
    if (msg.type() === "error" || msg.type() === "warning") consoleErrors.push(`${msg.type()}: ${msg.text()}`);
  });
  page.on("pageerror", (err) => consoleErrors.push(`pageerror: ${err.message}`));
  page.on("requestfailed", (req) => failedRequests.push(`${req.url()}: ${req.failure()?.errorText}`));
  page.on("response", (res) => {
    if (res.status() >= 400) failedRequests.push(`${res.url()}: HTTP ${res.status()}`);
    if (res.url().endsWith(".wasm")) wasmResponse = res;
  });
  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
}, TIMEOUT);

after(async () => {
  await browser?.close();
  await server?.close();
});

async function build({ clientId, redirectUri, scopes = [] } = {}) {
  if (clientId !== undefined) await page.fill("#client-id", clientId);
  if (redirectUri !== undefined) await page.fill("#redirect-uri", redirectUri);
  for (const scope of ["name", "email", "phoneNumber", "address", "birthDate"]) {
    await page.setChecked(`#scope-${scope}`, scopes.includes(scope));
  }
  await page.click("#build");
}

const text = (selector) => page.locator(selector).textContent();
const visible = (selector) => page.locator(selector).isVisible();

async function errorShown() {
  assert.ok(await visible("#error"), "the error box is visible");
  return { code: await text("#error-code"), hint: await text("#error-hint") };
}

async function checkUri(uri, registered = "") {
  await page.fill("#uri-input", uri);
  await page.fill("#registered", registered);
  await page.click("#check");
  assert.ok(await visible("#uri-result"));
}

const codes = (selector) =>
  page.locator(`${selector} > li`).evaluateAll((items) => items.map((li) => li.dataset.code));

async function parse(callback, expectedState) {
  await page.fill("#callback-input", callback);
  if (expectedState !== undefined) await page.fill("#expected-state", expectedState);
  await page.click("#parse");
}

test("loads the wasm with the application/wasm type", TIMEOUT, async () => {
  assert.ok(wasmResponse, "the page fetched a .wasm file");
  assert.equal(wasmResponse.status(), 200);
  assert.equal(wasmResponse.headers()["content-type"], "application/wasm");
  assert.equal(await text("#status"), "Ready: WebAssembly loaded.");
  assert.equal(await page.inputValue("#redirect-uri"), new URL("/callback", server.url).href);
});

test("builds a login URL for the test environment", TIMEOUT, async () => {
  await page.selectOption("#environment", "test");
  await build({ clientId: "demo-client", scopes: ["name", "email"] });
  assert.ok(await visible("#login-result"));
  assert.equal(await visible("#error"), false);
  const url = await text("#login-url");
  assert.ok(
    url.startsWith("https://apitest.vipps.no/access-management-1.0/access/oauth2/auth?client_id=demo-client&response_type=code&scope=openid%20name%20email&state="),
    url,
  );
  assert.ok(url.includes("code_challenge_method=S256"), url);
  const redirect = encodeURIComponent(new URL("/callback", server.url).href);
  assert.ok(url.includes(`&redirect_uri=${redirect}`), url);
  assert.equal(await page.getAttribute("#login-link", "href"), url);

  const state = await text("#state");
  assert.match(state, BASE64URL_43);
  assert.ok(url.includes(`state=${state}&`), "the shown state is the URL's");
  const nonce = await text("#nonce");
  assert.match(nonce, BASE64URL_43);
  assert.ok(url.includes(`nonce=${nonce}&`));
  assert.match(await text("#code-verifier"), BASE64URL_43);
  const challenge = await text("#code-challenge");
  assert.match(challenge, BASE64URL_43);
  assert.ok(url.includes(`code_challenge=${challenge}&`));
  assert.equal(await page.inputValue("#expected-state"), state, "the callback panel expects the new state");

  await build({ scopes: ["name", "email"] });
  const second = await text("#state");
  assert.match(second, BASE64URL_43);
  assert.notEqual(second, state, "every build has a fresh state");
  assert.notEqual(await text("#login-url"), url);
});

test("production environment and scope choices reach the URL", TIMEOUT, async () => {
  await page.selectOption("#environment", "production");
  await build({ scopes: ["phoneNumber"] });
  const url = await text("#login-url");
  assert.ok(url.startsWith("https://api.vipps.no/access-management-1.0/access/oauth2/auth?"), url);
  assert.ok(url.includes("&scope=openid%20phoneNumber&"), url);

  await page.selectOption("#environment", "custom");
  assert.ok(await visible("#issuer"));
  await page.fill("#issuer", "http://example.com/access/");
  await build({ scopes: [] });
  assert.equal((await errorShown()).code, "issuer_insecure");
  await page.fill("#issuer", "http://127.0.0.1:7000/access-management-1.0/access/");
  await build({ scopes: [] });
  assert.equal(await visible("#error"), false);
  assert.ok((await text("#login-url")).startsWith("http://127.0.0.1:7000/access-management-1.0/access/oauth2/auth?"));
  await page.selectOption("#environment", "test");
  assert.equal(await visible("#issuer"), false);
});

test("form errors show their code and hint", TIMEOUT, async () => {
  await build({ clientId: "", redirectUri: new URL("/callback", server.url).href });
  let error = await errorShown();
  assert.equal(error.code, "client_id_missing");
  assert.ok(error.hint.trim().length > 0, "client_id_missing has a hint");
  assert.equal(await visible("#login-result"), false, "no stale URL next to an error");

  await build({ clientId: "demo-client", redirectUri: "https://shop.example/callback#done" });
  error = await errorShown();
  assert.equal(error.code, "redirect_uri_has_fragment");
  assert.ok(error.hint.includes("#"), error.hint);

  await build({ redirectUri: new URL("/callback", server.url).href });
  assert.equal(await visible("#error"), false, "a good build clears the error");
  assert.ok(await visible("#login-result"));
});

test("checks redirect URIs", TIMEOUT, async () => {
  await checkUri("https://Shop.example/cb/", "https://shop.example/cb");
  assert.equal(await page.getAttribute("#uri-verdict", "data-ok"), "false");
  assert.match(await text("#uri-verdict"), /^Not OK/);
  assert.deepEqual(await codes("#uri-errors"), ["redirect_uri_not_registered"]);
  const notRegistered = page.locator('#uri-errors > li[data-code="redirect_uri_not_registered"]');
  assert.equal(await notRegistered.locator('dd[data-detail="closest"]').textContent(), "https://shop.example/cb");
  assert.equal(await notRegistered.locator('dd[data-detail="position"]').textContent(), "8");
  assert.ok((await notRegistered.locator(".hint").textContent()).length > 0);
  const warnings = await codes("#uri-warnings");
  assert.ok(warnings.includes("redirect_uri_uppercase_host"), warnings.join());
  assert.ok(warnings.includes("redirect_uri_trailing_slash"), warnings.join());

  await checkUri("myapp://");
  assert.equal(await page.getAttribute("#uri-verdict", "data-ok"), "false");
  assert.deepEqual(await codes("#uri-errors"), ["redirect_uri_custom_scheme_without_path"]);

  await checkUri("https://shop.example/cb", "https://other.example/x\n\nhttps://shop.example/cb\n");
  assert.equal(await page.getAttribute("#uri-verdict", "data-ok"), "true");
  assert.match(await text("#uri-verdict"), /^OK/);
  assert.equal(await page.locator("#uri-errors").count(), 0);
  assert.equal(await page.locator("#uri-warnings").count(), 0);
});

test("parses callbacks against the shown state", TIMEOUT, async () => {
  await build({ clientId: "demo-client", redirectUri: new URL("/callback", server.url).href });
  const state = await text("#state");
  assert.equal(await page.inputValue("#expected-state"), state);

  await parse(`https://shop.example/callback?error=access_denied&error_description=User%20cancelled?state=${state}`);
  let error = await errorShown();
  assert.equal(error.code, "vipps_access_denied");
  assert.match(error.hint, /user cancelled/i);
  assert.equal(await visible("#callback-result"), false);

  await parse(`https://shop.example/callback?code=abc&state=${state}`);
  assert.equal(await visible("#error"), false);
  assert.ok(await visible("#callback-result"));
  assert.equal(await text("#callback-code"), "abc");
  assert.equal(await text("#callback-state"), state);

  await parse(`?code=abc&state=${state}&scope=openid%20name`);
  assert.equal(await text("#callback-scope"), "openid name");

  await parse(`https://shop.example/callback?code=abc&state=${state}x`);
  error = await errorShown();
  assert.equal(error.code, "state_mismatch");
  assert.ok(error.hint.length > 0);
  assert.equal(await visible("#callback-result"), false);
});

test("the package works when imported directly in the page", TIMEOUT, async () => {
  const result = await page.evaluate(async () => {
    const lib = await import("/pkg/vipps_login.js");
    await lib.default();
    let thrown;
    try {
      lib.createLogin({ clientId: "x", redirectUri: "https://a.example/cb", scope: ["profile"] });
    } catch (err) {
      thrown = { isError: err instanceof Error, name: err.name, code: err.code, hint: err.hint };
    }
    return { state: lib.randomState(), states: [lib.randomState(), lib.randomState()], pkce: lib.createPkce(), thrown };
  });
  assert.match(result.state, BASE64URL_43);
  assert.notEqual(result.states[0], result.states[1]);
  assert.match(result.pkce.codeChallenge, BASE64URL_43);
  assert.match(result.pkce.codeVerifier, BASE64URL_43);
  assert.notEqual(result.pkce.codeChallenge, result.pkce.codeVerifier);
  assert.ok(result.thrown, "createLogin with scope profile throws");
  assert.equal(result.thrown.isError, true);
  assert.equal(result.thrown.name, "VippsLoginError");
  assert.equal(result.thrown.code, "scope_unknown");
  assert.ok(result.thrown.hint.includes("Did you mean name"), result.thrown.hint);
});

test("screenshot of a built URL and a checked URI", TIMEOUT, async () => {
  await page.selectOption("#environment", "test");
  await build({ clientId: "demo-client", redirectUri: new URL("/callback", server.url).href, scopes: ["name", "email"] });
  await checkUri("https://Shop.example/cb/", "https://shop.example/cb");
  await mkdir(`${root}test-results`, { recursive: true });
  await page.screenshot({ path: `${root}test-results/demo.png`, fullPage: true });
});

test("?login_error=<code>: the customer's words, the code in small print, then out of the address bar", TIMEOUT, async () => {
  const other = await browser.newPage({ viewport: { width: 1000, height: 700 } });
  const errors = [];
  other.on("pageerror", (err) => errors.push(err.message));
  const cases = [
    ["vipps_access_denied", "The login was cancelled. You can try again.", true],
    ["browser_binding_missing", "This login was started in another browser. Please start it again here.", true],
    ["provider_timeout", "Vipps MobilePay is not answering right now. Please try again in a moment.", true],
    ["login_refused", "This account cannot log in to this shop. Please contact the shop if you think this is wrong.", true],
    ["something_new", "The login could not be completed. Please try again.", true],
    ["<b>not a code</b>", "The login could not be completed. Please try again.", false],
  ];
  for (const [code, words, codeShown] of cases) {
    // Only the code is read: words in a link are anyone's, and are not shown.
    const words_in_link = encodeURIComponent("Call +00 000 to unlock your account");
    await other.goto(`${server.url}?keep=1&login_error=${encodeURIComponent(code)}&note=${words_in_link}#top`);
    await other.waitForSelector('body[data-ready="true"]');
    assert.ok(await other.locator("#login-error").isVisible(), code);
    assert.equal(await other.locator("#login-error-message").textContent(), words, code);
    assert.equal(await other.locator("#login-error-code-row").isVisible(), codeShown, code);
    if (codeShown) assert.equal(await other.locator("#login-error-code").textContent(), code);
    assert.equal(await other.locator("#login-error b").count(), 0, "the code is text, not markup");
    assert.doesNotMatch(await other.locator("#login-error").textContent(), /unlock/);
    // Only login_error goes: the page's other parameters and fragment stay.
    const left = new URL(other.url()).searchParams;
    assert.deepEqual([...left.keys()], ["keep", "note"], code);
    assert.equal(left.get("note"), "Call +00 000 to unlock your account");
    assert.equal(new URL(other.url()).hash, "#top", code);
  }
  await other.click("#login-error-dismiss");
  assert.equal(await other.locator("#login-error").isVisible(), false);
  await other.reload();
  await other.waitForSelector('body[data-ready="true"]');
  assert.equal(await other.locator("#login-error").isVisible(), false, "a reload does not show it again");
  await other.goto(server.url);
  await other.waitForSelector('body[data-ready="true"]');
  assert.equal(await other.locator("#login-error").isVisible(), false, "no box without login_error");
  assert.deepEqual(errors, []);
  await other.close();
});

test("no console errors and no failed requests", TIMEOUT, () => {
  assert.deepEqual(consoleErrors, []);
  assert.deepEqual(failedRequests, []);
});
