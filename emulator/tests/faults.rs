//! Every fault switch of the README's table, `GET/POST /_emulator/faults` and `reset`.
mod common;

use std::time::{Duration, Instant};

use common::*;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use reqwest::StatusCode;
use serde_json::{json, Value};

const EVIL_ISS: &str = "https://evil.example/access-management-1.0/access/";

/// Turn one fault on, log in ola at demo-client, return the id_token and the JWKS.
async fn id_token_with(fault: Value) -> (Emu, Login, Tokens, Value) {
    let emu = Emu::shipped().await;
    emu.set_faults(fault).await;
    let (login, tokens) = emu.full_login("ola", "demo-client", "openid name").await;
    let jwks = emu.jwks().await;
    (emu, login, tokens, jwks)
}

fn num(c: &Value, k: &str) -> i64 {
    c[k].as_i64()
        .unwrap_or_else(|| panic!("{k} is an integer: {c}"))
}

#[tokio::test]
async fn unknown_kid_names_a_key_not_in_the_jwks_but_signs_with_the_real_key() {
    let (_, _, tokens, jwks) = id_token_with(json!({"unknown_kid": true})).await;
    let jwt = tokens.jwt();
    let kid = jwt.header["kid"].as_str().expect("a kid is still there");
    assert!(
        !jwks_kids(&jwks).contains(&kid.to_string()),
        "kid {kid} not in JWKS"
    );
    assert!(verify_by_kid(&jwks, &jwt).is_err());
    verify_with(&jwks_keys(&jwks)[0], &jwt).expect("signature still by the real key");
    assert_eq!(jwt.header["alg"], "RS256");
}

#[tokio::test]
async fn bad_signature_fails_verification() {
    let (emu, _, tokens, jwks) = id_token_with(json!({"bad_signature": true})).await;
    let jwt = tokens.jwt();
    assert_eq!(jwt.header["alg"], "RS256");
    assert!(jwks_kids(&jwks).contains(&jwt.header["kid"].as_str().unwrap().to_string()));
    assert!(!jwt.signature_b64.is_empty());
    assert!(
        verify_by_kid(&jwks, &jwt).is_err(),
        "signature must not verify"
    );
    // Only the signature is broken.
    assert_eq!(jwt.claims["iss"], emu.issuer.as_str());
}

#[tokio::test]
async fn alg_none_has_an_empty_signature_segment() {
    let (emu, _, tokens, _) = id_token_with(json!({"alg_none": true})).await;
    assert!(
        tokens.id_token.ends_with('.'),
        "empty signature: {}",
        tokens.id_token
    );
    let jwt = tokens.jwt();
    assert_eq!(jwt.header["alg"], "none");
    assert!(jwt.signature_b64.is_empty());
    assert_eq!(jwt.claims["iss"], emu.issuer.as_str());
}

/// A claim fault keeps the signature valid: only the named claim is wrong.
async fn claims_with(fault: Value) -> (Emu, Login, Tokens, Value) {
    let (emu, login, tokens, jwks) = id_token_with(fault.clone()).await;
    verify_by_kid(&jwks, &tokens.jwt())
        .unwrap_or_else(|e| panic!("{fault}: the signature stays valid: {e}"));
    let claims = tokens.jwt().claims;
    (emu, login, tokens, claims)
}

#[tokio::test]
async fn wrong_iss() {
    let (emu, _, _, c) = claims_with(json!({"wrong_iss": true})).await;
    assert_eq!(c["iss"], EVIL_ISS);
    assert_eq!(c["aud"], json!(["demo-client"]));
    assert_ne!(emu.issuer, EVIL_ISS);
}

#[tokio::test]
async fn wrong_aud() {
    let (emu, _, _, c) = claims_with(json!({"wrong_aud": true})).await;
    assert_eq!(c["aud"], json!(["someone-else"]));
    assert_eq!(c["iss"], emu.issuer.as_str());
}

#[tokio::test]
async fn extra_aud_without_azp() {
    let (_, _, _, c) = claims_with(json!({"extra_aud": true})).await;
    assert_eq!(c["aud"], json!(["demo-client", "someone-else"]));
    assert!(c.get("azp").is_none(), "no azp: {c}");
}

