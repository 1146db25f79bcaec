//! Partner keys: a partner logs in for the merchants it serves with its own keys. It
//! gets an access token from Vipps' Access Token API, `POST {origin}/accesstoken/get`
//! with the headers `client_id`, `client_secret` and `Ocp-Apim-Subscription-Key` and an
//! empty body, then authenticates at the token endpoint with `Authorization: Bearer
//! {token}` and `Merchant-Serial-Number: {msn}` ([`crate::token::authenticate`]); the
//! authorize request carries `msn` instead of `client_id`, and the id_token's `msn` is
//! checked ([`crate::id_token`]).
//!
//! The Access Token API answers every number as a string (`"expires_in": "86398"`);
//! both strings and numbers are read. The token is kept until a margin before it
//! expires ([`PartnerToken::usable_until`]), never longer than
//! [`MAX_PARTNER_TOKEN_TTL_SECS`].

use crate::error::{Error, ErrorCode, Result};
use crate::http::{HttpRequest, HttpResponse};
use crate::issuer::Issuer;
use crate::token::{ClientCredentials, PartnerCredential, Secret, SystemHeaders};
use serde::Deserialize;
use serde_json::Value;

/// The Access Token API's path on the issuer's origin.
pub const ACCESS_TOKEN_PATH: &str = "/accesstoken/get";
/// The longest lifetime believed (Vipps' tokens live a day: `86398`).
pub const MAX_PARTNER_TOKEN_TTL_SECS: u64 = 86_400;
/// A token is replaced this long before it expires (at most half its lifetime).
pub const REFRESH_MARGIN_SECS: u64 = 300;
/// Longest access token accepted (Vipps' are JWTs of about 1.5 KB).
pub const MAX_ACCESS_TOKEN_LEN: usize = 8 * 1024;

/// A partner's keys (the portal's "partner keys"). `Debug` shows the client_id only.
#[derive(Clone, PartialEq, Eq)]
pub struct PartnerKeys {
    pub client_id: String,
    pub client_secret: Secret,
    pub subscription_key: Secret,
}

debug_redacted!(PartnerKeys { client_id; client_secret, subscription_key });

/// `{origin of the issuer}/accesstoken/get`: `https://api.vipps.no/accesstoken/get` for
/// Vipps' issuer `https://api.vipps.no/access-management-1.0/access/`.
pub fn access_token_endpoint(issuer: &Issuer) -> Result<String> {
    let url = issuer.as_str();
    let origin = url
        .find("://")
        .map(|i| i + 3)
        .map(|start| {
            let rest = &url[start..];
            &url[..start + rest.find(['/', '?', '#']).unwrap_or(rest.len())]
        })
        .filter(|o| !o.ends_with("://"))
        .ok_or_else(|| {
            Error::new(
                ErrorCode::IssuerInvalid,
                format!("issuer {url} has no origin"),
            )
        })?;
    Ok(format!("{origin}{ACCESS_TOKEN_PATH}"))
}

/// The Access Token API request: the keys in headers, an empty body.
pub fn access_token_request(
    issuer: &Issuer,
    keys: &PartnerKeys,
    system: &SystemHeaders,
) -> Result<HttpRequest> {
    let mut headers = vec![
        ("client_id", keys.client_id.clone()),
        ("client_secret", keys.client_secret.expose().to_string()),
        (
            "Ocp-Apim-Subscription-Key",
            keys.subscription_key.expose().to_string(),
        ),
        ("Accept", "application/json".to_string()),
    ];
    for (name, value) in [
        ("Vipps-System-Name", &system.system_name),
        ("Vipps-System-Version", &system.system_version),
        ("Vipps-System-Plugin-Name", &system.plugin_name),
        ("Vipps-System-Plugin-Version", &system.plugin_version),
    ] {
        if let Some(value) = value {
            headers.push((name, value.clone()));
        }
    }
    system.validate()?;
    Ok(HttpRequest {
        method: "POST",
        url: access_token_endpoint(issuer)?,
        headers,
        body: String::new(),
    })
}

/// A partner access token and when to stop using it. `Debug` hides the token.
#[derive(Clone, PartialEq, Eq)]
pub struct PartnerToken {
    pub access_token: Secret,
    /// Unix seconds: the token's expiry minus [`REFRESH_MARGIN_SECS`].
    pub usable_until: u64,
}

