//! Userinfo (README: Userinfo).
mod common;

use std::collections::BTreeSet;

use common::*;
use reqwest::header::AUTHORIZATION;
use reqwest::StatusCode;
use serde_json::{json, Value};

const ADDRESS_KEYS: [&str; 6] = [
    "street_address",
    "postal_code",
    "region",
    "country",
    "formatted",
    "address_type",
];

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().expect("object").keys().cloned().collect()
}

fn set_of(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn toml_s(t: &toml::Table, k: &str) -> String {
    t[k].as_str().unwrap().to_string()
}

fn assert_address_like(addr: &Value, expected: &toml::Table) {
    assert_eq!(keys(addr), set_of(&ADDRESS_KEYS), "address fields: {addr}");
    for k in [
        "street_address",
        "postal_code",
        "region",
        "country",
        "address_type",
    ] {
        assert_eq!(addr[k], toml_s(expected, k).as_str(), "{k} in {addr}");
    }
    let formatted = addr["formatted"].as_str().expect("formatted is a string");
    assert!(
        formatted.contains(&toml_s(expected, "postal_code")),
        "formatted holds the postal code: {formatted:?}"
    );
}

#[tokio::test]
async fn ola_with_every_scope_gets_every_claim_in_vipps_shape() {
    let emu = Emu::shipped().await;
    let (_, tokens) = emu
        .full_login(
            "ola",
            "demo-client",
            "openid name email phoneNumber address birthDate",
        )
        .await;
    let info = emu.userinfo_ok(&tokens.access_token).await;
    let ola = emu.user("ola");

    assert_eq!(
        keys(&info),
        set_of(&[
            "sub",
            "sid",
            "name",
            "given_name",
            "family_name",
            "email",
            "email_verified",
            "phone_number",
            "phone_number_verified",
            "birthdate",
            "address",
            "other_addresses",
        ])
    );
    assert_eq!(info["sub"], tokens.jwt().claims["sub"]);
    assert!(info["sid"].as_str().is_some_and(|s| !s.is_empty()));
    for k in ["name", "given_name", "family_name", "email", "birthdate"] {
        assert_eq!(info[k], toml_s(&ola, k).as_str(), "{k}");
    }
    assert!(info["email_verified"].is_boolean());
    assert!(info["phone_number_verified"].is_boolean());

    let phone = info["phone_number"].as_str().expect("phone_number");
    assert_eq!(phone, toml_s(&ola, "phone_number"));
    assert!(
        !phone.starts_with('+') && phone.chars().all(|c| c.is_ascii_digit()),
        "{phone}"
    );

    let bd = info["birthdate"].as_str().unwrap();
    let b = bd.as_bytes();
    assert!(
        bd.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && bd.chars().filter(|c| c.is_ascii_digit()).count() == 8,
        "YYYY-MM-DD: {bd}"
    );

    let home = ola["address"].as_table().expect("ola has an address");
    assert_address_like(&info["address"], home);
    let others = info["other_addresses"]
        .as_array()
        .expect("other_addresses array");
    let expected_others = ola["other_addresses"]
        .as_array()
        .expect("ola has other addresses");
    assert_eq!(others.len(), expected_others.len());
    for (got, want) in others.iter().zip(expected_others) {
        assert_address_like(got, want.as_table().unwrap());
    }
}

#[tokio::test]
async fn user_without_address_gets_empty_strings_and_empty_other_addresses() {
    let emu = Emu::shipped().await;
    assert!(
        emu.user("kari").get("address").is_none(),
        "precondition: kari has no address"
    );
    let (_, tokens) = emu
        .full_login("kari", "demo-client", "openid address")
        .await;
    let info = emu.userinfo_ok(&tokens.access_token).await;
    let addr = &info["address"];
    assert_eq!(keys(addr), set_of(&ADDRESS_KEYS), "{addr}");
    for k in ADDRESS_KEYS {
        assert_eq!(addr[k], "", "{k} is an empty string: {addr}");
    }
    assert_eq!(info["other_addresses"], json!([]));
}

#[tokio::test]
async fn only_consented_scopes_give_claims() {
    let emu = Emu::shipped().await;
    let cases: &[(&str, &[&str])] = &[
        ("openid", &[]),
        ("openid name", &["name", "given_name", "family_name"]),
        ("openid email", &["email", "email_verified"]),
        (
            "openid phoneNumber",
            &["phone_number", "phone_number_verified"],
        ),
        ("openid birthDate", &["birthdate"]),
        ("openid address", &["address", "other_addresses"]),
    ];
    for (scope, extra) in cases {
        let (_, tokens) = emu.full_login("ola", "demo-client", scope).await;
        let info = emu.userinfo_ok(&tokens.access_token).await;
        let mut expected = set_of(&["sub", "sid"]);
        expected.extend(set_of(extra));
        assert_eq!(keys(&info), expected, "claims for scope {scope:?}: {info}");
    }
}

#[tokio::test]
async fn nin_scope_gives_nin() {
    let emu = Emu::with_toml(TEST_TOML).await;
    let (_, tokens) = emu
        .full_login("tester", "weird:client id%", "openid nin")
        .await;
    let info = emu.userinfo_ok(&tokens.access_token).await;
    assert_eq!(keys(&info), set_of(&["sub", "sid", "nin"]));
    assert_eq!(info["nin"], "31017012345");
}

#[tokio::test]
async fn config_user_without_address_in_custom_config() {
    let emu = Emu::with_toml(TEST_TOML).await;
    let (_, tokens) = emu
        .full_login("homeless", "weird:client id%", "openid address phoneNumber")
        .await;
    let info = emu.userinfo_ok(&tokens.access_token).await;
    for k in ADDRESS_KEYS {
        assert_eq!(info["address"][k], "", "{k}");
    }
    assert_eq!(info["other_addresses"], json!([]));
    assert_eq!(info["phone_number"], "4798888888");
}

#[tokio::test]
async fn userinfo_sub_is_the_id_token_sub() {
    let emu = Emu::shipped().await;
    for (user, client) in [
        ("ola", "demo-client"),
        ("kari", "other-client"),
        ("sven", "post-client"),
    ] {
        let (_, tokens) = emu.full_login(user, client, "openid").await;
        let info = emu.userinfo_ok(&tokens.access_token).await;
        assert_eq!(
            info["sub"],
            tokens.jwt().claims["sub"],
            "{user} at {client}"
        );
    }
}

async fn expect_invalid_token(resp: reqwest::Response) {
    expect_oauth_error(resp, 401, "invalid_token").await;
}

#[tokio::test]
async fn access_token_expires_after_600_seconds() {
    let emu = Emu::shipped().await;
    let (_, tokens) = emu.full_login("ola", "demo-client", "openid").await;
    emu.advance_clock(500).await;
    emu.userinfo_ok(&tokens.access_token).await;
    emu.advance_clock(101).await;
    let resp = emu.userinfo(&tokens.access_token).await;
    expect_invalid_token(resp).await;
}

#[tokio::test]
async fn access_token_ttl_comes_from_the_config() {
    // TEST_TOML: access_token_ttl_secs = 60.
    let emu = Emu::with_toml(TEST_TOML).await;
    let (_, tokens) = emu.full_login("tester", "weird:client id%", "openid").await;
    emu.advance_clock(50).await;
    emu.userinfo_ok(&tokens.access_token).await;
    emu.advance_clock(11).await;
    let resp = emu.userinfo(&tokens.access_token).await;
    expect_invalid_token(resp).await;
}

#[tokio::test]
async fn garbage_or_id_token_as_bearer_is_invalid_token() {
    let emu = Emu::shipped().await;
    let (_, tokens) = emu.full_login("ola", "demo-client", "openid").await;
    for bad in [
        "garbage",
        &format!("{}x", tokens.access_token),
        &tokens.id_token,
    ] {
        let resp = emu.userinfo(bad).await;
        expect_invalid_token(resp).await;
    }
}

#[tokio::test]
async fn userinfo_without_bearer_is_401() {
    let emu = Emu::shipped().await;
    let resp = emu.get(USERINFO_PATH).await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let (_, tokens) = emu.full_login("ola", "demo-client", "openid").await;
    let resp = emu
        .http
        .get(emu.url(USERINFO_PATH))
        .header(AUTHORIZATION, format!("Basic {}", tokens.access_token))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}
