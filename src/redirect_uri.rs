//! The redirect URI rules from Vipps' FAQ ("What are the requirements for redirect
//! URIs?", "Can I use a custom URL scheme?", "Why do I get invalid_client /
//! invalid_request?") and the exact-match check Vipps applies against the URIs
//! registered in the merchant portal.

use crate::error::{Error, ErrorCode};
use crate::uri::{is_loopback_host, InvalidAt, UriRef};

/// The outcome of [`check_redirect_uri`]: errors make Vipps refuse the URI; warnings
/// are what commonly breaks exact matching.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RedirectUriReport {
    pub errors: Vec<Error>,
    pub warnings: Vec<Error>,
}

impl RedirectUriReport {
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// The first error, for callers that refuse on any.
    pub fn into_result(self) -> Result<Vec<Error>, Error> {
        match self.errors.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(self.warnings),
        }
    }
}

/// Checks one redirect URI against Vipps' rules (syntax only: no registered list).
pub fn check_redirect_uri_rules(uri: &str) -> RedirectUriReport {
    let mut report = RedirectUriReport::default();
    check_syntax(uri, &mut report);
    report
}

/// Checks one redirect URI against Vipps' rules and against the URIs registered for the
/// sales unit, byte for byte, as Vipps does. An empty list registers nothing, so
/// nothing matches.
pub fn check_redirect_uri<S: AsRef<str>>(uri: &str, registered: &[S]) -> RedirectUriReport {
    let registered: Vec<&str> = registered.iter().map(AsRef::as_ref).collect();
    check(uri, &registered)
}

// One non-generic body, so the wasm module holds one copy.
fn check(uri: &str, registered: &[&str]) -> RedirectUriReport {
    let mut report = check_redirect_uri_rules(uri);
    if !registered.contains(&uri) {
        report.errors.push(not_registered(uri, registered));
    }
    report
}

fn check_syntax(uri: &str, report: &mut RedirectUriReport) {
    let err = |code, msg: String| Error::new(code, msg);
    if uri.is_empty() {
        report.errors.push(err(
            ErrorCode::RedirectUriEmpty,
            "the redirect URI is empty".into(),
        ));
        return;
    }
    // Vipps FAQ: "The redirect URI cannot contain #." Checked before parsing, since a
    // fragment is otherwise valid URI syntax.
    if let Some(pos) = uri.find('#') {
        report.errors.push(
            err(
                ErrorCode::RedirectUriHasFragment,
                format!(
                    "the redirect URI contains '#' at character {}",
                    char_index(uri, pos) + 1
                ),
            )
            .with_detail("position", char_index(uri, pos).to_string()),
        );
    }
    let without_fragment = uri.split('#').next().unwrap_or(uri);
    let parsed = match UriRef::parse(without_fragment) {
        Ok(p) => p,
        Err(InvalidAt(pos)) => {
            let at = char_index(without_fragment, pos);
            let found = without_fragment
                .get(pos..)
                .and_then(|s| s.chars().next())
                .unwrap_or(' ');
            report.errors.push(
                err(
                    ErrorCode::RedirectUriInvalid,
                    format!(
                        "the redirect URI is not a valid URI: '{found}' at character {} is not allowed there",
                        at + 1
                    ),
                )
                .with_detail("position", at.to_string()),
            );
            return;
        }
    };
    let Some(scheme) = parsed.scheme else {
        report.errors.push(err(
            ErrorCode::RedirectUriNotAbsolute,
            format!("\"{uri}\" is relative; Vipps needs an absolute URI with a scheme"),
        ));
        return;
    };
    let scheme = scheme.to_ascii_lowercase();
    let host = parsed.host();
    let path = parsed.path;

    match scheme.as_str() {
        "http" | "https" => {
            if host.is_empty() {
                report.errors.push(err(
                    ErrorCode::RedirectUriMissingHost,
                    format!("\"{uri}\" has no host"),
                ));
            } else if scheme == "http" && !is_loopback_host(host) {
                report.errors.push(err(
                    ErrorCode::RedirectUriHttpNotLocalhost,
                    format!("\"{uri}\" uses plain http on \"{host}\", which is not localhost"),
                ));
            }
        }
        "javascript" | "data" | "vbscript" | "file" => {
            report.errors.push(err(
                ErrorCode::RedirectUriSchemeForbidden,
                format!("the scheme {scheme}: cannot be a redirect URI"),
            ));
            return;
        }
        _ => {
            // Vipps FAQ: "If the redirect_url is using a custom URL scheme, such as
            // myapp://, a path is required: myapp://path-to-something."
            if host.is_empty() && path.trim_matches('/').is_empty() {
                report.errors.push(err(
                    ErrorCode::RedirectUriCustomSchemeWithoutPath,
                    format!("\"{uri}\" has a custom scheme and nothing after it"),
                ));
            } else {
                report.warnings.push(err(
                    ErrorCode::RedirectUriCustomScheme,
                    format!("\"{uri}\" uses the custom scheme {scheme}:"),
                ));
            }
        }
    }

    // Warnings: what commonly breaks Vipps' exact matching (Vipps FAQ: invalid_client).
    if let Some(pos) = without_fragment.find('%') {
        report.warnings.push(
            err(
                ErrorCode::RedirectUriPercentEncoded,
                format!(
                    "\"{uri}\" holds percent-encoded characters (from character {}); the registered URI must encode them identically",
                    char_index(uri, pos) + 1
                ),
            )
            .with_detail("position", char_index(uri, pos).to_string()),
        );
    }
    if host.bytes().any(|b| b.is_ascii_uppercase()) {
        report.warnings.push(err(
            ErrorCode::RedirectUriUppercaseHost,
            format!("the host \"{host}\" has uppercase letters; the registered URI must match their case exactly"),
        ));
    }
    if path.ends_with('/') {
        report.warnings.push(err(
            ErrorCode::RedirectUriTrailingSlash,
            format!("\"{uri}\" ends its path with '/'; the registered URI must have it too"),
        ));
    }
}

