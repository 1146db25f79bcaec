//! Authorize endpoint (README: Authorize), landing page and the browserless shortcut.
mod common;

use common::*;
use reqwest::header::CONTENT_TYPE;
use reqwest::{Response, StatusCode};
use serde_json::json;

/// A Vipps-style error page: HTTP 400, HTML, no redirect.
async fn expect_error_page(resp: Response) -> String {
    let status = resp.status();
    let loc = location(&resp);
    let body = resp.text().await.unwrap();
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "error page status; body {body}"
    );
    assert_eq!(loc, None, "an error page does not redirect");
    body
}

async fn expect_redirect_mismatch_page(resp: Response) {
    let body = expect_error_page(resp).await;
    assert!(
        body.contains(MISMATCH_TEXT),
        "page says {MISMATCH_TEXT:?}: {body}"
    );
    assert!(
        body.contains("invalid_request"),
        "page says invalid_request: {body}"
    );
}

async fn expect_bad_gateway(resp: Response) {
    let status = resp.status();
    let loc = location(&resp);
    let body = resp.text().await.unwrap();
    assert_eq!(status, StatusCode::BAD_GATEWAY, "body {body}");
    assert_eq!(loc, None);
    assert!(body.contains("Bad Gateway"), "HTML Bad Gateway: {body}");
}

// --- landing page -----------------------------------------------------------------------

#[tokio::test]
async fn landing_page_shows_unit_users_and_approve_cancel_form() {
    let emu = Emu::shipped().await;
    let params = emu.auth_params("demo-client");
    let resp = emu.authorize(&params).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let ct = resp.headers()[CONTENT_TYPE].to_str().unwrap().to_string();
    assert!(ct.starts_with("text/html"), "landing page is HTML: {ct}");
    let html = resp.text().await.unwrap();
    let unit = emu.unit("demo-client");
    assert!(
        html.contains(&unit.name),
        "sales unit name {:?} shown",
        unit.name
    );
    assert!(html.contains("Approve") && html.contains("Cancel"));
    for user in users_of(&emu.toml) {
        let name = user["name"].as_str().unwrap();
        let id = user["id"].as_str().unwrap();
        assert!(
            decode_entities(&html).contains(name),
            "user {name} listed on the landing page"
        );
        // Each listed user can be chosen in a form posting to .../oauth2/auth/decision.
        let (url, data) = decision_submission(&html, &emu.base, Decision::Approve(id));
        assert_eq!(url, emu.url(DECISION_PATH));
        assert!(
            data.iter().any(|(_, v)| v == id),
            "{id} submitted: {data:?}"
        );
    }
    let (url, _) = decision_submission(&html, &emu.base, Decision::Cancel);
    assert_eq!(url, emu.url(DECISION_PATH));
    assert!(!request_id(&html).is_empty());
}

#[tokio::test]
async fn landing_page_approve_redirects_with_code_state_and_scope() {
    let emu = Emu::shipped().await;
    let mut params = emu.auth_params("demo-client");
    set(&mut params, "scope", "openid name email");
    let state = get_param(&params, "state").unwrap().to_string();
    let html = emu.landing_page(&params).await;
    let resp = emu.decide(&html, Decision::Approve("ola")).await;
    let r = expect_redirect(&resp);
    assert_eq!(r.base, emu.unit("demo-client").redirect_uri());
    assert!(r.get("code").is_some_and(|c| !c.is_empty()), "{}", r.raw);
    assert_eq!(r.get("state"), Some(state.as_str()));
    assert_eq!(r.get("scope"), Some("openid name email"));
    assert!(
        r.raw.contains("scope=openid%20name%20email"),
        "%20-joined scope: {}",
        r.raw
    );
    // The code is real.
    let login = Login {
        client_id: "demo-client".into(),
        redirect_uri: r.base.clone(),
        state,
        nonce: None,
        code: r.get("code").unwrap().to_string(),
        redirect: r.clone(),
    };
    emu.exchange(&login).await;
}

#[tokio::test]
async fn landing_page_cancel_redirects_access_denied_with_state() {
    let emu = Emu::shipped().await;
    let params = emu.auth_params("demo-client");
    let state = get_param(&params, "state").unwrap().to_string();
    let html = emu.landing_page(&params).await;
    let resp = emu.decide(&html, Decision::Cancel).await;
    let r = expect_error_redirect(
        &resp,
        emu.unit("demo-client").redirect_uri(),
        "access_denied",
    );
    assert_eq!(r.get("error_description"), Some("User cancelled the login"));
    assert_eq!(r.get("state"), Some(state.as_str()));
}

