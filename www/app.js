// The vipps-login demo page. Plain ES module: no build step. Every value shown on the
// page goes in through textContent (or an attribute), never innerHTML.
import init, {
  createLogin, checkRedirectUri, parseCallback, randomNonce, createPkce,
} from "/pkg/vipps_login.js";
import { startPhoneLogin } from "./phone-login.js";

const $ = (id) => document.getElementById(id);

/** Creates an element with text and children: el("dt", {}, "state"). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

// Detail fields a VippsLoginError or a Problem may carry (ErrorDetails in types.d.ts).
const DETAILS = ["closest", "position", "found", "expected", "error", "errorDescription",
  "scope", "suggestion", "length", "parameter"];

function detailList(source) {
  const items = [];
  for (const key of DETAILS) {
    if (source[key] === undefined) continue;
    items.push(el("dt", {}, key), el("dd", { "data-detail": key }, el("code", {}, String(source[key]))));
  }
  return items;
}

/** Shows an error in the error box, moved into the panel it came from. */
function showError(err, panel) {
  const box = $("error");
  $("error-code").textContent = err?.code ?? err?.name ?? "error";
  $("error-message").textContent = err?.message ?? String(err);
  $("error-hint").textContent = err?.hint ?? "";
  $("error-hint").hidden = !err?.hint;
  $("error-details").replaceChildren(...detailList(err ?? {}));
  // Below the panel's form, or at the end of a panel without one.
  const form = panel.querySelector("form");
  if (form) form.after(box);
  else panel.append(box);
  box.hidden = false;
}

function clearError() {
  $("error").hidden = true;
}

// 1. Build a login URL
let lastLogin = null;
// Served by `make demo` when the local emulator runs: { issuer, clientId, users }.
let demoConfig = null;

function loginOptions() {
  const options = {
    clientId: $("client-id").value.trim(),
    redirectUri: $("redirect-uri").value.trim(),
    scope: [...document.querySelectorAll('input[name="scope"]:checked')].map((box) => box.value),
  };
  const environment = $("environment").value;
  if (environment === "custom") options.issuer = $("issuer").value.trim();
  else if (environment === "emulator") options.issuer = demoConfig.issuer;
  else options.environment = environment;
  return options;
}

function onBuild(event) {
  event.preventDefault();
  clearError();
  $("login-result").hidden = true;
  try {
    const login = createLogin(loginOptions());
    lastLogin = login;
    $("login-url").textContent = login.url;
    $("login-link").href = login.url;
    $("state").textContent = login.state;
    $("nonce").textContent = login.nonce;
    $("code-verifier").textContent = login.codeVerifier ?? "(no PKCE)";
    $("code-challenge").textContent = login.codeChallenge ?? "(no PKCE)";
    $("issuer-out").textContent = login.issuer;
    $("expected-state").value = login.state;
    // Kept for the callback: Vipps (here the emulator) sends the user back to /callback.
    sessionStorage.setItem("vipps-login-demo", JSON.stringify({ state: login.state, issuer: login.issuer }));
    const redirect = $("redirect-uri").value.trim();
    $("callback-input").placeholder = `${redirect}?code=…&state=${login.state}`;
    $("login-result").hidden = false;
  } catch (err) {
    showError(err, $("login-panel"));
  }
}

// 2. Check a redirect URI
function problemItem(problem) {
  const item = el("li", { "data-code": problem.code },
    el("code", { class: "code" }, problem.code), " ", problem.message);
  if (problem.hint) item.append(el("p", { class: "hint" }, problem.hint));
  const details = detailList(problem);
  if (details.length) item.append(el("dl", { class: "details" }, ...details));
  return item;
}

function problemList(title, id, problems) {
  if (!problems.length) return [];
  return [el("h3", {}, title), el("ul", { id, class: "problems" }, ...problems.map(problemItem))];
}

function onCheck(event) {
  event.preventDefault();
  clearError();
  const result = $("uri-result");
  result.hidden = true;
  const lines = $("registered").value.split("\n").map((line) => line.trim()).filter(Boolean);
  try {
    const report = checkRedirectUri($("uri-input").value.trim(), lines.length ? lines : undefined);
    const verdict = el("p", { id: "uri-verdict", class: report.ok ? "ok" : "not-ok", "data-ok": String(report.ok) },
      report.ok ? "OK: Vipps will accept this redirect URI" : "Not OK: Vipps will reject this redirect URI");
    result.replaceChildren(verdict,
      ...problemList("Errors", "uri-errors", report.errors),
      ...problemList("Warnings", "uri-warnings", report.warnings));
    result.hidden = false;
  } catch (err) {
    showError(err, $("uri-panel"));
  }
}

