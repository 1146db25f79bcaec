//! HTML: escaping, the page frame, error pages and the gateway's 502.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

const STYLE: &str = r#"
*{box-sizing:border-box}
body{margin:0;font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;background:#f7f7f7;color:#222}
header{background:#FF5B24;color:#fff;padding:14px 24px;font-weight:700;font-size:20px;letter-spacing:.5px}
header small{font-weight:400;font-size:13px;opacity:.9;margin-left:8px}
main{max-width:480px;margin:32px auto;background:#fff;border-radius:12px;padding:24px 28px;box-shadow:0 2px 10px rgba(0,0,0,.08)}
h1{font-size:22px;margin:0 0 12px}
h2{font-size:15px;margin:20px 0 8px;color:#555;text-transform:uppercase;letter-spacing:.5px}
ul.scopes{margin:0;padding-left:20px}
label.user{display:block;border:1px solid #ddd;border-radius:8px;padding:10px 12px;margin:6px 0;cursor:pointer}
label.user:hover{border-color:#FF5B24}
label.user small{color:#777;display:block;margin-left:24px}
.buttons{display:flex;gap:12px;margin-top:20px}
button{flex:1;font-size:16px;padding:12px;border-radius:24px;border:2px solid #FF5B24;cursor:pointer;font-weight:600}
button.approve{background:#FF5B24;color:#fff}
button.cancel{background:#fff;color:#FF5B24}
.error{color:#b00020;font-family:monospace;font-size:16px}
.note{color:#777;font-size:12px;margin-top:20px}
"#;

/// A whole HTML document in the emulator's Vipps-like frame.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
<header>Vipps MobilePay<small>Login emulator &middot; test only</small></header>\n\
<main>\n{body}\n</main>\n</body>\n</html>\n",
        title = escape(title),
    )
}

/// An HTML response with the headers every emulator page gets.
pub fn response(status: StatusCode, document: String) -> Response {
    let mut response = (status, document).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// A Vipps-style error page: no redirect, the error name and description visible.
pub fn error_page(status: StatusCode, error: &str, description: &str) -> Response {
    let body = format!(
        "<h1>Something went wrong</h1>\n<p class=\"error\" id=\"error\">{}</p>\n\
<p id=\"error_description\">{}</p>\n\
<p class=\"note\">The login could not start. This page is not sent back to the merchant.</p>",
        escape(error),
        escape(description),
    );
    response(status, page(&format!("Error: {error}"), &body))
}

/// What Vipps' gateway answers to over-long URLs, `state` or `nonce`.
pub fn bad_gateway() -> Response {
    let mut response = (
        StatusCode::BAD_GATEWAY,
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n",
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
