// vipps-login/pkce: randomState, randomNonce and createPkce alone, for a login button
// that builds its URL itself (or with another library): the smallest entry (sizes in the
// README). vipps-login/begin adds createLogin.
import init, { initSync, random_value, random_pkce } from "./pkce_wasm.js";
import { randoms } from "./common.js";

export { init as default, initSync };

export const { randomState, randomNonce, createPkce } = randoms(random_value, random_pkce);
