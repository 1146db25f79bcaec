// Types of vipps-login/pkce: the same shapes as the main entry's.
import type { Pkce, ErrorCode, InitInput, SyncInitInput } from "./vipps_login.js";
export type { Pkce, ErrorCode };

/** A fresh `state`: 256 random bits, base64url (43 characters). */
export function randomState(): string;
/** A fresh `nonce`: 256 random bits, base64url (43 characters). */
export function randomNonce(): string;
/** A fresh PKCE pair: a 43-character code_verifier and its S256 code_challenge (RFC 7636). */
export function createPkce(): Pkce;

/** Loads pkce_wasm_bg.wasm (browsers, bundlers): call once before any other export. */
export default function init(module_or_path?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<unknown>;
/** Node: `initSync({ module: readFileSync(new URL("pkce_wasm_bg.wasm", import.meta.resolve("vipps-login/pkce"))) })`. */
export function initSync(module: { module: SyncInitInput } | SyncInitInput): unknown;
