//! Binding a login to the browser that started it (RFC 9700 4.7.1; OIDC login CSRF).
//!
//! Starting a login sets a cookie holding a random value; the transaction keeps only its
//! SHA-256. The callback must come with the same cookie, so a callback URL copied into
//! another browser (or planted in a victim's, to log them into the attacker's account)
//! completes nothing. One value per browser, reused by every login it starts (two tabs
//! may log in at once); it lives as long as a transaction.
//!
//! The cookie is `HttpOnly` and `SameSite=Lax`: it rides on the top-level redirect back
//! from Vipps (a cross-site GET navigation), never on a cross-site POST, so a forged
//! form cannot present it either.

use crate::error::Result;
use crate::random::random_state;
use crate::session::CookieScope;
use crate::transaction::TRANSACTION_TTL_SECS;
use base64ct::{Base64UrlUnpadded, Encoding};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A browser's binding value: 256 random bits, base64url. Secret: `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct BrowserBinding(String);

impl std::fmt::Debug for BrowserBinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BrowserBinding([redacted])")
    }
}

/// The cookie's name before its scope's prefix (`__Host-` or `__Secure-` on https,
/// [`CookieScope::name`]).
pub const BINDING_COOKIE: &str = "vipps_login_binding";

impl BrowserBinding {
    /// A fresh value for a browser that has none.
    pub fn random() -> Result<Self> {
        random_state().map(BrowserBinding)
    }

    /// The binding in a `Cookie` header, if it has the shape this module makes (43
    /// base64url characters); anything else counts as no binding.
    pub fn from_cookie_header(cookie_header: &str, scope: CookieScope<'_>) -> Option<Self> {
        let value = scope.read(cookie_header, BINDING_COOKIE)?;
        let well_formed = value.len() == 43
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        well_formed.then(|| BrowserBinding(value.to_string()))
    }

    /// What the transaction stores: `BASE64URL(SHA-256(value))`, never the value.
    pub fn sha256(&self) -> String {
        Base64UrlUnpadded::encode_string(&Sha256::digest(self.0.as_bytes()))
    }

    /// `Set-Cookie` for this value, living as long as a transaction.
    pub fn set_cookie(&self, scope: CookieScope<'_>) -> String {
        scope.set_cookie(BINDING_COOKIE, &self.0, TRANSACTION_TTL_SECS)
    }
}

/// Whether a presented binding hash is the expected one, in constant time.
pub fn same_binding(expected_sha256: &str, presented_sha256: Option<&str>) -> bool {
    presented_sha256.is_some_and(|p| {
        !expected_sha256.is_empty() && bool::from(p.as_bytes().ct_eq(expected_sha256.as_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binding_round_trips_through_its_cookie_and_never_prints() {
        let b = BrowserBinding::random().unwrap();
        for secure in [false, true] {
            let scope = CookieScope { secure, path: "/" };
            let line = b.set_cookie(scope);
            let pair = line.split(';').next().unwrap();
            let header = format!("other=1; {pair}; x=y");
            assert_eq!(
                BrowserBinding::from_cookie_header(&header, scope),
                Some(b.clone())
            );
            assert!(line.contains("HttpOnly") && line.contains("SameSite=Lax"));
            assert_eq!(line.contains("Secure"), secure);
            assert_eq!(line.starts_with("__Host-"), secure);
        }
        assert!(!format!("{b:?}").contains(&b.0));
        assert_ne!(b.sha256(), b.0);
    }

    const HTTP: CookieScope<'static> = CookieScope {
        secure: false,
        path: "/",
    };

    #[test]
    fn odd_cookies_are_no_binding() {
        for header in [
            "",
            "vipps_login_binding=short",
            "vipps_login_binding=",
            &format!("vipps_login_binding={}!", "a".repeat(42)),
        ] {
            assert_eq!(BrowserBinding::from_cookie_header(header, HTTP), None);
        }
        let plain = format!("vipps_login_binding={}", "a".repeat(43));
        assert!(BrowserBinding::from_cookie_header(&plain, HTTP).is_some());
        let https = CookieScope {
            secure: true,
            path: "/",
        };
        assert_eq!(BrowserBinding::from_cookie_header(&plain, https), None);
    }

    #[test]
    fn comparison() {
        assert!(same_binding("abc", Some("abc")));
        assert!(!same_binding("abc", Some("abd")));
        assert!(!same_binding("abc", None));
        assert!(!same_binding("", Some("")));
    }
}