#[tokio::test]
async fn landing_page_under_15_user_gets_access_denied() {
    let emu = Emu::shipped().await;
    let params = emu.auth_params("demo-client");
    let state = get_param(&params, "state").unwrap().to_string();
    let html = emu.landing_page(&params).await;
    let resp = emu.decide(&html, Decision::Approve("emil")).await;
    let r = expect_error_redirect(
        &resp,
        emu.unit("demo-client").redirect_uri(),
        "access_denied",
    );
    assert_eq!(r.get("state"), Some(state.as_str()));
}

#[tokio::test]
async fn landing_page_request_id_is_single_use() {
    let emu = Emu::shipped().await;
    let params = emu.auth_params("demo-client");
    let html = emu.landing_page(&params).await;
    let (url, data) = decision_submission(&html, &emu.base, Decision::Approve("ola"));
    let first = emu.post_form(&url, &data).await;
    expect_redirect(&first);
    let second = emu.post_form(&url, &data).await;
    let status = second.status();
    assert_eq!(
        location(&second),
        None,
        "a reused request_id does not redirect"
    );
    assert!(
        status.is_client_error(),
        "error page for a reused request_id: {status}"
    );
}

#[tokio::test]
async fn decision_with_unknown_request_id_is_an_error_page() {
    let emu = Emu::shipped().await;
    let params = emu.auth_params("demo-client");
    let html = emu.landing_page(&params).await;
    let rid = request_id(&html);
    let (url, data) = decision_submission(&html, &emu.base, Decision::Approve("ola"));
    let forged: Vec<(String, String)> = data
        .into_iter()
        .map(|(k, v)| {
            if v == rid {
                (k, format!("{rid}x"))
            } else {
                (k, v)
            }
        })
        .collect();
    let resp = emu.post_form(&url, &forged).await;
    assert_eq!(location(&resp), None);
    assert!(resp.status().is_client_error(), "{}", resp.status());
}

#[tokio::test]
async fn every_adult_shipped_user_can_log_in_via_the_form() {
    let emu = Emu::shipped().await;
    for id in ["ola", "kari", "sven"] {
        let params = emu.auth_params("demo-client");
        let html = emu.landing_page(&params).await;
        let r = expect_redirect(&emu.decide(&html, Decision::Approve(id)).await);
        assert!(r.has("code"), "{id}: {}", r.raw);
    }
}

// --- browserless shortcut ---------------------------------------------------------------

#[tokio::test]
async fn emulator_user_param_redirects_with_code_directly() {
    let emu = Emu::shipped().await;
    let scope = "openid name email phoneNumber address birthDate";
    let login = emu.login("ola", "demo-client", scope).await;
    assert_eq!(login.redirect.get("state"), Some(login.state.as_str()));
    assert_eq!(login.redirect.get("scope"), Some(scope));
    assert!(
        login
            .redirect
            .raw
            .contains("scope=openid%20name%20email%20phoneNumber%20address%20birthDate"),
        "scope space-joined as %20: {}",
        login.redirect.raw
    );
    assert!(
        !login.redirect.raw.contains('+'),
        "no + for spaces: {}",
        login.redirect.raw
    );
}

#[tokio::test]
async fn emulator_user_under_15_gets_access_denied() {
    let emu = Emu::shipped().await;
    let mut params = emu.auth_params("demo-client");
    let state = get_param(&params, "state").unwrap().to_string();
    set(&mut params, "_emulator_user", "emil");
    let resp = emu.authorize(&params).await;
    let r = expect_error_redirect(
        &resp,
        emu.unit("demo-client").redirect_uri(),
        "access_denied",
    );
    assert_eq!(r.get("state"), Some(state.as_str()));
}

#[tokio::test]
async fn emulator_cancel_answers_the_cancel_redirect() {
    let emu = Emu::shipped().await;
    let mut params = emu.auth_params("demo-client");
    let state = get_param(&params, "state").unwrap().to_string();
    set(&mut params, "_emulator_cancel", "1");
    let resp = emu.authorize(&params).await;
    let r = expect_error_redirect(
        &resp,
        emu.unit("demo-client").redirect_uri(),
        "access_denied",
    );
    assert_eq!(r.get("error_description"), Some("User cancelled the login"));
    assert!(
        r.raw
            .contains("error_description=User%20cancelled%20the%20login"),
        "{}",
        r.raw
    );
    assert_eq!(r.get("state"), Some(state.as_str()));
}

