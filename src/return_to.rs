//! `returnTo`: where the Worker sends the user after a login. Only same-origin relative
//! paths, so the login can never be turned into an open redirect (OAuth 2.0 Security
//! BCP 4.11).

/// `path` when it is a same-origin absolute path (`/account?x=1`), else `/`.
///
/// Refused: anything not starting with one `/` (`https://evil`, `evil`), protocol-relative
/// `//evil` and `/\evil` (browsers read `\` as `/`), and control characters or spaces,
/// which browsers strip before resolving (`/\t/evil`).
pub fn safe_return_to(path: Option<&str>) -> &str {
    let Some(path) = path else { return "/" };
    let first_ok = path.starts_with('/');
    let second = path.as_bytes().get(1).copied();
    let no_authority = !matches!(second, Some(b'/') | Some(b'\\'));
    // Visible ASCII only: no spaces or controls (browsers strip them before resolving),
    // and nothing above U+007F, which a Location header cannot carry.
    let clean = path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\');
    if first_ok && no_authority && clean && path.len() <= 512 {
        path
    } else {
        "/"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_same_origin_paths() {
        for ok in [
            "/",
            "/account",
            "/shop/cart?item=1&x=%2F",
            "/a#frag",
            "/%0a",
        ] {
            assert_eq!(safe_return_to(Some(ok)), ok);
        }
        assert_eq!(safe_return_to(None), "/");
    }

    #[test]
    fn no_open_redirects() {
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "evil.example",
            "/\t/evil.example",
            "/ /evil.example",
            "javascript:alert(1)",
            "",
            "/caf\u{e9}",
            "/\u{2028}evil",
        ] {
            assert_eq!(safe_return_to(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_return_to(Some(&format!("/{}", "a".repeat(600)))), "/");
    }
}
