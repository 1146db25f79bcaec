// "Begin login" with oauth4webapi: state, nonce, PKCE verifier + S256 challenge, the
// authorization URL (Vipps' endpoints given, as createLogin knows them).
import { calculatePKCECodeChallenge, generateRandomCodeVerifier, generateRandomNonce, generateRandomState } from "oauth4webapi";

export async function beginLogin() {
  const state = generateRandomState();
  const nonce = generateRandomNonce();
  const codeVerifier = generateRandomCodeVerifier();
  const codeChallenge = await calculatePKCECodeChallenge(codeVerifier);
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
