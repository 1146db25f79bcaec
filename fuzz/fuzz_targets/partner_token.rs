//! The partner keys' Access Token API answer (src/partner.rs):
//! `process_access_token_response` for any status, time and body. Input: line 1 the
//! HTTP status, line 2 the time, the rest the body. Properties: an accepted token is
//! 2xx, 1 to MAX_ACCESS_TOKEN_LEN visible characters, fresh now and for at most
//! MAX_PARTNER_TOKEN_TTL_SECS.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vipps_login::http::HttpResponse;
use vipps_login::partner::{
    process_access_token_response, MAX_ACCESS_TOKEN_LEN, MAX_PARTNER_TOKEN_TTL_SECS,
};
use vipps_login_fuzz::{fields, status, time};

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 3);
    let now = time(f[1]);
    for (status, body) in [(status(f[0]), f[2]), (200, data)] {
        let response = HttpResponse {
            status,
            body: body.to_vec(),
        };
        let Ok(t) = process_access_token_response(&response, now) else {
            continue;
        };
        assert!((200..300).contains(&status));
        let token = t.access_token.expose();
        assert!(!token.is_empty() && token.len() <= MAX_ACCESS_TOKEN_LEN);
        assert!(token.bytes().all(|b| b.is_ascii_graphic()));
        assert!(t.usable_until <= now.saturating_add(MAX_PARTNER_TOKEN_TTL_SECS));
        assert!(t.is_fresh(now) || now == u64::MAX);
    }
});
