//! Delivering a webhook: one `POST` to a plain-http URL (the emulator talks to local test
//! servers only), with a time limit over the whole exchange and at most
//! [`MAX_ANSWER_BYTES`] of the answer read. One HTTP client (reqwest, no proxy, no
//! redirects) for every delivery: the CIBA ping and the consent-revoked webhook.

use std::sync::OnceLock;
use std::time::Duration;

/// The time limit of one delivery (connect, send, the answer).
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(5);
/// Most bytes of the receiver's answer read (the status is all that counts).
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// `url` when it is a plain `http://` URL with a host, no credentials and no fragment.
pub fn parse_http_url(url: &str) -> Option<reqwest::Url> {
    let parsed = reqwest::Url::parse(url).ok()?;
    let usable = parsed.scheme() == "http"
        && parsed.host_str().is_some_and(|h| !h.is_empty())
        && parsed.username().is_empty()
        && parsed.password().is_none()
        && parsed.fragment().is_none();
    usable.then_some(parsed)
}

/// The shared client, built once.
fn client() -> Result<&'static reqwest::Client, String> {
    static CLIENT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .timeout(DELIVERY_TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .build()
                .map_err(|e| format!("cannot build the HTTP client: {e}"))
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// POSTs `body` to `url` with `content_type` and `headers` (a `Host` among them replaces
/// the URL's, so that a signed host is the one sent); the receiver's status, or why not.
pub async fn post(
    url: &str,
    content_type: &str,
    headers: &[(&str, String)],
    body: Vec<u8>,
) -> Result<u16, String> {
    let url = parse_http_url(url).ok_or_else(|| format!("{url:?} is not an http:// URL"))?;
    let mut request = client()?
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .header(reqwest::header::USER_AGENT, "vipps-login-emulator");
    for (name, value) in headers {
        request = request.header(*name, value.as_str());
    }
    let mut response = request
        .body(body)
        .send()
        .await
        .map_err(|e| format!("no answer: {e}"))?;
    let status = response.status().as_u16();
    // Read a little of the answer so the exchange completes; never all of it.
    let mut read = 0usize;
    while read < MAX_ANSWER_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => read = read.saturating_add(chunk.len()),
            Ok(None) | Err(_) => break,
        }
    }
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_urls_with_a_host() {
        assert!(parse_http_url("http://127.0.0.1:8787/webhooks/consent-revoked").is_some());
        assert!(parse_http_url("http://localhost/x?y=1").is_some());
        assert!(parse_http_url("https://shop.example/x").is_none());
        assert!(parse_http_url("http://user:pw@127.0.0.1/x").is_none());
        assert!(parse_http_url("http://127.0.0.1/x#frag").is_none());
        assert!(parse_http_url("not a url").is_none());
    }
}
