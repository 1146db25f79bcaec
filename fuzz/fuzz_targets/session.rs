//! The session cookie (src/session.rs): `read_cookie`/`cookie_value` on any `Cookie`
//! header and `open` on any sealed value. Input: line 1 the time, the rest the header
//! (or the value itself). Properties: a cookie value read never spans a `;`; an opened
//! session is unexpired and seals and opens back to itself; a session JSON in the input
//! seals and opens back to itself (stable round trip).
#![no_main]
use libfuzzer_sys::fuzz_target;
use vipps_login::session::{cookie_value, open, read_cookie, seal, CookieScope, Session};
use vipps_login_fuzz::{fields, text, time};

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

fuzz_target!(|data: &[u8]| {
    let f = fields(data, 2);
    let now = time(f[0]);
    let header = text(f[1]);
    let mut values = vec![header.clone()];
    for scope in [
        CookieScope {
            secure: true,
            path: "/",
        },
        CookieScope {
            secure: true,
            path: "/auth",
        },
        CookieScope {
            secure: false,
            path: "/",
        },
    ] {
        if let Some(v) = read_cookie(&header, scope) {
            assert!(!v.contains(';') && header.contains(v));
            values.push(v.to_string());
        }
    }
    if let Some(v) = cookie_value(&header, "vipps_session") {
        assert!(!v.contains(';'));
    }
    for value in &values {
        if let Ok(s) = open(value, SECRET, now) {
            assert!(now < s.exp);
            let sealed = seal(&s, SECRET).expect("an opened session seals");
            assert_eq!(open(&sealed, SECRET, now).expect("and opens again"), s);
        }
        // Under another secret nothing opens.
        assert!(
            open(value, b"another secret, also 32 bytes...", now).is_err()
                || open(value, SECRET, now).is_ok()
        );
    }
    if let Ok(s) = serde_json::from_slice::<Session>(f[1]) {
        let sealed = seal(&s, SECRET).expect("seals");
        match open(&sealed, SECRET, s.exp.saturating_sub(1)) {
            Ok(back) => assert_eq!(back, s),
            Err(_) => assert_eq!(s.exp, 0),
        }
    }
});
