//! The callback parser (src/callback.rs): `read_callback_params`, `parse_callback` and
//! `check_callback` on any URL, path or query, Vipps' `?`-joined parameters included.
//! Input: line 1 the expected state, the rest the callback. Properties: an accepted
//! callback carries a non-empty code, the expected state, and the expected `iss` when
//! it has one; raw params always hold a code or an error.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vipps_login::callback::{check_callback, read_callback_params};
use vipps_login::parse_callback;
use vipps_login_fuzz::{fields, text};

const ISSUER: &str = "https://api.vipps.no/access-management-1.0/access/";

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 2);
    let (state, input) = (text(f[0]), text(f[1]));
    for expected in [Some(ISSUER), None] {
        if let Ok(cb) = parse_callback(&input, &state, expected) {
            assert!(!cb.code.is_empty());
            assert_eq!(cb.state, state);
            if let (Some(iss), Some(expected)) = (&cb.iss, expected) {
                assert_eq!(iss, expected);
            }
        }
    }
    if let Ok(cb) = check_callback(&input, &state, Some(ISSUER), true) {
        assert_eq!(cb.iss.as_deref(), Some(ISSUER));
    }
    for whole in [input, text(data)] {
        if let Ok(p) = read_callback_params(&whole) {
            assert!(p.code.is_some() || p.error.is_some());
        }
    }
});
