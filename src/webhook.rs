//! Vipps' Webhooks API deliveries (the CIBA ping, `login.merchant-initiated.ping.v1`),
//! verified as Vipps documents it ("Request authentication"): the body's SHA-256 in
//! `x-ms-content-sha256`, and
//! `Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<base64>`
//! where the signature is HMAC-SHA256, keyed with the registration's secret as UTF-8,
//! over `"{METHOD}\n{path and query}\n{x-ms-date};{host};{x-ms-content-sha256}"`.
//! Every comparison is in constant time, and `x-ms-date` must lie within
//! [`FRESHNESS_SECS`] of now (a recorded delivery cannot be replayed later). Sans-IO:
//! the adapter hands in the headers, the body and the clock.

use crate::error::{Error, ErrorCode, Result};
use base64ct::{Base64, Encoding};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// How far `x-ms-date` may be from now, either way.
pub const FRESHNESS_SECS: u64 = 300;
/// Largest delivery body read (a ping is `{"auth_req_id":"<uuid>"}`).
pub const MAX_BODY_BYTES: usize = 4 * 1024;
/// The only `SignedHeaders` Vipps sends.
const SIGNED_HEADERS: &str = "x-ms-date;host;x-ms-content-sha256";

/// One delivery as received.
#[derive(Debug, Clone, Copy)]
pub struct Delivery<'a> {
    pub method: &'a str,
    /// The request's path and query, as sent (`/webhooks/vipps`).
    pub path_and_query: &'a str,
    /// The `Host` header.
    pub host: &'a str,
    pub date: Option<&'a str>,
    pub content_sha256: Option<&'a str>,
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
}

fn invalid(why: &str) -> Error {
    Error::new(
        ErrorCode::WebhookSignatureInvalid,
        format!("the webhook delivery {why}"),
    )
}

/// `base64(HMAC-SHA256(secret, "{method}\n{path}\n{date};{host};{hash}"))`.
pub fn signature(
    secret: &[u8],
    method: &str,
    path_and_query: &str,
    date: &str,
    host: &str,
    content_sha256: &str,
) -> Result<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)
        .map_err(|_| invalid("cannot be checked: the secret cannot key HMAC"))?;
    mac.update(format!("{method}\n{path_and_query}\n{date};{host};{content_sha256}").as_bytes());
    Ok(Base64::encode_string(&mac.finalize().into_bytes()))
}

/// `base64(SHA-256(body))`, as `x-ms-content-sha256` carries it.
pub fn content_sha256(body: &[u8]) -> String {
    Base64::encode_string(&Sha256::digest(body))
}

/// Checks a delivery; `now` in Unix seconds. Order: size, content hash, signed headers
/// and signature, then freshness (a stale but genuine delivery says so).
pub fn verify_delivery(delivery: &Delivery<'_>, secret: &[u8], now: u64) -> Result<()> {
    if delivery.body.len() > MAX_BODY_BYTES {
        return Err(invalid(&format!(
            "body is larger than {MAX_BODY_BYTES} bytes"
        )));
    }
    let (Some(date), Some(hash), Some(authorization)) = (
        delivery.date,
        delivery.content_sha256,
        delivery.authorization,
    ) else {
        return Err(invalid(
            "lacks x-ms-date, x-ms-content-sha256 or Authorization",
        ));
    };
    let computed = content_sha256(delivery.body);
    if !bool::from(computed.as_bytes().ct_eq(hash.trim().as_bytes())) {
        return Err(invalid("body does not match x-ms-content-sha256"));
    }
    let params = authorization
        .trim()
        .strip_prefix("HMAC-SHA256 ")
        .ok_or_else(|| invalid("Authorization is not HMAC-SHA256"))?;
    let mut signed_headers = None;
    let mut given = None;
    for pair in params.trim().split('&') {
        match pair.split_once('=') {
            Some(("SignedHeaders", v)) => signed_headers = Some(v),
            // Base64 ends in `=`: split at the first one only.
            Some(("Signature", v)) => given = Some(v),
            _ => return Err(invalid("Authorization has an unknown part")),
        }
    }
    if signed_headers != Some(SIGNED_HEADERS) {
        return Err(invalid(&format!(
            "Authorization must sign exactly {SIGNED_HEADERS}"
        )));
    }
    let given = given.ok_or_else(|| invalid("Authorization has no Signature"))?;
    let expected = signature(
        secret,
        delivery.method,
        delivery.path_and_query,
        date,
        delivery.host,
        hash.trim(),
    )?;
    if !bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
        return Err(invalid(
            "signature does not verify with VIPPS_WEBHOOK_SECRET",
        ));
    }
    let sent = parse_http_date(date).ok_or_else(|| invalid("x-ms-date is not an RFC 7231 date"))?;
    if now.abs_diff(sent) > FRESHNESS_SECS {
        return Err(Error::new(
            ErrorCode::WebhookStale,
            format!(
                "the webhook delivery is dated {date}, {} s from now",
                now.abs_diff(sent)
            ),
        ));
    }
    Ok(())
}

