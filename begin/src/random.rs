//! state, nonce and the PKCE code_verifier from the platform CSPRNG (getrandom:
//! `crypto.getRandomValues` in browsers and Workers, the OS natively), and the S256
//! code_challenge.

use alloc::string::String;
use base64ct::{Base64UrlUnpadded, Encoding};
use sha2::{Digest, Sha256};

/// 32 bytes = 256 bits, 43 base64url characters: well over the 128 bits the OAuth
/// security BCP asks of state and nonce (and RFC 7636 4.1's recommendation for the
/// verifier).
pub const RANDOM_BYTES: usize = 32;
/// The length of [`RANDOM_BYTES`] in base64url without padding.
pub const RANDOM_CHARS: usize = 43;

/// The random number generator failed (no `crypto.getRandomValues`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RandomUnavailable;

/// Fills `out` with random bytes.
pub fn fill(out: &mut [u8]) -> Result<(), RandomUnavailable> {
    getrandom::fill(out).map_err(|_| RandomUnavailable)
}

/// 32 bytes (a random value or a SHA-256 digest, all this crate encodes) as 43
/// characters of base64url without padding (RFC 4648 5), as RFC 7636 and JWTs use it.
pub fn base64url(bytes: &[u8; RANDOM_BYTES]) -> String {
    let mut buf = [0u8; RANDOM_CHARS];
    // The buffer fits exactly: the error cannot happen (and would give "", not a panic).
    Base64UrlUnpadded::encode(bytes, &mut buf)
        .map(String::from)
        .unwrap_or_default()
}

/// Three fresh values of 256 bits each (state, nonce, code_verifier) from one call to
/// the generator.
pub fn three() -> Result<[String; 3], RandomUnavailable> {
    let mut bytes = [[0u8; RANDOM_BYTES]; 3];
    fill(bytes.as_flattened_mut())?;
    Ok(bytes.map(|b| base64url(&b)))
}

/// One fresh value of 256 bits, base64url.
pub fn one() -> Result<String, RandomUnavailable> {
    let mut bytes = [0u8; RANDOM_BYTES];
    fill(&mut bytes)?;
    Ok(base64url(&bytes))
}

/// The S256 code_challenge: BASE64URL(SHA256(ASCII(code_verifier))) (RFC 7636 4.2).
pub fn s256_challenge(verifier: &str) -> String {
    base64url(&Sha256::digest(verifier.as_bytes()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7636_appendix_b() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn fresh_values_differ_and_have_the_length() {
        let [a, b, c] = three().unwrap();
        assert!(a != b && b != c && a != c);
        assert!([&a, &b, &c].iter().all(|v| v.len() == RANDOM_CHARS));
        assert_eq!(one().unwrap().len(), RANDOM_CHARS);
        // Both characters only base64url has, and the 43rd character (Python's urlsafe_b64encode).
        assert_eq!(base64url(&[0xfb; 32]), "-_v7".repeat(10) + "-_s");
    }
}
