//! The Worker's answers: JSON errors with their status, the error and confirmation
//! pages, redirects. Every page is `no-store`, `nosniff`, `no-referrer` and framed by
//! nobody.

use super::config::ConfigError;
use crate::error::{Error, ErrorCode};
use serde_json::json;
use worker::{console_log, Headers, Response};

/// A response and, for the log line, the error code it carries.
pub struct Answer {
    pub response: Response,
    pub error: Option<&'static str>,
}

impl Answer {
    pub fn ok(response: Response) -> worker::Result<Answer> {
        Ok(Answer {
            response,
            error: None,
        })
    }

    pub fn failed(response: Response, code: &'static str) -> worker::Result<Answer> {
        Ok(Answer {
            response,
            error: Some(code),
        })
    }
}

/// The status for a failed login: 502 when the provider failed (unreachable, too slow,
/// 5xx, an answer that is not what the protocol says), 500 for our own configuration,
/// 400 for everything about this login (state, code, id_token claims, the user's
/// choice).
pub fn status_of(code: ErrorCode) -> u16 {
    match code {
        ErrorCode::ProviderTimeout
        | ErrorCode::ProviderUnreachable
        | ErrorCode::TokenServerError
        | ErrorCode::TokenResponseInvalid
        | ErrorCode::JwksUnavailable
        | ErrorCode::JwksInvalid
        | ErrorCode::UserinfoFailed
        | ErrorCode::UserinfoInvalid
        | ErrorCode::DiscoveryInvalid
        | ErrorCode::DiscoveryIssuerMismatch
        | ErrorCode::VippsServerError
        | ErrorCode::VippsTemporarilyUnavailable => 502,
        ErrorCode::ConfigInvalid | ErrorCode::EndpointsUnknown => 500,
        _ => 400,
    }
}

pub fn error_body(e: &Error) -> serde_json::Value {
    let mut body = json!({ "error": e.code().as_str(), "message": e.message() });
    if let Some(hint) = e.hint() {
        body["hint"] = json!(hint);
    }
    body
}

/// `{error, message, hint}` with the code's status.
pub fn error_answer(e: &Error) -> worker::Result<Answer> {
    error_answer_with_status(e, status_of(e.code()))
}

pub fn error_answer_with_status(e: &Error, status: u16) -> worker::Result<Answer> {
    Answer::failed(error_json(status, error_body(e))?, e.code().as_str())
}

/// The page a browser sees when a login fails: code, message and hint, HTML-escaped.
pub fn error_page(e: &Error) -> worker::Result<Answer> {
    let hint = e
        .hint()
        .map(|h| format!("<p>{}</p>", escape_html(h)))
        .unwrap_or_default();
    let html = page(
        "Login failed",
        &format!(
            "<h1>Login failed</h1><p><code>{}</code></p><p>{}</p>{hint}<p><a href=\"/login\">Log in again</a></p>",
            escape_html(e.code().as_str()),
            escape_html(e.message()),
        ),
    );
    Answer::failed(html_response(status_of(e.code()), html)?, e.code().as_str())
}

/// The page another browser sees when Vipps brought the user back there
/// (`automatic_return_from_vipps_app`): who is logging in, and a button that POSTs the
/// confirmation to `/callback` (a same-origin form: the binding cookie is SameSite=Lax,
/// so a cross-site form cannot confirm). Nothing is set but that browser's binding.
pub fn confirm_page(display_name: &str, state: &str) -> worker::Result<Response> {
    let name = escape_html(display_name);
    let html = page(
        "Continue?",
        &format!(
            "<h1>Continue as {name}?</h1>\
<p>You approved a login with Vipps MobilePay, and it came back to this browser, not the one it was started in. \
Continue only if you are {name} and you just started this login yourself.</p>\
<form method=\"post\" action=\"/callback\"><input type=\"hidden\" name=\"state\" value=\"{}\">\
<button type=\"submit\">Continue as {name}</button></form><p><a href=\"/\">Cancel</a></p>",
            escape_html(state),
        ),
    );
    let mut response = html_response(200, html)?;
    // Not no-referrer: with it, browsers send `Origin: null` on the form's POST, which
    // the router could not tell from a cross-site one. Same-origin only, so the URL
    // (which holds the code) never leaves this site.
    response
        .headers_mut()
        .set("referrer-policy", "same-origin")?;
    Ok(response)
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title>\
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}}\
code{{background:#eee;padding:0 .2em}}button{{font:inherit;padding:.5em 1em}}</style>{body}</html>"
    )
}

