// "Begin login" with keycloak-js: an adapter made for Keycloak realms, here with its
// generic OpenID configuration (Vipps' endpoints given), init with PKCE S256 and no
// iframe, then createLoginUrl (state, nonce, PKCE, the URL).
import Keycloak from "keycloak-js";

export async function beginLogin() {
  const keycloak = new Keycloak({
    clientId: "demo-client",
    oidcProvider: {
      authorization_endpoint: "https://apitest.vipps.no/access-management-1.0/access/oauth2/auth",
      token_endpoint: "https://apitest.vipps.no/access-management-1.0/access/oauth2/token",
    },
  });
  await keycloak.init({ pkceMethod: "S256", checkLoginIframe: false, flow: "standard" });
  location.assign(await keycloak.createLoginUrl({ redirectUri: "https://shop.example/callback", scope: "openid name email" }));
}
