//! No input may make a reader of outside data panic: in wasm a panic kills every request
//! in the isolate. Property-based (proptest), with alphabets that reach deep into each
//! parser: the callback, the redirect URI checker, issuer and scopes, the login builder,
//! compact JWS, JWKS, token, userinfo and discovery answers, the session cookie, the
//! front-end's POST /api/login body, the consent-revoked and Webhooks API deliveries,
//! CIBA start and poll answers and the partner token answer. fuzz/ runs the same
//! parsers under cargo-fuzz for millions of inputs.
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

/// JSON built from the names and values the providers' answers use, so that the
/// readers get past `from_slice` into their checks, and raw bytes.
fn json_like() -> impl Strategy<Value = Vec<u8>> {
    let part = prop_oneof![
        Just("{".to_string()),
        Just("}".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(",".to_string()),
        Just(":".to_string()),
        Just("\"".to_string()),
        Just("null".to_string()),
        Just("true".to_string()),
        Just("-1".to_string()),
        Just("1e400".to_string()),
        Just("18446744073709551616".to_string()),
        Just("0.5".to_string()),
        prop_oneof![
            Just("\"access_token\":"),
            Just("\"id_token\":"),
            Just("\"token_type\":\"Bearer\""),
            Just("\"expires_in\":"),
            Just("\"interval\":"),
            Just("\"auth_req_id\":"),
            Just("\"error\":\"slow_down\""),
            Just("\"error\":"),
            Just("\"error_description\":"),
            Just("\"error_code\":"),
            Just("\"sub\":"),
            Just("\"keys\":"),
            Just("\"kty\":\"RSA\""),
            Just("\"kty\":\"EC\""),
            Just("\"crv\":\"P-256\""),
            Just("\"n\":\"sXch\",\"e\":\"AQAB\""),
            Just("\"x\":\"a\",\"y\":\"b\""),
            Just("\"kid\":"),
            Just("\"issuer\":\"https://apitest.vipps.no/access-management-1.0/access/\""),
            Just("\"authorization_endpoint\":\"https://a.example/\""),
            Just("\"token_endpoint\":\"http://127.0.0.1/t\""),
            Just("\"jwks_uri\":\"https://a.example/j\""),
            Just("\"userinfo_endpoint\":"),
            Just("\"nonce\":"),
            Just("\"codeVerifier\":"),
            Just("\"state\":"),
        ]
        .prop_map(str::to_string),
        "\"[a-zA-Z0-9 _.:/-]{0,8}\"",
    ];
    prop_oneof![
        proptest::collection::vec(part, 0..24).prop_map(|v| v.concat().into_bytes()),
        proptest::collection::vec(any::<u8>(), 0..200),
    ]
}

/// Base64url segments and dots: compact JWS and sealed cookies.
fn compact_like() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        Just("eyJhbGciOiJSUzI1NiJ9".to_string()),
        Just("eyJhbGciOiJFUzI1NiJ9".to_string()),
        Just("eyJzdWIiOiJhIn0".to_string()),
        Just("e30".to_string()),
        Just(".".to_string()),
        Just("=".to_string()),
        Just(";".to_string()),
        Just("vipps_session=".to_string()),
        Just("__Host-vipps_session=".to_string()),
        "[A-Za-z0-9_-]{0,90}",
    ];
    proptest::collection::vec(part, 0..8).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Token, userinfo, discovery, JWKS, CIBA start and poll answers and the front-end's
    /// POST /api/login body (as fuzz/ does, with fewer cases).
    #[test]
    fn response_and_body_readers_never_panic(body in json_like(),
                                             status in prop_oneof![Just(200u16), Just(400), Just(401), Just(429), Just(503), any::<u16>()],
                                             retry_after in prop_oneof![Just(None), uri_like().prop_map(Some)],
                                             sub in "[a-z0-9-]{0,6}") {
        use vipps_login::http::HttpResponse;
        let response = HttpResponse { status, body: body.clone() };
        if let Ok(t) = vipps_login::token::process_token_response(&response) {
            prop_assert!(!t.access_token.expose().is_empty() && !t.id_token.is_empty());
        }
        if let Ok(claims) = vipps_login::userinfo::process_userinfo_response(&response, &sub) {
            prop_assert_eq!(claims.get("sub").and_then(|s| s.as_str()), Some(sub.as_str()));
        }
        let issuer = vipps_login::Environment::Test.issuer();
        if let Ok(m) = vipps_login::discovery::process_discovery_response(&body, &issuer) {
            prop_assert_eq!(m.issuer.as_str(), issuer.as_str());
        }
        if let Ok(keys) = vipps_login::jwks::parse_jwks(&body) {
            prop_assert!(keys.len() <= vipps_login::jwks::MAX_KEYS);
            prop_assert!(keys.iter().all(|k| k.fits("RS256") || k.fits("ES256")));
        }
        let waits = 1..=vipps_login::ciba::MAX_WAIT_SECS;
        if let Ok(s) = vipps_login::ciba::process_start_response(&response, retry_after.as_deref(), 1_800_000_000) {
            prop_assert!(waits.contains(&s.expires_in) && waits.contains(&s.interval));
        }
        if let Ok(vipps_login::ciba::PollAnswer::RateLimited(secs)) =
            vipps_login::ciba::process_poll_response(&response, retry_after.as_deref(), 1_800_000_000)
        {
            prop_assert!(waits.contains(&secs));
        }
        if let Ok(login) = serde_json::from_slice::<vipps_login::transaction::FrontEndLogin>(&body) {
            let _ = login.validate();
        }
    }

    /// Compact JWS (RS256 and ES256) and the session cookie: read from a Cookie header,
    /// opened, and an opened one seals back to itself.
    #[test]
    fn jws_and_session_cookie_readers_never_panic(token in prop_oneof![compact_like(), any::<String>()],
                                                  now in any::<u64>()) {
        use vipps_login::session::{cookie_value, open, read_cookie, seal, CookieScope};
        if let Ok(jwt) = vipps_login::jose::UnverifiedJwt::parse(&token) {
            prop_assert_eq!(jwt.header.alg.as_str(), "RS256");
            prop_assert!(!jwt.signature.is_empty());
        }
        let _ = vipps_login::jose::UnverifiedJwt::parse_es256(&token);
        let secret = b"0123456789abcdef0123456789abcdef";
        let scope = CookieScope { secure: true, path: "/" };
        for value in [Some(token.as_str()), read_cookie(&token, scope), cookie_value(&token, "vipps_session")]
            .into_iter()
            .flatten()
        {
            if let Ok(s) = open(value, secret, now) {
                let sealed = seal(&s, secret).unwrap();
                prop_assert_eq!(open(&sealed, secret, now).unwrap(), s);
            }
        }
    }
}