fn html_response(status: u16, html: String) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", "text/html; charset=utf-8")?;
    headers.set("cache-control", "no-store")?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("referrer-policy", "no-referrer")?;
    headers.set(
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    )?;
    Ok(Response::ok(html)?
        .with_status(status)
        .with_headers(headers))
}

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// 302 to `location` (an absolute URL, or a same-origin path from `safe_return_to`).
/// No-store, and no Referer: the URL being left may hold a code.
pub fn redirect(location: &str) -> worker::Result<Response> {
    redirect_with_status(location, 302)
}

/// As [`redirect`], with 303 after a form POST (the browser then GETs `location`).
pub fn redirect_with_status(location: &str, status: u16) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("location", location)?;
    headers.set("cache-control", "no-store")?;
    headers.set("referrer-policy", "no-referrer")?;
    Ok(Response::empty()?.with_status(status).with_headers(headers))
}

pub fn json_response(status: u16, body: &serde_json::Value) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", "application/json; charset=utf-8")?;
    headers.set("cache-control", "no-store")?;
    headers.set("x-content-type-options", "nosniff")?;
    Ok(Response::ok(body.to_string())?
        .with_status(status)
        .with_headers(headers))
}

pub fn error_json(status: u16, body: serde_json::Value) -> worker::Result<Response> {
    json_response(status, &body)
}

/// `500 {"error":"config_invalid","setting",...}`: names the setting, never its value
/// when it is a secret.
pub fn config_invalid(e: &ConfigError) -> worker::Result<Response> {
    let mut body = json!({
        "error": "config_invalid",
        "setting": e.setting,
        "message": e.message,
    });
    if let Some(code) = e.code {
        body["code"] = json!(code);
    }
    if let Some(hint) = &e.hint {
        body["hint"] = json!(hint);
    }
    error_json(500, body)
}

/// A failure of the runtime (a binding missing, storage down): logged without
/// details that could hold request data, answered as a bare 500.
pub fn internal_error(e: &worker::Error) -> Response {
    let kind = match e {
        worker::Error::RustError(_) => "rust",
        worker::Error::JsError(_) => "js",
        worker::Error::Json(_) | worker::Error::SerdeJsonError(_) => "json",
        _ => "other",
    };
    console_log!(
        "{}",
        json!({ "level": "error", "error": "internal", "kind": kind })
    );
    let body = r#"{"error":"internal_error"}"#;
    let response = Response::ok(body).map(|r| r.with_status(500));
    match response {
        Ok(mut r) => {
            let _ = r
                .headers_mut()
                .set("content-type", "application/json; charset=utf-8");
            r
        }
        // Response::ok only fails if the runtime cannot build a Response at all.
        Err(_) => Response::builder().with_status(500).empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html(r#"<script>"x"&'y'</script>"#),
            "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn provider_failures_are_502_the_rest_400() {
        assert_eq!(status_of(ErrorCode::ProviderTimeout), 502);
        assert_eq!(status_of(ErrorCode::JwksUnavailable), 502);
        assert_eq!(status_of(ErrorCode::TokenServerError), 502);
        assert_eq!(status_of(ErrorCode::IdTokenSignatureInvalid), 400);
        assert_eq!(status_of(ErrorCode::VippsAccessDenied), 400);
        assert_eq!(status_of(ErrorCode::TransactionNotFound), 400);
        assert_eq!(status_of(ErrorCode::BrowserBindingMissing), 400);
    }
}
