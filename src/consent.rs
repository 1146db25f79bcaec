//! Vipps' consent-revoked webhook: a `text/plain` POST holding an **unsigned** JWT,
//! header `{"alg":"none"}` and no signature segment, payload `{sub, event:
//! "CONSENT_REVOKED", iat, nbf, exp}` (vipps-login-api.md, "Consent-revoked webhook").
//!
//! Nothing authenticates it: anyone can send one. So it is decoded here, explicitly,
//! and never through the id_token verifier ([`crate::jose`] refuses `alg: none`, and must
//! go on refusing it), checked for shape, size and time, and then only ever a *hint* for
//! the shop to re-check the user (mark the account, ask again at the next login), never
//! proof that the user revoked anything.

use crate::error::{Error, ErrorCode, Result};
use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::{Map, Value};

/// Largest body accepted (a real one is about 250 bytes).
pub const MAX_BODY_BYTES: usize = 4 * 1024;
/// Longest `sub` (Vipps' are UUIDs).
pub const MAX_SUB_LEN: usize = 256;
/// A webhook issued longer ago than this is stale whatever its `exp` says.
pub const MAX_AGE_SECS: u64 = 24 * 3600;
/// The only event this endpoint knows.
pub const EVENT: &str = "CONSENT_REVOKED";

/// A decoded, shape- and time-checked consent-revoked webhook. Unauthenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentRevoked {
    /// The user, pairwise per sales unit (as the id_token's `sub`).
    pub sub: String,
    pub iat: u64,
    pub nbf: u64,
    pub exp: u64,
}

fn malformed(why: impl Into<String>) -> Error {
    Error::new(ErrorCode::ConsentWebhookMalformed, why)
}

/// One base64url segment as a JSON object. Vipps sends unpadded base64url; trailing
/// `=` padding is tolerated.
fn json_segment(segment: &str, what: &str) -> Result<Map<String, Value>> {
    let bytes = Base64UrlUnpadded::decode_vec(segment.trim_end_matches('='))
        .map_err(|_| malformed(format!("the JWT's {what} is not base64url")))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(malformed(format!("the JWT's {what} is not a JSON object"))),
    }
}

/// A NumericDate (RFC 7519 2): a non-negative number, fractions cut off.
fn numeric_date(claims: &Map<String, Value>, name: &str) -> Result<u64> {
    let value = claims
        .get(name)
        .ok_or_else(|| malformed(format!("the payload has no {name}")))?;
    match value.as_u64() {
        Some(n) => Ok(n),
        None => value
            .as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0 && *f < u64::MAX as f64)
            .map(|f| f as u64)
            .ok_or_else(|| malformed(format!("{name} is not a NumericDate"))),
    }
}

