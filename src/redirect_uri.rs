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
                    "the redirect URI contains '#' at {}",
                    at_position(char_index(uri, pos))
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
                        "the redirect URI is not a valid URI: '{found}' at {} is not allowed there",
                        at_position(at)
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
                    "\"{uri}\" holds percent-encoded characters (from {}); the registered URI must encode them identically",
                    at_position(char_index(uri, pos))
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

/// What `found` and `expected` hold where a URI has no character: it ended there.
const END_OF_URI: &str = "(end)";

/// Names the registered URI closest to `uri` (by edit distance) and the first character
/// where they differ: `position` (0-based, like every `position` detail), `found` and
/// `expected` (the characters there in `uri` and in the registered URI, or
/// [`END_OF_URI`] where one of them has ended).
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
    let at = |s: &str| s.chars().nth(position).map(String::from);
    let (found, expected) = (at(uri), at(closest));
    let describe = |c: &Option<String>| match c {
        Some(c) => format!("'{c}'"),
        None => "the end".to_string(),
    };
    let message = format!(
        "\"{uri}\" is not registered. The closest registered URI is \"{closest}\"; they differ at {} ({} where the registered URI has {})",
        at_position(position),
        describe(&found),
        describe(&expected)
    );
    let or_end = |c: Option<String>| c.unwrap_or_else(|| END_OF_URI.to_string());
    Error::new(ErrorCode::RedirectUriNotRegistered, message)
        .with_detail("closest", closest)
        .with_detail("position", position.to_string())
        .with_detail("found", or_end(found))
        .with_detail("expected", or_end(expected))
}

/// "position 30 (the 31st character)": the 0-based `position` detail, and the character
/// a person counts to.
fn at_position(position: usize) -> String {
    let n = position + 1;
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("position {position} (the {n}{suffix} character)")
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
        // `position` is 0-based; the message gives it and the character a person counts to.
        assert_eq!(r.errors[0].detail("position"), Some("22"));
        assert!(r.errors[0]
            .message()
            .contains("at position 22 (the 23rd character)"));
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
        assert!(r.errors[0]
            .message()
            .contains("' ' at position 22 (the 23rd character)"));
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
        assert_eq!(e.detail("expected"), Some(END_OF_URI));
        assert!(e.message().contains(
            "at position 35 (the 36th character) ('/' where the registered URI has the end)"
        ));

        // The other way round: the URI ends where the registered one goes on.
        let r = check_redirect_uri("https://shop.example/vipps/call", &registered);
        let e = &r.errors[0];
        assert_eq!(e.detail("position"), Some("31"));
        assert_eq!(e.detail("found"), Some(END_OF_URI));
        assert_eq!(e.detail("expected"), Some("b"));
        assert!(e.message().contains(
            "at position 31 (the 32nd character) (the end where the registered URI has 'b')"
        ));

        let r = check_redirect_uri("https://shop.example/Vipps/callback", &registered);
        let e = &r.errors[0];
        assert_eq!(e.detail("position"), Some("21"));
        assert_eq!(e.detail("found"), Some("V"));
        assert_eq!(e.detail("expected"), Some("v"));
        assert!(e.message().contains(
            "at position 21 (the 22nd character) ('V' where the registered URI has 'v')"
        ));

        // An empty list registers nothing.
        let r = check_redirect_uri::<&str>("https://shop.example/vipps/callback", &[]);
        assert_eq!(codes(&r.errors), [ErrorCode::RedirectUriNotRegistered]);
        assert_eq!(r.errors[0].detail("closest"), None);
    }

    #[test]
    fn message_and_details_agree_on_the_position() {
        // The case from the issue: the message said "character 31" beside position 30,
        // and `expected` was blank because the registered URI ends there.
        let registered = ["https://shop.example/vipps/c/x"];
        let r = check_redirect_uri("https://shop.example/vipps/c/xy", &registered);
        let e = &r.errors[0];
        assert_eq!(e.detail("position"), Some("30"));
        assert_eq!(e.detail("found"), Some("y"));
        assert_eq!(e.detail("expected"), Some("(end)"));
        assert!(
            e.message().contains(
                "at position 30 (the 31st character) ('y' where the registered URI has the end)"
            ),
            "{}",
            e.message()
        );
        // Every position in every message is the `position` detail, with its ordinal.
        for (uri, reg) in [
            ("https://shop.example/a#b", None),
            ("https://shop.example/a b", None),
            ("https://shop.example/a%20b", None),
            ("https://shop.example/ab", Some("https://shop.example/ac")),
            ("https://shop.example/a", Some("https://shop.example/ab")),
        ] {
            let r = match reg {
                Some(reg) => check_redirect_uri(uri, &[reg]),
                None => check_redirect_uri_rules(uri),
            };
            let problems: Vec<&Error> = r.errors.iter().chain(&r.warnings).collect();
            let with_position: Vec<&&Error> = problems
                .iter()
                .filter(|e| e.detail("position").is_some())
                .collect();
            assert_eq!(with_position.len(), 1, "{uri}: {problems:?}");
            let e = with_position[0];
            let p: usize = e.detail("position").unwrap().parse().unwrap();
            assert!(
                e.message()
                    .contains(&format!("position {p} (the {} character)", ordinal(p + 1))),
                "{uri}: {}",
                e.message()
            );
        }
    }

    fn ordinal(n: usize) -> String {
        at_position(n - 1)
            .split("(the ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .to_string()
    }

    #[test]
    fn ordinals() {
        for (position, text) in [
            (0, "position 0 (the 1st character)"),
            (1, "position 1 (the 2nd character)"),
            (2, "position 2 (the 3rd character)"),
            (3, "position 3 (the 4th character)"),
            (10, "position 10 (the 11th character)"),
            (11, "position 11 (the 12th character)"),
            (12, "position 12 (the 13th character)"),
            (20, "position 20 (the 21st character)"),
            (21, "position 21 (the 22nd character)"),
            (22, "position 22 (the 23rd character)"),
            (100, "position 100 (the 101st character)"),
            (110, "position 110 (the 111th character)"),
            (111, "position 111 (the 112th character)"),
        ] {
            assert_eq!(at_position(position), text);
        }
    }
}
