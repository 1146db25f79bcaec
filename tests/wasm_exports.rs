//! Every export of the npm package, run as wasm in headless Chromium
//! (wasm-bindgen-test): `make test-wasm`.
#![cfg(all(target_arch = "wasm32", feature = "browser"))]

use js_sys::{Array, Object, Reflect};
use vipps_login::browser::{
    check_redirect_uri, create_login, create_pkce, parse_callback, random_nonce, random_state,
    OptionalString, OptionalStringList,
};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn get(v: &JsValue, key: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(key)).unwrap()
}

fn get_str(v: &JsValue, key: &str) -> String {
    get(v, key)
        .as_string()
        .unwrap_or_else(|| panic!("{key} is not a string"))
}

fn options(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o.into()
}

fn base_options() -> Vec<(&'static str, JsValue)> {
    vec![
        ("clientId", "client-1".into()),
        ("redirectUri", "https://shop.example/callback".into()),
        ("scope", "name email".into()),
    ]
}

/// The thrown value is an Error named VippsLoginError with a code and a hint.
fn assert_error(err: JsValue, code: &str) -> JsValue {
    assert!(
        err.is_instance_of::<js_sys::Error>(),
        "not an Error: {err:?}"
    );
    assert_eq!(get_str(&err, "name"), "VippsLoginError");
    assert_eq!(get_str(&err, "code"), code);
    err
}

#[wasm_bindgen_test]
fn create_login_builds_vipps_url_with_fresh_secrets() {
    let a = create_login(options(&base_options())).unwrap();
    let b = create_login(options(&base_options())).unwrap();
    let url = get_str(&a, "url");
    assert!(url.starts_with(
        "https://apitest.vipps.no/access-management-1.0/access/oauth2/auth?client_id=client-1&response_type=code&scope=openid%20name%20email&state="
    ));
    assert!(url.contains("&code_challenge_method=S256"));
    assert_eq!(get_str(&a, "state").len(), 43);
    assert_ne!(get_str(&a, "state"), get_str(&b, "state"));
    assert_ne!(get_str(&a, "nonce"), get_str(&b, "nonce"));
    assert_eq!(get_str(&a, "codeVerifier").len(), 43);
    assert!(url.contains(&format!("code_challenge={}", get_str(&a, "codeChallenge"))));
    assert_eq!(
        get_str(&a, "issuer"),
        "https://apitest.vipps.no/access-management-1.0/access/"
    );
}

#[wasm_bindgen_test]
fn create_login_accepts_scope_array_and_custom_issuer() {
    let mut o = base_options();
    o[2] = (
        "scope",
        Array::of2(&"openid".into(), &"phoneNumber".into()).into(),
    );
    o.push((
        "issuer",
        "http://127.0.0.1:7000/access-management-1.0/access/".into(),
    ));
    o.push(("market", "FI".into()));
    let login = create_login(options(&o)).unwrap();
    let url = get_str(&login, "url");
    assert!(url.starts_with("http://127.0.0.1:7000/access-management-1.0/access/oauth2/auth?"));
    assert!(url.contains("scope=openid%20phoneNumber&"));
    assert!(url.ends_with("&market=FI"));
}

#[wasm_bindgen_test]
fn create_login_typed_errors_with_hints() {
    let mut o = base_options();
    o.push(("state", "short".into()));
    let e = assert_error(create_login(options(&o)).unwrap_err(), "state_too_short");
    assert!(get_str(&e, "hint").contains("at least 8"));

    let mut o = base_options();
    o[2] = ("scope", "openid profile".into());
    let e = assert_error(create_login(options(&o)).unwrap_err(), "scope_unknown");
    assert!(get_str(&e, "hint").starts_with("Did you mean name"));
    assert_eq!(
        get_str(&e, "suggestion"),
        "name (and birthDate, gender if you need them)"
    );

    let mut o = base_options();
    o.push(("redirectURI", "https://x.example/cb".into()));
    let e = assert_error(create_login(options(&o)).unwrap_err(), "invalid_options");
    assert!(get_str(&e, "hint").starts_with("Did you mean \"redirectUri\""));

    let mut o = base_options();
    o.push(("pkce", "yes".into()));
    assert_error(create_login(options(&o)).unwrap_err(), "invalid_options");

    assert_error(
        create_login(JsValue::from_str("x")).unwrap_err(),
        "invalid_options",
    );
    assert_error(
        create_login(JsValue::UNDEFINED).unwrap_err(),
        "invalid_options",
    );

    let mut o = base_options();
    o.push(("requestedFlow", "app_to_app_v2".into()));
    o.push(("pkce", false.into()));
    assert_error(create_login(options(&o)).unwrap_err(), "pkce_required");
}

