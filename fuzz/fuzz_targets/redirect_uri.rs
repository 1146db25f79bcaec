//! The redirect URI checker (src/redirect_uri.rs): `check_redirect_uri_rules` and
//! `check_redirect_uri` against registered URIs. Input: line 1 the URI, each further
//! line a registered one. Properties: every finding has a message; an exact
//! registered match is never "not registered"; `ok()` means no errors.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vipps_login::{check_redirect_uri, check_redirect_uri_rules};
use vipps_login_fuzz::text;

fuzz_target!(|data: &[u8]| {
    let all = text(data);
    let mut lines = all.split('\n');
    let uri = lines.next().unwrap_or("").to_string();
    let registered: Vec<&str> = lines.take(8).collect();
    let rules = check_redirect_uri_rules(&uri);
    assert_eq!(rules.ok(), rules.errors.is_empty());
    let report = check_redirect_uri(&uri, &registered);
    for e in report.errors.iter().chain(&report.warnings) {
        assert!(!e.message().is_empty());
    }
    if registered.contains(&uri.as_str()) {
        assert!(report
            .errors
            .iter()
            .all(|e| e.code().as_str() != "redirect_uri_not_registered"));
    }
    let _ = check_redirect_uri_rules(&all);
});
