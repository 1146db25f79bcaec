//! Token endpoint (README: Token): client authentication, grants, codes, PKCE.
mod common;

use base64ct::{Base64, Encoding};
use common::*;
use reqwest::header::CONTENT_TYPE;

const WEIRD_ID: &str = "weird:client id%";
const WEIRD_SECRET: &str = "p%41ss: word+&=";

#[tokio::test]
async fn basic_client_gets_tokens_in_vipps_shape() {
    let emu = Emu::shipped().await;
    let demo = emu.unit("demo-client");
    assert_eq!(demo.method, "client_secret_basic");
    let login = emu.login("ola", "demo-client", "openid name email").await;
    let resp = emu
        .token_request(&demo.auth(), &Emu::code_form(&login))
        .await;
    let ct = resp.headers()[CONTENT_TYPE].to_str().unwrap().to_string();
    assert!(ct.starts_with("application/json"), "{ct}");
    let tokens = tokens_ok(resp).await;
    let j = &tokens.json;
    assert_eq!(j["expires_in"], 3599);
    assert_eq!(j["token_type"], "bearer");
    assert_eq!(j["scope"], "openid name email");
    assert!(
        j.get("refresh_token").is_none(),
        "Vipps gives no refresh token"
    );
    assert!(!tokens.access_token.is_empty());
    assert!(
        tokens.access_token.matches('.').count() < 2,
        "access token is opaque, not a JWT: {}",
        tokens.access_token
    );
    assert_eq!(tokens.id_token.matches('.').count(), 2);
}

#[tokio::test]
async fn post_client_gets_tokens_with_client_secret_post() {
    let emu = Emu::shipped().await;
    let post = emu.unit("post-client");
    assert_eq!(post.method, "client_secret_post");
    let login = emu.login("ola", "post-client", "openid").await;
    let resp = emu
        .token_request(&post.auth(), &Emu::code_form(&login))
        .await;
    let tokens = tokens_ok(resp).await;
    assert_eq!(tokens.json["token_type"], "bearer");
}

#[tokio::test]
async fn basic_client_using_post_is_invalid_client() {
    let emu = Emu::shipped().await;
    let demo = emu.unit("demo-client");
    let login = emu.login("ola", "demo-client", "openid").await;
    let resp = emu
        .token_request(&demo.wrong_auth(), &Emu::code_form(&login))
        .await;
    let j = expect_oauth_error(resp, 401, "invalid_client").await;
    assert!(j["error_description"].is_string(), "{j}");
}

#[tokio::test]
async fn post_client_using_basic_is_invalid_client() {
    let emu = Emu::shipped().await;
    let post = emu.unit("post-client");
    let login = emu.login("ola", "post-client", "openid").await;
    let resp = emu
        .token_request(&post.wrong_auth(), &Emu::code_form(&login))
        .await;
    let j = expect_oauth_error(resp, 401, "invalid_client").await;
    assert!(j["error_description"].is_string(), "{j}");
}

#[tokio::test]
async fn wrong_secret_is_invalid_client() {
    let emu = Emu::shipped().await;
    for client_id in ["demo-client", "post-client"] {
        let unit = emu.unit(client_id);
        let login = emu.login("ola", client_id, "openid").await;
        let wrong = format!("{}x", unit.client_secret);
        let auth = match unit.auth() {
            Auth::Basic(id, _) => Auth::Basic(id, wrong),
            Auth::Post(id, _) => Auth::Post(id, wrong),
            _ => unreachable!(),
        };
        let resp = emu.token_request(&auth, &Emu::code_form(&login)).await;
        expect_oauth_error(resp, 401, "invalid_client").await;
    }
}

#[tokio::test]
async fn unknown_or_missing_client_is_invalid_client() {
    let emu = Emu::shipped().await;
    let login = emu.login("ola", "demo-client", "openid").await;
    let auth = Auth::Basic("no-such-client".into(), "whatever".into());
    let resp = emu.token_request(&auth, &Emu::code_form(&login)).await;
    expect_oauth_error(resp, 401, "invalid_client").await;
    let resp = emu
        .token_request(&Auth::None, &Emu::code_form(&login))
        .await;
    expect_oauth_error(resp, 401, "invalid_client").await;
}

