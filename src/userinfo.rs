//! Userinfo (OIDC Core 5.3). Vipps quirk: the endpoint lies outside the issuer path
//! (`/vipps-userinfo-api/userinfo`), and no profile data is ever in the id_token.

use crate::error::{Error, ErrorCode, Result};
use crate::http::{HttpRequest, HttpResponse};
use crate::token::Secret;
use serde_json::{Map, Value};
use subtle::ConstantTimeEq;

/// `GET {userinfo}` with the access token as a Bearer token (RFC 6750 2.1).
pub fn userinfo_request(userinfo_endpoint: &str, access_token: &Secret) -> HttpRequest {
    HttpRequest {
        method: "GET",
        url: userinfo_endpoint.to_string(),
        headers: vec![
            ("Authorization", format!("Bearer {}", access_token.expose())),
            ("Accept", "application/json".to_string()),
        ],
        body: String::new(),
    }
}

/// Reads userinfo and requires its `sub` to equal the id_token's (OIDC Core 5.3.2:
/// otherwise the response MUST NOT be used). Claims are returned as Vipps sends them
/// (`phone_number` without `+`, `address` plus `other_addresses`, ...).
pub fn process_userinfo_response(
    response: &HttpResponse,
    id_token_sub: &str,
) -> Result<Map<String, Value>> {
    if !(200..300).contains(&response.status) {
        return Err(Error::new(
            ErrorCode::UserinfoFailed,
            format!("userinfo answered HTTP {}", response.status),
        )
        .with_detail("status", response.status.to_string()));
    }
    let claims: Map<String, Value> = serde_json::from_slice(&response.body).map_err(|_| {
        Error::new(
            ErrorCode::UserinfoInvalid,
            "userinfo did not answer with a JSON object",
        )
    })?;
    // No sub at all is the provider's malformed answer; another sub is a mismatch
    // (OIDC Core 5.3.2: then the response MUST NOT be used).
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            Error::new(
                ErrorCode::UserinfoInvalid,
                "userinfo's answer has no sub (OIDC Core 5.3.2 requires it)",
            )
        })?;
    if !bool::from(sub.as_bytes().ct_eq(id_token_sub.as_bytes())) {
        return Err(Error::new(
            ErrorCode::UserinfoSubMismatch,
            "userinfo's sub is not the id_token's sub",
        ));
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn bearer_request_to_vipps_userinfo() {
        let r = userinfo_request(
            "https://api.vipps.no/vipps-userinfo-api/userinfo",
            &Secret::new("at-1"),
        );
        assert_eq!(r.method, "GET");
        assert_eq!(r.header("Authorization"), Some("Bearer at-1"));
    }

    #[test]
    fn vipps_userinfo_shapes_kept_and_sub_checked() {
        let body = r#"{"sub":"s-1","sid":"x","name":"Ola Nordmann","phone_number":"4712345678",
            "address":{"street_address":"","postal_code":"","region":"","country":"","formatted":"","address_type":""},
            "other_addresses":[]}"#;
        let claims = process_userinfo_response(&response(200, body), "s-1").unwrap();
        assert_eq!(claims["phone_number"], "4712345678");
        assert_eq!(claims["address"]["street_address"], "");
        let e = process_userinfo_response(&response(200, body), "s-2").unwrap_err();
        assert_eq!(e.code(), ErrorCode::UserinfoSubMismatch);
        // No sub is the provider's malformed answer, not a mismatch.
        for body in [r#"{"name":"x"}"#, r#"{"sub":""}"#, r#"{"sub":7}"#] {
            let e = process_userinfo_response(&response(200, body), "s-1").unwrap_err();
            assert_eq!(e.code(), ErrorCode::UserinfoInvalid, "{body}");
        }
    }

    #[test]
    fn errors_and_garbage_are_typed() {
        assert_eq!(
            process_userinfo_response(&response(401, r#"{"error":"invalid_token"}"#), "s")
                .unwrap_err()
                .code(),
            ErrorCode::UserinfoFailed
        );
        assert_eq!(
            process_userinfo_response(&response(200, "<html>"), "s")
                .unwrap_err()
                .code(),
            ErrorCode::UserinfoInvalid
        );
    }
}
