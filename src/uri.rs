//! A strict, small RFC 3986 reader for the checks this library makes on issuers,
//! endpoints and redirect URIs.
//!
//! Written by hand on purpose: the `url` crate follows the WHATWG URL standard (it
//! normalizes, which hides exactly the differences Vipps' exact matching trips on) and
//! its IDNA tables add ~70 KB gzip to the browser build; fluent-uri (strict RFC 3986)
//! cost ~5 KB gzip with its panic paths, an eighth of the package budget. What is needed
//! is only the component split of RFC 3986 Appendix B plus a character check per
//! component (RFC 3986 2 and 3), which is what this file does. It never panics: every
//! slice is taken with `split_once`/`get`.

/// The five components of RFC 3986 3, as they appear in the input (not normalized).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UriRef<'a> {
    pub scheme: Option<&'a str>,
    pub authority: Option<&'a str>,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub fragment: Option<&'a str>,
}

/// Where a URI breaks RFC 3986: the byte offset of the first offending character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidAt(pub usize);

impl<'a> UriRef<'a> {
    /// Splits and checks a URI reference. Non-ASCII characters, spaces, `<>"{}|\^``
    /// and malformed percent-encodings are refused.
    pub fn parse(input: &'a str) -> Result<Self, InvalidAt> {
        // RFC 3986 Appendix B: ^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?
        let (rest, fragment) = match input.split_once('#') {
            Some((r, f)) => (r, Some(f)),
            None => (input, None),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((r, q)) => (r, Some(q)),
            None => (rest, None),
        };
        let (scheme, rest) = match rest.split_once(':') {
            Some((s, r)) if !s.is_empty() && !s.contains('/') => (Some(s), r),
            _ => (None, rest),
        };
        let (authority, path) = match rest.strip_prefix("//") {
            Some(after) => match after.find('/') {
                Some(i) => (after.get(..i), after.get(i..).unwrap_or("")),
                None => (Some(after), ""),
            },
            None => (None, rest),
        };
        let uri = UriRef {
            scheme,
            authority,
            path,
            query,
            fragment,
        };
        uri.check(input)?;
        Ok(uri)
    }

    fn check(&self, input: &str) -> Result<(), InvalidAt> {
        let offset = |part: &str| (part.as_ptr() as usize).saturating_sub(input.as_ptr() as usize);
        if let Some(scheme) = self.scheme {
            // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
            for (i, b) in scheme.bytes().enumerate() {
                let ok = b.is_ascii_alphabetic()
                    || (i > 0 && (b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.')));
                if !ok {
                    return Err(InvalidAt(i));
                }
            }
        }
        if let Some(authority) = self.authority {
            check_authority(authority).map_err(|i| InvalidAt(offset(authority) + i))?;
        }
        check_chars(self.path, b"/:@").map_err(|i| InvalidAt(offset(self.path) + i))?;
        for part in [self.query, self.fragment].into_iter().flatten() {
            check_chars(part, b"/:@?").map_err(|i| InvalidAt(offset(part) + i))?;
        }
        Ok(())
    }

    /// The host of the authority, brackets kept for IP literals; empty when absent.
    pub fn host(&self) -> &'a str {
        let Some(authority) = self.authority else {
            return "";
        };
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
        if host_port.starts_with('[') {
            return match host_port.split_once(']') {
                Some((h, _)) => host_port.get(..h.len() + 1).unwrap_or(""),
                None => host_port,
            };
        }
        host_port.split_once(':').map_or(host_port, |(h, _)| h)
    }

    /// Whether the authority has a userinfo part (`user@host`).
    pub fn has_userinfo(&self) -> bool {
        self.authority.is_some_and(|a| a.contains('@'))
    }
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn is_sub_delim(b: u8) -> bool {
    matches!(
        b,
        b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
    )
}

/// Checks unreserved / sub-delims / pct-encoded / `extra`; returns the offset of the
/// first character that is none of those.
fn check_chars(part: &str, extra: &[u8]) -> Result<(), usize> {
    let bytes = part.as_bytes();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
            if !(hex(i + 1) && hex(i + 2)) {
                return Err(i);
            }
            i += 3;
        } else if is_unreserved(b) || is_sub_delim(b) || extra.contains(&b) {
            i += 1;
        } else {
            return Err(i);
        }
    }
    Ok(())
}