// 3. Parse a callback
function onParse(event) {
  event.preventDefault();
  clearError();
  const result = $("callback-result");
  result.hidden = true;
  const expectedState = $("expected-state").value.trim();
  const issuer = lastLogin?.state === expectedState ? lastLogin.issuer : undefined;
  try {
    const callback = parseCallback($("callback-input").value, expectedState, issuer);
    const rows = [];
    for (const key of ["code", "state", "scope", "iss"]) {
      if (callback[key] === undefined) continue;
      rows.push(el("dt", {}, key), el("dd", {}, el("code", { id: `callback-${key}` }, callback[key])));
    }
    result.replaceChildren(el("p", { class: "ok" }, "Callback accepted"), el("dl", { class: "details" }, ...rows));
    result.hidden = false;
  } catch (err) {
    showError(err, $("callback-panel"));
  }
}

// Back from Vipps (or the emulator): read the callback with the state saved before.
function handleReturn() {
  if (!/[?&](code|error)=/.test(location.search)) return;
  const saved = JSON.parse(sessionStorage.getItem("vipps-login-demo") ?? "null");
  $("callback-input").value = location.href;
  if (saved) {
    $("expected-state").value = saved.state;
    lastLogin = saved;
  }
  history.replaceState(null, "", "/");
  $("callback-form").requestSubmit();
  $("callback-panel").scrollIntoView();
}

async function loadDemoConfig() {
  try {
    const response = await fetch("/demo-config.json");
    if (!response.ok) return;
    demoConfig = await response.json();
  } catch {
    return;
  }
  if (!demoConfig?.issuer) return;
  $("env-emulator").hidden = false;
  $("environment").value = "emulator";
  $("client-id").value = demoConfig.clientId;
}

// The Worker (when the page is served by it): both ways in, the session, logout.
let workerConfig = null;

/** A Worker error body {error, message, hint} as the error box shows errors. */
function workerError(body, status) {
  return { code: body?.error ?? `http_${status}`, message: body?.message ?? `HTTP ${status}`, hint: body?.hint };
}

async function postJson(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body ?? {}),
  });
  const json = await response.json().catch(() => null);
  if (!response.ok) throw workerError(json, response.status);
  return json;
}

async function loadWorkerConfig() {
  try {
    const response = await fetch("/api/config");
    const config = response.ok ? await response.json() : null;
    if (config?.clientId) workerConfig = config;
  } catch {
    workerConfig = null;
  }
  return workerConfig;
}

// Names for the markets /api/config may allow (Vipps in Norway, MobilePay elsewhere).
const MARKETS = {
  NO: "Norway (Vipps)",
  SE: "Sweden (MobilePay)",
  DK: "Denmark (MobilePay)",
  FI: "Finland (MobilePay)",
};
const AUTOMATIC_RETURN = "automatic_return_from_vipps_app";
const APP_AUTH = "urn:vipps:acr:app_auth";

/** Offers only the per-login options the Worker's settings allow (/api/config). */
function showLoginOptions(options = {}) {
  const markets = options.markets ?? [];
  $("market").append(...markets.map((m) => el("option", { value: m }, MARKETS[m] ? `${m}: ${MARKETS[m]}` : m)));
  $("market-row").hidden = !markets.length;
  $("automatic-return-row").hidden = !(options.requestedFlows ?? []).includes(AUTOMATIC_RETURN);
  $("app-auth-row").hidden = !(options.acrValues ?? []).includes(APP_AUTH);
  const offered = ["market-row", "automatic-return-row", "app-auth-row"].some((id) => !$(id).hidden);
  $("login-options").hidden = !offered;
  $("login-options").addEventListener("change", updateWorkerLink);
  updateWorkerLink();
}

/** The chosen options, as GET /login's query and POST /api/login's JSON both name them. */
function chosenOptions() {
  const chosen = {};
  if (!$("market-row").hidden && $("market").value) chosen.market = $("market").value;
  if (!$("automatic-return-row").hidden && $("automatic-return").checked) chosen.requestedFlow = AUTOMATIC_RETURN;
  if (!$("app-auth-row").hidden && $("app-auth").checked) chosen.acrValues = APP_AUTH;
  return chosen;
}

// Worker-driven: a plain link, its query following the options.
function updateWorkerLink() {
  // "/" and ":" may stay as they are in a query (RFC 3986), which reads better.
  const query = new URLSearchParams({ returnTo: "/", ...chosenOptions() }).toString()
    .replace(/%2F/gi, "/").replace(/%3A/gi, ":");
  const href = `/login?${query}`;
  $("login-worker").href = href;
  $("login-worker-request").textContent = `GET ${href}`;
}

// Front-end-driven: nonce and PKCE from the package, registered with the Worker, which
// answers the authorization URL and the state it made for this login.
async function onLoginFrontEnd() {
  clearError();
  try {
    const nonce = randomNonce();
    const { codeVerifier } = createPkce();
    const { url, state } = await postJson("/api/login", { nonce, codeVerifier, returnTo: "/", ...chosenOptions() });
    if (typeof url !== "string" || typeof state !== "string") {
      throw { code: "invalid_answer", message: "POST /api/login did not answer {url, state}" };
    }
    // The callback page checks the callback against these before sending it on.
    sessionStorage.setItem("vipps-login-app", JSON.stringify({ state, issuer: workerConfig.issuer }));
    location.assign(url);
  } catch (err) {
    showError(err, $("worker-panel"));
  }
}

