//! Userinfo (src/userinfo.rs): `process_userinfo_response` for any status and body.
//! Input: line 1 the id_token's sub, the rest the body. Property: accepted claims
//! carry exactly that sub (OIDC Core 5.3.2).
#![no_main]
use libfuzzer_sys::fuzz_target;
use vipps_login::http::HttpResponse;
use vipps_login::userinfo::process_userinfo_response;
use vipps_login_fuzz::{fields, text};

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 2);
    let sub = text(f[0]);
    let response = HttpResponse {
        status: 200,
        body: f[1].to_vec(),
    };
    if let Ok(claims) = process_userinfo_response(&response, &sub) {
        assert_eq!(
            claims.get("sub").and_then(|s| s.as_str()),
            Some(sub.as_str())
        );
    }
    let refused = HttpResponse {
        status: 401,
        body: f[1].to_vec(),
    };
    assert!(process_userinfo_response(&refused, &sub).is_err());
});
