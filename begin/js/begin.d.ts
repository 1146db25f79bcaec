// Types of vipps-login/begin: the same shapes as the main entry's.
import type { LoginOptions, Login, Pkce, ErrorCode, InitInput, SyncInitInput } from "./vipps_login.js";
export type { LoginOptions, Login, Pkce, ErrorCode };

/** What the exports throw: `code` is one of the main entry's codes (the README's error
 * table has the hint for each). */
export interface VippsLoginError extends Error {
  name: "VippsLoginError";
  code: ErrorCode;
}

/** Builds a Vipps authorization URL with fresh state, nonce and PKCE (S256), checking
 * Vipps' limits, names and the redirect URI's shape (the main entry's `checkRedirectUri`
 * has all of Vipps' redirect URI rules). Throws a {@link VippsLoginError}. */
export function createLogin(options: LoginOptions): Login;
/** A fresh `state`: 256 random bits, base64url (43 characters). */
export function randomState(): string;
/** A fresh `nonce`: 256 random bits, base64url (43 characters). */
export function randomNonce(): string;
/** A fresh PKCE pair: a 43-character code_verifier and its S256 code_challenge. */
export function createPkce(): Pkce;

/** Loads begin_wasm_bg.wasm (browsers, bundlers): call once before any other export. */
export default function init(module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<unknown>;
/** Node: `initSync({ module: readFileSync(new URL("begin_wasm_bg.wasm", import.meta.resolve("vipps-login/begin"))) })`. */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): unknown;
