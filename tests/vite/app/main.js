// A front-end as a Vite user writes it: the package by name, init() with no argument
// (Vite finds the .wasm through the glue's `new URL(..., import.meta.url)`).
import init, { createLogin } from "vipps-login";

const out = document.getElementById("url");
try {
  await init();
  const login = createLogin({
    clientId: "vite-client",
    redirectUri: "https://shop.example/vipps/callback",
    scope: ["name", "email"],
  });
  out.textContent = login.url;
} catch (e) {
  out.textContent = `error: ${e.message}`;
}
