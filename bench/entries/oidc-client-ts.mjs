// "Begin login" with oidc-client-ts: OidcClient.createSigninRequest makes state, nonce,
// PKCE (S256) and the URL, and stores the state in its state store (the smallest class
// that does this; UserManager adds session monitoring, silent renew, popups).
import { OidcClient } from "oidc-client-ts";

export async function beginLogin() {
  const client = new OidcClient({
    authority: "https://apitest.vipps.no/access-management-1.0/access/",
    client_id: "demo-client",
    redirect_uri: "https://shop.example/callback",
    scope: "openid name email",
    metadata: {
      issuer: "https://apitest.vipps.no/access-management-1.0/access/",
      authorization_endpoint: "https://apitest.vipps.no/access-management-1.0/access/oauth2/auth",
      token_endpoint: "https://apitest.vipps.no/access-management-1.0/access/oauth2/token",
    },
  });
  const request = await client.createSigninRequest({});
  location.assign(request.url);
}
