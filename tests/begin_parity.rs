//! The two createLogins agree: `vipps-login/begin` (the no_std begin crate, a few KB of
//! wasm) and the main package's (the core, with hints and Vipps' full redirect URI
//! rules). Whatever the main one accepts, the begin one accepts with the same URL; the
//! begin one refuses with the main one's code; and where only the main one refuses,
//! it is for one of the rules only it has.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use vipps_login::discovery::ProviderMetadata;
use vipps_login::login::{create_login as main_create, LoginOptions, ScopeInput};
use vipps_login_begin::{create_login as begin_create, Discovery, Options};

/// Codes only the main createLogin gives: Vipps' remaining redirect URI rules, issuer
/// and discovery checks the begin entry leaves to the Worker and the provider.
const MAIN_ONLY: &[&str] = &[
    "redirect_uri_invalid",
    "redirect_uri_custom_scheme_without_path",
    "redirect_uri_missing_host",
    "issuer_invalid",
    "discovery_invalid",
];

/// Both createLogins on the same options (`begin` borrows from `main`'s strings).
fn both(main: &LoginOptions) -> (Result<[String; 6], String>, Result<[String; 6], String>) {
    let scope: Vec<&str> = match &main.scope {
        ScopeInput::Joined(s) => s.split(' ').filter(|s| !s.is_empty()).collect(),
        ScopeInput::List(v) => v.iter().map(String::as_str).collect(),
    };
    let begin = Options {
        client_id: main.client_id.as_deref(),
        msn: main.msn.as_deref(),
        redirect_uri: &main.redirect_uri,
        registered_redirect_uris: main
            .registered_redirect_uris
            .as_ref()
            .map(|r| r.iter().map(String::as_str).collect()),
        scope,
        allow_non_vipps_scopes: main.allow_non_vipps_scopes,
        environment: main.environment.as_deref(),
        issuer: main.issuer.as_deref(),
        discovery: main.discovery.as_ref().map(|d| Discovery {
            issuer: &d.issuer,
            authorization_endpoint: &d.authorization_endpoint,
        }),
        state: main.state.as_deref(),
        nonce: main.nonce.as_deref(),
        pkce: main.pkce,
        code_verifier: main.code_verifier.as_deref(),
        requested_flow: main.requested_flow.as_deref(),
        app_callback_uri: main.app_callback_uri.as_deref(),
        final_redirect_is_app: main.final_redirect_is_app,
        market: main.market.as_deref(),
        acr_values: main.acr_values.as_deref(),
    };
    let b = begin_create(&begin)
        .map(|l| {
            [
                l.url,
                l.state,
                l.nonce,
                l.code_verifier.unwrap_or_default(),
                l.code_challenge.unwrap_or_default(),
                l.issuer,
            ]
        })
        .map_err(|f| f.code.to_string());
    let m = main_create(main)
        .map(|l| {
            [
                l.url,
                l.state,
                l.nonce,
                l.code_verifier
                    .map(|v| v.secret().to_string())
                    .unwrap_or_default(),
                l.code_challenge.unwrap_or_default(),
                l.issuer.as_str().to_string(),
            ]
        })
        .map_err(|e| e.code().as_str().to_string());
    (b, m)
}

/// Fixed state, nonce and verifier, so that both URLs can be compared.
fn valid() -> LoginOptions {
    LoginOptions {
        client_id: Some("client-1".into()),
        redirect_uri: "https://shop.example/callback".into(),
        scope: ScopeInput::Joined("name email".into()),
        state: Some("state-123456".into()),
        nonce: Some("nonce-123456".into()),
        code_verifier: Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into()),
        pkce: true,
        ..Default::default()
    }
}

fn discovery(issuer: &str, auth: &str) -> ProviderMetadata {
    ProviderMetadata {
        issuer: issuer.into(),
        authorization_endpoint: auth.into(),
        token_endpoint: format!("{issuer}/token"),
        jwks_uri: format!("{issuer}/jwks"),
        userinfo_endpoint: None,
        backchannel_authentication_endpoint: None,
        code_challenge_methods_supported: None,
        authorization_response_iss_parameter_supported: None,
    }
}

