// A TypeScript login button on the small entries: vipps-login/begin and vipps-login/pkce
// resolve through the package's exports map to real declarations (the @ts-expect-error
// lines fail to type-check unless the types are real).
import initBegin, { createLogin, type Login, type LoginOptions, type VippsLoginError } from "vipps-login/begin";
import initPkce, { createPkce, randomState, randomNonce, type Pkce } from "vipps-login/pkce";

export async function loginButton(): Promise<string> {
  await initBegin();
  const options: LoginOptions = { clientId: "client-1", redirectUri: `${location.origin}/callback`, scope: ["name"] };
  const login: Login = createLogin(options);
  // @ts-expect-error: redirectUri is required
  createLogin({ clientId: "client-1" });
  try {
    createLogin({ ...options, market: "NO" });
  } catch (e) {
    const err = e as VippsLoginError;
    const code: "state_too_short" | string = err.code;
    void code;
  }
  return login.url;
}

export async function ownUrl(): Promise<string> {
  await initPkce();
  const pkce: Pkce = createPkce();
  // @ts-expect-error: createPkce takes no arguments
  createPkce("x");
  const state: string = randomState();
  const nonce: string = randomNonce();
  return `https://op.example/auth?state=${state}&nonce=${nonce}&code_challenge=${pkce.codeChallenge}`;
}
