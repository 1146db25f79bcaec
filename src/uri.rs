//! Small URI helpers shared by the issuer, discovery and redirect URI checks. Parsing
//! itself is fluent-uri's (strict RFC 3986, no IDNA tables: the `url` crate's would add
//! ~70 KB gzip to the browser build).

/// 127.0.0.1 (any 127/8 address), localhost and [::1]: the hosts where plain http is
/// tolerated for local development.
pub fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.eq_ignore_ascii_case("localhost") || host == "::1" {
        return true;
    }
    let mut parts = host.split('.');
    let first = parts.next();
    let rest: Vec<&str> = parts.collect();
    first == Some("127")
        && rest.len() == 3
        && rest
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.parse::<u8>().is_ok())
}

/// An absolute http(s) URL, https unless the host is loopback. For endpoints read from
/// discovery documents.
pub fn is_secure_http_url(url: &str) -> bool {
    let Ok(uri) = fluent_uri::Uri::parse(url) else {
        return false;
    };
    let Some(authority) = uri.authority() else {
        return false;
    };
    if authority.host().is_empty() || uri.fragment().is_some() {
        return false;
    }
    let scheme = uri.scheme().as_str();
    scheme.eq_ignore_ascii_case("https")
        || (scheme.eq_ignore_ascii_case("http") && is_loopback_host(authority.host()))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
