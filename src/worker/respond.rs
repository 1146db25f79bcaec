//! The Worker's answers: JSON errors with their status, the pages a customer sees (a
//! failed login, the other browser's confirmation), redirects. Customers get words meant
//! for them and a way back to the shop; developers get the code, message and hint in
//! the JSON answers and in the log line. Every page is `no-store`, `nosniff`, without
//! Referer, and framed by nobody.

use super::config::{Config, ConfigError};
use crate::error::{Error, ErrorCode};
use serde_json::json;
use worker::{console_log, Headers, Response};

/// A response and, for the log line, the error code, message and hint it carries.
pub struct Answer {
    pub response: Response,
    pub error: Option<&'static str>,
    pub message: Option<String>,
    pub hint: Option<String>,
}

/// The longest message a log line carries (messages may quote what a caller sent).
const MAX_LOGGED_MESSAGE_CHARS: usize = 300;

impl Answer {
    pub fn ok(response: Response) -> worker::Result<Answer> {
        Ok(Answer {
            response,
            error: None,
            message: None,
            hint: None,
        })
    }

    pub fn failed(response: Response, code: &'static str) -> worker::Result<Answer> {
        Ok(Answer {
            response,
            error: Some(code),
            message: None,
            hint: None,
        })
    }

    fn for_error(response: Response, e: &Error) -> worker::Result<Answer> {
        Ok(Answer {
            response,
            error: Some(e.code().as_str()),
            message: Some(e.message().chars().take(MAX_LOGGED_MESSAGE_CHARS).collect()),
            hint: e.hint().map(str::to_string),
        })
    }
}