#[tokio::test]
async fn basic_credentials_are_form_urlencoded_rfc6749() {
    let emu = Emu::with_toml(TEST_TOML).await;
    // Correctly encoded: `weird%3Aclient+id%25:p%2541ss%3A+word%2B%26%3D`.
    let login = emu.login("tester", WEIRD_ID, "openid").await;
    let resp = emu
        .token_request(
            &Auth::Basic(WEIRD_ID.into(), WEIRD_SECRET.into()),
            &Emu::code_form(&login),
        )
        .await;
    tokens_ok(resp).await;

    // Percent-encoded spaces (%20) decode the same way.
    let login = emu.login("tester", WEIRD_ID, "openid").await;
    let raw = format!("{}:{}", enc(WEIRD_ID), enc(WEIRD_SECRET));
    let header = format!("Basic {}", Base64::encode_string(raw.as_bytes()));
    let resp = emu
        .token_request(&Auth::Header(header), &Emu::code_form(&login))
        .await;
    tokens_ok(resp).await;

    // The secret sent without urlencoding is not the secret (its %41 decodes to A).
    let login = emu.login("tester", WEIRD_ID, "openid").await;
    let raw = format!("{}:{}", form_enc(WEIRD_ID), WEIRD_SECRET);
    let header = format!("Basic {}", Base64::encode_string(raw.as_bytes()));
    let resp = emu
        .token_request(&Auth::Header(header), &Emu::code_form(&login))
        .await;
    expect_oauth_error(resp, 401, "invalid_client").await;
}

#[tokio::test]
async fn malformed_basic_header_is_invalid_client() {
    let emu = Emu::shipped().await;
    let login = emu.login("ola", "demo-client", "openid").await;
    let resp = emu
        .token_request(
            &Auth::Header("Basic !!!not-base64!!!".into()),
            &Emu::code_form(&login),
        )
        .await;
    expect_oauth_error(resp, 401, "invalid_client").await;
    let resp = emu
        .token_request(
            &Auth::Header(format!("Basic {}", Base64::encode_string(b"no-colon"))),
            &Emu::code_form(&login),
        )
        .await;
    expect_oauth_error(resp, 401, "invalid_client").await;
}

#[tokio::test]
async fn code_is_single_use() {
    let emu = Emu::shipped().await;
    let login = emu.login("ola", "demo-client", "openid").await;
    emu.exchange(&login).await;
    let resp = emu
        .token_request(&emu.unit("demo-client").auth(), &Emu::code_form(&login))
        .await;
    expect_oauth_error(resp, 400, "invalid_grant").await;
}

#[tokio::test]
async fn redirect_uri_not_equal_to_the_authorize_one_is_invalid_grant() {
    let emu = Emu::with_toml(TEST_TOML).await;
    let login = emu.login("tester", WEIRD_ID, "openid").await;
    let auth = Auth::Basic(WEIRD_ID.into(), WEIRD_SECRET.into());
    // Registered, but not the one used at authorize.
    for other in [
        "http://127.0.0.1:8787/my%20callback",
        "http://127.0.0.1:8787/callback/",
    ] {
        let mut form = Emu::code_form(&login);
        set(&mut form, "redirect_uri", other);
        let resp = emu.token_request(&auth, &form).await;
        expect_oauth_error(resp, 400, "invalid_grant").await;
    }
    // A fresh code with the right redirect_uri is fine.
    let login = emu.login("tester", WEIRD_ID, "openid").await;
    tokens_ok(emu.token_request(&auth, &Emu::code_form(&login)).await).await;
}

#[tokio::test]
async fn code_issued_to_another_client_is_invalid_grant() {
    let emu = Emu::shipped().await;
    let login = emu.login("ola", "demo-client", "openid").await;
    let other = emu.unit("other-client");
    let mut form = Emu::code_form(&login);
    set(&mut form, "redirect_uri", other.redirect_uri());
    let resp = emu.token_request(&other.auth(), &form).await;
    expect_oauth_error(resp, 400, "invalid_grant").await;
    let resp = emu
        .token_request(&other.auth(), &Emu::code_form(&login))
        .await;
    expect_oauth_error(resp, 400, "invalid_grant").await;
}

#[tokio::test]
async fn unknown_code_is_invalid_grant() {
    let emu = Emu::shipped().await;
    let mut login = emu.login("ola", "demo-client", "openid").await;
    login.code = format!("{}x", login.code);
    let resp = emu
        .token_request(&emu.unit("demo-client").auth(), &Emu::code_form(&login))
        .await;
    expect_oauth_error(resp, 400, "invalid_grant").await;
}

#[tokio::test]
async fn code_expires_after_120_seconds() {
    let emu = Emu::shipped().await;
    let fresh = emu.login("ola", "demo-client", "openid").await;
    let stale = emu.login("ola", "demo-client", "openid").await;
    emu.advance_clock(60).await;
    emu.exchange(&fresh).await;
    emu.advance_clock(61).await;
    let resp = emu
        .token_request(&emu.unit("demo-client").auth(), &Emu::code_form(&stale))
        .await;
    expect_oauth_error(resp, 400, "invalid_grant").await;
}

