//! Handing the verified login to the shop, server to server, before any session is set.
//! Vipps keeps the user's data available for only about 10 minutes and the shop is its
//! controller (Vipps FAQ): this is where a shop stores it. The shop answers with claims
//! for the session (its own user id, say) or refuses the login with a reason the user
//! sees.
//!
//! The request is `POST` JSON ([`HandOffBody`]). Sent to a URL it is signed
//! Stripe-style: `Vipps-Login-Signature: t=<unix seconds>,v1=<hex HMAC-SHA-256(secret,
//! "<t>.<body>")>`; [`verify_signature`] is the shop's check. The answer:
//!
//! - `200 {"claims": {...}}` (or `{}`): go ahead; at most [`MAX_CLAIMS`] claims, each a
//!   short string, number or boolean, sealed into the session;
//! - `403 {"reason": "..."}`: refused; the reason (plain text, at most
//!   [`MAX_REASON_CHARS`]) is shown to the user;
//! - anything else, or nothing in time: `login_hook_failed`, and no session: a login
//!   whose data the shop could not store does not go ahead.
//!
//! The same hook, signed the same way, receives Vipps' consent-revoked webhook
//! ([`crate::consent`]) as a second kind of body, [`ConsentRevokedBody`] (`type:
//! "vipps_login.consent_revoked"`): a **hint** to re-check the user, never proof, as
//! nobody signed it. Any 2xx answer means handed over.

use crate::completion::VerifiedLogin;
use crate::error::{Error, ErrorCode, Result};
use crate::http::{HttpRequest, HttpResponse};
use crate::token::Secret;
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Largest answer read from the shop.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024;
/// At most this many claims for the session.
pub const MAX_CLAIMS: usize = 16;
/// Longest claim name and string value.
pub const MAX_CLAIM_NAME: usize = 64;
pub const MAX_CLAIM_VALUE: usize = 256;
/// Longest refusal reason shown to the user.
pub const MAX_REASON_CHARS: usize = 300;
/// How old a signature may be when the shop checks it.
pub const SIGNATURE_TOLERANCE_SECS: u64 = 300;
/// The signature header.
pub const SIGNATURE_HEADER: &str = "Vipps-Login-Signature";

/// Where the hand-off goes: a URL (`LOGIN_HOOK_URL`) or a service binding's internal
/// URL (`LOGIN_HOOK`), and the secret it is signed with, if any. `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct HandOffTarget {
    pub url: String,
    pub secret: Option<Secret>,
}

impl std::fmt::Debug for HandOffTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HandOffTarget")
            .field("url", &self.url)
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// What the shop receives.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HandOffBody<'a> {
    /// `"vipps_login.verified"`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The user, pairwise per sales unit.
    pub sub: &'a str,
    pub issuer: &'a str,
    /// The scopes granted, space separated.
    pub scope: &'a str,
    /// Userinfo as the provider sent it, every claim (address, birthdate, `nin` when
    /// granted).
    pub userinfo: &'a Map<String, Value>,
    pub acr: Option<&'a str>,
    pub auth_time: Option<u64>,
    /// A partner's merchant serial number, when the id_token names one.
    pub msn: Option<&'a str>,
    /// Where the user goes next.
    pub return_to: &'a str,
    /// The login came back to another browser, which must still confirm it
    /// (`automatic_return_from_vipps_app`): do not treat the user as present yet.
    pub pending_confirmation: bool,
    pub iat: u64,
}

/// What the shop receives for Vipps' consent-revoked webhook. Unauthenticated: anyone
/// can send Vipps' unsigned JWT, so treat it as a reason to re-check (mark the
/// account, ask for consent again at the next login), never as proof.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsentRevokedBody<'a> {
    /// `"vipps_login.consent_revoked"`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `"consent_revoked"`.
    pub event: &'static str,
    /// The user, pairwise per sales unit (as in `vipps_login.verified`).
    pub sub: &'a str,
    pub issuer: &'a str,
    /// The webhook's own times, as Vipps wrote them (checked).
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
    /// Always `false`: the webhook carries no signature.
    pub verified: bool,
    /// When this Worker received it.
    pub received_at: u64,
}

/// `HMAC-SHA-256(secret, "<t>.<body>")`, hex.
fn sign(secret: &[u8], timestamp: u64, body: &str) -> Result<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(|_| {
        Error::new(
            ErrorCode::ConfigInvalid,
            "LOGIN_HOOK_SECRET cannot key HMAC",
        )
    })?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let tag = mac.finalize().into_bytes();
    Ok(tag.iter().map(|b| format!("{b:02x}")).collect())
}

/// The hand-off request for a verified login.
pub fn hand_off_request(
    target: &HandOffTarget,
    login: &VerifiedLogin,
    pending_confirmation: bool,
    now: u64,
) -> Result<HttpRequest> {
    let claims = login.claims();
    let body = HandOffBody {
        kind: "vipps_login.verified",
        sub: login.sub(),
        issuer: &claims.iss,
        scope: login.scope(),
        userinfo: login.userinfo(),
        acr: claims.acr.as_deref(),
        auth_time: claims.auth_time,
        msn: claims.msn.as_deref(),
        return_to: login.return_to(),
        pending_confirmation,
        iat: now,
    };
    signed_request(target, &body, now)
}