#[test]
fn one_fault_at_a_time_gives_the_same_code() {
    type Edit = fn(&mut LoginOptions);
    let cases: &[(&str, Edit)] = &[
        ("ok", |_| {}),
        ("client_id_missing", |o| o.client_id = None),
        ("client_id_missing", |o| o.client_id = Some(" \t".into())),
        ("client_id_missing", |o| o.msn = Some("123456".into())),
        ("ok", |o| {
            o.client_id = None;
            o.msn = Some("123456".into())
        }),
        ("redirect_uri_empty", |o| o.redirect_uri = String::new()),
        ("redirect_uri_has_fragment", |o| {
            o.redirect_uri.push_str("#x")
        }),
        ("redirect_uri_not_absolute", |o| {
            o.redirect_uri = "/callback".into()
        }),
        ("redirect_uri_http_not_localhost", |o| {
            o.redirect_uri = "http://shop.example/cb".into()
        }),
        ("ok", |o| o.redirect_uri = "http://127.0.0.1:8787/cb".into()),
        ("ok", |o| o.redirect_uri = "http://localhost/cb".into()),
        ("ok", |o| o.redirect_uri = "http://[::1]:3000/cb".into()),
        ("ok", |o| o.redirect_uri = "myapp://login/done".into()),
        ("redirect_uri_scheme_forbidden", |o| {
            o.redirect_uri = "javascript:alert(1)".into()
        }),
        ("redirect_uri_scheme_forbidden", |o| {
            o.redirect_uri = "DATA:text/html,x".into()
        }),
        ("redirect_uri_not_registered", |o| {
            o.registered_redirect_uris = Some(vec!["https://shop.example/callback/".into()])
        }),
        ("redirect_uri_not_registered", |o| {
            o.registered_redirect_uris = Some(vec![])
        }),
        ("ok", |o| {
            o.registered_redirect_uris = Some(vec!["https://shop.example/callback".into()])
        }),
        ("scope_unknown", |o| {
            o.scope = ScopeInput::List(vec!["profile".into()])
        }),
        ("scope_invalid", |o| {
            o.scope = ScopeInput::List(vec!["a\"b".into()])
        }),
        ("ok", |o| {
            o.scope = ScopeInput::List(vec!["profile".into()]);
            o.allow_non_vipps_scopes = true
        }),
        ("ok", |o| {
            o.scope = ScopeInput::Joined("  openid  name name ".into())
        }),
        ("issuer_invalid", |o| o.environment = Some("prod".into())),
        ("ok", |o| o.environment = Some("production".into())),
        ("issuer_insecure", |o| {
            o.issuer = Some("http://op.example/access-management-1.0/access/".into())
        }),
        ("ok", |o| {
            o.issuer = Some("http://127.0.0.1:7000/access-management-1.0/access/".into())
        }),
        ("endpoints_unknown", |o| {
            o.issuer = Some("https://op.example".into())
        }),
        ("ok", |o| {
            o.issuer = Some("https://op.example".into());
            o.discovery = Some(discovery(
                "https://op.example",
                "https://op.example/auth?x=1",
            ))
        }),
        ("discovery_issuer_mismatch", |o| {
            o.issuer = Some("https://op.example".into());
            o.discovery = Some(discovery("https://op.example/", "https://op.example/auth"))
        }),
        ("discovery_invalid", |o| {
            o.issuer = Some("https://op.example".into());
            o.discovery = Some(discovery("https://op.example", "http://op.example/auth"))
        }),
        ("state_too_short", |o| o.state = Some("1234567".into())),
        ("state_too_long", |o| o.state = Some("s".repeat(257))),
        ("ok", |o| o.state = Some("å".repeat(256))),
        ("nonce_empty", |o| o.nonce = Some(String::new())),
        ("nonce_too_long", |o| o.nonce = Some("n".repeat(257))),
        ("code_verifier_invalid", |o| {
            o.code_verifier = Some("short".into())
        }),
        ("invalid_options", |o| o.pkce = false),
        ("ok", |o| {
            o.pkce = false;
            o.code_verifier = None
        }),
        ("pkce_required", |o| {
            o.pkce = false;
            o.code_verifier = None;
            o.requested_flow = Some("app_to_app_v2".into())
        }),
        ("ok", |o| o.requested_flow = Some("app_to_app_v2".into())),
        ("ok", |o| {
            o.requested_flow = Some("automatic_return_from_vipps_app".into())
        }),
        ("requested_flow_unknown", |o| {
            o.requested_flow = Some("webpage".into())
        }),
        ("app_callback_uri_missing", |o| {
            o.requested_flow = Some("app_to_app".into())
        }),
        ("app_callback_uri_unexpected", |o| {
            o.app_callback_uri = Some("myapp://cb".into())
        }),
        ("ok", |o| {
            o.requested_flow = Some("app_to_app".into());
            o.app_callback_uri = Some("myapp://cb".into())
        }),
        ("redirect_uri_http_not_localhost", |o| {
            o.requested_flow = Some("app_to_app".into());
            o.app_callback_uri = Some("http://shop.example/app".into())
        }),
        ("market_invalid", |o| o.market = Some("no".into())),
        ("ok", |o| o.market = Some("DK".into())),
        ("acr_values_invalid", |o| o.acr_values = Some("  ".into())),
        ("ok", |o| {
            o.acr_values = Some("urn:vipps:acr:app_auth".into())
        }),
        ("ok", |o| o.final_redirect_is_app = Some(true)),
        ("authorization_url_too_long", |o| {
            o.redirect_uri = format!("https://shop.example/{}", "a".repeat(1900))
        }),
    ];
    for (expected, edit) in cases {
        let mut o = valid();
        edit(&mut o);
        let (b, m) = both(&o);
        match *expected {
            "ok" => {
                let m = m.unwrap_or_else(|e| panic!("main refused with {e}: {o:?}"));
                assert_eq!(b.as_ref().ok(), Some(&m), "{o:?}");
            }
            code => {
                assert_eq!(
                    m.as_ref().err().map(String::as_str),
                    Some(code),
                    "main: {o:?}"
                );
                assert_eq!(
                    b.as_ref().err().map(String::as_str),
                    Some(code),
                    "begin: {o:?}"
                );
            }
        }
    }
}