#[tokio::test]
async fn code_ttl_comes_from_the_config() {
    // TEST_TOML: code_ttl_secs = 30.
    let emu = Emu::with_toml(TEST_TOML).await;
    let auth = Auth::Basic(WEIRD_ID.into(), WEIRD_SECRET.into());
    let fresh = emu.login("tester", WEIRD_ID, "openid").await;
    let stale = emu.login("tester", WEIRD_ID, "openid").await;
    emu.advance_clock(20).await;
    tokens_ok(emu.token_request(&auth, &Emu::code_form(&fresh)).await).await;
    emu.advance_clock(11).await;
    let resp = emu.token_request(&auth, &Emu::code_form(&stale)).await;
    expect_oauth_error(resp, 400, "invalid_grant").await;
}

#[tokio::test]
async fn pkce_s256_verifier_must_match() {
    let emu = Emu::shipped().await;
    let verifier = format!("{}{}", rand_str(), rand_str());
    let mut params = emu.auth_params("demo-client");
    set(&mut params, "code_challenge", &s256(&verifier));
    set(&mut params, "code_challenge_method", "S256");

    let login = emu.login_with("ola", params.clone()).await;
    emu.exchange_with(&login, &[p("code_verifier", &verifier)])
        .await;

    let unit = emu.unit("demo-client");
    for wrong in [
        Some(format!("{verifier}x")),
        Some(s256(&verifier)), // the challenge itself is not the verifier under S256
        None,
    ] {
        let login = emu.login_with("ola", params.clone()).await;
        let mut form = Emu::code_form(&login);
        if let Some(w) = &wrong {
            form.push(p("code_verifier", w));
        }
        let resp = emu.token_request(&unit.auth(), &form).await;
        expect_oauth_error(resp, 400, "invalid_grant").await;
    }
}

#[tokio::test]
async fn pkce_challenge_without_method_is_plain() {
    let emu = Emu::shipped().await;
    let unit = emu.unit("demo-client");
    let verifier = format!("{}{}", rand_str(), rand_str());
    let challenge = s256(&verifier);
    let mut params = emu.auth_params("demo-client");
    set(&mut params, "code_challenge", &challenge);

    // Plain: the verifier equal to the challenge succeeds...
    let login = emu.login_with("ola", params.clone()).await;
    emu.exchange_with(&login, &[p("code_verifier", &challenge)])
        .await;

    // ...and the verifier whose S256 hash is the challenge fails.
    let login = emu.login_with("ola", params.clone()).await;
    let mut form = Emu::code_form(&login);
    form.push(p("code_verifier", &verifier));
    let resp = emu.token_request(&unit.auth(), &form).await;
    expect_oauth_error(resp, 400, "invalid_grant").await;
}

#[tokio::test]
async fn pkce_explicit_plain() {
    let emu = Emu::shipped().await;
    let unit = emu.unit("demo-client");
    let verifier = format!("{}{}", rand_str(), rand_str());
    let mut params = emu.auth_params("demo-client");
    set(&mut params, "code_challenge", &verifier);
    set(&mut params, "code_challenge_method", "plain");
    let login = emu.login_with("ola", params.clone()).await;
    emu.exchange_with(&login, &[p("code_verifier", &verifier)])
        .await;
    let login = emu.login_with("ola", params).await;
    let mut form = Emu::code_form(&login);
    form.push(p("code_verifier", &format!("{verifier}x")));
    let resp = emu.token_request(&unit.auth(), &form).await;
    expect_oauth_error(resp, 400, "invalid_grant").await;
}

#[tokio::test]
async fn missing_code_or_redirect_uri_is_invalid_request() {
    let emu = Emu::shipped().await;
    let unit = emu.unit("demo-client");
    let login = emu.login("ola", "demo-client", "openid").await;
    for missing in ["code", "redirect_uri"] {
        let mut form = Emu::code_form(&login);
        remove(&mut form, missing);
        let resp = emu.token_request(&unit.auth(), &form).await;
        expect_oauth_error(resp, 400, "invalid_request").await;
    }
}

#[tokio::test]
async fn other_grant_type_is_unsupported_grant_type() {
    let emu = Emu::shipped().await;
    let unit = emu.unit("demo-client");
    let login = emu.login("ola", "demo-client", "openid").await;
    for grant in ["refresh_token", "client_credentials", "password"] {
        let mut form = Emu::code_form(&login);
        set(&mut form, "grant_type", grant);
        let resp = emu.token_request(&unit.auth(), &form).await;
        expect_oauth_error(resp, 400, "unsupported_grant_type").await;
    }
}