/// Names the registered URI closest to `uri` (by edit distance) and the first character
/// where they differ: `position` (0-based), `found` and `expected` (the characters
/// there; empty at the end of a URI).
fn not_registered(uri: &str, registered: &[&str]) -> Error {
    let Some(closest) = registered
        .iter()
        .copied()
        .min_by_key(|r| strsim::levenshtein(r, uri))
    else {
        return Error::new(
            ErrorCode::RedirectUriNotRegistered,
            format!("\"{uri}\" is not registered: the list of registered redirect URIs is empty"),
        );
    };
    let position = uri
        .chars()
        .zip(closest.chars())
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| uri.chars().count().min(closest.chars().count()));
    let at = |s: &str| {
        s.chars()
            .nth(position)
            .map(String::from)
            .unwrap_or_default()
    };
    let (found, expected) = (at(uri), at(closest));
    let describe = |c: &str| {
        if c.is_empty() {
            "the end".to_string()
        } else {
            format!("'{c}'")
        }
    };
    Error::new(
        ErrorCode::RedirectUriNotRegistered,
        format!(
            "\"{uri}\" is not registered. The closest registered URI is \"{closest}\"; they differ at character {} ({} where the registered URI has {})",
            position + 1,
            describe(&found),
            describe(&expected)
        ),
    )
    .with_detail("closest", closest)
    .with_detail("position", position.to_string())
    .with_detail("found", found)
    .with_detail("expected", expected)
}

