//! CIBA responses (src/ciba.rs): `process_start_response` (the backchannel
//! authentication answer), `process_poll_response` (the CIBA token answer) and
//! `retry_after_secs`. Input: line 1 the HTTP status, line 2 Retry-After, the rest the
//! body. Properties: a start is HTTP 200 with a usable auth_req_id and expires_in and
//! interval within 1..=MAX_WAIT_SECS; every wait (Retry-After, 429) is within
//! 1..=MAX_WAIT_SECS; tokens only come with a 2xx.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vipps_login::ciba::{
    process_poll_response, process_start_response, retry_after_secs, PollAnswer,
    MAX_AUTH_REQ_ID_LEN, MAX_WAIT_SECS,
};
use vipps_login::http::HttpResponse;
use vipps_login_fuzz::{fields, status, text};

const NOW: u64 = 1_680_165_512;

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 3);
    let status = status(f[0]);
    let retry_after = text(f[1]);
    let waits = 1..=MAX_WAIT_SECS;
    assert!(waits.contains(&retry_after_secs(Some(&retry_after), NOW)));
    for (status, body) in [(status, f[2]), (200, data)] {
        let response = HttpResponse {
            status,
            body: body.to_vec(),
        };
        match process_start_response(&response, Some(&retry_after), NOW) {
            Ok(s) => {
                assert_eq!(status, 200);
                assert!(!s.auth_req_id.is_empty() && s.auth_req_id.len() <= MAX_AUTH_REQ_ID_LEN);
                assert!(waits.contains(&s.expires_in) && waits.contains(&s.interval));
            }
            Err(e) => {
                if let Some(secs) = e.detail("retryAfter") {
                    assert!(waits.contains(&secs.parse::<u64>().expect("a number")));
                }
            }
        }
        match process_poll_response(&response, Some(&retry_after), NOW) {
            Ok(PollAnswer::RateLimited(secs)) => assert!(waits.contains(&secs)),
            Ok(PollAnswer::Tokens(_)) => assert!((200..300).contains(&status)),
            _ => {}
        }
    }
});