#[tokio::test]
async fn expired_is_an_hour_past_with_iat_two_hours_past() {
    let t = now();
    let (_, _, _, c) = claims_with(json!({"expired": true})).await;
    let (exp, iat) = (num(&c, "exp"), num(&c, "iat"));
    assert!((exp - (t - 3600)).abs() <= 60, "exp {exp} ~ now-3600 ({t})");
    assert!((iat - (t - 7200)).abs() <= 60, "iat {iat} ~ now-7200 ({t})");
    assert!(exp < now());
}

#[tokio::test]
async fn iat_future_is_an_hour_ahead() {
    let t = now();
    let (_, _, _, c) = claims_with(json!({"iat_future": true})).await;
    let iat = num(&c, "iat");
    assert!((iat - (t + 3600)).abs() <= 60, "iat {iat} ~ now+3600 ({t})");
}

#[tokio::test]
async fn wrong_nonce_is_another_value() {
    let (_, login, _, c) = claims_with(json!({"wrong_nonce": true})).await;
    let sent = login.nonce.expect("a nonce was sent");
    let got = c["nonce"].as_str().expect("nonce claim still there");
    assert_ne!(got, sent);
}

#[tokio::test]
async fn missing_nonce_has_no_nonce_claim() {
    let (_, _, _, c) = claims_with(json!({"missing_nonce": true})).await;
    assert!(c.get("nonce").is_none(), "{c}");
}

#[tokio::test]
async fn missing_sub_has_no_sub_claim() {
    let (_, _, _, c) = claims_with(json!({"missing_sub": true})).await;
    assert!(c.get("sub").is_none(), "{c}");
    assert!(c.get("iss").is_some());
}

const APP_AUTH: &str = "urn:vipps:acr:app_auth";

/// With `fault` on, ola logs in at demo-client sending `acr_values`; the claims, with
/// the signature checked.
async fn acr_claims_with(fault: Value) -> Value {
    let emu = Emu::shipped().await;
    emu.set_faults(fault.clone()).await;
    let mut params = emu.auth_params("demo-client");
    set(&mut params, "acr_values", APP_AUTH);
    let login = emu.login_with("ola", params).await;
    let jwt = emu.exchange(&login).await.jwt();
    verify_by_kid(&emu.jwks().await, &jwt)
        .unwrap_or_else(|e| panic!("{fault}: the signature stays valid: {e}"));
    jwt.claims
}

#[tokio::test]
async fn acr_is_the_requested_value_without_a_fault() {
    let c = acr_claims_with(json!({})).await;
    assert_eq!(c["acr"], APP_AUTH, "{c}");
}

#[tokio::test]
async fn wrong_acr_is_another_value() {
    let c = acr_claims_with(json!({"wrong_acr": true})).await;
    assert_eq!(c["acr"], "urn:vipps:acr:other", "{c}");
    assert!(c.get("nonce").is_some() && c.get("sub").is_some());
}

#[tokio::test]
async fn missing_acr_has_no_acr_claim_though_acr_values_was_sent() {
    let c = acr_claims_with(json!({"missing_acr": true})).await;
    assert!(c.get("acr").is_none(), "{c}");
}

#[tokio::test]
async fn acr_faults_add_no_acr_when_none_was_requested() {
    for fault in [json!({"wrong_acr": true}), json!({"missing_acr": true})] {
        let (_, _, _, c) = claims_with(fault.clone()).await;
        assert!(c.get("acr").is_none(), "{fault}: {c}");
    }
}

/// ola logs in at the shipped partner unit by its msn, with `fault` on.
async fn partner_claims_with(fault: Value) -> (Unit, Value) {
    let emu = Emu::shipped().await;
    emu.set_faults(fault.clone()).await;
    let unit = emu
        .units
        .iter()
        .find(|u| u.msn.is_some())
        .expect("a shipped partner unit with msn")
        .clone();
    let mut params = emu.auth_params(&unit.client_id);
    remove(&mut params, "client_id");
    set(&mut params, "msn", unit.msn.as_deref().unwrap());
    let mut login = emu.login_with("ola", params).await;
    login.client_id = unit.client_id.clone();
    let jwt = emu.exchange(&login).await.jwt();
    verify_by_kid(&emu.jwks().await, &jwt)
        .unwrap_or_else(|e| panic!("{fault}: the signature stays valid: {e}"));
    (unit, jwt.claims)
}

