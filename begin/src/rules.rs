//! Vipps' names, limits and the small syntax rules of the begin-login step: the one copy
//! of each, used by this crate and by the main crate.

/// Every scope Vipps documents; Vipps' names are its own and case sensitive.
pub const VIPPS_SCOPES: &[&str] = &[
    "openid",
    "name",
    "email",
    "phoneNumber",
    "address",
    "birthDate",
    "nin",
    "gender",
    "delegatedConsents",
    "customFlow",
    "paymentSourceReferences",
];

/// Vipps' issuer is `{base}/access-management-1.0/access/`, with the trailing slash.
pub const VIPPS_ISSUER_PATH: &str = "/access-management-1.0/access/";
/// The base URL of Vipps' test environment ("MT"; needs the Vipps test app).
pub const TEST_BASE: &str = "https://apitest.vipps.no";
/// The base URL of Vipps' production environment.
pub const PRODUCTION_BASE: &str = "https://api.vipps.no";
/// The authorization endpoint below the issuer, in Vipps' layout.
pub const VIPPS_AUTHORIZE_PATH: &str = "oauth2/auth";

/// Vipps FAQ: "state ... must be at least 8 characters long".
pub const MIN_STATE_LEN: usize = 8;
/// Our cap on state and nonce. Vipps has answered HTTP 502 for state or nonce of 1000+
/// characters and for URLs over ~2000 characters; 256 leaves room for everything else.
pub const MAX_STATE_LEN: usize = 256;
/// Vipps FAQ (HTTP 502): any URL in the redirect chain over ~2000 characters.
pub const MAX_URL_LEN: usize = 2000;

/// Vipps' `market` values: the Vipps or MobilePay look.
pub const MARKETS: &[&str] = &["NO", "SE", "DK", "FI"];

/// Vipps' `requested_flow` values.
pub const AUTOMATIC_RETURN: &str = "automatic_return_from_vipps_app";
pub const APP_TO_APP: &str = "app_to_app";
pub const APP_TO_APP_V2: &str = "app_to_app_v2";

/// RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
pub fn is_scope_token_byte(b: u8) -> bool {
    b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b)
}

/// RFC 7636 4.1: 43 to 128 characters of `A-Z a-z 0-9 - . _ ~`.
pub fn is_code_verifier(v: &str) -> bool {
    (43..=128).contains(&v.len()) && v.bytes().all(is_code_verifier_byte)
}

/// RFC 7636 4.1: a code_verifier's characters, `A-Z a-z 0-9 - . _ ~`.
pub fn is_code_verifier_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// acr_values: not blank, printable ASCII and spaces (it is sent as it is).
pub fn is_acr_values(acr: &str) -> bool {
    acr.bytes().any(|b| b != b' ') && acr.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
}

/// 127.0.0.1 (any 127/8 address), localhost and [::1]: the hosts where plain http is
/// tolerated for local development.
pub fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") || host == "::1" || host == "[::1]" {
        return true;
    }
    let mut parts = split(host, b'.');
    let octet = |p: &str| {
        (1..=3).contains(&p.len())
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.bytes().fold(0u32, |n, b| n * 10 + u32::from(b - b'0')) <= 255
    };
    parts.next() == Some("127") && parts.clone().count() == 3 && parts.all(octet)
}

