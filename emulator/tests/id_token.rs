//! id_token (README: Token, id_token claims, pairwise `sub`).
mod common;

use common::*;
use serde_json::Value;
use vipps_login_emulator::Config;

fn num(v: &Value, claim: &str) -> i64 {
    v[claim]
        .as_i64()
        .unwrap_or_else(|| panic!("claim {claim} is an integer: {v}"))
}

#[tokio::test]
async fn id_token_is_rs256_signed_by_the_jwks_key() {
    let emu = Emu::shipped().await;
    let jwks = emu.jwks().await;
    let (_, tokens) = emu.full_login("ola", "demo-client", "openid").await;
    let jwt = tokens.jwt();
    assert_eq!(jwt.header["alg"], "RS256");
    assert_eq!(jwt.header["typ"], "JWT");
    let kid = jwt.header["kid"].as_str().expect("kid");
    assert!(kid.starts_with("public:"), "{kid}");
    verify_by_kid(&jwks, &jwt).expect("signature verifies");
    // Tampering breaks it.
    let mut tampered = jwt.clone();
    tampered.signing_input.push('x');
    assert!(verify_by_kid(&jwks, &tampered).is_err());
}

#[tokio::test]
async fn id_token_claims_are_shaped_like_vipps() {
    let emu = Emu::shipped().await;
    let t0 = now();
    let login = emu
        .login(
            "ola",
            "demo-client",
            "openid name email phoneNumber address birthDate",
        )
        .await;
    let tokens = emu.exchange(&login).await;
    let c = tokens.jwt().claims;

    assert_eq!(c["iss"], emu.issuer.as_str());
    assert!(c["iss"].as_str().unwrap().ends_with("/access/"));
    let aud = c["aud"].as_array().expect("aud is an array");
    assert_eq!(aud, &vec![Value::from("demo-client")]);
    let sub = c["sub"].as_str().expect("sub");
    assert!(is_uuid(sub), "sub is a UUID: {sub}");

    let iat = num(&c, "iat");
    assert_eq!(num(&c, "exp") - iat, 3600);
    assert!((iat - t0).abs() <= 60, "iat {iat} is now ({t0})");
    let auth_time = num(&c, "auth_time");
    assert!(
        auth_time <= iat + 1 && (auth_time - t0).abs() <= 60,
        "auth_time {auth_time}"
    );
    assert_eq!(c["nonce"], login.nonce.as_deref().unwrap());
    assert_eq!(c["at_hash"], at_hash(&tokens.access_token).as_str());
    for claim in ["jti", "sid"] {
        assert!(
            c[claim].as_str().is_some_and(|s| !s.is_empty()),
            "{claim}: {c}"
        );
    }
    assert!(c.get("rat").is_some_and(|r| !r.is_null()), "rat: {c}");
    assert!(c.get("acr").is_none(), "no acr without acr_values: {c}");
    // No profile data in the id_token, whatever the scopes.
    for claim in [
        "name",
        "given_name",
        "family_name",
        "email",
        "email_verified",
        "phone_number",
        "birthdate",
        "address",
        "other_addresses",
        "nin",
    ] {
        assert!(
            c.get(claim).is_none(),
            "{claim} must not be in the id_token: {c}"
        );
    }
}

#[tokio::test]
async fn jti_differs_between_tokens() {
    let emu = Emu::shipped().await;
    let (_, a) = emu.full_login("ola", "demo-client", "openid").await;
    let (_, b) = emu.full_login("ola", "demo-client", "openid").await;
    assert_ne!(a.jwt().claims["jti"], b.jwt().claims["jti"]);
    assert_ne!(a.access_token, b.access_token);
}

#[tokio::test]
async fn nonce_is_empty_string_when_none_was_sent() {
    let emu = Emu::shipped().await;
    let mut params = emu.auth_params("demo-client");
    remove(&mut params, "nonce");
    let login = emu.login_with("ola", params).await;
    let c = emu.exchange(&login).await.jwt().claims;
    assert_eq!(c.get("nonce"), Some(&Value::from("")), "nonce \"\": {c}");
}