#[tokio::test]
async fn wrong_msn_is_another_merchant_serial_number() {
    let (unit, c) = partner_claims_with(json!({})).await;
    assert_eq!(c["msn"].as_str(), unit.msn.as_deref());
    let (unit, c) = partner_claims_with(json!({"wrong_msn": true})).await;
    assert_eq!(c["msn"], "999999", "{c}");
    assert_ne!(c["msn"].as_str(), unit.msn.as_deref());
    assert_eq!(c["aud"], json!([unit.client_id]));
}

#[tokio::test]
async fn fractional_times_are_non_integer_numeric_dates() {
    let (_, _, _, plain) = claims_with(json!({})).await;
    assert!(plain["exp"].is_u64() && plain["iat"].is_u64(), "{plain}");
    let (_, _, _, c) = claims_with(json!({"fractional_times": true})).await;
    let exp = c["exp"].as_f64().expect("exp is a number");
    let iat = c["iat"].as_f64().expect("iat is a number");
    assert!(!c["exp"].is_u64() && exp.fract() == 0.5, "{c}");
    assert!(!c["iat"].is_u64() && iat.fract() == 0.25, "{c}");
    assert!(exp > iat);
}

#[tokio::test]
async fn wrong_msn_adds_no_msn_for_a_unit_without_one() {
    let (_, _, _, c) = claims_with(json!({"wrong_msn": true})).await;
    assert!(c.get("msn").is_none(), "{c}");
}

#[tokio::test]
async fn userinfo_sub_mismatch() {
    let (emu, _, tokens, c) = claims_with(json!({"userinfo_sub_mismatch": true})).await;
    let id_sub = c["sub"].as_str().expect("id_token keeps its sub");
    let info = emu.userinfo_ok(&tokens.access_token).await;
    let info_sub = info["sub"].as_str().expect("userinfo has a sub");
    assert_ne!(info_sub, id_sub);
    assert_eq!(info["name"], emu.user("ola")["name"].as_str().unwrap());
}

#[tokio::test]
async fn token_500() {
    let emu = Emu::shipped().await;
    emu.set_faults(json!({"token_500": true})).await;
    let login = emu.login("ola", "demo-client", "openid").await;
    let resp = emu
        .token_request(&emu.unit("demo-client").auth(), &Emu::code_form(&login))
        .await;
    expect_oauth_error(resp, 500, "server_error").await;
}

