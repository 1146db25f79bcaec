// The demo's "Log in from phone number" panel: the shop's side of Vipps' merchant-initiated
// login (CIBA), which Vipps allows only where the customer has no browser or app in front
// of them (a point of sale, a call centre, a customer club). The page plays the shop's
// till: it holds the shop's PHONE_LOGIN_API_KEY (typed in by staff, never served by the
// Worker), starts the login at POST /api/phone-login and asks GET /api/phone-login/{id}
// for its status no faster than the interval Vipps set. The customer approves on their
// phone; with the local emulator, its phone page is shown beside the panel.
// Every value goes in through textContent or an attribute, never innerHTML.

const $ = (id) => document.getElementById(id);

/** Longest the panel waits for one login: Vipps' own maximum requested_expiry. */
const MAX_WAIT_SECS = 900;

/** Words for the customer-facing status line, by the Worker's status. */
const STATUS_TEXT = {
  pending: "Waiting for the customer to approve on their phone…",
  approved: "Approved: the customer is logged in.",
  denied: "The customer declined on their phone.",
  expired: "The request expired before the customer answered.",
  failed: "The login failed.",
};

let running = null;

function setStatus(status, text) {
  const line = $("phone-status");
  line.dataset.status = status;
  line.textContent = text ?? STATUS_TEXT[status] ?? status;
}

function showUser(user) {
  const list = $("phone-user");
  const items = [];
  for (const [key, value] of Object.entries(user ?? {})) {
    const shown = typeof value === "object" ? JSON.stringify(value) : String(value);
    const dd = document.createElement("dd");
    dd.dataset.claim = key;
    dd.textContent = shown;
    const dt = document.createElement("dt");
    dt.textContent = key;
    items.push(dt, dd);
  }
  list.replaceChildren(...items);
  list.hidden = !items.length;
}

function showProblem(body, status) {
  const code = body?.error ?? `http_${status}`;
  $("phone-error-code").textContent = code;
  $("phone-error-message").textContent = body?.message ?? `HTTP ${status}`;
  $("phone-error-hint").textContent = body?.hint ?? "";
  $("phone-error").hidden = false;
}

async function call(method, path, key, body) {
  const response = await fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await response.json().catch(() => null);
  return { ok: response.ok, status: response.status, json };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Asks for the status every `interval` seconds (the Worker paces its calls to Vipps too). */
async function follow(run, base, key, id, interval, expiresIn) {
  const deadline = Date.now() + Math.min(expiresIn || MAX_WAIT_SECS, MAX_WAIT_SECS) * 1000 + 5000;
  let wait = Math.max(1, interval || 5);
  while (running === run && Date.now() < deadline) {
    await sleep(wait * 1000);
    if (running !== run) return;
    const answer = await call("GET", `${base}/api/phone-login/${encodeURIComponent(id)}`, key);
    if (!answer.ok) {
      setStatus("failed");
      showProblem(answer.json, answer.status);
      return;
    }
    const { status, user, retryAfter } = answer.json ?? {};
    setStatus(status);
    if (status === "approved") showUser(user);
    // A failed login carries the code, message and hint as an error answer does.
    if (status === "failed") showProblem(answer.json, answer.status);
    if (status !== "pending") return;
    wait = Math.max(wait, Number(retryAfter) || 0);
  }
  if (running === run) setStatus("expired");
}

async function onStart(event, base) {
  event.preventDefault();
  $("phone-error").hidden = true;
  showUser(null);
  const key = $("phone-key").value.trim();
  const body = { phone: $("phone-number").value.trim() };
  const binding = $("phone-binding").value.trim();
  if (binding) body.bindingMessage = binding;
  if ($("phone-webpage").checked) body.flow = "webpage";
  const run = {};
  running = run;
  setStatus("starting", "Sending the login request to Vipps…");
  $("phone-result").hidden = false;
  try {
    const answer = await call("POST", `${base}/api/phone-login`, key, body);
    if (!answer.ok) {
      setStatus("failed");
      showProblem(answer.json, answer.status);
      return;
    }
    const { id, interval, expiresIn } = answer.json ?? {};
    $("phone-id").textContent = id ?? "";
    setStatus("pending");
    refreshPhone();
    await follow(run, base, key, id, interval, expiresIn);
  } catch (err) {
    setStatus("failed");
    showProblem({ error: "network", message: String(err?.message ?? err) }, 0);
  }
}

// The emulated phone: the emulator's phone page for the number typed in (only when the
// issuer is the local emulator on loopback).
let phonePage = null;
function refreshPhone() {
  if (!phonePage) return;
  const digits = $("phone-number").value.replace(/\D/g, "").replace(/^00/, "");
  const url = new URL(phonePage);
  if (digits) url.searchParams.set("phone", digits);
  $("phone-frame").src = url.href;
  $("phone-open").href = url.href;
}

/**
 * Shows the panel when the Worker offers phone login (`phoneLogin` in GET /api/config).
 * `base` is the Worker's base path; `issuer` its issuer, for the emulated phone.
 */
export function startPhoneLogin(config, base = "") {
  const offered = config?.phoneLogin;
  if (!offered?.enabled) return;
  $("phone-panel").hidden = false;
  $("phone-webpage-row").hidden = !offered.webpage;
  try {
    const issuer = new URL(config.issuer);
    if (issuer.hostname === "127.0.0.1" || issuer.hostname === "localhost") {
      phonePage = `${issuer.origin}/_emulator/phone`;
      $("phone-emulated").hidden = false;
      refreshPhone();
    }
  } catch {
    phonePage = null;
  }
  $("phone-number").addEventListener("change", refreshPhone);
  $("phone-form").addEventListener("submit", (event) => onStart(event, base));
}