#[wasm_bindgen_test]
fn create_login_url_over_2000_characters_refused() {
    let mut o = base_options();
    o[1] = (
        "redirectUri",
        format!("https://shop.example/{}", "a".repeat(1900)).into(),
    );
    let e = assert_error(
        create_login(options(&o)).unwrap_err(),
        "authorization_url_too_long",
    );
    assert!(get(&e, "length").as_f64().unwrap() > 2000.0);
}

#[wasm_bindgen_test]
fn parse_callback_success_and_vipps_errors() {
    let cb = parse_callback(
        "https://shop.example/callback?code=abc&state=state-123456&scope=openid%20name".into(),
        "state-123456".into(),
        None,
    )
    .unwrap();
    assert_eq!(get_str(&cb, "code"), "abc");
    assert_eq!(get_str(&cb, "scope"), "openid name");
    assert!(get(&cb, "iss").is_undefined());

    // Vipps' documented `?`-joined error parameters.
    let e = parse_callback(
        "https://shop.example/callback?error=access_denied&error_description=User%20cancelled?state=state-123456".into(),
        "state-123456".into(),
        None,
    )
    .unwrap_err();
    let e = assert_error(e, "vipps_access_denied");
    assert_eq!(get_str(&e, "errorDescription"), "User cancelled");
    assert!(get_str(&e, "hint").contains("cancelled"));

    let e = parse_callback(
        "?code=abc&state=other-state".into(),
        "state-123456".into(),
        None,
    )
    .unwrap_err();
    assert_error(e, "state_mismatch");

    let e = parse_callback(
        "?code=abc&state=state-123456&iss=https%3A%2F%2Fevil.example%2F".into(),
        "state-123456".into(),
        Some(
            JsValue::from("https://api.vipps.no/access-management-1.0/access/")
                .unchecked_into::<OptionalString>(),
        ),
    )
    .unwrap_err();
    assert_error(e, "issuer_mismatch");

    let e = parse_callback(JsValue::from_f64(1.0), "x".into(), None).unwrap_err();
    assert_error(e, "invalid_options");
}

#[wasm_bindgen_test]
fn check_redirect_uri_reports_errors_warnings_and_closest() {
    let registered = Array::of1(&"https://shop.example/cb".into());
    let list = |a: Array| Some(JsValue::from(a).unchecked_into::<OptionalStringList>());
    let r = check_redirect_uri("https://Shop.example/cb/".into(), list(registered)).unwrap();
    assert_eq!(get(&r, "ok"), JsValue::FALSE);
    let errors = Array::from(&get(&r, "errors"));
    assert_eq!(errors.length(), 1);
    let e = errors.get(0);
    assert_eq!(get_str(&e, "code"), "redirect_uri_not_registered");
    assert_eq!(get_str(&e, "closest"), "https://shop.example/cb");
    assert_eq!(get(&e, "position").as_f64(), Some(8.0));
    assert!(get_str(&e, "hint").contains("100% identical"));
    assert_eq!(get_str(&e, "found"), "S");
    assert_eq!(get_str(&e, "expected"), "s");
    let warnings: Vec<String> = Array::from(&get(&r, "warnings"))
        .iter()
        .map(|w| get_str(&w, "code"))
        .collect();
    assert_eq!(
        warnings,
        ["redirect_uri_uppercase_host", "redirect_uri_trailing_slash"]
    );

    let r = check_redirect_uri("myapp://callback".into(), None).unwrap();
    assert_eq!(get(&r, "ok"), JsValue::TRUE);
    let r = check_redirect_uri("myapp://".into(), None).unwrap();
    let errors = Array::from(&get(&r, "errors"));
    assert_eq!(
        get_str(&errors.get(0), "code"),
        "redirect_uri_custom_scheme_without_path"
    );

    let nope = Some(JsValue::from_str("nope").unchecked_into::<OptionalStringList>());
    let e = check_redirect_uri("https://x/".into(), nope).unwrap_err();
    assert_error(e, "invalid_options");

    // An empty list registers nothing.
    let r = check_redirect_uri("https://shop.example/cb".into(), list(Array::new())).unwrap();
    assert_eq!(get(&r, "ok"), JsValue::FALSE);
}

#[wasm_bindgen_test]
fn random_values_come_from_the_browser_csprng() {
    let a = random_state().unwrap();
    let b = random_nonce().unwrap();
    assert_eq!(a.len(), 43);
    assert_eq!(b.len(), 43);
    assert_ne!(a, b);
    assert!(a
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    let pkce = create_pkce().unwrap();
    let verifier = get_str(&pkce, "codeVerifier");
    let challenge = get_str(&pkce, "codeChallenge");
    assert_eq!(verifier.len(), 43);
    assert_eq!(challenge.len(), 43);
    assert_ne!(verifier, challenge);
}