/// Decodes and checks the webhook's body at `now`, allowing `leeway_secs` of clock skew.
pub fn decode_consent_revoked(body: &[u8], now: u64, leeway_secs: u64) -> Result<ConsentRevoked> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Error::new(
            ErrorCode::ConsentWebhookTooLarge,
            format!("the body is larger than {MAX_BODY_BYTES} bytes"),
        ));
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| malformed("the body is not UTF-8 text"))?
        .trim();
    // Compact serialization of an unsecured JWS (RFC 7515 A.5, RFC 7519 6): two
    // segments and an empty third; Vipps' documentation shows the signature left out,
    // so two segments alone are read too.
    let mut parts = text.split('.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else {
        return Err(malformed("the body is not a JWT (header.payload.)"));
    };
    match (parts.next(), parts.next()) {
        (None, None) | (Some(""), None) => {}
        _ => {
            return Err(malformed(
                "the JWT has a signature or more segments: Vipps' consent webhook is unsigned",
            ))
        }
    }
    let header = json_segment(header, "header")?;
    // Exactly an unsecured header: alg "none" (and at most typ). Anything else is not
    // Vipps' webhook, and this decoder never verifies a signature.
    let alg_none = header.get("alg").and_then(Value::as_str) == Some("none");
    let only_known = header.keys().all(|k| k == "alg" || k == "typ");
    if !alg_none || !only_known {
        return Err(malformed("the JWT's header is not {\"alg\":\"none\"}"));
    }
    let claims = json_segment(payload, "payload")?;
    let event = claims.get("event").and_then(Value::as_str);
    if event != Some(EVENT) {
        return Err(Error::new(
            ErrorCode::ConsentWebhookEventUnknown,
            format!(
                "the webhook's event is {}, not {EVENT}",
                event
                    .map(|e| format!("\"{}\"", e.chars().take(64).collect::<String>()))
                    .unwrap_or_else(|| "missing".into())
            ),
        ));
    }
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .filter(|s| {
            !s.is_empty() && s.len() <= MAX_SUB_LEN && s.bytes().all(|b| b.is_ascii_graphic())
        })
        .ok_or_else(|| malformed(format!("sub is not 1 to {MAX_SUB_LEN} visible characters")))?
        .to_string();
    let iat = numeric_date(&claims, "iat")?;
    let nbf = numeric_date(&claims, "nbf")?;
    let exp = numeric_date(&claims, "exp")?;
    if exp < iat || exp < nbf {
        return Err(malformed("exp is before iat or nbf"));
    }
    // RFC 7519 4.1.4 / 4.1.5, with leeway; and a bound on age, so an old body cannot be
    // replayed for as long as its exp allows.
    if now >= exp.saturating_add(leeway_secs)
        || now.saturating_sub(iat) > MAX_AGE_SECS.saturating_add(leeway_secs)
    {
        return Err(Error::new(
            ErrorCode::ConsentWebhookStale,
            format!("the webhook expired (exp {exp}, now {now})"),
        ));
    }
    if nbf > now.saturating_add(leeway_secs) || iat > now.saturating_add(leeway_secs) {
        return Err(Error::new(
            ErrorCode::ConsentWebhookStale,
            format!("the webhook is not valid yet (nbf {nbf}, iat {iat}, now {now})"),
        ));
    }
    Ok(ConsentRevoked { sub, iat, nbf, exp })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        Base64UrlUnpadded::encode_string(s.as_bytes())
    }

    fn jwt(header: &str, payload: &str) -> String {
        format!("{}.{}.", b64(header), b64(payload))
    }

    const NONE: &str = r#"{"alg":"none"}"#;
    const NOW: u64 = 1_700_000_000;

    fn payload(event: &str, iat: u64, exp: u64) -> String {
        format!(
            r#"{{"sub":"c0ffee00-0000-8000-8000-000000000001","event":"{event}","iat":{iat},"nbf":{iat},"exp":{exp}}}"#
        )
    }

    fn code(body: &str) -> ErrorCode {
        decode_consent_revoked(body.as_bytes(), NOW, 60)
            .unwrap_err()
            .code()
    }

    #[test]
    fn vipps_quirk_unsigned_jwt_with_or_without_the_empty_third_segment() {
        let body = jwt(NONE, &payload(EVENT, NOW, NOW + 3600));
        let got = decode_consent_revoked(body.as_bytes(), NOW, 60).unwrap();
        assert_eq!(got.sub, "c0ffee00-0000-8000-8000-000000000001");
        assert_eq!((got.iat, got.nbf, got.exp), (NOW, NOW, NOW + 3600));
        let two = body.trim_end_matches('.');
        assert!(decode_consent_revoked(two.as_bytes(), NOW, 60).is_ok());
        let newline = format!("{body}\n");
        assert!(decode_consent_revoked(newline.as_bytes(), NOW, 60).is_ok());
        let typ = jwt(
            r#"{"alg":"none","typ":"JWT"}"#,
            &payload(EVENT, NOW, NOW + 60),
        );
        assert!(decode_consent_revoked(typ.as_bytes(), NOW, 60).is_ok());
    }

    #[test]
    fn anything_but_an_unsigned_header_is_refused() {
        let p = payload(EVENT, NOW, NOW + 3600);
        for header in [
            r#"{"alg":"HS256"}"#,
            r#"{"alg":"RS256","kid":"k"}"#,
            r#"{"alg":"None"}"#,
            r#"{"alg":"none","kid":"x"}"#,
            r#"{"typ":"JWT"}"#,
            "[]",
        ] {
            assert_eq!(
                code(&jwt(header, &p)),
                ErrorCode::ConsentWebhookMalformed,
                "{header}"
            );
        }
        let signed = format!("{}{}", jwt(NONE, &p), b64("sig"));
        assert_eq!(code(&signed), ErrorCode::ConsentWebhookMalformed);
        for body in [
            "",
            "abc",
            "a.b.c.d",
            "!!.??.",
            &format!("{}.{}", b64(NONE), "%%"),
        ] {
            assert_eq!(code(body), ErrorCode::ConsentWebhookMalformed, "{body}");
        }
        assert_eq!(
            decode_consent_revoked(&[0xff, b'.', b'.'], NOW, 0)
                .unwrap_err()
                .code(),
            ErrorCode::ConsentWebhookMalformed
        );
    }

    #[test]
    fn shape_event_size_and_time() {
        assert_eq!(
            code(&jwt(NONE, &payload("CONSENT_GIVEN", NOW, NOW + 60))),
            ErrorCode::ConsentWebhookEventUnknown
        );
        assert_eq!(
            code(&jwt(NONE, r#"{"sub":"s","iat":1,"nbf":1,"exp":2}"#)),
            ErrorCode::ConsentWebhookEventUnknown
        );
        for p in [
            format!(
                r#"{{"event":"{EVENT}","iat":{NOW},"nbf":{NOW},"exp":{}}}"#,
                NOW + 60
            ),
            format!(
                r#"{{"sub":"","event":"{EVENT}","iat":{NOW},"nbf":{NOW},"exp":{}}}"#,
                NOW + 60
            ),
            format!(
                r#"{{"sub":"s","event":"{EVENT}","nbf":{NOW},"exp":{}}}"#,
                NOW + 60
            ),
            format!(
                r#"{{"sub":"s","event":"{EVENT}","iat":"{NOW}","nbf":{NOW},"exp":{}}}"#,
                NOW + 60
            ),
            format!(
                r#"{{"sub":"s","event":"{EVENT}","iat":{NOW},"nbf":{NOW},"exp":{}}}"#,
                NOW - 10
            ),
        ] {
            assert_eq!(
                code(&jwt(NONE, &p)),
                ErrorCode::ConsentWebhookMalformed,
                "{p}"
            );
        }
        // Expired beyond the leeway, issued too long ago, or not valid yet: stale.
        assert_eq!(
            code(&jwt(NONE, &payload(EVENT, NOW - 7200, NOW - 3600))),
            ErrorCode::ConsentWebhookStale
        );
        assert!(decode_consent_revoked(
            jwt(NONE, &payload(EVENT, NOW - 100, NOW - 30)).as_bytes(),
            NOW,
            60
        )
        .is_ok());
        assert_eq!(
            code(&jwt(
                NONE,
                &payload(EVENT, NOW - MAX_AGE_SECS - 120, NOW + 60)
            )),
            ErrorCode::ConsentWebhookStale
        );
        assert_eq!(
            code(&jwt(NONE, &payload(EVENT, NOW + 600, NOW + 3600))),
            ErrorCode::ConsentWebhookStale
        );
        let big = format!("{}.", "a".repeat(MAX_BODY_BYTES));
        assert_eq!(code(&big), ErrorCode::ConsentWebhookTooLarge);
    }
}