#[tokio::test]
async fn token_delay_ms_delays_the_token_response() {
    let emu = Emu::shipped().await;
    emu.set_faults(json!({"token_delay_ms": 300})).await;
    let login = emu.login("ola", "demo-client", "openid").await;
    let started = Instant::now();
    emu.exchange(&login).await;
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn token_malformed_json() {
    let emu = Emu::shipped().await;
    emu.set_faults(json!({"token_malformed_json": true})).await;
    let login = emu.login("ola", "demo-client", "openid").await;
    let resp = emu
        .token_request(&emu.unit("demo-client").auth(), &Emu::code_form(&login))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    let body = resp.text().await.unwrap();
    assert!(
        serde_json::from_str::<Value>(&body).is_err(),
        "body must not be JSON: {body}"
    );
}

#[tokio::test]
async fn jwks_unavailable_is_503() {
    let emu = Emu::shipped().await;
    emu.set_faults(json!({"jwks_unavailable": true})).await;
    let resp = emu.get(JWKS_PATH).await;
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    emu.set_faults(json!({"jwks_unavailable": false})).await;
    assert_eq!(emu.get(JWKS_PATH).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn jwks_delay_ms_delays_the_jwks() {
    let emu = Emu::shipped().await;
    emu.set_faults(json!({"jwks_delay_ms": 300})).await;
    let started = Instant::now();
    let jwks = emu.jwks().await;
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(300), "took {took:?}");
    assert!(
        !jwks_kids(&jwks).is_empty(),
        "the JWKS itself is normal: {jwks}"
    );
    // Only the JWKS waits.
    let started = Instant::now();
    emu.get_json(DISCOVERY_PATH).await;
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn token_huge_is_valid_json_of_over_40_mb_with_the_normal_fields() {
    let emu = Emu::shipped().await;
    emu.set_faults(json!({"token_huge": true})).await;
    let login = emu.login("ola", "demo-client", "openid name").await;
    let resp = emu
        .token_request(&emu.unit("demo-client").auth(), &Emu::code_form(&login))
        .await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()[CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/json"),
        "{:?}",
        resp.headers()
    );
    let declared = resp.content_length();
    let body = resp.bytes().await.expect("the whole body");
    assert!(body.len() > HUGE_PADDING_BYTES, "{} bytes", body.len());
    assert_eq!(declared, Some(body.len() as u64), "Content-Length");

    // A client that reads it all succeeds: the normal answer plus `padding`.
    let json: Value = serde_json::from_slice(&body).expect("valid JSON");
    drop(body);
    let padding = json["padding"].as_str().expect("a padding string");
    assert_eq!(padding.len(), HUGE_PADDING_BYTES);
    assert!(padding.bytes().all(|b| b == b'x'));
    assert_eq!(json["token_type"], "bearer");
    assert_eq!(json["expires_in"], 3599);
    assert_eq!(json["scope"], "openid name");
    let id_token = json["id_token"].as_str().expect("id_token");
    let jwt = decode_jwt(id_token);
    verify_by_kid(&emu.jwks().await, &jwt).expect("a real id_token");
    assert_eq!(jwt.claims["aud"], json!(["demo-client"]));
    let access_token = json["access_token"].as_str().expect("access_token");
    let info = emu.userinfo_ok(access_token).await;
    assert_eq!(info["sub"], jwt.claims["sub"], "a real access token");
    assert!(
        info.get("padding").is_none(),
        "userinfo is not padded: {info}"
    );
}

#[tokio::test]
async fn token_huge_leaves_error_answers_alone() {
    let emu = Emu::shipped().await;
    emu.set_faults(json!({"token_huge": true})).await;
    let login = emu.login("ola", "demo-client", "openid").await;
    emu.exchange(&login).await; // spends the code (huge, but read)
    let resp = emu
        .token_request(&emu.unit("demo-client").auth(), &Emu::code_form(&login))
        .await;
    let error = expect_oauth_error(resp, 400, "invalid_grant").await;
    assert!(error.get("padding").is_none(), "{error}");
}

#[tokio::test]
async fn token_reset_closes_the_connection_without_an_answer() {
    let emu = Emu::shipped().await;
    emu.set_faults(json!({"token_reset": true})).await;
    let login = emu.login("ola", "demo-client", "openid").await;
    let unit = emu.unit("demo-client");
    let form = form_body(&Emu::code_form(&login));
    // Once on the shared (pooled, kept-alive) client, once on a fresh connection.
    for client in [emu.http.clone(), http_client()] {
        let result = client
            .post(emu.url(TOKEN_PATH))
            .header(
                AUTHORIZATION,
                basic_header(&unit.client_id, &unit.client_secret),
            )
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form.clone())
            .send()
            .await;
        let err = match result {
            Ok(resp) => panic!("an HTTP answer instead of a reset: {}", resp.status()),
            Err(e) => e,
        };
        let chain = error_chain(&err);
        assert!(err.status().is_none(), "no HTTP status: {chain}");
        assert!(
            err.is_request() && !err.is_timeout() && !err.is_connect(),
            "a transport error on a connected request: {chain}"
        );
        let lower = chain.to_lowercase();
        assert!(
            lower.contains("reset")
                || lower.contains("connection closed")
                || lower.contains("incomplete"),
            "a reset or incomplete message: {chain}"
        );
    }

    // The server is fine, and the request was not processed: the code is unspent.
    emu.set_faults(json!({"token_reset": false})).await;
    let tokens = emu.exchange(&login).await;
    assert!(!tokens.access_token.is_empty());
}

fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

#[tokio::test]
async fn token_reset_leaves_other_endpoints_answering() {
    let emu = Emu::shipped().await;
    let (_, tokens) = emu.full_login("ola", "demo-client", "openid").await;
    emu.set_faults(json!({"token_reset": true})).await;
    emu.jwks().await;
    emu.get_json(DISCOVERY_PATH).await;
    assert!(emu.userinfo_ok(&tokens.access_token).await["sub"].is_string());
}

/// ola logs in at demo-client with `openid name`; the tokens, and the id_token's `sub`.
async fn tokens_for_userinfo(emu: &Emu) -> (Tokens, String) {
    let (_, tokens) = emu.full_login("ola", "demo-client", "openid name").await;
    let sub = tokens.jwt().claims["sub"]
        .as_str()
        .expect("id_token sub")
        .to_string();
    (tokens, sub)
}

#[tokio::test]
async fn userinfo_missing_sub_answers_the_claims_without_sub() {
    let emu = Emu::shipped().await;
    let (tokens, _) = tokens_for_userinfo(&emu).await;
    emu.set_faults(json!({"userinfo_missing_sub": true})).await;
    let info = emu.userinfo_ok(&tokens.access_token).await;
    assert!(info.get("sub").is_none(), "no sub: {info}");
    assert!(info["sid"].is_string(), "{info}");
    assert_eq!(info["name"], emu.user("ola")["name"].as_str().unwrap());
    assert_eq!(
        info["given_name"],
        emu.user("ola")["given_name"].as_str().unwrap()
    );
    // The id_token is untouched.
    emu.set_faults(json!({"userinfo_missing_sub": false})).await;
    assert!(emu.userinfo_ok(&tokens.access_token).await["sub"].is_string());
}

#[tokio::test]
async fn userinfo_not_json_answers_200_html() {
    let emu = Emu::shipped().await;
    let (tokens, _) = tokens_for_userinfo(&emu).await;
    emu.set_faults(json!({"userinfo_not_json": true})).await;
    let resp = emu.userinfo(&tokens.access_token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.headers()[CONTENT_TYPE], "text/html");
    let body = resp.text().await.unwrap();
    assert_eq!(body, "<html>not json</html>");
    assert!(serde_json::from_str::<Value>(&body).is_err());
}

#[tokio::test]
async fn userinfo_delay_ms_delays_the_userinfo_response() {
    let emu = Emu::shipped().await;
    let (tokens, sub) = tokens_for_userinfo(&emu).await;
    emu.set_faults(json!({"userinfo_delay_ms": 300})).await;
    let started = Instant::now();
    let info = emu.userinfo_ok(&tokens.access_token).await;
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(300), "took {took:?}");
    assert_eq!(info["sub"], sub.as_str(), "the answer itself is normal");
    // Only userinfo waits.
    let login = emu.login("ola", "demo-client", "openid").await;
    let started = Instant::now();
    emu.exchange(&login).await;
    assert!(started.elapsed() < Duration::from_millis(300));
}

#[tokio::test]
async fn userinfo_huge_is_the_claims_plus_over_40_mb_of_padding() {
    let emu = Emu::shipped().await;
    let (tokens, sub) = tokens_for_userinfo(&emu).await;
    emu.set_faults(json!({"userinfo_huge": true})).await;
    let resp = emu.userinfo(&tokens.access_token).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let declared = resp.content_length();
    let body = resp.bytes().await.expect("the whole body");
    assert!(body.len() > HUGE_PADDING_BYTES, "{} bytes", body.len());
    assert_eq!(declared, Some(body.len() as u64), "Content-Length");
    let info: Value = serde_json::from_slice(&body).expect("valid JSON");
    drop(body);
    let padding = info["padding"].as_str().expect("a padding string");
    assert_eq!(padding.len(), HUGE_PADDING_BYTES);
    assert!(padding.bytes().all(|b| b == b'x'));
    assert_eq!(info["sub"], sub.as_str());
    assert!(info["sid"].is_string());
    assert_eq!(info["name"], emu.user("ola")["name"].as_str().unwrap());

    // Still a 401 for a bad token: only the normal answer is padded.
    let resp = emu.userinfo("not-a-token").await;
    expect_oauth_error(resp, 401, "invalid_token").await;
}

#[tokio::test]
async fn userinfo_faults_combine() {
    let emu = Emu::shipped().await;
    let (tokens, _) = tokens_for_userinfo(&emu).await;
    emu.set_faults(json!({"userinfo_huge": true, "userinfo_missing_sub": true}))
        .await;
    let info: Value = emu
        .userinfo(&tokens.access_token)
        .await
        .json()
        .await
        .unwrap();
    assert!(info.get("sub").is_none());
    assert_eq!(
        info["padding"].as_str().map(str::len),
        Some(HUGE_PADDING_BYTES)
    );
}

// --- the control endpoint ---------------------------------------------------------------

fn assert_all_off(f: &Value) {
    for name in BOOL_FAULTS {
        assert_eq!(f[*name], false, "{name} off: {f}");
    }
    for name in DELAY_FAULTS {
        let delay = &f[*name];
        assert!(delay.is_null() || delay == 0, "{name} off: {f}");
    }
}

#[tokio::test]
async fn faults_default_off_and_get_reflects_post() {
    let emu = Emu::shipped().await;
    assert_all_off(&emu.get_json("/_emulator/faults").await);

    emu.set_faults(json!({"wrong_iss": true, "token_delay_ms": 300}))
        .await;
    let f = emu.get_json("/_emulator/faults").await;
    assert_eq!(f["wrong_iss"], true);
    assert_eq!(f["token_delay_ms"], 300);
    assert_eq!(f["wrong_aud"], false);

    // Fields not given keep their value.
    emu.set_faults(json!({"alg_none": true})).await;
    let f = emu.get_json("/_emulator/faults").await;
    assert_eq!(f["wrong_iss"], true);
    assert_eq!(f["alg_none"], true);
    assert_eq!(f["token_delay_ms"], 300);

    emu.set_faults(json!({"wrong_iss": false})).await;
    let f = emu.get_json("/_emulator/faults").await;
    assert_eq!(f["wrong_iss"], false);
    assert_eq!(f["alg_none"], true);
}

#[tokio::test]
async fn every_fault_can_be_set_and_read_back() {
    let emu = Emu::shipped().await;
    for name in BOOL_FAULTS {
        emu.set_faults(json!({ *name: true })).await;
        let f = emu.get_json("/_emulator/faults").await;
        assert_eq!(f[*name], true, "{name}: {f}");
    }
    for (i, name) in DELAY_FAULTS.iter().enumerate() {
        let ms = 100 + i as u64;
        emu.set_faults(json!({ *name: ms })).await;
        let f = emu.get_json("/_emulator/faults").await;
        assert_eq!(f[*name], ms, "{name}: {f}");
    }
}

#[tokio::test]
async fn every_delay_is_bounded_by_the_same_maximum() {
    let emu = Emu::shipped().await;
    for name in DELAY_FAULTS {
        emu.set_faults(json!({ *name: 5 })).await;
        let resp = emu
            .post_json(
                "/_emulator/faults",
                json!({ *name: MAX_DELAY_MS + 1, "token_500": true }),
            )
            .await;
        let error = expect_oauth_error(resp, 400, "invalid_request").await;
        assert!(
            error["error_description"].as_str().unwrap().contains(name),
            "{error}"
        );
        let f = emu.get_json("/_emulator/faults").await;
        assert_eq!(f[*name], 5, "{name} unchanged: {f}");
        assert_eq!(f["token_500"], false, "nothing of the patch applied: {f}");

        emu.set_faults(json!({ *name: MAX_DELAY_MS })).await;
        assert_eq!(emu.get_json("/_emulator/faults").await[*name], MAX_DELAY_MS);
        emu.set_faults(json!({ *name: 0 })).await;
    }
}

#[tokio::test]
async fn reset_clears_every_fault() {
    let emu = Emu::shipped().await;
    let mut all = serde_json::Map::new();
    for name in BOOL_FAULTS {
        all.insert(name.to_string(), Value::Bool(true));
    }
    for name in DELAY_FAULTS {
        all.insert(name.to_string(), json!(300));
    }
    emu.set_faults(Value::Object(all)).await;
    assert_eq!(
        emu.get(JWKS_PATH).await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );

    emu.reset().await;
    assert_all_off(&emu.get_json("/_emulator/faults").await);
    // And the behaviour is back to normal.
    let jwks = emu.jwks().await;
    let (_, tokens) = emu.full_login("ola", "demo-client", "openid").await;
    let jwt = tokens.jwt();
    verify_by_kid(&jwks, &jwt).expect("valid again");
    assert_eq!(jwt.claims["iss"], emu.issuer.as_str());
    assert_eq!(jwt.claims["aud"], json!(["demo-client"]));
    assert!(tokens.json.get("padding").is_none(), "{}", tokens.json);
    let started = Instant::now();
    let info = emu.userinfo_ok(&tokens.access_token).await;
    assert!(started.elapsed() < Duration::from_millis(300), "no delay");
    assert_eq!(info["sub"], jwt.claims["sub"]);
    assert!(info.get("padding").is_none(), "{info}");
}