fn pick(values: &'static [&'static str]) -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        proptest::sample::select(values).prop_map(|s| Some(s.to_string()))
    ]
}

const URIS: &[&str] = &[
    "https://shop.example/callback",
    "https://Shop.example/callback/",
    "https://shop.example/cb?x=%2F",
    "http://127.0.0.1:8787/callback",
    "http://localhost",
    "http://shop.example/callback",
    "https://shop.example/cb#f",
    "myapp://",
    "myapp:",
    "myapp://login",
    "javascript:x",
    "/relative",
    "https://",
    "https://shop.example/ cb",
    "https://shöp.example/cb",
    "",
];

prop_compose! {
    fn options()(
        client_id in pick(&["client-1", "", " "]),
        msn in pick(&["123456"]),
        redirect_uri in proptest::sample::select(URIS),
        registered in proptest::option::of(proptest::collection::vec(proptest::sample::select(URIS), 0..3)),
        scope in proptest::collection::vec(proptest::sample::select(&["openid", "name", "email", "profile", "phoneNumber", "a\"b", ""][..]), 0..4),
        allow in any::<bool>(),
        environment in pick(&["test", "production", "prod"]),
        issuer in pick(&["https://op.example", "http://127.0.0.1:7000/access-management-1.0/access/", "https://api.vipps.no/access-management-1.0/access", "https://u@op.example/access-management-1.0/access/", "ftp://op.example/"]),
        disc in proptest::option::of((pick(&["https://op.example", "https://op.example/"]), proptest::sample::select(&["https://op.example/auth", "http://op.example/auth", "https://op.example/a#b"][..]))),
        state in pick(&["state-123456", "short", "ø"]),
        nonce in pick(&["nonce-1", ""]),
        pkce in any::<bool>(),
        code_verifier in pick(&["dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", "bad"]),
        requested_flow in pick(&["automatic_return_from_vipps_app", "app_to_app", "app_to_app_v2", "other"]),
        app_callback_uri in pick(&["myapp://cb", "http://shop.example/app", "myapp:"]),
        final_redirect_is_app in proptest::option::of(any::<bool>()),
        market in pick(&["NO", "SE", "DK", "FI", "XX"]),
        acr_values in pick(&["urn:vipps:acr:app_auth", " ", "a\tb"]),
    ) -> LoginOptions {
        LoginOptions {
            client_id, msn, redirect_uri: redirect_uri.to_string(),
            registered_redirect_uris: registered.map(|r| r.iter().map(|s| s.to_string()).collect()),
            scope: ScopeInput::List(scope.iter().map(|s| s.to_string()).collect()),
            allow_non_vipps_scopes: allow,
            environment, issuer: issuer.clone(),
            discovery: disc.map(|(i, a)| discovery(i.as_deref().or(issuer.as_deref()).unwrap_or("https://op.example"), a)),
            state: state.or(Some("state-123456".into())),
            nonce: nonce.or(Some("nonce-123456".into())),
            pkce, code_verifier: code_verifier.or(Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into())).filter(|_| pkce),
            requested_flow, app_callback_uri, final_redirect_is_app, market, acr_values,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn what_main_accepts_begin_accepts_alike(o in options()) {
        let (b, m) = both(&o);
        match (&b, &m) {
            (_, Ok(m)) => prop_assert_eq!(b.as_ref().ok(), Some(m), "{:?}", o),
            (Ok(_), Err(code)) => prop_assert!(MAIN_ONLY.contains(&code.as_str()), "only main refused, with {}: {:?}", code, o),
            (Err(_), Err(_)) => {}
        }
    }
}
