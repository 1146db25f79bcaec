// A front-end as a Vite user writes it: the package by name, init() with no argument
// (Vite finds each .wasm through its glue's `new URL(..., import.meta.url)`). The main
// entry first, then the small entries, vipps-login/begin (button.js) and
// vipps-login/pkce (pkce.js).
import init, { createLogin } from "vipps-login";
import { loginButton } from "./button.js";
import { ownUrl } from "./pkce.js";

async function show(id, login) {
  const out = document.getElementById(id);
  try {
    out.textContent = (await login()).url;
  } catch (e) {
    out.textContent = `error: ${e.message}`;
  }
}

await show("url", async () => {
  await init();
  return createLogin({ clientId: "vite-client", redirectUri: "https://shop.example/vipps/callback", scope: ["name", "email"] });
});
await show("begin", loginButton);
await show("pkce", ownUrl);