debug_redacted!(PartnerToken { usable_until; access_token });

impl PartnerToken {
    /// Still good for a request made at `now`.
    pub fn is_fresh(&self, now: u64) -> bool {
        now < self.usable_until
    }

    /// `base` (the sales unit's client_id, for the id_token's `aud`) authenticating with
    /// this token for `msn` instead of a client secret.
    pub fn credentials(&self, base: &ClientCredentials, msn: &str) -> ClientCredentials {
        ClientCredentials {
            partner: Some(PartnerCredential {
                access_token: self.access_token.clone(),
                msn: msn.to_string(),
            }),
            ..base.clone()
        }
    }
}

#[derive(Deserialize)]
struct RawAccessToken {
    access_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<Value>,
}

/// A lifetime as the Access Token API writes it: `"86398"` or `86398`.
fn seconds(value: &Value) -> Option<u64> {
    match value {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// Reads the Access Token API's answer at `now`.
pub fn process_access_token_response(response: &HttpResponse, now: u64) -> Result<PartnerToken> {
    let failed = |why: String| Error::new(ErrorCode::PartnerTokenFailed, why);
    match response.status {
        200..=299 => {}
        // Vipps: wrong keys, or the other environment's, are 401 (sometimes 403).
        401 | 403 => {
            return Err(Error::new(
                ErrorCode::PartnerKeysInvalid,
                format!(
                    "POST {ACCESS_TOKEN_PATH} refused the partner keys (HTTP {})",
                    response.status
                ),
            )
            .with_detail("status", response.status.to_string()))
        }
        status => {
            return Err(
                failed(format!("POST {ACCESS_TOKEN_PATH} answered HTTP {status}"))
                    .with_detail("status", status.to_string()),
            )
        }
    }
    let raw: RawAccessToken = serde_json::from_slice(&response.body).map_err(|_| {
        failed(format!(
            "POST {ACCESS_TOKEN_PATH} did not answer a JSON object"
        ))
    })?;
    let token = raw
        .access_token
        .filter(|t| {
            !t.is_empty() && t.len() <= MAX_ACCESS_TOKEN_LEN && t.bytes().all(|b| b.is_ascii_graphic())
        })
        .ok_or_else(|| {
            failed(format!(
                "the partner token response has no access_token of 1 to {MAX_ACCESS_TOKEN_LEN} visible characters"
            ))
        })?;
    if !raw
        .token_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("bearer"))
    {
        return Err(failed(
            "the partner token response has a token_type other than Bearer".into(),
        ));
    }
    let ttl = raw
        .expires_in
        .as_ref()
        .and_then(seconds)
        .filter(|s| *s > 0)
        .ok_or_else(|| failed("the partner token response has no positive expires_in".into()))?
        .min(MAX_PARTNER_TOKEN_TTL_SECS);
    let margin = REFRESH_MARGIN_SECS.min(ttl / 2);
    Ok(PartnerToken {
        access_token: Secret::new(token),
        usable_until: now.saturating_add(ttl - margin),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::TokenAuthMethod;

    fn keys() -> PartnerKeys {
        PartnerKeys {
            client_id: "partner-id".into(),
            client_secret: Secret::new("partner-secret"),
            subscription_key: Secret::new("sub-key"),
        }
    }

    fn ok(body: &str) -> HttpResponse {
        HttpResponse {
            status: 200,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn vipps_access_token_api_on_the_issuers_origin_with_keys_in_headers() {
        let issuer = Issuer::new("https://api.vipps.no/access-management-1.0/access/").unwrap();
        let r = access_token_request(&issuer, &keys(), &SystemHeaders::default()).unwrap();
        assert_eq!(r.method, "POST");
        assert_eq!(r.url, "https://api.vipps.no/accesstoken/get");
        assert_eq!(r.header("client_id"), Some("partner-id"));
        assert_eq!(r.header("client_secret"), Some("partner-secret"));
        assert_eq!(r.header("ocp-apim-subscription-key"), Some("sub-key"));
        assert!(r.body.is_empty());
        let local = Issuer::new("http://127.0.0.1:7000/access-management-1.0/access/").unwrap();
        assert_eq!(
            access_token_endpoint(&local).unwrap(),
            "http://127.0.0.1:7000/accesstoken/get"
        );
        let shown = format!("{:?}", keys());
        assert!(
            shown.contains("partner-id")
                && !shown.contains("partner-secret")
                && !shown.contains("sub-key")
        );
    }

    #[test]
    fn vipps_quirk_expires_in_is_a_string_or_a_number_and_bounded() {
        let t = process_access_token_response(
            &ok(r#"{"token_type":"Bearer","expires_in":"86398","ext_expires_in":"86398","expires_on":"1","access_token":"tok"}"#),
            1000,
        )
        .unwrap();
        assert_eq!(t.access_token.expose(), "tok");
        assert_eq!(t.usable_until, 1000 + 86398 - REFRESH_MARGIN_SECS);
        assert!(t.is_fresh(1000) && !t.is_fresh(t.usable_until));
        let t = process_access_token_response(
            &ok(r#"{"token_type":"bearer","expires_in":3600,"access_token":"tok"}"#),
            0,
        )
        .unwrap();
        assert_eq!(t.usable_until, 3600 - REFRESH_MARGIN_SECS);
        // A year is believed as a day; a short life keeps half of it.
        let t = process_access_token_response(
            &ok(r#"{"token_type":"Bearer","expires_in":"31536000","access_token":"tok"}"#),
            0,
        )
        .unwrap();
        assert_eq!(
            t.usable_until,
            MAX_PARTNER_TOKEN_TTL_SECS - REFRESH_MARGIN_SECS
        );
        let t = process_access_token_response(
            &ok(r#"{"token_type":"Bearer","expires_in":"60","access_token":"tok"}"#),
            0,
        )
        .unwrap();
        assert_eq!(t.usable_until, 30);
        assert!(!format!("{t:?}").contains("tok\""));
    }

    #[test]
    fn bad_answers_are_typed() {
        for body in [
            "",
            "[]",
            r#"{"token_type":"Bearer","expires_in":"60"}"#,
            r#"{"token_type":"Bearer","expires_in":"0","access_token":"t"}"#,
            r#"{"token_type":"Bearer","expires_in":"-5","access_token":"t"}"#,
            r#"{"token_type":"Bearer","expires_in":"soon","access_token":"t"}"#,
            r#"{"token_type":"mac","expires_in":"60","access_token":"t"}"#,
            r#"{"token_type":"Bearer","expires_in":"60","access_token":"a b"}"#,
        ] {
            let e = process_access_token_response(&ok(body), 0).unwrap_err();
            assert_eq!(e.code(), ErrorCode::PartnerTokenFailed, "{body}");
        }
        let long = format!(
            r#"{{"token_type":"Bearer","expires_in":"60","access_token":"{}"}}"#,
            "t".repeat(MAX_ACCESS_TOKEN_LEN + 1)
        );
        assert!(process_access_token_response(&ok(&long), 0).is_err());
        let refused = HttpResponse {
            status: 401,
            body: br#"{"error":"invalid_client"}"#.to_vec(),
        };
        let e = process_access_token_response(&refused, 0).unwrap_err();
        assert_eq!(e.code(), ErrorCode::PartnerKeysInvalid);
        assert!(e.hint().unwrap().contains("VIPPS_PARTNER_SUBSCRIPTION_KEY"));
        let down = HttpResponse {
            status: 503,
            body: vec![],
        };
        assert_eq!(
            process_access_token_response(&down, 0).unwrap_err().code(),
            ErrorCode::PartnerTokenFailed
        );
    }

    #[test]
    fn the_token_replaces_the_client_secret() {
        let base = ClientCredentials {
            client_id: "unit".into(),
            client_secret: Secret::new(""),
            method: TokenAuthMethod::ClientSecretBasic,
            partner: None,
        };
        let t = PartnerToken {
            access_token: Secret::new("tok"),
            usable_until: 10,
        };
        let c = t.credentials(&base, "123456");
        assert_eq!(c.client_id, "unit");
        let p = c.partner.unwrap();
        assert_eq!((p.access_token.expose(), p.msn.as_str()), ("tok", "123456"));
    }
}
