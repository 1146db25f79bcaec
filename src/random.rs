//! state, nonce and PKCE from the platform CSPRNG (getrandom: the OS natively,
//! `crypto.getRandomValues` in browsers and Workers).

use crate::error::{Error, ErrorCode, Result};
use std::fmt;
use vipps_login_begin::random;
use vipps_login_begin::rules::{is_code_verifier, is_code_verifier_byte};

/// 32 bytes = 256 bits, 43 base64url characters: well over the 128 bits the OAuth
/// security BCP asks of state and nonce, well under the length caps.
fn random_base64url() -> Result<String> {
    random::one().map_err(|_| {
        Error::new(
            ErrorCode::RandomUnavailable,
            "the random number generator failed (no crypto.getRandomValues?)",
        )
    })
}

/// A fresh `state`: 256 bits, base64url.
pub fn random_state() -> Result<String> {
    random_base64url()
}

/// A fresh `nonce`: 256 bits, base64url.
pub fn random_nonce() -> Result<String> {
    random_base64url()
}

/// A PKCE code_verifier (RFC 7636 4.1). Secret until the token request: `Debug` and
/// `Display` never print it.
#[derive(Clone, PartialEq, Eq)]
pub struct PkceCodeVerifier(String);

impl PkceCodeVerifier {
    /// 32 random bytes as 43 base64url characters (RFC 7636 4.1's recommendation).
    pub fn random() -> Result<Self> {
        random_base64url().map(PkceCodeVerifier)
    }

    /// Takes a verifier from elsewhere (e.g. the front-end), checking RFC 7636 4.1:
    /// 43 to 128 characters of `A-Z a-z 0-9 - . _ ~`.
    pub fn new(verifier: &str) -> Result<Self> {
        if is_code_verifier(verifier) {
            return Ok(PkceCodeVerifier(verifier.to_string()));
        }
        let chars_ok = verifier.bytes().all(is_code_verifier_byte);
        Err(Error::new(
            ErrorCode::CodeVerifierInvalid,
            format!(
                "the code_verifier is {} characters{}",
                verifier.chars().count(),
                if chars_ok {
                    ""
                } else {
                    " and holds characters outside A-Z a-z 0-9 - . _ ~"
                }
            ),
        ))
    }

    /// The secret itself, for the token request.
    pub fn secret(&self) -> &str {
        &self.0
    }

    /// The S256 code_challenge: BASE64URL(SHA256(ASCII(code_verifier))) (RFC 7636 4.2).
    pub fn s256_challenge(&self) -> String {
        random::s256_challenge(&self.0)
    }
}

impl fmt::Debug for PkceCodeVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PkceCodeVerifier([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_and_nonce_are_256_bit_base64url_and_fresh() {
        let a = random_state().unwrap();
        let b = random_state().unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
        assert_eq!(random_nonce().unwrap().len(), 43);
    }

    #[test]
    fn pkce_s256_matches_rfc7636_appendix_b() {
        let v = PkceCodeVerifier::new("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").unwrap();
        assert_eq!(
            v.s256_challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn random_verifier_is_valid_and_redacted() {
        let v = PkceCodeVerifier::random().unwrap();
        assert!(PkceCodeVerifier::new(v.secret()).is_ok());
        assert_eq!(format!("{v:?}"), "PkceCodeVerifier([redacted])");
        assert!(!format!("{v:?}").contains(v.secret()));
    }

    #[test]
    fn verifier_rules_rfc7636_4_1() {
        assert!(PkceCodeVerifier::new(&"a".repeat(43)).is_ok());
        assert!(PkceCodeVerifier::new(&"a".repeat(128)).is_ok());
        for bad in [
            "a".repeat(42),
            "a".repeat(129),
            format!("{}+", "a".repeat(43)),
            String::new(),
        ] {
            assert_eq!(
                PkceCodeVerifier::new(&bad).unwrap_err().code(),
                ErrorCode::CodeVerifierInvalid
            );
        }
    }
}
