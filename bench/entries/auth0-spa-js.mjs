// "Begin login" with @auth0/auth0-spa-js: loginWithRedirect makes state, nonce, PKCE
// (S256) and the URL (made for Auth0 tenants; a domain stands in for Vipps').
import { Auth0Client } from "@auth0/auth0-spa-js";

export async function beginLogin() {
  const client = new Auth0Client({
    domain: "apitest.vipps.no",
    clientId: "demo-client",
    authorizationParams: { redirect_uri: "https://shop.example/callback", scope: "openid name email" },
  });
  await client.loginWithRedirect({ openUrl: (url) => location.assign(url) });
}
