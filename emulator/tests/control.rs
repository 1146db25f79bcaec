//! Control endpoints (README: Control endpoints), CIBA client auth, age rule.
mod common;

use common::*;
use reqwest::header::CONTENT_TYPE;
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn health_reports_ok_and_issuer() {
    let emu = Emu::shipped().await;
    let h = emu.get_json("/_emulator/health").await;
    assert_eq!(h["ok"], true);
    assert_eq!(h["issuer"], emu.issuer.as_str());
}

/// The users list: an array of objects, top level or under `users`.
fn user_list(v: &Value) -> Vec<Value> {
    v.as_array()
        .or_else(|| v["users"].as_array())
        .unwrap_or_else(|| panic!("users JSON holds an array: {v}"))
        .clone()
}

#[tokio::test]
async fn users_lists_the_shipped_test_users_with_ids_and_names() {
    let emu = Emu::shipped().await;
    let list = user_list(&emu.get_json("/_emulator/users").await);
    let mut ids: Vec<String> = list
        .iter()
        .map(|u| u["id"].as_str().expect("id").to_string())
        .collect();
    ids.sort();
    assert_eq!(ids, ["emil", "kari", "lise", "ola", "sven"]);
    for u in &list {
        let id = u["id"].as_str().unwrap();
        assert_eq!(u["name"], emu.user(id)["name"].as_str().unwrap(), "{u}");
    }
}

#[tokio::test]
async fn users_follows_the_config() {
    let emu = Emu::with_toml(TEST_TOML).await;
    let list = user_list(&emu.get_json("/_emulator/users").await);
    let ids: Vec<&str> = list.iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&"tester") && ids.contains(&"homeless"));
}

#[tokio::test]
async fn ciba_needs_client_authentication() {
    // The whole CIBA behaviour is in tests/ciba.rs; here: no longer the 501 stub.
    let emu = Emu::shipped().await;
    let resp = emu
        .http
        .post(emu.url(CIBA_PATH))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body("scope=openid&login_hint=urn%3Amsisdn%3A4712345678")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let j: Value = resp.json().await.expect("JSON");
    assert_eq!(j["error"], "invalid_client");
}

#[tokio::test]
async fn reset_clears_codes_tokens_and_auto_approve() {
    let emu = Emu::shipped().await;
    let (_, tokens) = emu.full_login("ola", "demo-client", "openid").await;
    let pending = emu.login("ola", "demo-client", "openid").await;
    emu.control("/_emulator/auto-approve", json!({"user": "ola"}))
        .await;

    emu.reset().await;

    let resp = emu
        .token_request(&emu.unit("demo-client").auth(), &Emu::code_form(&pending))
        .await;
    expect_oauth_error(resp, 400, "invalid_grant").await;
    let resp = emu.userinfo(&tokens.access_token).await;
    expect_oauth_error(resp, 401, "invalid_token").await;
    let resp = emu.authorize(&emu.auth_params("demo-client")).await;
    assert_eq!(
        resp.status(),
        StatusCode::OK,
        "landing page, auto-approve off"
    );
    assert_eq!(location(&resp), None);
}

#[tokio::test]
async fn reset_sets_the_clock_back() {
    let emu = Emu::shipped().await;
    emu.advance_clock(10_000).await;
    emu.reset().await;
    let (_, tokens) = emu.full_login("ola", "demo-client", "openid").await;
    // Not expired: the clock is back to now.
    emu.userinfo_ok(&tokens.access_token).await;
    let iat = tokens.jwt().claims["iat"].as_i64().unwrap();
    assert!((iat - now()).abs() <= 60);
}

// --- age: computed from birthdate on the day of the login -------------------------------

/// (year, month, day) in UTC, `days_from_today` days away from today.
fn civil_date(days_from_today: i64) -> (i64, u32, u32) {
    // Howard Hinnant's civil_from_days.
    let z = now().div_euclid(86_400) + days_from_today + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn age_config(birthdates: &[(&str, String)]) -> String {
    let mut toml = String::from(
        r#"
[settings]
sub_secret = "age-test"
code_ttl_secs = 120
access_token_ttl_secs = 600
id_token_ttl_secs = 3600

[[sales_units]]
name = "Age shop"
client_id = "age-client"
client_secret = "age-secret"
token_auth_method = "client_secret_basic"
redirect_uris = ["http://127.0.0.1:8787/callback"]
scopes = ["openid", "birthDate"]
"#,
    );
    for (id, bd) in birthdates {
        toml.push_str(&format!(
            r#"
[[users]]
id = "{id}"
name = "User {id}"
given_name = "User"
family_name = "{id}"
email = "{id}@example.no"
phone_number = "4711111111"
birthdate = "{bd}"
nin = "01010112345"
"#
        ));
    }
    toml
}

#[tokio::test]
async fn fifteenth_birthday_today_can_log_in_tomorrow_cannot() {
    let (y, m, d) = civil_date(0);
    let (ty, tm, td) = civil_date(1);
    if (m, d) == (2, 29) || (tm, td) == (2, 29) {
        return; // 15 years back has no 29 February: no clean boundary today.
    }
    let today15 = format!("{:04}-{:02}-{:02}", y - 15, m, d);
    let tomorrow15 = format!("{:04}-{:02}-{:02}", ty - 15, tm, td);
    let emu = Emu::with_toml(&age_config(&[
        ("fifteen", today15),
        ("almost", tomorrow15),
        ("adult", "1980-01-01".to_string()),
    ]))
    .await;
    emu.login("fifteen", "age-client", "openid").await;
    emu.login("adult", "age-client", "openid").await;

    let mut params = emu.auth_params("age-client");
    let state = get_param(&params, "state").unwrap().to_string();
    set(&mut params, "_emulator_user", "almost");
    let r = expect_error_redirect(
        &emu.authorize(&params).await,
        "http://127.0.0.1:8787/callback",
        "access_denied",
    );
    assert_eq!(r.get("state"), Some(state.as_str()));
}

#[tokio::test]
async fn issued_lists_unredeemed_codes_and_valid_access_tokens() {
    let emu = Emu::shipped().await;
    let login = emu.login("ola", "demo-client", "openid name").await;
    let issued = emu.get_json("/_emulator/issued").await;
    let listed = |kind: &str| -> Vec<String> {
        issued[kind]
            .as_array()
            .expect("a list")
            .iter()
            .map(|v| v.as_str().expect("a string").to_string())
            .collect()
    };
    assert_eq!(listed("codes"), std::slice::from_ref(&login.code));
    assert!(listed("access_tokens").is_empty());
    // Redeemed: the code is kept (a second redemption must fail), its access token listed.
    let unit = emu.unit("demo-client");
    let form = [
        p("grant_type", "authorization_code"),
        p("code", &login.code),
        p("redirect_uri", &login.redirect_uri),
    ];
    let resp = emu.token_request(&unit.auth(), &form).await;
    assert_eq!(resp.status(), 200);
    let tokens: Value = resp.json().await.unwrap();
    let issued = emu.get_json("/_emulator/issued").await;
    assert_eq!(issued["codes"], json!([login.code]));
    assert_eq!(issued["access_tokens"], json!([tokens["access_token"]]));
}