fn char_index(s: &str, byte_pos: usize) -> usize {
    s.get(..byte_pos).map_or(0, |p| p.chars().count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(v: &[Error]) -> Vec<ErrorCode> {
        v.iter().map(Error::code).collect()
    }

    #[test]
    fn good_uris_pass_clean() {
        for uri in [
            "https://example.com/callback",
            "https://shop.example.no/login/vipps?x=1",
            "http://localhost:3000/callback",
            "http://127.0.0.1:8787/callback",
        ] {
            let r = check_redirect_uri_rules(uri);
            assert!(r.ok(), "{uri}: {:?}", r.errors);
            assert!(r.warnings.is_empty(), "{uri}: {:?}", r.warnings);
        }
    }

    #[test]
    fn vipps_faq_redirect_uri_cannot_contain_hash() {
        let r = check_redirect_uri_rules("https://example.com/cb#done");
        assert_eq!(codes(&r.errors), [ErrorCode::RedirectUriHasFragment]);
        // `position` is 0-based; the message counts from 1.
        assert_eq!(r.errors[0].detail("position"), Some("22"));
        assert!(r.errors[0].message().contains("character 23"));
    }

    #[test]
    fn vipps_faq_custom_scheme_needs_a_path() {
        for bad in ["myapp://", "myapp:", "myapp:///"] {
            let r = check_redirect_uri_rules(bad);
            assert_eq!(
                codes(&r.errors),
                [ErrorCode::RedirectUriCustomSchemeWithoutPath],
                "{bad}"
            );
        }
        let r = check_redirect_uri_rules("myapp://callback");
        assert!(r.ok());
        // Vipps FAQ: universal links / app links are recommended over custom schemes.
        assert_eq!(codes(&r.warnings), [ErrorCode::RedirectUriCustomScheme]);
    }

    #[test]
    fn vipps_faq_localhost_allowed_plain_http_only_there() {
        assert!(check_redirect_uri_rules("http://localhost/cb").ok());
        let r = check_redirect_uri_rules("http://example.com/cb");
        assert_eq!(codes(&r.errors), [ErrorCode::RedirectUriHttpNotLocalhost]);
    }

    #[test]
    fn must_be_absolute_and_valid() {
        assert_eq!(
            codes(&check_redirect_uri_rules("/callback").errors),
            [ErrorCode::RedirectUriNotAbsolute]
        );
        assert_eq!(
            codes(&check_redirect_uri_rules("").errors),
            [ErrorCode::RedirectUriEmpty]
        );
        let r = check_redirect_uri_rules("https://example.com/my callback");
        assert_eq!(codes(&r.errors), [ErrorCode::RedirectUriInvalid]);
        assert_eq!(r.errors[0].detail("position"), Some("22"));
        assert_eq!(
            codes(&check_redirect_uri_rules("https:///cb").errors),
            [ErrorCode::RedirectUriMissingHost]
        );
        assert_eq!(
            codes(&check_redirect_uri_rules("javascript:alert(1)").errors),
            [ErrorCode::RedirectUriSchemeForbidden]
        );
    }

    #[test]
    fn vipps_faq_warnings_percent_encoding_uppercase_host_trailing_slash() {
        let r = check_redirect_uri_rules("https://Example.com/my%20callback/");
        assert!(r.ok());
        assert_eq!(
            codes(&r.warnings),
            [
                ErrorCode::RedirectUriPercentEncoded,
                ErrorCode::RedirectUriUppercaseHost,
                ErrorCode::RedirectUriTrailingSlash
            ]
        );
    }

    #[test]
    fn vipps_faq_exact_match_names_closest_and_first_difference() {
        let registered = [
            "https://shop.example/vipps/callback",
            "https://shop.example/other",
            "myapp://callback",
        ];
        assert!(check_redirect_uri("https://shop.example/vipps/callback", &registered).ok());

        let r = check_redirect_uri("https://shop.example/vipps/callback/", &registered);
        assert_eq!(codes(&r.errors), [ErrorCode::RedirectUriNotRegistered]);
        let e = &r.errors[0];
        assert_eq!(
            e.detail("closest"),
            Some("https://shop.example/vipps/callback")
        );
        assert_eq!(e.detail("position"), Some("35"));
        assert_eq!(e.detail("found"), Some("/"));
        assert_eq!(e.detail("expected"), Some(""));
        assert!(e
            .message()
            .contains("('/' where the registered URI has the end)"));
        assert!(e.message().contains("character 36"));

        let r = check_redirect_uri("https://shop.example/Vipps/callback", &registered);
        let e = &r.errors[0];
        assert_eq!(e.detail("position"), Some("21"));
        assert_eq!(e.detail("found"), Some("V"));
        assert_eq!(e.detail("expected"), Some("v"));

        // An empty list registers nothing.
        let r = check_redirect_uri::<&str>("https://shop.example/vipps/callback", &[]);
        assert_eq!(codes(&r.errors), [ErrorCode::RedirectUriNotRegistered]);
        assert_eq!(r.errors[0].detail("closest"), None);
    }
}