#[tokio::test]
async fn auto_approve_skips_the_landing_page_until_turned_off() {
    let emu = Emu::shipped().await;
    emu.control("/_emulator/auto-approve", json!({"user": "ola"}))
        .await;
    let params = emu.auth_params("demo-client");
    let state = get_param(&params, "state").unwrap().to_string();
    let r = expect_redirect(&emu.authorize(&params).await);
    assert!(r.has("code"), "{}", r.raw);
    assert_eq!(r.get("state"), Some(state.as_str()));
    // The code belongs to ola: same sub as an explicit ola login.
    let auto = Login {
        client_id: "demo-client".into(),
        redirect_uri: r.base.clone(),
        state,
        nonce: None,
        code: r.get("code").unwrap().to_string(),
        redirect: r.clone(),
    };
    let auto_sub = emu.exchange(&auto).await.jwt().claims["sub"].clone();
    let (_, explicit) = emu.full_login("ola", "demo-client", "openid").await;
    assert_eq!(auto_sub, explicit.jwt().claims["sub"]);

    emu.control("/_emulator/auto-approve", json!({"user": null}))
        .await;
    let resp = emu.authorize(&emu.auth_params("demo-client")).await;
    assert_eq!(resp.status(), StatusCode::OK, "landing page again");
    assert_eq!(location(&resp), None);
}

#[tokio::test]
async fn shortcut_does_not_bypass_the_checks() {
    let emu = Emu::shipped().await;
    let redirect_uri = emu.unit("demo-client").redirect_uri().to_string();

    let mut params = emu.auth_params("demo-client");
    set(&mut params, "_emulator_user", "ola");
    set(&mut params, "state", "short");
    expect_error_redirect(
        &emu.authorize(&params).await,
        &redirect_uri,
        "invalid_request",
    );

    let mut params = emu.auth_params("demo-client");
    set(&mut params, "_emulator_user", "ola");
    set(&mut params, "redirect_uri", &format!("{redirect_uri}/"));
    expect_redirect_mismatch_page(emu.authorize(&params).await).await;
}

// --- 1. gateway limits ------------------------------------------------------------------

#[tokio::test]
async fn state_of_1000_chars_is_502() {
    let emu = Emu::shipped().await;
    let mut params = emu.auth_params("demo-client");
    set(&mut params, "state", &"s".repeat(1000));
    expect_bad_gateway(emu.authorize(&params).await).await;
}

#[tokio::test]
async fn nonce_of_1000_chars_is_502() {
    let emu = Emu::shipped().await;
    let mut params = emu.auth_params("demo-client");
    set(&mut params, "nonce", &"n".repeat(1000));
    expect_bad_gateway(emu.authorize(&params).await).await;
}

#[tokio::test]
async fn state_and_nonce_of_999_chars_pass() {
    let emu = Emu::shipped().await;
    let mut params = emu.auth_params("demo-client");
    set(&mut params, "state", &"s".repeat(999));
    let login = emu.login_with("ola", params).await;
    assert_eq!(login.redirect.get("state").map(str::len), Some(999));
    let mut params = emu.auth_params("demo-client");
    set(&mut params, "nonce", &"n".repeat(999));
    emu.login_with("ola", params).await;
}

#[tokio::test]
async fn url_over_2000_chars_is_502() {
    let emu = Emu::shipped().await;
    let mut params = emu.auth_params("demo-client");
    set(&mut params, "market", &"N".repeat(2100));
    assert!(emu.auth_url(&params).len() > 2000);
    expect_bad_gateway(emu.authorize(&params).await).await;
}

#[tokio::test]
async fn gateway_limits_come_before_the_client_check() {
    let emu = Emu::shipped().await;
    let mut params = emu.auth_params("demo-client");
    set(&mut params, "client_id", "no-such-client");
    set(&mut params, "state", &"s".repeat(1000));
    expect_bad_gateway(emu.authorize(&params).await).await;
}

// --- 2. client --------------------------------------------------------------------------

#[tokio::test]
async fn unknown_client_is_an_error_page() {
    let emu = Emu::shipped().await;
    let mut params = emu.auth_params("demo-client");
    set(&mut params, "client_id", "no-such-client");
    expect_error_page(emu.authorize(&params).await).await;
}

#[tokio::test]
async fn missing_client_is_an_error_page() {
    let emu = Emu::shipped().await;
    let mut params = emu.auth_params("demo-client");
    remove(&mut params, "client_id");
    expect_error_page(emu.authorize(&params).await).await;
}

#[tokio::test]
async fn msn_identifies_the_partner_unit() {
    let emu = Emu::shipped().await;
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
    let tokens = emu.exchange(&login).await;
    let aud = tokens.jwt().claims["aud"].clone();
    assert!(aud
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == unit.client_id.as_str()));
    // Partners' id_tokens carry the merchant serial number.
    assert_eq!(tokens.jwt().claims["msn"].as_str(), unit.msn.as_deref());

    let mut params = emu.auth_params(&unit.client_id);
    remove(&mut params, "client_id");
    set(&mut params, "msn", "999999999");
    expect_error_page(emu.authorize(&params).await).await;
}

