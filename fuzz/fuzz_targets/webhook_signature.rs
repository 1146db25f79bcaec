//! The Webhooks API delivery (src/webhook.rs): `verify_delivery` on any headers and
//! body, `parse_http_date` on any x-ms-date, and the CIBA ping body
//! (`ping_auth_req_id`). Input: line 1 x-ms-date, line 2 x-ms-content-sha256, line 3
//! Authorization, the rest the body. Properties: the fuzzed headers never verify (no
//! forgery without the secret) unless they carry the true signature; the same body
//! and date signed with the secret verify exactly when the body fits and the date
//! parses (at that date); a ping's auth_req_id is 1 to 256 visible characters.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vipps_login::webhook::{
    content_sha256, parse_http_date, ping_auth_req_id, signature, verify_delivery, Delivery,
    MAX_BODY_BYTES,
};
use vipps_login_fuzz::{fields, text};

const SECRET: &[u8] = b"webhook-secret";
const PATH: &str = "/webhooks/vipps";
const HOST: &str = "shop.example";

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 4);
    let (date, hash, authorization, body) = (text(f[0]), text(f[1]), text(f[2]), f[3]);
    let sent = parse_http_date(&date);
    let now = sent.unwrap_or(1_680_165_512);
    let fuzzed = Delivery {
        method: "POST",
        path_and_query: PATH,
        host: HOST,
        date: Some(&date),
        content_sha256: Some(&hash),
        authorization: Some(&authorization),
        body,
    };
    if verify_delivery(&fuzzed, SECRET, now).is_ok() {
        let expected = signature(SECRET, "POST", PATH, &date, HOST, hash.trim()).expect("keys");
        assert!(authorization.contains(&expected));
    }
    let true_hash = content_sha256(body);
    let signed = format!(
        "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={}",
        signature(SECRET, "POST", PATH, &date, HOST, &true_hash).expect("keys")
    );
    let genuine = Delivery {
        content_sha256: Some(&true_hash),
        authorization: Some(&signed),
        ..fuzzed
    };
    let verified = verify_delivery(&genuine, SECRET, now).is_ok();
    assert_eq!(verified, body.len() <= MAX_BODY_BYTES && sent.is_some());
    assert!(verify_delivery(&genuine, b"another secret", now).is_err());
    assert!(verify_delivery(
        &Delivery {
            date: None,
            ..genuine
        },
        SECRET,
        now
    )
    .is_err());
    if let Ok(id) = ping_auth_req_id(body) {
        assert!(!id.is_empty() && id.len() <= 256 && id.bytes().all(|b| b.is_ascii_graphic()));
    }
});
