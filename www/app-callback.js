// The front-end-driven flow's redirect URI (/app/callback): read the callback with the
// package, check it against the state this browser started with, and hand code and
// state to the Worker, which holds the secret and finishes the login. When Vipps brought
// the user back to another browser (a login started with automatic_return_from_vipps_app),
// the Worker answers 202 with the user's name: this page asks, and only the button
// (POST /api/confirm) logs this browser in.
import init, { parseCallback } from "/pkg/vipps_login.js";

const $ = (id) => document.getElementById(id);

function show(err) {
  $("confirm").hidden = true;
  $("callback-status").classList.remove("question");
  $("callback-status").textContent = "The login did not complete.";
  $("error-code").textContent = err?.code ?? err?.error ?? "error";
  $("error-message").textContent = err?.message ?? String(err);
  $("error-hint").textContent = err?.hint ?? "";
  $("error-hint").hidden = !err?.hint;
  $("error").hidden = false;
  $("back").textContent = "Back to the shop";
  $("back").className = "button";
  document.body.dataset.done = "error";
}

/** POSTs JSON to the Worker: the answer's status and body, or throws its {error, message, hint}. */
async function postJson(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await response.json().catch(() => null);
  if (!response.ok) {
    throw {
      code: json?.error ?? `http_${response.status}`,
      message: json?.message ?? `HTTP ${response.status}`,
      hint: json?.hint,
    };
  }
  return { status: response.status, json };
}

function loggedIn(user) {
  $("confirm").hidden = true;
  $("callback-status").classList.remove("question");
  $("callback-status").textContent = `Logged in as ${user?.name ?? user?.sub}.`;
  document.body.dataset.done = "ok";
  location.replace("/");
}

/** Another browser: name the user and wait for the button. Cancel is the link home. */
function askToConfirm({ confirm, state }) {
  const name = confirm?.name ?? "this user";
  $("callback-status").textContent = `Continue as ${name}?`;
  $("callback-status").classList.add("question");
  $("confirm-name").textContent = name;
  $("confirm-button").textContent = `Continue as ${name}`;
  $("back").textContent = "Cancel";
  $("back").className = "";
  $("confirm").hidden = false;
  $("confirm-button").addEventListener("click", async () => {
    $("confirm-button").disabled = true;
    try {
      const { json } = await postJson("/api/confirm", { state });
      loggedIn(json?.user);
    } catch (err) {
      show(err);
    }
  }, { once: true });
  $("confirm-button").focus();
  document.body.dataset.done = "confirm";
}

async function finish() {
  await init();
  const saved = JSON.parse(sessionStorage.getItem("vipps-login-app") ?? "null");
  sessionStorage.removeItem("vipps-login-app");
  let body;
  if (saved) {
    // Same browser: check state (constant time) and iss here first.
    const { code, state, iss } = parseCallback(location.href, saved.state, saved.issuer);
    body = { code, state, iss };
  } else {
    // Another browser (Vipps' automatic return), or a copied link: the Worker checks
    // state and this browser's binding against the transaction it keeps.
    body = { query: location.search.slice(1) };
  }
  const { status, json } = await postJson("/api/callback", body);
  if (status === 202 && json?.confirm) askToConfirm(json);
  else loggedIn(json?.user);
}

finish().catch(show);