async function refreshSession() {
  const response = await fetch("/api/session");
  const body = await response.json().catch(() => null);
  const user = response.ok ? body?.user : null;
  $("session-state").dataset.state = user ? "logged-in" : "logged-out";
  $("session-state").textContent = user
    ? `Logged in as ${user.name ?? user.sub}`
    : "Not logged in.";
  const rows = [];
  for (const [key, value] of Object.entries(user ?? {})) {
    rows.push(el("dt", {}, key), el("dd", { "data-claim": key }, el("code", {}, String(value))));
  }
  $("session-claims").replaceChildren(...rows);
  $("logout").hidden = !user;
}

async function onLogout() {
  clearError();
  try {
    await postJson("/api/logout");
  } catch (err) {
    showError(err, $("session-panel"));
  }
  await refreshSession();
}

async function startWorkerPanels() {
  if (!(await loadWorkerConfig())) return false;
  $("worker-panel").hidden = false;
  $("session-panel").hidden = false;
  showLoginOptions(workerConfig.options);
  $("login-frontend").addEventListener("click", onLoginFrontEnd);
  $("logout").addEventListener("click", onLogout);
  startPhoneLogin(workerConfig);
  // The playground's defaults follow the Worker's settings.
  $("client-id").value = workerConfig.clientId;
  if (workerConfig.environment === "custom") {
    $("environment").value = "custom";
    $("issuer").value = workerConfig.issuer;
  }
  await refreshSession();
  return true;
}

// A failed Worker-driven login comes back here with ?login_error=<code> (GET /login,
// GET /callback and the confirmation form redirect to the login's returnTo): the
// customer reads words meant for them, support gets the code in small print. The
// developer's message and hint are in the Worker's log line, not in the URL.
const LOGIN_ERRORS = {
  vipps_access_denied: "The login was cancelled. You can try again.",
  transaction_not_found: "This login has expired or was already used. Please start again.",
  confirmation_required: "This login has expired or was already used. Please start again.",
  browser_binding_missing: "This login was started in another browser. Please start it again here.",
  browser_binding_mismatch: "This login was started in another browser. Please start it again here.",
  provider_timeout: "Vipps MobilePay is not answering right now. Please try again in a moment.",
  provider_unreachable: "Vipps MobilePay is not answering right now. Please try again in a moment.",
  login_refused: "This account cannot log in to this shop. Please contact the shop if you think this is wrong.",
  option_not_allowed: "This way of logging in is not available right now. Please try again without the options you chose.",
};
const LOGIN_ERROR_FALLBACK = "The login could not be completed. Please try again.";
// What a Worker error code looks like; anything else in the URL is not shown.
const ERROR_CODE = /^[a-z][a-z0-9_]{0,63}$/;

function showLoginError() {
  const url = new URL(location.href);
  if (!url.searchParams.has("login_error")) return;
  const code = url.searchParams.get("login_error").trim();
  const known = Object.hasOwn(LOGIN_ERRORS, code);
  $("login-error-message").textContent = known ? LOGIN_ERRORS[code] : LOGIN_ERROR_FALLBACK;
  $("login-error-code").textContent = code;
  $("login-error-code-row").hidden = !ERROR_CODE.test(code);
  const box = $("login-error");
  box.dataset.code = known ? code : "unknown";
  box.hidden = false;
  // Once read, out of the address bar: a reload or a bookmark does not show it again.
  // Only the code is read from the URL, never words: anyone can put words in a link to
  // this page (a refused login's reason is shown on the Worker's own page instead).
  url.searchParams.delete("login_error");
  history.replaceState(history.state, "", `${url.pathname}${url.search}${url.hash}`);
  $("login-error-dismiss").addEventListener("click", () => {
    box.hidden = true;
  }, { once: true });
}

// Start-up
function showIssuerRow() {
  $("issuer-row").hidden = $("environment").value !== "custom";
}

showLoginError();
$("redirect-uri").value = `${location.origin}/callback`;
$("login-form").addEventListener("submit", onBuild);
$("uri-form").addEventListener("submit", onCheck);
$("callback-form").addEventListener("submit", onParse);
$("environment").addEventListener("change", showIssuerRow);
showIssuerRow();

try {
  await init();
  if (!(await startWorkerPanels())) await loadDemoConfig();
  showIssuerRow();
  for (const id of ["build", "check", "parse"]) $(id).disabled = false;
  $("status").textContent = demoConfig
    ? `Ready: WebAssembly loaded; the local emulator is at ${demoConfig.issuer}`
    : "Ready: WebAssembly loaded.";
  document.body.dataset.ready = "true";
  handleReturn();
} catch (err) {
  $("status").textContent = `Could not load the WebAssembly module: ${err.message}`;
  $("status").classList.add("failed");
}
