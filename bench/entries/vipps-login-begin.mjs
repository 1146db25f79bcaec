// "Begin login" with vipps-login/begin (the login-button entry): init its wasm, then
// state, nonce, PKCE verifier + S256 challenge and the authorization URL in one call.
import init, { createLogin } from "vipps-login/begin";

export async function beginLogin() {
  await init();
  const login = createLogin({ clientId: "demo-client", redirectUri: "https://shop.example/callback", scope: "openid name email" });
  sessionStorage.setItem("login", JSON.stringify(login));
  location.assign(login.url);
}