// --- 3. redirect_uri --------------------------------------------------------------------

#[tokio::test]
async fn redirect_uri_must_match_byte_for_byte() {
    let emu = Emu::shipped().await;
    let registered = emu.unit("demo-client").redirect_uri().to_string();
    let mut variants = vec![
        format!("{registered}/"),
        registered.to_uppercase(),
        format!("{registered}?x=1"),
        format!("{registered}%20"),
        format!("{registered} "),
        format!("{registered}#frag"),
        "http://127.0.0.1:1/callback".to_string(),
        "http://127.0.0.1:8787".to_string(),
        "http://127.0.0.1:8787//".to_string(),
    ];
    // Case of the path only.
    if let Some(i) = registered.rfind('/') {
        let (a, b) = registered.split_at(i + 1);
        variants.push(format!("{a}{}", b.to_uppercase()));
    }
    for bad in variants {
        assert_ne!(bad, registered);
        let mut params = emu.auth_params("demo-client");
        set(&mut params, "redirect_uri", &bad);
        expect_redirect_mismatch_page(emu.authorize(&params).await).await;
    }
}

#[tokio::test]
async fn redirect_uri_missing_is_an_error_page() {
    let emu = Emu::shipped().await;
    let mut params = emu.auth_params("demo-client");
    remove(&mut params, "redirect_uri");
    expect_redirect_mismatch_page(emu.authorize(&params).await).await;
}

#[tokio::test]
async fn another_units_redirect_uri_is_not_registered_here() {
    let emu = Emu::with_toml(TEST_TOML).await;
    let foreign = emu.unit("plain-post").redirect_uri().to_string();
    assert!(!emu
        .unit("weird:client id%")
        .redirect_uris
        .contains(&foreign));
    let mut params = emu.auth_params("weird:client id%");
    set(&mut params, "redirect_uri", &foreign);
    expect_redirect_mismatch_page(emu.authorize(&params).await).await;
}

#[tokio::test]
async fn percent_encoding_in_redirect_uri_is_not_normalised() {
    let emu = Emu::with_toml(TEST_TOML).await;
    let id = "weird:client id%";
    // Registered literally as ".../my%20callback".
    let mut params = emu.auth_params(id);
    set(
        &mut params,
        "redirect_uri",
        "http://127.0.0.1:8787/my%20callback",
    );
    let login = emu.login_with("tester", params).await;
    assert!(
        login
            .redirect
            .raw
            .starts_with("http://127.0.0.1:8787/my%20callback?"),
        "{}",
        login.redirect.raw
    );
    for bad in [
        "http://127.0.0.1:8787/my callback",
        "http://127.0.0.1:8787/my%2520callback",
        "http://127.0.0.1:8787/my%2xcallback",
        "http://127.0.0.1:8787/my+callback",
    ] {
        let mut params = emu.auth_params(id);
        set(&mut params, "redirect_uri", bad);
        expect_redirect_mismatch_page(emu.authorize(&params).await).await;
    }
}

#[tokio::test]
async fn custom_scheme_redirect_uri_works() {
    let emu = Emu::with_toml(TEST_TOML).await;
    let mut params = emu.auth_params("weird:client id%");
    set(&mut params, "redirect_uri", "myapp://callback");
    let login = emu.login_with("tester", params).await;
    assert!(
        login.redirect.raw.starts_with("myapp://callback?code="),
        "{}",
        login.redirect.raw
    );
}

#[tokio::test]
async fn redirect_uri_check_comes_before_redirect_errors() {
    let emu = Emu::shipped().await;
    let registered = emu.unit("demo-client").redirect_uri().to_string();
    let mut params = emu.auth_params("demo-client");
    set(&mut params, "redirect_uri", &format!("{registered}/"));
    set(&mut params, "response_type", "token");
    set(&mut params, "state", "abc");
    set(&mut params, "scope", "profile");
    expect_redirect_mismatch_page(emu.authorize(&params).await).await;
}

// --- 4. redirect errors -----------------------------------------------------------------

#[tokio::test]
async fn response_type_token_is_unsupported_response_type() {
    let emu = Emu::shipped().await;
    let mut params = emu.auth_params("demo-client");
    let state = get_param(&params, "state").unwrap().to_string();
    set(&mut params, "response_type", "token");
    let r = expect_error_redirect(
        &emu.authorize(&params).await,
        emu.unit("demo-client").redirect_uri(),
        "unsupported_response_type",
    );
    assert_eq!(r.get("state"), Some(state.as_str()));
}