/// authority = [ userinfo "@" ] host [ ":" port ] (RFC 3986 3.2).
fn check_authority(authority: &str) -> Result<(), usize> {
    let (userinfo_len, host_port) = match authority.rsplit_once('@') {
        Some((userinfo, rest)) => {
            check_chars(userinfo, b":")?;
            (userinfo.len() + 1, rest)
        }
        None => (0, authority),
    };
    let shift = |r: Result<(), usize>, by: usize| r.map_err(|i| i + by);
    let (host, port) = if host_port.starts_with('[') {
        match host_port.split_once(']') {
            Some((literal, after)) => {
                // IP-literal: hex digits, ':' and '.' (IPv6 and IPv4-mapped forms).
                if let Some(i) = literal
                    .bytes()
                    .skip(1)
                    .position(|b| !(b.is_ascii_hexdigit() || b == b':' || b == b'.'))
                {
                    return Err(userinfo_len + 1 + i);
                }
                match after.strip_prefix(':') {
                    Some(port) => (None, Some((port, userinfo_len + literal.len() + 2))),
                    None if after.is_empty() => (None, None),
                    None => return Err(userinfo_len + literal.len() + 1),
                }
            }
            None => return Err(userinfo_len),
        }
    } else {
        match host_port.split_once(':') {
            Some((h, p)) => (Some(h), Some((p, userinfo_len + h.len() + 1))),
            None => (Some(host_port), None),
        }
    };
    if let Some(host) = host {
        shift(check_chars(host, b""), userinfo_len)?;
    }
    if let Some((port, at)) = port {
        if let Some(i) = port.bytes().position(|b| !b.is_ascii_digit()) {
            return Err(at + i);
        }
    }
    Ok(())
}

pub use vipps_login_begin::rules::is_loopback_host;

/// An absolute http(s) URL with a host and no fragment, https unless the host is
/// loopback. For endpoints read from discovery documents.
pub fn is_secure_http_url(url: &str) -> bool {
    let Ok(uri) = UriRef::parse(url) else {
        return false;
    };
    let host = uri.host();
    if host.is_empty() || uri.fragment.is_some() {
        return false;
    }
    match uri.scheme {
        Some(s) if s.eq_ignore_ascii_case("https") => true,
        Some(s) if s.eq_ignore_ascii_case("http") => is_loopback_host(host),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_rfc3986_appendix_b_examples() {
        let u = UriRef::parse("http://www.ics.uci.edu/pub/ietf/uri/#Related").unwrap();
        assert_eq!(u.scheme, Some("http"));
        assert_eq!(u.authority, Some("www.ics.uci.edu"));
        assert_eq!(u.path, "/pub/ietf/uri/");
        assert_eq!(u.query, None);
        assert_eq!(u.fragment, Some("Related"));
        let u = UriRef::parse("myapp://callback").unwrap();
        assert_eq!(
            (u.scheme, u.authority, u.path),
            (Some("myapp"), Some("callback"), "")
        );
        let u = UriRef::parse("/cb?x=1").unwrap();
        assert_eq!((u.scheme, u.path, u.query), (None, "/cb", Some("x=1")));
        let u = UriRef::parse("urn:vipps:acr").unwrap();
        assert_eq!(
            (u.scheme, u.authority, u.path),
            (Some("urn"), None, "vipps:acr")
        );
    }

    #[test]
    fn hosts_ports_userinfo_ip_literals() {
        let u = UriRef::parse("https://user:pw@Example.com:8443/x").unwrap();
        assert_eq!(u.host(), "Example.com");
        assert!(u.has_userinfo());
        assert_eq!(UriRef::parse("http://[::1]:3000/").unwrap().host(), "[::1]");
        assert_eq!(
            UriRef::parse("http://127.0.0.1:80").unwrap().host(),
            "127.0.0.1"
        );
        assert_eq!(UriRef::parse("https:///x").unwrap().host(), "");
    }

    #[test]
    fn refuses_characters_outside_rfc3986_with_position() {
        assert_eq!(UriRef::parse("https://e.com/a b"), Err(InvalidAt(15)));
        assert_eq!(UriRef::parse("https://e.com/%zz"), Err(InvalidAt(14)));
        assert_eq!(UriRef::parse("https://e.com/æ"), Err(InvalidAt(14)));
        assert_eq!(UriRef::parse("https://e.com:80a/"), Err(InvalidAt(16)));
        assert_eq!(UriRef::parse("https://[::g]/"), Err(InvalidAt(11)));
        assert_eq!(UriRef::parse("1http://e.com/"), Err(InvalidAt(0)));
        assert_eq!(UriRef::parse("https://e.com/<x>"), Err(InvalidAt(14)));
        assert!(UriRef::parse("https://e.com/a%20b?q=1&r=x:y/z?w#f/?").is_ok());
    }

    #[test]
    fn loopback_hosts() {
        for h in [
            "127.0.0.1",
            "127.1.2.3",
            "localhost",
            "LocalHost",
            "[::1]",
            "::1",
        ] {
            assert!(is_loopback_host(h), "{h}");
        }
        for h in [
            "127.0.0.1.nip.io",
            "128.0.0.1",
            "localhost.example",
            "127.0.0",
            "10.0.0.1",
            "127.0.0.256",
            "",
        ] {
            assert!(!is_loopback_host(h), "{h}");
        }
    }

    #[test]
    fn secure_http_urls() {
        assert!(is_secure_http_url("https://api.vipps.no/x?y=z"));
        assert!(is_secure_http_url("http://127.0.0.1:8080/token"));
        assert!(!is_secure_http_url("http://api.vipps.no/token"));
        assert!(!is_secure_http_url("javascript:alert(1)"));
        assert!(!is_secure_http_url("/relative"));
        assert!(!is_secure_http_url("https://x/#f"));
    }
}
