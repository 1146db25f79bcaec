//! Response helpers: JSON, OAuth errors, 302 redirects with query parameters.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Value};

/// Everything but RFC 3986 unreserved characters is escaped (space is `%20`).
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub fn encode_component(s: &str) -> String {
    utf8_percent_encode(s, COMPONENT).to_string()
}

/// `base` with `params` appended to its query (`?` or `&`).
pub fn with_params(base: &str, params: &[(&str, &str)]) -> String {
    let mut url = base.to_string();
    let mut sep = if base.contains('?') {
        if base.ends_with('?') || base.ends_with('&') {
            ""
        } else {
            "&"
        }
    } else {
        "?"
    };
    for (name, value) in params {
        url.push_str(sep);
        url.push_str(&encode_component(name));
        url.push('=');
        url.push_str(&encode_component(value));
        sep = "&";
    }
    url
}

pub fn json(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}

/// `{"error": ..., "error_description": ...}` as JSON.
pub fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json(
        status,
        &json!({ "error": error, "error_description": description }),
    )
}

/// `302 Found` to `location`, never cached.
pub fn found(location: &str) -> Response {
    let mut response = StatusCode::FOUND.into_response();
    let headers = response.headers_mut();
    match HeaderValue::from_str(location) {
        Ok(value) => {
            headers.insert(header::LOCATION, value);
        }
        Err(_) => {
            // Only registered URIs and encoded parameters get here; a registered
            // URI with control characters is a configuration problem.
            return crate::html::error_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "The redirect URI cannot be sent in a Location header.",
            );
        }
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Adds `Cache-Control: no-store` and `Pragma: no-cache` (token responses).
pub fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_appended_and_encoded() {
        assert_eq!(
            with_params(
                "http://x/cb",
                &[("scope", "openid name"), ("state", "a&b=c")]
            ),
            "http://x/cb?scope=openid%20name&state=a%26b%3Dc"
        );
        assert_eq!(
            with_params("http://x/cb?a=1", &[("code", "z")]),
            "http://x/cb?a=1&code=z"
        );
        assert_eq!(
            with_params("http://x/cb?", &[("code", "z")]),
            "http://x/cb?code=z"
        );
    }
}
