//! Partner keys (README: Partner keys): `POST /accesstoken/get`, then the token endpoint
//! with `Authorization: Bearer` + `Merchant-Serial-Number`.
mod common;

use common::*;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde_json::Value;

const KEYS: (&str, &str, &str) = (
    "partner-keys-client",
    "partner-keys-secret",
    "partner-subscription-key",
);

async fn partner_token(emu: &Emu, keys: (&str, &str, &str)) -> reqwest::Response {
    emu.http
        .post(emu.url("/accesstoken/get"))
        .header("client_id", keys.0)
        .header("client_secret", keys.1)
        .header("Ocp-Apim-Subscription-Key", keys.2)
        .send()
        .await
        .expect("POST /accesstoken/get")
}

async fn token_with_bearer(emu: &Emu, token: &str, msn: &str, login: &Login) -> reqwest::Response {
    emu.http
        .post(emu.url(TOKEN_PATH))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .header("Merchant-Serial-Number", msn)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form_body(&Emu::code_form(login)))
        .send()
        .await
        .expect("POST token")
}

#[tokio::test]
async fn the_access_token_api_answers_numbers_as_strings() {
    let emu = Emu::shipped().await;
    let resp = partner_token(&emu, KEYS).await;
    assert_eq!(resp.status(), 200);
    let j: Value = resp.json().await.unwrap();
    assert_eq!(j["token_type"], "Bearer");
    assert_eq!(j["expires_in"], "86398");
    assert_eq!(j["ext_expires_in"], "86398");
    let on: i64 = j["expires_on"].as_str().unwrap().parse().unwrap();
    let before: i64 = j["not_before"].as_str().unwrap().parse().unwrap();
    assert_eq!(on - before, 86398);
    assert!(j["resource"].is_string());
    assert!(!j["access_token"].as_str().unwrap().is_empty());

    for wrong in [
        ("partner-keys-client", "nope", "partner-subscription-key"),
        ("partner-keys-client", "partner-keys-secret", "nope"),
        ("nope", "partner-keys-secret", "partner-subscription-key"),
        ("", "", ""),
    ] {
        expect_oauth_error(partner_token(&emu, wrong).await, 401, "invalid_client").await;
    }
}

#[tokio::test]
async fn a_partner_token_and_msn_authenticate_at_the_token_endpoint() {
    let emu = Emu::shipped().await;
    let j: Value = partner_token(&emu, KEYS).await.json().await.unwrap();
    let token = j["access_token"].as_str().unwrap().to_string();

    let login = emu.login("ola", "partner-client", "openid name").await;
    let tokens = tokens_ok(token_with_bearer(&emu, &token, "123456", &login).await).await;
    assert_eq!(tokens.jwt().claims["msn"], "123456");

    // Another merchant's number, an unknown token, no number: invalid_client, and the
    // code is not spent by a refused client.
    let login = emu.login("ola", "partner-client", "openid").await;
    for (bearer, msn) in [(token.as_str(), "654321"), ("unknown", "123456")] {
        let resp = token_with_bearer(&emu, bearer, msn, &login).await;
        expect_oauth_error(resp, 401, "invalid_client").await;
    }
    let resp = emu
        .http
        .post(emu.url(TOKEN_PATH))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form_body(&Emu::code_form(&login)))
        .send()
        .await
        .unwrap();
    expect_oauth_error(resp, 401, "invalid_client").await;
    tokens_ok(token_with_bearer(&emu, &token, "123456", &login).await).await;

    // Expired (emulator clock), and forgotten by a reset.
    emu.advance_clock(86_400).await;
    let login = emu.login("ola", "partner-client", "openid").await;
    let j = expect_oauth_error(
        token_with_bearer(&emu, &token, "123456", &login).await,
        401,
        "invalid_client",
    )
    .await;
    assert!(j["error_description"].as_str().unwrap().contains("expired"));
}
