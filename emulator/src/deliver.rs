//! Delivering a webhook: one HTTP/1.1 `POST` to a plain-http URL (the emulator talks to
//! local test servers only), with a time limit over the whole exchange. Written out by
//! hand to keep an HTTP client out of the emulator's dependencies.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The time limit of one delivery (connect, send, the status line).
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);
/// Most bytes of the receiver's answer read (the status line is all that counts).
const MAX_ANSWER_BYTES: usize = 16 * 1024;

/// `http://host[:port]/path?query` as (authority for `connect`, Host header, path).
pub fn parse_http_url(url: &str) -> Option<(String, String, String)> {
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    if authority.is_empty()
        || authority.contains('@')
        || url.contains('#')
        || url.bytes().any(|b| !b.is_ascii_graphic())
    {
        return None;
    }
    let has_port = match authority.rfind(':') {
        Some(i) => !authority.ends_with(']') && authority[i + 1..].parse::<u16>().is_ok(),
        None => false,
    };
    let connect = if has_port {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    Some((connect, authority.to_string(), path))
}

/// POSTs `body` to `url` with `headers`; the receiver's status, or why not.
pub async fn post(
    url: &str,
    content_type: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> Result<u16, String> {
    let (connect, host, path) =
        parse_http_url(url).ok_or_else(|| format!("{url:?} is not an http:// URL"))?;
    let exchange = async {
        let mut stream = TcpStream::connect(&connect)
            .await
            .map_err(|e| format!("connecting to {connect}: {e}"))?;
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: vipps-login-emulator\r\n",
            body.len()
        );
        for (name, value) in headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| format!("sending: {e}"))?;
        stream
            .write_all(body)
            .await
            .map_err(|e| format!("sending: {e}"))?;
        let mut answer = Vec::new();
        let mut chunk = [0u8; 1024];
        while !answer.windows(2).any(|w| w == b"\r\n") && answer.len() < MAX_ANSWER_BYTES {
            let n = stream
                .read(&mut chunk)
                .await
                .map_err(|e| format!("reading the answer: {e}"))?;
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&chunk[..n]);
        }
        status_of(&answer).ok_or_else(|| "the receiver did not answer HTTP".to_string())
    };
    match tokio::time::timeout(DELIVERY_TIMEOUT, exchange).await {
        Ok(result) => result,
        Err(_) => Err(format!("no answer within {} s", DELIVERY_TIMEOUT.as_secs())),
    }
}

/// The status code of `HTTP/1.x NNN ...`.
fn status_of(answer: &[u8]) -> Option<u16> {
    let line = answer.split(|b| *b == b'\r').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split(' ');
    parts.next().filter(|v| v.starts_with("HTTP/1."))?;
    parts.next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_urls_only() {
        assert_eq!(
            parse_http_url("http://127.0.0.1:8787/webhooks/x?a=1"),
            Some((
                "127.0.0.1:8787".into(),
                "127.0.0.1:8787".into(),
                "/webhooks/x?a=1".into()
            ))
        );
        assert_eq!(
            parse_http_url("http://localhost"),
            Some(("localhost:80".into(), "localhost".into(), "/".into()))
        );
        for bad in [
            "https://x/y",
            "http://",
            "http://u@x/",
            "http://x/#f",
            "ftp://x",
        ] {
            assert_eq!(parse_http_url(bad), None, "{bad}");
        }
        assert_eq!(status_of(b"HTTP/1.1 204 No Content\r\n"), Some(204));
        assert_eq!(status_of(b"garbage"), None);
    }
}
