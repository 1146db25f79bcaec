// The front-end-driven flow's redirect URI (/app/callback): read the callback with the
// package, check it against the state this browser started with, and hand code and
// state to the Worker, which holds the secret and finishes the login.
import init, { parseCallback } from "/pkg/vipps_login.js";

const $ = (id) => document.getElementById(id);

function show(err) {
  $("callback-status").textContent = "The login did not complete.";
  $("error-code").textContent = err?.code ?? err?.error ?? "error";
  $("error-message").textContent = err?.message ?? String(err);
  $("error-hint").textContent = err?.hint ?? "";
  $("error").hidden = false;
  document.body.dataset.done = "error";
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
    // Another browser (Vipps' automatic return): the Worker checks state against the
    // transaction it keeps.
    body = { query: location.search.slice(1) };
  }
  const response = await fetch("/api/callback", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await response.json().catch(() => null);
  if (!response.ok) throw { code: json?.error, message: json?.message, hint: json?.hint };
  $("callback-status").textContent = `Logged in as ${json.user?.name ?? json.user?.sub}.`;
  document.body.dataset.done = "ok";
  location.replace("/");
}

finish().catch(show);
