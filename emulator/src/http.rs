//! Response helpers: JSON, OAuth errors, 302 redirects with query parameters.

use axum::body::Bytes;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Map, Value};

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

/// The `padding` that `token_huge` and `userinfo_huge` add: 40 MiB.
pub const HUGE_PADDING_BYTES: usize = 40 * 1024 * 1024;

/// `fields` as a JSON object with a last member `"padding": "xxx..."` of `padding`
/// characters. The body is built once, straight into the one buffer the response
/// owns, and freed when the response has been sent (or its connection dropped).
pub fn padded_json(status: StatusCode, mut fields: Map<String, Value>, padding: usize) -> Response {
    fields.remove("padding");
    let head = Value::Object(fields).to_string();
    // `head` is `{...}`: drop the `}` to add a member.
    let open = head.strip_suffix('}').unwrap_or("{");
    let separator: &[u8] = if open.len() > 1 { b"," } else { b"" };
    let key: &[u8] = b"\"padding\":\"";
    let mut body = Vec::with_capacity(open.len() + separator.len() + key.len() + padding + 2);
    body.extend_from_slice(open.as_bytes());
    body.extend_from_slice(separator);
    body.extend_from_slice(key);
    body.resize(body.len() + padding, b'x');
    body.extend_from_slice(b"\"}");
    let mut response = (status, Bytes::from(body)).into_response();
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

/// 400 with an OAuth error, never cached (the token endpoint, the CIBA start).
pub fn bad_request(error: &str, description: &str) -> Response {
    no_store(oauth_error(StatusCode::BAD_REQUEST, error, description))
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

    async fn body_of(response: Response) -> Value {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        serde_json::from_slice(&bytes).expect("padded JSON")
    }

    #[tokio::test]
    async fn padded_json_adds_a_padding_member_of_the_given_length() {
        let Value::Object(fields) = json!({"a": 1, "b": "two", "padding": "old"}) else {
            unreachable!()
        };
        let response = padded_json(StatusCode::OK, fields, 1000);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/json; charset=utf-8"
        );
        let body = body_of(response).await;
        assert_eq!(body["a"], 1);
        assert_eq!(body["b"], "two");
        assert_eq!(body["padding"], "x".repeat(1000));

        let body = body_of(padded_json(StatusCode::OK, Map::new(), 3)).await;
        assert_eq!(body, json!({"padding": "xxx"}));
    }

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