/// The scheme of an absolute URI (RFC 3986 3.1: a letter, then letters, digits, `+-.`,
/// up to `:`), or `None` for a relative reference.
pub fn scheme(uri: &str) -> Option<&str> {
    let b = uri.as_bytes();
    let colon = b.iter().position(|&c| c == b':')?;
    let scheme = uri.get(..colon)?;
    let mut bytes = scheme.bytes();
    let first = bytes.next()?;
    (first.is_ascii_alphabetic()
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.')))
    .then_some(scheme)
}

/// The host of a `scheme://authority/...` URI, without user information or port; empty
/// when there is no authority.
///
/// Byte-level on purpose (here and in [`scheme`]): `str` searches with a `&str`
/// pattern and slicing by index carry panic paths whose messages bring `core::fmt` and
/// Unicode tables into the module (~6 KB of a module whose budget is 8 KB gzip).
pub fn host(uri: &str) -> &str {
    let b = uri.as_bytes();
    let Some(start) = b.windows(3).position(|w| w == b"://").map(|i| i + 3) else {
        return "";
    };
    let end = b
        .iter()
        .skip(start)
        .position(|&c| matches!(c, b'/' | b'?' | b'#'))
        .map_or(b.len(), |n| start + n);
    let authority = uri.get(start..end).unwrap_or("");
    let a = authority.as_bytes();
    // User information ends at the last '@' (RFC 3986 3.2.1).
    let from = a.iter().rposition(|&c| c == b'@').map_or(0, |i| i + 1);
    let authority = authority.get(from..).unwrap_or("");
    let a = authority.as_bytes();
    let to = if a.first() == Some(&b'[') {
        // IP literal (RFC 3986 3.2.2): up to and including ']'.
        a.iter().position(|&c| c == b']').map_or(a.len(), |i| i + 1)
    } else {
        a.iter().position(|&c| c == b':').unwrap_or(a.len())
    };
    authority.get(..to).unwrap_or("")
}

/// `s` split at every `sep`, an ASCII byte (like `str::split` with a `char`, without
/// the generic pattern searcher: 0.8 KB less wasm).
pub fn split(s: &str, sep: u8) -> impl Iterator<Item = &str> + Clone {
    debug_assert!(sep.is_ascii());
    let mut rest = Some(s);
    core::iter::from_fn(move || {
        let r = rest?;
        match r.bytes().position(|b| b == sep) {
            Some(i) => {
                // `sep` is ASCII, so both sides are on character boundaries.
                rest = r.get(i + 1..);
                r.get(..i)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// Characters, not bytes (UTF-8: every byte but continuation bytes starts one).
pub fn char_count(s: &str) -> usize {
    s.bytes().filter(|&b| b & 0xC0 != 0x80).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_count_like_str() {
        assert_eq!(char_count("blåbær"), 6);
        assert!(
            is_acr_values("urn:vipps:acr:app_auth")
                && !is_acr_values("  ")
                && !is_acr_values("a\tb")
        );
        for s in ["", ".", "a.b..c.", "blå.bær", "...", "abc"] {
            assert_eq!(
                split(s, b'.').collect::<Vec<_>>(),
                s.split('.').collect::<Vec<_>>(),
                "{s:?}"
            );
        }
    }

    #[test]
    fn loopback_hosts() {
        for h in ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "[::1]"] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in [
            "127.0.0.1.example",
            "128.0.0.1",
            "127.0.0",
            "127.0.0.256",
            "example.com",
            "",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }

    #[test]
    fn schemes_and_hosts() {
        assert_eq!(scheme("https://a.example/x"), Some("https"));
        assert_eq!(scheme("my-app+x.1:/path"), Some("my-app+x.1"));
        assert_eq!(scheme("/relative:x"), None);
        assert_eq!(scheme("1x://a"), None);
        assert_eq!(host("https://u:p@shop.example:8443/cb?x#y"), "shop.example");
        assert_eq!(host("http://[::1]:3000/cb"), "[::1]");
        assert_eq!(host("http://localhost"), "localhost");
        assert_eq!(host("myapp:path"), "");
    }

    #[test]
    fn verifier_and_scope_bytes() {
        assert!(is_code_verifier(&"a".repeat(43)));
        assert!(!is_code_verifier(&"a".repeat(42)));
        assert!(!is_code_verifier(&"a".repeat(129)));
        assert!(!is_code_verifier(&"ä".repeat(43)));
        assert!(
            is_scope_token_byte(b'a') && !is_scope_token_byte(b' ') && !is_scope_token_byte(b'"')
        );
    }
}
