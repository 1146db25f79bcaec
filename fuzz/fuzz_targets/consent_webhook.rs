//! The consent-revoked webhook (src/consent.rs): `decode_consent_revoked`, the unsigned
//! `{"alg":"none"}` JWT Vipps POSTs as text/plain. Input: line 1 the time, the rest the
//! body (and the whole input at a fixed time). Properties: an accepted webhook has a sub
//! of 1 to 256 visible characters, exp not before iat or nbf, and is live at `now`
//! within the leeway.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vipps_login::consent::{decode_consent_revoked, MAX_BODY_BYTES, MAX_SUB_LEN};
use vipps_login_fuzz::{fields, time};

const LEEWAY: u64 = 60;

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 2);
    for (now, body) in [(time(f[0]), f[1]), (1_680_165_512, data)] {
        let Ok(c) = decode_consent_revoked(body, now, LEEWAY) else {
            continue;
        };
        assert!(body.len() <= MAX_BODY_BYTES);
        assert!(!c.sub.is_empty() && c.sub.len() <= MAX_SUB_LEN);
        assert!(c.sub.bytes().all(|b| b.is_ascii_graphic()));
        assert!(c.exp >= c.iat && c.exp >= c.nbf);
        assert!(now < c.exp.saturating_add(LEEWAY));
        assert!(c.nbf <= now.saturating_add(LEEWAY) && c.iat <= now.saturating_add(LEEWAY));
    }
});