#[tokio::test]
async fn state_under_8_chars_is_invalid_request_with_state() {
    let emu = Emu::shipped().await;
    let mut params = emu.auth_params("demo-client");
    set(&mut params, "state", "1234567");
    let r = expect_error_redirect(
        &emu.authorize(&params).await,
        emu.unit("demo-client").redirect_uri(),
        "invalid_request",
    );
    assert_eq!(r.get("state"), Some("1234567"));
}

#[tokio::test]
async fn state_missing_is_invalid_request_without_state() {
    let emu = Emu::shipped().await;
    let mut params = emu.auth_params("demo-client");
    remove(&mut params, "state");
    let r = expect_error_redirect(
        &emu.authorize(&params).await,
        emu.unit("demo-client").redirect_uri(),
        "invalid_request",
    );
    assert!(!r.has("state"), "{}", r.raw);
}

#[tokio::test]
async fn state_of_exactly_8_chars_is_enough() {
    let emu = Emu::shipped().await;
    let mut params = emu.auth_params("demo-client");
    set(&mut params, "state", "12345678");
    let login = emu.login_with("ola", params).await;
    assert_eq!(login.redirect.get("state"), Some("12345678"));
}

async fn expect_invalid_scope(emu: &Emu, client_id: &str, scope: &str) {
    let mut params = emu.auth_params(client_id);
    let state = get_param(&params, "state").unwrap().to_string();
    set(&mut params, "scope", scope);
    let r = expect_error_redirect(
        &emu.authorize(&params).await,
        emu.unit(client_id).redirect_uri(),
        "invalid_scope",
    );
    assert_eq!(r.get("state"), Some(state.as_str()), "scope {scope}");
}

#[tokio::test]
async fn unknown_scope_is_invalid_scope() {
    let emu = Emu::shipped().await;
    expect_invalid_scope(&emu, "demo-client", "openid profile").await;
    expect_invalid_scope(&emu, "demo-client", "openid phone").await;
    // Scopes are case sensitive.
    expect_invalid_scope(&emu, "demo-client", "openid Email").await;
}

#[tokio::test]
async fn scope_not_allowed_for_the_unit_is_invalid_scope() {
    let emu = Emu::shipped().await;
    let other = emu.unit("other-client");
    assert!(
        !other.scopes.contains(&"nin".to_string()),
        "precondition: other-client lacks nin"
    );
    expect_invalid_scope(&emu, "other-client", "openid nin").await;
    // The same scope passes where it is allowed.
    let emu = Emu::with_toml(TEST_TOML).await;
    emu.login("tester", "weird:client id%", "openid nin").await;
    expect_invalid_scope(&emu, "plain-post", "openid email").await;
}

#[tokio::test]
async fn scope_without_openid_is_invalid_scope() {
    let emu = Emu::shipped().await;
    expect_invalid_scope(&emu, "demo-client", "name email").await;
}

#[tokio::test]
async fn app_to_app_v2_requires_a_code_challenge() {
    let emu = Emu::shipped().await;
    let mut params = emu.auth_params("demo-client");
    set(&mut params, "requested_flow", "app_to_app_v2");
    let state = get_param(&params, "state").unwrap().to_string();
    let r = expect_error_redirect(
        &emu.authorize(&params).await,
        emu.unit("demo-client").redirect_uri(),
        "invalid_request",
    );
    assert_eq!(r.get("state"), Some(state.as_str()));

    set(&mut params, "code_challenge", &s256(&rand_str()));
    set(&mut params, "code_challenge_method", "S256");
    emu.login_with("ola", params).await;
}

// --- 5. PKCE method ---------------------------------------------------------------------

#[tokio::test]
async fn unsupported_code_challenge_method_is_invalid_request() {
    let emu = Emu::shipped().await;
    let mut params = emu.auth_params("demo-client");
    set(&mut params, "code_challenge", &s256(&rand_str()));
    set(&mut params, "code_challenge_method", "S512");
    expect_error_redirect(
        &emu.authorize(&params).await,
        emu.unit("demo-client").redirect_uri(),
        "invalid_request",
    );
}

#[tokio::test]
async fn requested_flow_automatic_return_still_works() {
    let emu = Emu::shipped().await;
    let mut params = emu.auth_params("demo-client");
    set(
        &mut params,
        "requested_flow",
        "automatic_return_from_vipps_app",
    );
    set(&mut params, "final_redirect_is_app", "false");
    set(&mut params, "market", "NO");
    emu.login_with("ola", params).await;
}
