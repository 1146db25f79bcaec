// vipps-login/begin: createLogin, randomState, randomNonce and createPkce in a module a
// login button can afford (sizes in the README; vipps-login/pkce has only the last
// three). The same options and results as the main entry's; errors carry the same
// codes, without the main entry's hints, positions and suggestions (the README's error
// table has the hints). Vipps' full redirect URI rules are the main entry's
// `checkRedirectUri`.
//
// One call into wasm per operation: the options are type-checked here and packed into
// one string (begin/src/wasm/login.rs describes the format).
import init, { initSync, begin_login, random_value, random_pkce } from "./begin_wasm.js";
import { fail, randoms, unpack } from "./common.js";

export { init as default, initSync };

// The packed fields, in the order begin/src/wasm/login.rs reads them.
const FIELDS = [
  "clientId", "msn", "redirectUri", "registeredRedirectUris", "scope", "environment",
  "issuer", "discovery", "state", "nonce", "codeVerifier", "requestedFlow",
  "appCallbackUri", "market", "acrValues",
];
// Booleans: bit 16 + 2i says option i was given, the next bit is its value.
const BOOLEANS = ["pkce", "allowNonVippsScopes", "finalRedirectIsApp"];
const SCOPE_IS_LIST = 1 << 22;
const DISCOVERY_FIELDS = ["issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"];

const invalid = (message) => fail("invalid_options", message);

function text(value, key) {
  if (typeof value !== "string") invalid(`${key} must be a string`);
  // NUL and US separate the packed fields.
  if (/[\0\x1f]/.test(value)) invalid(`${key} holds a NUL or US control character`);
  return value;
}

function list(value, key) {
  if (!Array.isArray(value)) invalid(`${key} must be an array of strings`);
  return value
    .map((v) => (typeof v === "string" ? text(v, key) : invalid(`${key} must hold only strings`)) + "\x1f")
    .join("");
}

function discovery(value) {
  if (typeof value !== "object" || Array.isArray(value)) {
    invalid("discovery must be the discovery document as an object");
  }
  for (const k of DISCOVERY_FIELDS) {
    if (typeof value[k] !== "string") fail("discovery_invalid", `discovery.${k} is missing`);
  }
  return text(value.issuer, "discovery.issuer") + "\x1f" +
    text(value.authorization_endpoint, "discovery.authorization_endpoint");
}

/** Builds a Vipps authorization URL with fresh state, nonce and PKCE (S256). */
export function createLogin(options) {
  if (options === null || typeof options !== "object" || Array.isArray(options)) {
    invalid("createLogin takes an options object");
  }
  const fields = FIELDS.map(() => "");
  let flags = 0;
  for (const [key, value] of Object.entries(options)) {
    if (value == null) continue;
    let i = FIELDS.indexOf(key);
    if (i >= 0) {
      flags |= 1 << i;
      if (key === "registeredRedirectUris") fields[i] = list(value, key);
      else if (key === "discovery") fields[i] = discovery(value);
      else if (key === "scope" && typeof value !== "string") {
        if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) {
          invalid("scope must be a space-separated string or an array of strings");
        }
        fields[i] = list(value, key);
        flags |= SCOPE_IS_LIST;
      } else fields[i] = text(value, key);
    } else if ((i = BOOLEANS.indexOf(key)) >= 0) {
      if (typeof value !== "boolean") invalid(`${key} must be true or false`);
      flags |= (1 << (16 + 2 * i)) | (value ? 1 << (17 + 2 * i) : 0);
    } else {
      // A misspelt `redirectURI` must not silently fall back to a default.
      invalid(`unknown option "${key}"`);
    }
  }
  const [, url, state, nonce, codeVerifier, codeChallenge, issuer] = unpack(
    begin_login(fields.join("\0"), flags),
  );
  return codeVerifier
    ? { url, state, nonce, codeVerifier, codeChallenge, issuer }
    : { url, state, nonce, issuer };
}

export const { randomState, randomNonce, createPkce } = randoms(random_value, random_pkce);
