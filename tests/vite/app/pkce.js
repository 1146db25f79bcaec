// vipps-login/pkce as npm/README.md shows it (the README test finds these lines here).
import init, { randomState, randomNonce, createPkce } from "vipps-login/pkce";

export async function ownUrl() {
  await init();
  const { codeVerifier, codeChallenge } = createPkce();
  const url = new URL("https://apitest.vipps.no/access-management-1.0/access/oauth2/auth");
  url.search = new URLSearchParams({ state: randomState(), nonce: randomNonce(), code_challenge: codeChallenge, code_challenge_method: "S256" });
  return { url: url.href, codeVerifier };
}
