//! No input may make the callback parser, the redirect URI checker or the other
//! readers of outside data panic: in wasm a panic kills every request in the isolate.
//! Property-based (proptest), with alphabets that reach deep into each parser.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use vipps_login::callback::read_callback_params;
use vipps_login::login::{create_login, LoginOptions, ScopeInput};
use vipps_login::{check_redirect_uri, parse_callback, Issuer, Scopes};

/// Characters that matter to URIs and query strings, plus multi-byte ones.
fn uri_like() -> impl Strategy<Value = String> {
    proptest::string::string_regex(
        "[a-zA-Z0-9:/?#\\[\\]@!$&'()*+,;=%._~ \\-æøå€\u{1F600}\\x00\\n]{0,80}",
    )
    .unwrap()
}

fn query_like() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        Just("code=".to_string()),
        Just("state=".to_string()),
        Just("error=".to_string()),
        Just("error_description=".to_string()),
        Just("iss=".to_string()),
        Just("scope=".to_string()),
        Just("&".to_string()),
        Just("?".to_string()),
        Just("#".to_string()),
        Just("%".to_string()),
        Just("%2".to_string()),
        Just("%C3%A6".to_string()),
        Just("%FF".to_string()),
        Just("+".to_string()),
        Just("https://shop.example/cb".to_string()),
        "[a-z0-9_-]{0,6}",
    ];
    proptest::collection::vec(part, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn callback_parser_never_panics(input in prop_oneof![uri_like(), query_like(), any::<String>()],
                                    state in "[a-z0-9-]{0,12}") {
        let _ = parse_callback(&input, &state, Some("https://api.vipps.no/access-management-1.0/access/"));
        let _ = parse_callback(&input, &state, None);
        let _ = read_callback_params(&input);
    }

    #[test]
    fn redirect_uri_checker_never_panics(uri in prop_oneof![uri_like(), any::<String>()],
                                         registered in proptest::collection::vec(uri_like(), 0..4)) {
        let report = check_redirect_uri(&uri, &registered);
        // Every finding carries a code and a message.
        for e in report.errors.iter().chain(&report.warnings) {
            prop_assert!(!e.message().is_empty());
        }
        // An exact registered match never reports redirect_uri_not_registered.
        if registered.contains(&uri) {
            prop_assert!(report.errors.iter().all(|e| e.code().as_str() != "redirect_uri_not_registered"));
        }
    }

    #[test]
    fn issuer_and_scopes_never_panic(s in prop_oneof![uri_like(), any::<String>()]) {
        let _ = Issuer::new(&s);
        let _ = Scopes::parse(&s, false);
        let _ = Scopes::parse(&s, true);
    }

    #[test]
    fn create_login_never_panics(redirect in uri_like(), state in any::<String>(), scope in any::<String>()) {
        let options = LoginOptions {
            client_id: Some("client".into()),
            redirect_uri: redirect,
            state: Some(state),
            scope: ScopeInput::Joined(scope),
            pkce: true,
            ..Default::default()
        };
        if let Ok(login) = create_login(&options) {
            prop_assert!(login.url.len() <= 2000);
        }
    }

    #[test]
    fn consent_webhook_and_partner_token_readers_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..600),
        parts in proptest::collection::vec(prop_oneof![
            Just("eyJhbGciOiJub25lIn0".to_string()),
            Just(".".to_string()),
            Just("=".to_string()),
            "[A-Za-z0-9_-]{0,40}",
        ], 0..8),
        now in any::<u64>(),
        leeway in any::<u64>(),
    ) {
        let _ = vipps_login::consent::decode_consent_revoked(&body, now, leeway);
        let _ = vipps_login::consent::decode_consent_revoked(parts.concat().as_bytes(), now, leeway);
        let response = vipps_login::http::HttpResponse { status: 200, body };
        let _ = vipps_login::partner::process_access_token_response(&response, now);
    }
}

/// Phone numbers, HTTP dates, webhook headers and ids, with their separators.
fn phone_like() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[0-9+ ().,:;=&\\-A-Za-zæ€\\x00]{0,40}").unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn phone_login_readers_never_panic(input in prop_oneof![phone_like(), any::<String>()],
                                       body in proptest::collection::vec(any::<u8>(), 0..64)) {
        use vipps_login::webhook::{parse_http_date, ping_auth_req_id, verify_delivery, Delivery};
        if let Ok(hint) = vipps_login::phone::login_hint(&input) {
            let digits = &hint["urn:msisdn:".len()..];
            prop_assert!((10..=15).contains(&digits.len()));
            prop_assert!(digits.bytes().all(|b| b.is_ascii_digit()));
        }
        let _ = vipps_login::phone::check_binding_message(&input);
        let _ = parse_http_date(&input);
        let _ = vipps_login::ciba::retry_after_secs(Some(&input), 1_800_000_000);
        let _ = ping_auth_req_id(&body);
        let _ = ping_auth_req_id(input.as_bytes());
        let delivery = Delivery {
            method: "POST",
            path_and_query: "/webhooks/vipps",
            host: "shop.example",
            date: Some(&input),
            content_sha256: Some(&input),
            authorization: Some(&input),
            body: &body,
        };
        prop_assert!(verify_delivery(&delivery, b"secret", 1_800_000_000).is_err());
        let keys = vipps_login::phone_login::PhoneLoginKeys::derive(b"0123456789abcdef0123456789abcdef").unwrap();
        prop_assert!(keys.auth_req_id_of(&input).is_none());
        prop_assert!(!keys.issued_state(&input));
        let _ = vipps_login::jose::UnverifiedJwt::parse_es256(&input);
    }
}