/// The hand-off of a consent-revoked webhook ([`ConsentRevokedBody`]) for `issuer`.
pub fn consent_revoked_request(
    target: &HandOffTarget,
    revoked: &crate::consent::ConsentRevoked,
    issuer: &str,
    now: u64,
) -> Result<HttpRequest> {
    let body = ConsentRevokedBody {
        kind: "vipps_login.consent_revoked",
        event: "consent_revoked",
        sub: &revoked.sub,
        issuer,
        iat: revoked.iat,
        nbf: revoked.nbf,
        exp: revoked.exp,
        verified: false,
        received_at: now,
    };
    signed_request(target, &body, now)
}

/// The shop's answer to a consent-revoked hand-off: any 2xx is handed over.
pub fn process_consent_revoked_response(response: &HttpResponse) -> Result<()> {
    match response.status {
        200..=299 => Ok(()),
        status => Err(failed(format!(
            "the login hook answered HTTP {status} to the consent-revoked webhook"
        ))),
    }
}

/// `POST` JSON to the hook, signed when it has a secret.
fn signed_request(target: &HandOffTarget, body: &impl Serialize, now: u64) -> Result<HttpRequest> {
    let body = serde_json::to_string(body)
        .map_err(|_| Error::new(ErrorCode::LoginHookFailed, "the hand-off cannot be encoded"))?;
    let mut headers = vec![
        ("Content-Type", "application/json".to_string()),
        ("Accept", "application/json".to_string()),
    ];
    if let Some(secret) = &target.secret {
        let signature = sign(secret.expose().as_bytes(), now, &body)?;
        headers.push((SIGNATURE_HEADER, format!("t={now},v1={signature}")));
    }
    Ok(HttpRequest {
        method: "POST",
        url: target.url.clone(),
        headers,
        body,
    })
}

fn failed(message: impl Into<String>) -> Error {
    Error::new(ErrorCode::LoginHookFailed, message)
}

