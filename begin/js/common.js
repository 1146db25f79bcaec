// What vipps-login/begin and vipps-login/pkce share: their errors, and the packed
// answers of the wasm exports (begin/src/wasm/mod.rs): fields separated by NUL, the first
// empty on success and the error code otherwise, then the message.

/** Throws an Error named VippsLoginError with a stable `code`, like the main entry's. */
export function fail(code, message) {
  const e = new Error(message);
  e.name = "VippsLoginError";
  e.code = code;
  throw e;
}

export function unpack(packed) {
  const out = packed.split("\0");
  if (out[0]) fail(out[0], out[1]);
  return out;
}

/** randomState, randomNonce and createPkce over one module's exports. */
export function randoms(randomValue, randomPkce) {
  return {
    /** A fresh `state`: 256 random bits, base64url (43 characters). */
    randomState: () => unpack(randomValue())[1],
    /** A fresh `nonce`: 256 random bits, base64url (43 characters). */
    randomNonce: () => unpack(randomValue())[1],
    /** A fresh PKCE pair: a 43-character code_verifier and its S256 code_challenge. */
    createPkce() {
      const [, codeVerifier, codeChallenge] = unpack(randomPkce());
      return { codeVerifier, codeChallenge };
    },
  };
}
