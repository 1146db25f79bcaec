//! The Worker's JSON request bodies, through the core's pure parts they reach:
//! `POST /api/login`'s `FrontEndLogin` (src/transaction.rs, serde with
//! deny_unknown_fields, then `validate`), and `POST /api/phone-login`'s
//! `{phone, bindingMessage}` (src/phone.rs `login_hint`, `check_binding_message`).
//! Properties: a valid FrontEndLogin has no state, a 128-bit URL-safe nonce and an
//! RFC 7636 verifier; a login hint is `urn:msisdn:` and 10 to 15 digits; an accepted
//! binding message matches `^[A-Z0-9-]{5,8}$`.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vipps_login::random::PkceCodeVerifier;
use vipps_login::transaction::{FrontEndLogin, MIN_FRONT_END_RANDOM_LEN};
use vipps_login_fuzz::text;

fuzz_target!(|data: &[u8]| {
    if let Ok(login) = serde_json::from_slice::<FrontEndLogin>(data) {
        if login.validate().is_ok() {
            assert!(login.state.is_none());
            assert!((MIN_FRONT_END_RANDOM_LEN..=256).contains(&login.nonce.len()));
            assert!(PkceCodeVerifier::new(&login.code_verifier).is_ok());
        }
    }
    let strings: Vec<String> = match serde_json::from_slice::<serde_json::Value>(data) {
        Ok(serde_json::Value::Object(body)) => ["phone", "bindingMessage"]
            .iter()
            .filter_map(|k| body.get(*k).and_then(|v| v.as_str()).map(str::to_string))
            .collect(),
        _ => vec![text(data)],
    };
    for s in &strings {
        if let Ok(hint) = vipps_login::phone::login_hint(s) {
            let digits = hint.strip_prefix("urn:msisdn:").expect("urn:msisdn:");
            assert!((10..=15).contains(&digits.len()));
            assert!(digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0'));
        }
        if vipps_login::phone::check_binding_message(s).is_ok() {
            assert!((5..=8).contains(&s.len()));
            assert!(s
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-'));
        }
    }
});