/// The `auth_req_id` of a ping body `{"auth_req_id":"..."}`.
pub fn ping_auth_req_id(body: &[u8]) -> Result<String> {
    #[derive(serde::Deserialize)]
    struct Ping {
        auth_req_id: String,
    }
    let ping: Ping = serde_json::from_slice(body)
        .map_err(|_| invalid("body is not {\"auth_req_id\": \"...\"}"))?;
    if ping.auth_req_id.is_empty()
        || ping.auth_req_id.len() > crate::ciba::MAX_AUTH_REQ_ID_LEN
        || !ping.auth_req_id.bytes().all(|b| b.is_ascii_graphic())
    {
        return Err(invalid("auth_req_id is not an id"));
    }
    Ok(ping.auth_req_id)
}

/// An RFC 7231 IMF-fixdate (`Thu, 30 Mar 2023 08:38:32 GMT`) as Unix seconds.
pub fn parse_http_date(date: &str) -> Option<u64> {
    let rest = date.trim();
    let (_weekday, rest) = rest.split_once(", ")?;
    let mut parts = rest.split(' ');
    let (Some(day), Some(month), Some(year), Some(time), Some("GMT"), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let number = |s: &str, len: usize| -> Option<u64> {
        (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let day = number(day, 2)?;
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let month = MONTHS.iter().position(|m| *m == month)? as u64 + 1;
    let year = number(year, 4)?;
    let mut hms = time.split(':');
    let (Some(h), Some(m), Some(s), None) = (hms.next(), hms.next(), hms.next(), hms.next()) else {
        return None;
    };
    let (h, m, s) = (number(h, 2)?, number(m, 2)?, number(s, 2)?);
    if year < 1970 || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + m * 60 + s)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm),
/// for years from 1970.
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vipps' Webhooks API documentation, "Request authentication" sample.
    const SECRET: &str =
        "A0+AeKBRG2KRGvnNwJpQlb6IJFk48CKXCIcrLoHncVJKDILsQSxS6NWCccwWm6r6FhGKhiHTBsG2wo/xU6FY/A==";
    const PATH: &str = "/e2cee29b-012e-4f1d-8ef4-e95fd74a7a63";
    const HOST: &str = "webhook.site";
    const DATE: &str = "Thu, 30 Mar 2023 08:38:32 GMT";
    const HASH: &str = "lNlsp1XA03N34HrQsVzPgJKtC+r7l/RBF4V3JQUWMj4=";
    const SIGNATURE: &str = "agAiSyogQbDHpeucoNwYz+yAr5nJ+v+zasdkSbqzv+U=";

    #[test]
    fn vipps_docs_sample_vector() {
        assert_eq!(
            signature(SECRET.as_bytes(), "POST", PATH, DATE, HOST, HASH).unwrap(),
            SIGNATURE
        );
    }

    #[test]
    fn http_dates() {
        assert_eq!(parse_http_date(DATE), Some(1_680_165_512));
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Tue, 29 Feb 2028 23:59:59 GMT"),
            Some(1_835_481_599)
        );
        for bad in [
            "",
            "30 Mar 2023 08:38:32 GMT",
            "Thu, 30 Mar 2023 08:38:32 UTC",
            "Thu, 30 Foo 2023 08:38:32 GMT",
            "Thu, 3 Mar 2023 08:38:32 GMT",
            "Thu, 30 Mar 2023 8:38:32 GMT",
            "Thu, 30 Mar 2023 24:00:00 GMT",
            "Thu, 30 Mar 2023 08:38:32 GMT x",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }

    struct Signed {
        date: String,
        hash: String,
        authorization: String,
        body: Vec<u8>,
    }

    fn signed(body: &[u8], date: &str, secret: &str) -> Signed {
        let hash = content_sha256(body);
        let sig = signature(
            secret.as_bytes(),
            "POST",
            "/webhooks/vipps",
            date,
            "shop.example",
            &hash,
        )
        .unwrap();
        Signed {
            date: date.into(),
            hash,
            authorization: format!("HMAC-SHA256 SignedHeaders={SIGNED_HEADERS}&Signature={sig}"),
            body: body.to_vec(),
        }
    }

    fn delivery(s: &Signed) -> Delivery<'_> {
        Delivery {
            method: "POST",
            path_and_query: "/webhooks/vipps",
            host: "shop.example",
            date: Some(&s.date),
            content_sha256: Some(&s.hash),
            authorization: Some(&s.authorization),
            body: &s.body,
        }
    }

    const NOW: u64 = 1_680_165_512;
    const BODY: &[u8] = br#"{"auth_req_id":"3b1f0c2e-9a8d-4c1e-8f00-000000000001"}"#;

    #[test]
    fn a_signed_fresh_delivery_verifies() {
        let s = signed(BODY, DATE, SECRET);
        verify_delivery(&delivery(&s), SECRET.as_bytes(), NOW).unwrap();
        verify_delivery(&delivery(&s), SECRET.as_bytes(), NOW + FRESHNESS_SECS).unwrap();
        verify_delivery(&delivery(&s), SECRET.as_bytes(), NOW - FRESHNESS_SECS).unwrap();
        assert_eq!(
            ping_auth_req_id(&s.body).unwrap(),
            "3b1f0c2e-9a8d-4c1e-8f00-000000000001"
        );
    }

    #[test]
    fn stale_dates_are_refused_either_way() {
        let s = signed(BODY, DATE, SECRET);
        for now in [
            NOW + FRESHNESS_SECS + 1,
            NOW - FRESHNESS_SECS - 1,
            NOW + 86_400,
        ] {
            assert_eq!(
                verify_delivery(&delivery(&s), SECRET.as_bytes(), now)
                    .unwrap_err()
                    .code(),
                ErrorCode::WebhookStale
            );
        }
    }

    #[test]
    fn tampering_is_refused() {
        let bad = |d: Delivery<'_>| {
            verify_delivery(&d, SECRET.as_bytes(), NOW)
                .unwrap_err()
                .code()
        };
        let s = signed(BODY, DATE, SECRET);
        // Another body with the original hash and signature.
        let tampered = br#"{"auth_req_id":"3b1f0c2e-9a8d-4c1e-8f00-000000000002"}"#;
        assert_eq!(
            bad(Delivery {
                body: tampered,
                ..delivery(&s)
            }),
            ErrorCode::WebhookSignatureInvalid
        );
        // A body with its own hash but the old signature.
        let rehashed = content_sha256(tampered);
        assert_eq!(
            bad(Delivery {
                body: tampered,
                content_sha256: Some(&rehashed),
                ..delivery(&s)
            }),
            ErrorCode::WebhookSignatureInvalid
        );
        // Another path, host, method, date (the signature covers them).
        assert_eq!(
            bad(Delivery {
                path_and_query: "/other",
                ..delivery(&s)
            }),
            ErrorCode::WebhookSignatureInvalid
        );
        assert_eq!(
            bad(Delivery {
                host: "evil.example",
                ..delivery(&s)
            }),
            ErrorCode::WebhookSignatureInvalid
        );
        assert_eq!(
            bad(Delivery {
                method: "PUT",
                ..delivery(&s)
            }),
            ErrorCode::WebhookSignatureInvalid
        );
        assert_eq!(
            bad(Delivery {
                date: Some("Thu, 30 Mar 2023 08:38:33 GMT"),
                ..delivery(&s)
            }),
            ErrorCode::WebhookSignatureInvalid
        );
        // Another secret; missing headers; other SignedHeaders; a bare signature.
        let other = signed(BODY, DATE, "another-secret");
        assert_eq!(bad(delivery(&other)), ErrorCode::WebhookSignatureInvalid);
        assert_eq!(
            bad(Delivery {
                authorization: None,
                ..delivery(&s)
            }),
            ErrorCode::WebhookSignatureInvalid
        );
        assert_eq!(
            bad(Delivery {
                date: None,
                ..delivery(&s)
            }),
            ErrorCode::WebhookSignatureInvalid
        );
        let reordered = s
            .authorization
            .replace(SIGNED_HEADERS, "host;x-ms-date;x-ms-content-sha256");
        assert_eq!(
            bad(Delivery {
                authorization: Some(&reordered),
                ..delivery(&s)
            }),
            ErrorCode::WebhookSignatureInvalid
        );
        let sig_only = format!(
            "HMAC-SHA256 Signature={}",
            s.authorization.rsplit_once("Signature=").unwrap().1
        );
        assert_eq!(
            bad(Delivery {
                authorization: Some(&sig_only),
                ..delivery(&s)
            }),
            ErrorCode::WebhookSignatureInvalid
        );
        // Too large.
        let big = vec![b' '; MAX_BODY_BYTES + 1];
        let s = signed(&big, DATE, SECRET);
        assert_eq!(bad(delivery(&s)), ErrorCode::WebhookSignatureInvalid);
    }

    #[test]
    fn ping_bodies() {
        for bad in [
            &b""[..],
            b"{}",
            b"[]",
            br#"{"auth_req_id":""}"#,
            br#"{"auth_req_id":"a b"}"#,
            br#"{"auth_req_id":1}"#,
        ] {
            assert!(ping_auth_req_id(bad).is_err());
        }
    }
}
