//! The token endpoint's answer (src/token.rs): `process_token_response` for any status
//! and body, the error branch (RFC 6749 5.2, Vipps' error_debug/error_code) included.
//! Input: line 1 the HTTP status, the rest the body. Property: an accepted response is
//! 2xx with a non-empty access_token and id_token.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vipps_login::http::HttpResponse;
use vipps_login::token::process_token_response;
use vipps_login_fuzz::{fields, status};

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 2);
    for (status, body) in [(status(f[0]), f[1]), (200, data)] {
        let response = HttpResponse {
            status,
            body: body.to_vec(),
        };
        if let Ok(t) = process_token_response(&response) {
            assert!((200..300).contains(&status));
            assert!(!t.access_token.expose().is_empty() && !t.id_token.is_empty());
        }
    }
});