#[tokio::test]
async fn acr_is_present_when_acr_values_was_sent() {
    let emu = Emu::shipped().await;
    let mut params = emu.auth_params("demo-client");
    set(&mut params, "acr_values", "urn:vipps:acr:app_auth");
    let login = emu.login_with("ola", params).await;
    let c = emu.exchange(&login).await.jwt().claims;
    assert!(c["acr"].as_str().is_some_and(|a| !a.is_empty()), "acr: {c}");
}

#[tokio::test]
async fn id_token_ttl_comes_from_the_config() {
    // TEST_TOML: id_token_ttl_secs = 1800.
    let emu = Emu::with_toml(TEST_TOML).await;
    let (_, tokens) = emu.full_login("tester", "weird:client id%", "openid").await;
    let c = tokens.jwt().claims;
    assert_eq!(num(&c, "exp") - num(&c, "iat"), 1800);
    assert_eq!(c["aud"], serde_json::json!(["weird:client id%"]));
}

#[tokio::test]
async fn clock_advance_moves_iat_and_reset_sets_it_back() {
    let emu = Emu::shipped().await;
    emu.advance_clock(7200).await;
    let (_, tokens) = emu.full_login("ola", "demo-client", "openid").await;
    let iat = num(&tokens.jwt().claims, "iat");
    let t = now();
    assert!(
        iat >= t + 7200 - 60 && iat <= t + 7200 + 60,
        "iat {iat} ~ now+7200 ({t})"
    );
    emu.reset().await;
    let (_, tokens) = emu.full_login("ola", "demo-client", "openid").await;
    let iat = num(&tokens.jwt().claims, "iat");
    assert!((iat - now()).abs() <= 60, "clock back after reset: {iat}");
}

async fn sub_of(emu: &Emu, user: &str, client_id: &str) -> String {
    let (_, tokens) = emu.full_login(user, client_id, "openid").await;
    tokens.jwt().claims["sub"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn sub_is_pairwise_per_sales_unit_and_stable_across_restarts() {
    let first = Emu::shipped().await;
    let ola_demo = sub_of(&first, "ola", "demo-client").await;
    assert_eq!(ola_demo, sub_of(&first, "ola", "demo-client").await);
    let ola_other = sub_of(&first, "ola", "other-client").await;
    let kari_demo = sub_of(&first, "kari", "demo-client").await;
    assert_ne!(ola_demo, ola_other, "another sales unit gets another sub");
    assert_ne!(ola_demo, kari_demo, "another user gets another sub");
    assert!(is_uuid(&ola_other));
    first.shutdown().await;

    let second = Emu::shipped().await;
    assert_eq!(
        ola_demo,
        sub_of(&second, "ola", "demo-client").await,
        "same after a restart"
    );
    assert_eq!(ola_other, sub_of(&second, "ola", "other-client").await);
}

#[tokio::test]
async fn sub_depends_on_sub_secret() {
    let a = Emu::with_toml(TEST_TOML).await;
    let other_secret = TEST_TOML.replace(
        "sub_secret = \"integration-test-sub-secret\"",
        "sub_secret = \"another-sub-secret\"",
    );
    assert_ne!(other_secret, TEST_TOML);
    let b = Emu::start_with(
        Config::from_toml_str(&other_secret).expect("valid"),
        other_secret.clone(),
        None,
    )
    .await;
    let c = Emu::with_toml(TEST_TOML).await;
    let sa = sub_of(&a, "tester", "weird:client id%").await;
    let sb = sub_of(&b, "tester", "weird:client id%").await;
    let sc = sub_of(&c, "tester", "weird:client id%").await;
    assert_ne!(sa, sb);
    assert_eq!(sa, sc);
}

#[tokio::test]
async fn sub_and_sid_match_between_id_token_and_userinfo() {
    let emu = Emu::shipped().await;
    let (_, tokens) = emu.full_login("ola", "demo-client", "openid").await;
    let info = emu.userinfo_ok(&tokens.access_token).await;
    assert_eq!(info["sub"], tokens.jwt().claims["sub"]);
}

#[tokio::test]
async fn post_client_id_token_has_its_client_id_as_aud() {
    let emu = Emu::shipped().await;
    let (_, tokens) = emu.full_login("ola", "post-client", "openid").await;
    let jwks = emu.jwks().await;
    let jwt = tokens.jwt();
    verify_by_kid(&jwks, &jwt).unwrap();
    assert_eq!(jwt.claims["aud"], serde_json::json!(["post-client"]));
}