/// Reads the shop's answer: the claims for the session, or the refusal.
pub fn process_hand_off_response(response: &HttpResponse) -> Result<Map<String, Value>> {
    if response.body.len() > MAX_RESPONSE_BYTES {
        return Err(failed(format!(
            "the login hook answered more than {MAX_RESPONSE_BYTES} bytes"
        )));
    }
    let json = || -> Option<Map<String, Value>> { serde_json::from_slice(&response.body).ok() };
    match response.status {
        200..=299 => {
            let body = if response.body.is_empty() {
                Map::new()
            } else {
                json().ok_or_else(|| failed("the login hook did not answer a JSON object"))?
            };
            match body.get("claims") {
                None | Some(Value::Null) => Ok(Map::new()),
                Some(Value::Object(claims)) => checked_claims(claims),
                Some(_) => Err(failed("the login hook's claims are not an object")),
            }
        }
        403 => {
            let reason = json()
                .and_then(|b| b.get("reason").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_default();
            let reason: String = reason
                .chars()
                .filter(|c| !c.is_control())
                .take(MAX_REASON_CHARS)
                .collect();
            let shown = if reason.trim().is_empty() {
                "The shop did not accept this login.".to_string()
            } else {
                reason
            };
            Err(Error::new(ErrorCode::LoginRefused, shown))
        }
        status => Err(failed(format!("the login hook answered HTTP {status}"))),
    }
}

/// The claims a shop may add: few, short, flat, and never one of the session's own.
fn checked_claims(claims: &Map<String, Value>) -> Result<Map<String, Value>> {
    if claims.len() > MAX_CLAIMS {
        return Err(failed(format!(
            "the login hook sent more than {MAX_CLAIMS} claims"
        )));
    }
    for (name, value) in claims {
        let name_ok = !name.is_empty()
            && name.len() <= MAX_CLAIM_NAME
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !name_ok {
            return Err(failed(format!(
                "the login hook's claim name {name:?} is not 1 to {MAX_CLAIM_NAME} letters, digits or _"
            )));
        }
        let value_ok = match value {
            Value::String(s) => s.len() <= MAX_CLAIM_VALUE,
            Value::Number(_) | Value::Bool(_) => true,
            _ => false,
        };
        if !value_ok {
            return Err(failed(format!(
                "the login hook's claim {name} is not a string of at most {MAX_CLAIM_VALUE} bytes, a number or a boolean"
            )));
        }
    }
    Ok(claims.clone())
}

/// The shop's check of a hand-off: the signature header is the one `secret` makes over
/// `body`, and not older than [`SIGNATURE_TOLERANCE_SECS`]. Constant time.
pub fn verify_signature(secret: &[u8], header: &str, body: &str, now: u64) -> bool {
    let mut timestamp = None;
    let mut signature = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<u64>().ok(),
            Some(("v1", v)) => signature = Some(v),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (timestamp, signature) else {
        return false;
    };
    if now.abs_diff(t) > SIGNATURE_TOLERANCE_SECS {
        return false;
    }
    match sign(secret, t, body) {
        Ok(expected) => bool::from(expected.as_bytes().ct_eq(v1.as_bytes())),
        Err(_) => false,
    }
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
    fn signatures_verify_within_the_tolerance_only() {
        let secret = b"hook-secret-0123456789abcdef0123";
        let sig = sign(secret, 1000, r#"{"sub":"s"}"#).unwrap();
        let header = format!("t=1000,v1={sig}");
        assert!(verify_signature(secret, &header, r#"{"sub":"s"}"#, 1100));
        assert!(!verify_signature(secret, &header, r#"{"sub":"t"}"#, 1100));
        assert!(!verify_signature(
            b"another-secret-0123456789abcdef0",
            &header,
            r#"{"sub":"s"}"#,
            1100
        ));
        assert!(!verify_signature(
            secret,
            &header,
            r#"{"sub":"s"}"#,
            1000 + SIGNATURE_TOLERANCE_SECS + 1
        ));
        assert!(!verify_signature(secret, "v1=abc", r#"{"sub":"s"}"#, 1000));
        assert!(!verify_signature(secret, "", "", 0));
    }

    #[test]
    fn the_shop_adds_claims_or_refuses_with_a_reason() {
        let claims = process_hand_off_response(&response(
            200,
            r#"{"claims":{"shopUserId":"42","vip":true,"n":3}}"#,
        ))
        .unwrap();
        assert_eq!(claims["shopUserId"], "42");
        assert!(process_hand_off_response(&response(200, ""))
            .unwrap()
            .is_empty());
        assert!(process_hand_off_response(&response(204, ""))
            .unwrap()
            .is_empty());
        let refused = process_hand_off_response(&response(
            403,
            r#"{"reason":"Your account is closed.\u0007"}"#,
        ))
        .unwrap_err();
        assert_eq!(refused.code(), ErrorCode::LoginRefused);
        assert_eq!(refused.message(), "Your account is closed.");
        let bare = process_hand_off_response(&response(403, "no")).unwrap_err();
        assert_eq!(bare.message(), "The shop did not accept this login.");
    }

    #[test]
    fn anything_else_fails_the_login() {
        let many: String = (0..=MAX_CLAIMS)
            .map(|i| format!("\"c{i}\":1"))
            .collect::<Vec<_>>()
            .join(",");
        for (status, body) in [
            (500, "{}".to_string()),
            (200, "<html>".to_string()),
            (200, r#"{"claims":[1]}"#.to_string()),
            (200, r#"{"claims":{"a b":"x"}}"#.to_string()),
            (200, r#"{"claims":{"nested":{"x":1}}}"#.to_string()),
            (
                200,
                format!(
                    r#"{{"claims":{{"long":"{}"}}}}"#,
                    "x".repeat(MAX_CLAIM_VALUE + 1)
                ),
            ),
            (200, format!(r#"{{"claims":{{{many}}}}}"#)),
            (
                200,
                format!(r#"{{"pad":"{}"}}"#, "x".repeat(MAX_RESPONSE_BYTES)),
            ),
            (302, String::new()),
        ] {
            let e = process_hand_off_response(&response(status, &body)).unwrap_err();
            assert_eq!(
                e.code(),
                ErrorCode::LoginHookFailed,
                "{status} {}",
                &body[..body.len().min(60)]
            );
        }
    }

    #[test]
    fn a_consent_revoked_hint_is_signed_like_a_login() {
        let target = HandOffTarget {
            url: "https://shop.example/hook".into(),
            secret: Some(Secret::new("hook-secret-0123456789abcdef0123")),
        };
        let revoked = crate::consent::ConsentRevoked {
            sub: "s-1".into(),
            iat: 10,
            nbf: 10,
            exp: 20,
        };
        let r = consent_revoked_request(&target, &revoked, "https://i/", 15).unwrap();
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["type"], "vipps_login.consent_revoked");
        assert_eq!(body["event"], "consent_revoked");
        assert_eq!(body["sub"], "s-1");
        assert_eq!(body["verified"], false);
        assert_eq!(body["receivedAt"], 15);
        let header = r.header(SIGNATURE_HEADER).unwrap();
        assert!(verify_signature(
            b"hook-secret-0123456789abcdef0123",
            header,
            &r.body,
            15
        ));
        assert!(process_consent_revoked_response(&response(204, "")).is_ok());
        assert_eq!(
            process_consent_revoked_response(&response(500, ""))
                .unwrap_err()
                .code(),
            ErrorCode::LoginHookFailed
        );
    }

    #[test]
    fn the_target_secret_never_prints() {
        let t = HandOffTarget {
            url: "https://shop.example/hook".into(),
            secret: Some(Secret::new("hook-secret-value")),
        };
        assert!(!format!("{t:?}").contains("hook-secret-value"));
    }
}
