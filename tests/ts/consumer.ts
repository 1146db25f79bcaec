// A TypeScript front-end using the package. `tsc --noEmit` must accept it, so the
// generated declarations stay real types, not `any`. The @ts-expect-error lines must
// fail to type-check: if the declarations loosened to `any`, tsc would report them.
import init, {
  createLogin,
  parseCallback,
  checkRedirectUri,
  randomState,
  randomNonce,
  createPkce,
  type Login,
  type LoginOptions,
  type Callback,
  type RedirectUriReport,
  type VippsLoginError,
  type ErrorCode,
} from "vipps-login";

export async function start(): Promise<string> {
  await init();
  const options: LoginOptions = {
    clientId: "client-1",
    redirectUri: `${location.origin}/callback`,
    scope: ["openid", "name", "phoneNumber"],
    environment: "test",
    requestedFlow: "automatic_return_from_vipps_app",
    market: "NO",
  };
  const login: Login = createLogin(options);
  const verifier: string | undefined = login.codeVerifier;
  sessionStorage.setItem("vipps", JSON.stringify({ state: login.state, verifier }));
  return login.url;
}

export function finish(expectedState: string): Callback | string {
  try {
    const cb: Callback = parseCallback(location.href, expectedState);
    const code: string = cb.code;
    return code;
  } catch (e) {
    const err = e as VippsLoginError;
    const code: ErrorCode = err.code;
    switch (code) {
      case "vipps_access_denied":
        return err.hint ?? "cancelled";
      case "state_mismatch":
        return "start again";
      default:
        return `${code}: ${err.message}`;
    }
  }
}

export function check(uri: string): boolean {
  const report: RedirectUriReport = checkRedirectUri(uri, ["https://shop.example/cb"]);
  for (const problem of [...report.errors, ...report.warnings]) {
    const pos: number | undefined = problem.position;
    console.log(problem.code, problem.message, problem.hint, problem.closest, pos);
  }
  return report.ok;
}

export function randoms(): string[] {
  const { codeVerifier, codeChallenge } = createPkce();
  return [randomState(), randomNonce(), codeVerifier, codeChallenge];
}

// @ts-expect-error: redirectUri is required.
createLogin({ clientId: "x" });
// @ts-expect-error: environment is "test" | "production".
createLogin({ clientId: "x", redirectUri: "https://a/cb", environment: "prod" });
// @ts-expect-error: market is NO | SE | DK | FI.
createLogin({ clientId: "x", redirectUri: "https://a/cb", market: "US" });
// @ts-expect-error: createLogin's result has no `token`.
createLogin({ clientId: "x", redirectUri: "https://a/cb" }).token;
// @ts-expect-error: not an error code.
const bad: ErrorCode = "state_too_shortish";
void bad;