/// The error as this Worker's provider warrants: advice citing Vipps only for Vipps.
pub fn for_provider(e: &Error, config: &Config) -> Error {
    if config.is_vipps() {
        e.clone()
    } else {
        e.clone().for_other_provider()
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
        | ErrorCode::VippsServerError
        | ErrorCode::VippsTemporarilyUnavailable
        | ErrorCode::LoginHookFailed
        | ErrorCode::PartnerTokenFailed => 502,
        // The discovery document names another issuer: VIPPS_ISSUER is wrong.
        ErrorCode::ConfigInvalid
        | ErrorCode::EndpointsUnknown
        | ErrorCode::DiscoveryIssuerMismatch
        | ErrorCode::PartnerKeysInvalid => 500,
        ErrorCode::LoginRefused => 403,
        ErrorCode::LoginRateLimited => 429,
        ErrorCode::StorageUnavailable => 503,
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
pub fn error_answer(e: &Error, config: &Config) -> worker::Result<Answer> {
    error_answer_with_status(e, status_of(e.code()), config)
}

pub fn error_answer_with_status(e: &Error, status: u16, config: &Config) -> worker::Result<Answer> {
    let e = for_provider(e, config);
    Answer::for_error(error_json(status, error_body(&e))?, &e)
}

/// What a customer reads when a login fails: no codes, no configuration, no blame.
pub fn customer_message(e: &Error, vipps: bool) -> String {
    let provider = if vipps {
        "Vipps MobilePay"
    } else {
        "The login service"
    };
    let text = match e.code() {
        // The shop's own words.
        ErrorCode::LoginRefused => return e.message().to_string(),
        ErrorCode::VippsAccessDenied => "The login was cancelled. You can try again.",
        ErrorCode::TransactionNotFound | ErrorCode::ConfirmationRequired => {
            "This login has expired or was already used. Please start again."
        }
        ErrorCode::BrowserBindingMissing | ErrorCode::BrowserBindingMismatch => {
            "This login was started in another browser. Please start it again here."
        }
        ErrorCode::LoginRateLimited => {
            "Too many logins were started from your network. Please wait a minute and try again."
        }
        ErrorCode::StorageUnavailable => {
            "Logging in is not available right now. Please try again in a moment."
        }
        ErrorCode::VippsOutdatedAppVersion => {
            "Please update the Vipps or MobilePay app, then try again."
        }
        ErrorCode::VippsWrongChallenge => {
            "The confirmation in the app did not match. Please start again."
        }
        ErrorCode::ProviderTimeout
        | ErrorCode::ProviderUnreachable
        | ErrorCode::TokenServerError
        | ErrorCode::VippsServerError
        | ErrorCode::VippsTemporarilyUnavailable
        | ErrorCode::JwksUnavailable => {
            return format!("{provider} is not answering right now. Please try again in a moment.")
        }
        ErrorCode::ConfigInvalid
        | ErrorCode::EndpointsUnknown
        | ErrorCode::DiscoveryIssuerMismatch
        | ErrorCode::OptionNotAllowed
        | ErrorCode::LoginHookFailed => {
            "Logging in is not available right now. Please try again later."
        }
        _ => "The login could not be completed. Please try again.",
    };
    text.to_string()
}

/// `path` with `name=value` in its query (before any fragment), replacing any `name`
/// already there (a `returnTo` that carries an old `login_error`).
pub fn with_query_param(path: &str, name: &str, value: &str) -> String {
    let (base, fragment) = match path.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (path, None),
    };
    let (route, query) = match base.split_once('?') {
        Some((route, query)) => (route, Some(query)),
        None => (base, None),
    };
    let mut pairs: Vec<&str> = query
        .map(|q| {
            q.split('&')
                .filter(|pair| !pair.is_empty() && pair.split('=').next() != Some(name))
                .collect()
        })
        .unwrap_or_default();
    let encoded: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let added = format!("{name}={encoded}");
    pairs.push(&added);
    let mut out = format!("{route}?{}", pairs.join("&"));
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// A failed Worker-driven login: back to the shop with `login_error=<code>` (to
/// `VIPPS_ERROR_PATH`, with the login's `returnTo`, else to the login's `returnTo` when
/// it is known), so the shop's own page explains it; else the built-in page. A login the
/// shop's hook refused shows the shop's reason on the built-in page (text in a URL could
/// be anyone's). The code and hint go to the log line.
pub fn login_failed(e: &Error, config: &Config, return_to: Option<&str>) -> worker::Result<Answer> {
    let e = for_provider(e, config);
    if e.code() == ErrorCode::LoginRefused {
        return error_page(&e, config, return_to);
    }
    let location = match (config.error_path.as_deref(), return_to) {
        (Some(error_path), Some(return_to)) => {
            Some(with_query_param(error_path, "returnTo", return_to))
        }
        (Some(error_path), None) => Some(error_path.to_string()),
        (None, Some(return_to)) => Some(return_to.to_string()),
        (None, None) => None,
    };
    match location {
        Some(path) => {
            let location = with_query_param(&path, "login_error", e.code().as_str());
            Answer::for_error(redirect(&location)?, &e)
        }
        None => error_page(&e, config, None),
    }
}

/// The built-in page for a failed login: customer words, the code in small print for
/// support, a way to try again and a way back to the shop. No developer hint: that is in
/// the log line and the JSON answers.
pub fn error_page(e: &Error, config: &Config, return_to: Option<&str>) -> worker::Result<Answer> {
    let back = return_to.unwrap_or("/");
    let again = with_query_param(&config.route("/login"), "returnTo", back);
    let html = page(
        "Login did not complete",
        &format!(
            "<h1>Login did not complete</h1><p>{}</p>\
<p><a href=\"{}\">Try again</a> · <a href=\"{}\">Back to the shop</a></p>\
<p class=\"code\">Error code: <code>{}</code></p>",
            escape_html(&customer_message(e, config.is_vipps())),
            escape_html(&again),
            escape_html(back),
            escape_html(e.code().as_str()),
        ),
    );
    Answer::for_error(html_response(status_of(e.code()), html)?, e)
}

/// The page another browser sees when Vipps brought the user back there
/// (`automatic_return_from_vipps_app`): who is logging in, and a button that POSTs the
/// confirmation to `/callback` (a same-origin form: the binding cookie is SameSite=Lax,
/// so a cross-site form cannot confirm). Nothing is set but that browser's binding.
pub fn confirm_page(display_name: &str, state: &str, action: &str) -> worker::Result<Response> {
    let name = escape_html(display_name);
    let html = page(
        "Continue?",
        &format!(
            "<h1>Continue as {name}?</h1>\
<p>You approved a login with Vipps MobilePay, and it came back to this browser, not the one it was started in. \
Continue only if you are {name} and you just started this login yourself.</p>\
<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"state\" value=\"{}\">\
<button type=\"submit\">Continue as {name}</button></form><p><a href=\"/\">Cancel</a></p>",
            escape_html(action),
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

/// A plain page of this Worker's look (the phone's page in the redirect variant of
/// login from phone number): `body` is HTML the caller has escaped.
pub fn plain_page(status: u16, title: &str, body: &str) -> worker::Result<Response> {
    html_response(status, page(&escape_html(title), body))
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title>\
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}}\
code{{background:#eee;padding:0 .2em}}.code{{color:#666;font-size:.85em}}button{{font:inherit;padding:.5em 1em}}</style>{body}</html>"
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
    if let Some(message) = super::storage::runtime_message(e) {
        let e = Error::new(ErrorCode::StorageUnavailable, message);
        if let Ok(response) = error_json(status_of(e.code()), error_body(&e)) {
            return response;
        }
    }
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
    fn login_error_is_added_to_the_query_before_the_fragment() {
        assert_eq!(
            with_query_param("/", "login_error", "x_y"),
            "/?login_error=x_y"
        );
        assert_eq!(
            with_query_param("/shop?a=1#top", "login_error", "x"),
            "/shop?a=1&login_error=x#top"
        );
        // An old login_error in returnTo is replaced, not repeated.
        assert_eq!(
            with_query_param("/shop?login_error=old&a=1", "login_error", "new"),
            "/shop?a=1&login_error=new"
        );
        assert_eq!(
            with_query_param("/login", "returnTo", "/a?b=c"),
            "/login?returnTo=%2Fa%3Fb%3Dc"
        );
    }

    #[test]
    fn customers_read_no_codes_or_settings() {
        for code in ErrorCode::ALL
            .iter()
            .filter(|c| **c != ErrorCode::LoginRefused)
        {
            let text = customer_message(&Error::new(*code, "developer words"), true);
            assert!(
                !text.contains('_') && !text.contains("VIPPS"),
                "{}: {text}",
                code.as_str()
            );
            assert_ne!(text, "developer words");
        }
        let refused = Error::new(ErrorCode::LoginRefused, "Your account is closed.");
        assert_eq!(customer_message(&refused, true), "Your account is closed.");
        let down = customer_message(&Error::new(ErrorCode::ProviderTimeout, ""), false);
        assert!(!down.contains("Vipps"), "{down}");
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
