// A front-end as a Vite user writes it: the package by name, init() with no argument
// (Vite finds each .wasm through its glue's `new URL(..., import.meta.url)`). The main
// entry first, then the small login-button entry, vipps-login/begin.
import init, { createLogin } from "vipps-login";
import initBegin, { createLogin as createLoginBegin } from "vipps-login/begin";

const options = {
  clientId: "vite-client",
  redirectUri: "https://shop.example/vipps/callback",
  scope: ["name", "email"],
};

async function show(id, load, create) {
  const out = document.getElementById(id);
  try {
    await load();
    out.textContent = create(options).url;
  } catch (e) {
    out.textContent = `error: ${e.message}`;
  }
}

await show("url", init, createLogin);
await show("begin", initBegin, createLoginBegin);
