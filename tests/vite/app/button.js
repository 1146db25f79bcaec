// vipps-login/begin as npm/README.md shows it (the README test finds these lines here).
import init, { createLogin } from "vipps-login/begin";

export async function loginButton() {
  await init();
  const login = createLogin({ clientId: "your-client-id", redirectUri: "https://shop.example/vipps/callback", scope: ["name"] });
  return login;
}
