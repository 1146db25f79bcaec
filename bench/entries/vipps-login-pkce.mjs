// "Begin login" with vipps-login/pkce (the smallest entry): init its wasm, state, nonce,
// PKCE verifier + S256 challenge from it, and the authorization URL built here with
// URLSearchParams, as bench/entries/oauth4webapi.mjs does (Vipps' endpoint given).
import init, { randomState, randomNonce, createPkce } from "vipps-login/pkce";

export async function beginLogin() {
  await init();
  const state = randomState();
  const nonce = randomNonce();
  const { codeVerifier, codeChallenge } = createPkce();
  const url = new URL("https://apitest.vipps.no/access-management-1.0/access/oauth2/auth");
  const q = url.searchParams;
  q.set("client_id", "demo-client");
  q.set("response_type", "code");
  q.set("scope", "openid name email");
  q.set("state", state);
  q.set("nonce", nonce);
  q.set("redirect_uri", "https://shop.example/callback");
  q.set("code_challenge", codeChallenge);
  q.set("code_challenge_method", "S256");
  sessionStorage.setItem("login", JSON.stringify({ state, nonce, codeVerifier }));
  location.assign(url.href);
}
