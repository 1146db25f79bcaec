//! CIBA, login from phone number (README: CIBA): the start, its errors, polling
//! (`authorization_pending`, `slow_down`, `expired_token`, `access_denied`), the redirect
//! variant (ES256), the signed ping, the phone page, and the CIBA faults.

mod common;

use std::time::{Duration, Instant};

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use common::*;
use hmac::{Hmac, Mac};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use reqwest::header::RETRY_AFTER;
use reqwest::{Response, StatusCode};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

const CIBA_GRANT: &str = "urn:openid:params:grant-type:ciba";
const REDIRECT_GRANT: &str = "urn:vipps:params:grant-type:ciba-redirect";
const PING_EVENT: &str = "login.merchant-initiated.ping.v1";
const OLA_PHONE: &str = "4712345678";

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

fn msisdn(phone: &str) -> String {
    format!("urn:msisdn:{phone}")
}

/// A start form for `phone` with `scope=openid name`.
fn start_form(phone: &str) -> Vec<(String, String)> {
    vec![p("scope", "openid name"), p("login_hint", &msisdn(phone))]
}

async fn ciba_post(emu: &Emu, auth: &Auth, form: &[(String, String)]) -> Response {
    emu.form_post(CIBA_PATH, auth, form).await
}

/// Start with the unit's own client auth; require 200 and return the answer.
async fn start_ok(emu: &Emu, client_id: &str, form: &[(String, String)]) -> Value {
    let resp = ciba_post(emu, &emu.unit(client_id).auth(), form).await;
    let status = resp.status();
    let text = resp.text().await.expect("body");
    assert_eq!(status, StatusCode::OK, "CIBA start: {text}");
    serde_json::from_str(&text).expect("JSON")
}

async fn start_id(emu: &Emu, client_id: &str, form: &[(String, String)]) -> String {
    let answer = start_ok(emu, client_id, form).await;
    answer["auth_req_id"]
        .as_str()
        .expect("auth_req_id")
        .to_string()
}

async fn poll(emu: &Emu, client_id: &str, auth_req_id: &str) -> Response {
    emu.token_request(
        &emu.unit(client_id).auth(),
        &[p("grant_type", CIBA_GRANT), p("auth_req_id", auth_req_id)],
    )
    .await
}

async fn redeem(emu: &Emu, client_id: &str, code: &str) -> Response {
    emu.token_request(
        &emu.unit(client_id).auth(),
        &[p("grant_type", REDIRECT_GRANT), p("code", code)],
    )
    .await
}

async fn decide(emu: &Emu, auth_req_id: &str, decision: &str) -> Value {
    let resp = emu
        .post_json(
            "/_emulator/ciba/decision",
            json!({ "auth_req_id": auth_req_id, "decision": decision }),
        )
        .await;
    let status = resp.status();
    let text = resp.text().await.expect("body");
    assert_eq!(status, StatusCode::OK, "decision: {text}");
    serde_json::from_str(&text).expect("JSON")
}

async fn ciba_list(emu: &Emu) -> Vec<Value> {
    emu.get_json("/_emulator/ciba")
        .await
        .as_array()
        .expect("array")
        .clone()
}

async fn status_of(emu: &Emu, auth_req_id: &str) -> String {
    ciba_list(emu)
        .await
        .into_iter()
        .find(|r| r["auth_req_id"] == auth_req_id)
        .map(|r| r["status"].as_str().expect("status").to_string())
        .unwrap_or_else(|| panic!("{auth_req_id} not listed"))
}

fn ec_key(jwks: &Value) -> Value {
    jwks_keys(jwks)
        .into_iter()
        .find(|k| k["kty"] == "EC")
        .unwrap_or_else(|| panic!("no EC key in {jwks}"))
}

/// ES256 verification with a P-256 JWK: `r || s`, 64 bytes (RFC 7518 3.4).
fn verify_es256(jwk: &Value, jwt: &Jwt) -> Result<(), String> {
    let coordinate = |name: &str| {
        Base64UrlUnpadded::decode_vec(jwk[name].as_str().unwrap_or_default())
            .map_err(|e| format!("{name}: {e}"))
    };
    let mut point = vec![4u8];
    point.extend(coordinate("x")?);
    point.extend(coordinate("y")?);
    let key = VerifyingKey::from_sec1_bytes(&point).map_err(|e| e.to_string())?;
    let raw = Base64UrlUnpadded::decode_vec(&jwt.signature_b64).map_err(|e| e.to_string())?;
    if raw.len() != 64 {
        return Err(format!("signature is {} bytes, not 64 (r||s)", raw.len()));
    }
    let signature = Signature::from_slice(&raw).map_err(|e| e.to_string())?;
    key.verify(jwt.signing_input.as_bytes(), &signature)
        .map_err(|e| e.to_string())
}

/// The shortcut browser login's `sub` for the same user and unit.
async fn browser_sub(emu: &Emu, user: &str, client_id: &str) -> Value {
    let (_, tokens) = emu.full_login(user, client_id, "openid").await;
    tokens.jwt().claims["sub"].clone()
}

/// Unix seconds of a UTC midnight (days from civil, H. Hinnant).
fn unix_of(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) * 86_400
}

// ---------------------------------------------------------------------------------------
// A loopback receiver for the ping
// ---------------------------------------------------------------------------------------

#[derive(Debug)]
struct Received {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

struct Receiver {
    url: String,
    rx: mpsc::Receiver<Received>,
}

impl Receiver {
    async fn next(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(10), self.rx.recv())
            .await
            .expect("a delivery within 10 s")
            .expect("receiver open")
    }

    fn nothing_more(&mut self) {
        assert!(self.rx.try_recv().is_err(), "no further delivery");
    }
}

/// Listens on 127.0.0.1; answers every request with `status` (or never, for
/// `status == 0`) and hands each request to the test.
async fn receiver(status: u16, path: &str) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut data = Vec::new();
                let mut buf = [0u8; 4096];
                let head_end = loop {
                    if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i;
                    }
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => data.extend_from_slice(&buf[..n]),
                    }
                    if data.len() > 65_536 {
                        return;
                    }
                };
                let head = String::from_utf8_lossy(&data[..head_end]).to_string();
                let mut lines = head.split("\r\n");
                let request_line = lines.next().unwrap_or_default().to_string();
                let mut parts = request_line.split(' ');
                let method = parts.next().unwrap_or_default().to_string();
                let target = parts.next().unwrap_or_default().to_string();
                let headers: Vec<(String, String)> = lines
                    .filter_map(|l| l.split_once(':'))
                    .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
                    .collect();
                let length: usize = headers
                    .iter()
                    .find(|(n, _)| n == "content-length")
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0);
                let mut body = data[head_end + 4..].to_vec();
                while body.len() < length {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => body.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = tx
                    .send(Received {
                        method,
                        target,
                        headers,
                        body,
                    })
                    .await;
                if status == 0 {
                    // Never answer; hold the connection open.
                    tokio::time::sleep(Duration::from_secs(30)).await;
                    return;
                }
                let answer = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                );
                let _ = stream.write_all(answer.as_bytes()).await;
                let _ = stream.shutdown().await;
            });
        }
    });
    Receiver {
        url: format!("http://{addr}{path}"),
        rx,
    }
}

async fn register(emu: &Emu, client_id: &str, url: &str, secret: &str) -> Response {
    emu.post_json(
        "/_emulator/webhooks",
        json!({ "client_id": client_id, "url": url, "secret": secret, "events": [PING_EVENT] }),
    )
    .await
}

/// Checks the Webhooks API signature of a delivery independently; returns whether the
/// `Signature` is right for `secret` (the other parts are asserted).
fn signature_ok(got: &Received, secret: &str) -> bool {
    let date = got.header("x-ms-date").expect("x-ms-date");
    // RFC 7231 IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
    assert_eq!(date.len(), 29, "IMF-fixdate: {date}");
    assert!(
        date.ends_with(" GMT") && date.as_bytes()[3] == b',',
        "{date}"
    );
    let hash = got.header("x-ms-content-sha256").expect("content hash");
    assert_eq!(hash, Base64::encode_string(&Sha256::digest(&got.body)));
    let host = got.header("host").expect("host");
    let auth = got.header("authorization").expect("authorization");
    let signature = auth
        .strip_prefix("HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=")
        .unwrap_or_else(|| panic!("Authorization shape: {auth}"));
    let to_sign = format!("POST\n{}\n{date};{host};{hash}", got.target);
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("hmac key");
    mac.update(to_sign.as_bytes());
    Base64::encode_string(&mac.finalize().into_bytes()) == signature
}

// ---------------------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn start_answers_an_auth_req_id_with_expiry_and_interval() {
    let emu = Emu::shipped().await;
    let answer = start_ok(&emu, "demo-client", &start_form(OLA_PHONE)).await;
    assert!(
        is_uuid(answer["auth_req_id"].as_str().expect("id")),
        "{answer}"
    );
    assert_eq!(answer["expires_in"], 600);
    assert_eq!(answer["interval"], 5);

    let mut form = start_form(OLA_PHONE);
    form.push(p("requested_expiry", "120"));
    form.push(p("binding_message", "AB-12345"));
    form.push(p("state", "s"));
    form.push(p("nonce", "n"));
    let answer = start_ok(&emu, "demo-client", &form).await;
    assert_eq!(answer["expires_in"], 120);

    // The older format: eight digits, Norwegian.
    let form = vec![
        p("scope", "openid"),
        p("login_hint", "urn:mobilenumber:98765432"),
    ];
    let id = start_id(&emu, "demo-client", &form).await;
    let listed = ciba_list(&emu).await;
    let kari = listed.iter().find(|r| r["auth_req_id"] == id.as_str());
    assert_eq!(kari.expect("listed")["phone"], "4798765432");

    // client_secret_post units authenticate their way.
    start_ok(&emu, "post-client", &start_form(OLA_PHONE)).await;
}

#[tokio::test]
async fn the_interval_follows_the_config() {
    let toml = TEST_TOML.replace(
        "id_token_ttl_secs = 1800",
        "id_token_ttl_secs = 1800\nciba_interval_secs = 2",
    );
    let emu = Emu::with_toml(&toml).await;
    let answer = start_ok(&emu, "plain-post", &start_form("4799999999")).await;
    assert_eq!(answer["interval"], 2);
}

#[tokio::test]
async fn start_refuses_what_vipps_refuses() {
    let emu = Emu::shipped().await;
    let unit = emu.unit("demo-client");
    let with = |extra: &[(&str, &str)]| {
        let mut form = start_form(OLA_PHONE);
        for (k, v) in extra {
            set(&mut form, k, v);
        }
        form
    };

    // invalid_user: no such number, and the users under 15.
    for phone in ["4700000000", "4711111111", "4791234567"] {
        let resp = ciba_post(&emu, &unit.auth(), &start_form(phone)).await;
        let e = expect_oauth_error(resp, 400, "invalid_user").await;
        assert!(e["error_description"].as_str().is_some(), "{e}");
    }

    let invalid_request: Vec<Vec<(String, String)>> = vec![
        with(&[("binding_message", "ab-12")]),
        with(&[("binding_message", "AB12")]),
        with(&[("binding_message", "ABCDE-123")]),
        with(&[("binding_message", "AB 12")]),
        with(&[("binding_message", "")]),
        with(&[("requested_expiry", "59")]),
        with(&[("requested_expiry", "901")]),
        with(&[("requested_expiry", "abc")]),
        with(&[("requested_expiry", "+120")]),
        with(&[("requested_expiry", "120.5")]),
        with(&[("login_hint", "urn:msisdn:+4712345678")]),
        with(&[("login_hint", "urn:msisdn:1234567")]),
        with(&[("login_hint", "urn:msisdn:1234567890123456")]),
        with(&[("login_hint", "urn:mobilenumber:4712345678")]),
        with(&[("login_hint", "4712345678")]),
        with(&[("login_hint", "")]),
        with(&[("requested_flow", "login_to_webpage")]),
        with(&[
            ("requested_flow", "login_to_webpage"),
            ("redirect_uri", "http://127.0.0.1:8787/not-registered"),
        ]),
        with(&[
            ("requested_flow", "login_to_webpage"),
            ("redirect_uri", "http://127.0.0.1:8787/phone-callback/"),
        ]),
        with(&[("requested_flow", "app_to_app")]),
        with(&[("state", "s".repeat(1000).as_str())]),
    ];
    for form in &invalid_request {
        let resp = ciba_post(&emu, &unit.auth(), form).await;
        expect_oauth_error(resp, 400, "invalid_request").await;
    }
    let mut no_hint = start_form(OLA_PHONE);
    remove(&mut no_hint, "login_hint");
    let resp = ciba_post(&emu, &unit.auth(), &no_hint).await;
    expect_oauth_error(resp, 400, "invalid_request").await;

    // The boundaries are accepted.
    for ok in [
        with(&[("requested_expiry", "60")]),
        with(&[("requested_expiry", "900")]),
        with(&[("binding_message", "ABCDE")]),
        with(&[("binding_message", "1234-678")]),
    ] {
        start_ok(&emu, "demo-client", &ok).await;
    }

    // Scopes as at authorize.
    for scope in ["name", "openid bogus", "", "openid gender"] {
        let resp = ciba_post(&emu, &unit.auth(), &with(&[("scope", scope)])).await;
        expect_oauth_error(resp, 400, "invalid_scope").await;
    }

    // Client authentication as at the token endpoint.
    let resp = ciba_post(&emu, &unit.wrong_auth(), &start_form(OLA_PHONE)).await;
    expect_oauth_error(resp, 401, "invalid_client").await;
    let wrong = Auth::Basic("demo-client".into(), "wrong".into());
    let resp = ciba_post(&emu, &wrong, &start_form(OLA_PHONE)).await;
    expect_oauth_error(resp, 401, "invalid_client").await;
    let resp = ciba_post(&emu, &Auth::None, &start_form(OLA_PHONE)).await;
    expect_oauth_error(resp, 401, "invalid_client").await;

    // Nothing refused was kept.
    assert_eq!(ciba_list(&emu).await.len(), 4, "only the four accepted");
}

#[tokio::test]
async fn under_15_is_judged_on_the_emulator_clock() {
    let emu = Emu::shipped().await;
    let lise = emu.user("lise");
    assert_eq!(lise["phone_number"].as_str(), Some("4711111111"));
    let resp = ciba_post(
        &emu,
        &emu.unit("demo-client").auth(),
        &start_form("4711111111"),
    )
    .await;
    expect_oauth_error(resp, 400, "invalid_user").await;

    // Born 2019-05-17: 15 on 2034-05-17.
    let birthday = unix_of(2034, 5, 17);
    emu.advance_clock((birthday - now() + 3600) as u64).await;
    start_ok(&emu, "demo-client", &start_form("4711111111")).await;
}

// ---------------------------------------------------------------------------------------
// Polling
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn polling_pending_slow_down_then_tokens_once() {
    let emu = Emu::shipped().await;
    let mut form = start_form(OLA_PHONE);
    form.push(p("nonce", "my-nonce"));
    let id = start_id(&emu, "demo-client", &form).await;

    let e = expect_oauth_error(
        poll(&emu, "demo-client", &id).await,
        400,
        "authorization_pending",
    )
    .await;
    assert!(e["error_description"].is_string());
    // Sooner than the interval: slow_down, and the interval grows to 10 s.
    expect_oauth_error(poll(&emu, "demo-client", &id).await, 400, "slow_down").await;
    emu.advance_clock(5).await;
    // 5 s after the previous poll is now too soon (15 s from here).
    expect_oauth_error(poll(&emu, "demo-client", &id).await, 400, "slow_down").await;
    emu.advance_clock(15).await;
    expect_oauth_error(
        poll(&emu, "demo-client", &id).await,
        400,
        "authorization_pending",
    )
    .await;
    assert_eq!(status_of(&emu, &id).await, "pending");

    let decided = decide(&emu, &id, "approve").await;
    assert_eq!(decided["auth_req_id"], id.as_str());
    assert_eq!(decided["pinged"], json!([]));
    assert!(decided.get("redirect_to").is_none(), "{decided}");
    assert_eq!(status_of(&emu, &id).await, "approved");

    emu.advance_clock(15).await;
    let tokens = tokens_ok(poll(&emu, "demo-client", &id).await).await;
    assert_eq!(tokens.json["token_type"], "Bearer");
    assert_eq!(tokens.json["expires_in"], 3599);
    assert_eq!(tokens.json["scope"], "openid name");
    let jwks = emu.jwks().await;
    let jwt = tokens.jwt();
    verify_by_kid(&jwks, &jwt).expect("RS256 id_token verifies");
    assert_eq!(jwt.claims["aud"], json!(["demo-client"]));
    assert_eq!(jwt.claims["iss"], emu.issuer.as_str());
    assert_eq!(jwt.claims["nonce"], "my-nonce");
    assert_eq!(
        jwt.claims["at_hash"],
        at_hash(&tokens.access_token).as_str()
    );
    assert!(jwt.claims.get("msn").is_none());
    assert_eq!(
        jwt.claims["sub"],
        browser_sub(&emu, "ola", "demo-client").await,
        "the pairwise sub of the browser flow"
    );
    let info = emu.userinfo_ok(&tokens.access_token).await;
    assert_eq!(info["sub"], jwt.claims["sub"]);
    assert_eq!(info["name"], "Ola Nordmann");
    assert!(info.get("email").is_none(), "only the scopes asked: {info}");

    // Single use.
    emu.advance_clock(30).await;
    expect_oauth_error(poll(&emu, "demo-client", &id).await, 400, "invalid_grant").await;
    assert_eq!(status_of(&emu, &id).await, "redeemed");
}

#[tokio::test]
async fn nonce_is_empty_when_none_was_sent_and_partners_get_msn() {
    let emu = Emu::shipped().await;
    let id = start_id(&emu, "partner-client", &start_form("4798765432")).await;
    decide(&emu, &id, "approve").await;
    let tokens = tokens_ok(poll(&emu, "partner-client", &id).await).await;
    let jwt = tokens.jwt();
    assert_eq!(jwt.claims["nonce"], "");
    assert_eq!(jwt.claims["msn"], "123456");
}

#[tokio::test]
async fn expiry_denial_and_unknown_ids() {
    let emu = Emu::shipped().await;
    let mut form = start_form(OLA_PHONE);
    form.push(p("requested_expiry", "60"));
    let id = start_id(&emu, "demo-client", &form).await;
    emu.advance_clock(61).await;
    expect_oauth_error(poll(&emu, "demo-client", &id).await, 400, "expired_token").await;
    assert_eq!(status_of(&emu, &id).await, "expired");
    let resp = emu
        .post_json(
            "/_emulator/ciba/decision",
            json!({"auth_req_id": id, "decision": "approve"}),
        )
        .await;
    expect_oauth_error(resp, 409, "not_pending").await;

    let id = start_id(&emu, "demo-client", &start_form(OLA_PHONE)).await;
    decide(&emu, &id, "deny").await;
    for _ in 0..2 {
        expect_oauth_error(poll(&emu, "demo-client", &id).await, 400, "access_denied").await;
    }
    assert_eq!(status_of(&emu, &id).await, "denied");

    // Another unit's id, an unknown one, none.
    let id = start_id(&emu, "demo-client", &start_form(OLA_PHONE)).await;
    expect_oauth_error(poll(&emu, "other-client", &id).await, 400, "invalid_grant").await;
    expect_oauth_error(
        poll(&emu, "demo-client", "no-such-id").await,
        400,
        "invalid_grant",
    )
    .await;
    let resp = emu
        .token_request(
            &emu.unit("demo-client").auth(),
            &[p("grant_type", CIBA_GRANT)],
        )
        .await;
    expect_oauth_error(resp, 400, "invalid_request").await;
    // Client authentication is required as always.
    let resp = emu
        .token_request(
            &Auth::None,
            &[p("grant_type", CIBA_GRANT), p("auth_req_id", &id)],
        )
        .await;
    expect_oauth_error(resp, 401, "invalid_client").await;
}

// ---------------------------------------------------------------------------------------
// The control endpoints
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn control_lists_requests_and_refuses_bad_decisions() {
    let emu = Emu::shipped().await;
    let mut form = start_form(OLA_PHONE);
    form.push(p("binding_message", "SHOP-1"));
    let id = start_id(&emu, "demo-client", &form).await;
    let listed = ciba_list(&emu).await;
    assert_eq!(
        listed,
        vec![json!({
            "auth_req_id": id,
            "client_id": "demo-client",
            "phone": OLA_PHONE,
            "binding_message": "SHOP-1",
            "flow": "poll",
            "status": "pending",
        })]
    );

    let post = |body: Value| emu.post_json("/_emulator/ciba/decision", body);
    expect_oauth_error(
        post(json!({"auth_req_id": "nope", "decision": "approve"})).await,
        404,
        "unknown_auth_req_id",
    )
    .await;
    expect_oauth_error(
        post(json!({"auth_req_id": id, "decision": "maybe"})).await,
        400,
        "invalid_request",
    )
    .await;
    expect_oauth_error(
        post(json!({"auth_req_id": id, "decision": "approve", "user": "nobody"})).await,
        400,
        "invalid_request",
    )
    .await;
    expect_oauth_error(
        post(json!({"auth_req_id": id, "decision": "approve", "user": "emil"})).await,
        400,
        "invalid_request",
    )
    .await;
    expect_oauth_error(
        post(json!({"decision": "approve"})).await,
        400,
        "invalid_request",
    )
    .await;

    // Approving as another test user: the tokens are that user's.
    let answer = post(json!({"auth_req_id": id, "decision": "approve", "user": "kari"})).await;
    assert_eq!(answer.status(), StatusCode::OK);
    expect_oauth_error(
        post(json!({"auth_req_id": id, "decision": "deny"})).await,
        409,
        "not_pending",
    )
    .await;
    let tokens = tokens_ok(poll(&emu, "demo-client", &id).await).await;
    assert_eq!(
        emu.userinfo_ok(&tokens.access_token).await["name"],
        "Kari Nordmann"
    );

    // reset forgets every request.
    emu.reset().await;
    assert!(ciba_list(&emu).await.is_empty());
}

// ---------------------------------------------------------------------------------------
// The redirect variant (requested_flow=login_to_webpage)
// ---------------------------------------------------------------------------------------

const PHONE_CALLBACK: &str = "http://127.0.0.1:8787/phone-callback";

fn webpage_form(state: &str) -> Vec<(String, String)> {
    let mut form = start_form(OLA_PHONE);
    form.push(p("requested_flow", "login_to_webpage"));
    form.push(p("redirect_uri", PHONE_CALLBACK));
    form.push(p("state", state));
    form.push(p("nonce", "ignored-nonce"));
    form
}

/// Start and approve a webpage request; the code from `redirect_to`.
async fn webpage_code(emu: &Emu, state: &str) -> (String, String) {
    let id = start_id(emu, "demo-client", &webpage_form(state)).await;
    let decided = decide(emu, &id, "approve").await;
    let to = decided["redirect_to"].as_str().expect("redirect_to");
    let (base, query) = split_location(to);
    assert_eq!(base, PHONE_CALLBACK);
    assert_eq!(get_param(&query, "state"), Some(state));
    let code = get_param(&query, "code").expect("code").to_string();
    (id, code)
}

#[tokio::test]
async fn redirect_variant_es256_string_aud_no_nonce_auth_req_id_single_use() {
    let emu = Emu::shipped().await;
    let (id, code) = webpage_code(&emu, "st-123").await;
    assert_eq!(
        ciba_list(&emu).await[0]["flow"],
        "login_to_webpage",
        "listed as the webpage flow"
    );
    // Polling does not give this request's tokens.
    expect_oauth_error(poll(&emu, "demo-client", &id).await, 400, "invalid_grant").await;
    // Another unit cannot redeem the code (and spends it).
    let (_, other_code) = webpage_code(&emu, "st-456").await;
    expect_oauth_error(
        redeem(&emu, "other-client", &other_code).await,
        400,
        "invalid_grant",
    )
    .await;

    let tokens = tokens_ok(redeem(&emu, "demo-client", &code).await).await;
    assert_eq!(tokens.json["token_type"], "Bearer");
    let jwt = tokens.jwt();
    assert_eq!(jwt.header["alg"], "ES256");
    let jwks = emu.jwks().await;
    let key = ec_key(&jwks);
    assert_eq!(key["crv"], "P-256");
    assert_eq!(key["alg"], "ES256");
    assert_eq!(jwt.header["kid"], key["kid"]);
    verify_es256(&key, &jwt).expect("ES256 signature verifies with the JWKS EC key");
    assert!(verify_by_kid(&jwks, &jwt).is_err(), "not an RS256 token");
    assert_eq!(jwt.claims["aud"], "demo-client", "aud is a string");
    assert!(
        jwt.claims.get("nonce").is_none(),
        "no nonce: {}",
        jwt.claims
    );
    assert_eq!(jwt.claims["authReqId"], id.as_str());
    assert!(jwt.claims.get("auth_req_id").is_none());
    assert_eq!(jwt.claims["iss"], emu.issuer.as_str());
    assert_eq!(
        jwt.claims["sub"],
        browser_sub(&emu, "ola", "demo-client").await
    );
    let info = emu.userinfo_ok(&tokens.access_token).await;
    assert_eq!(info["sub"], jwt.claims["sub"]);
    assert_eq!(info["name"], "Ola Nordmann");

    // Single use.
    expect_oauth_error(
        redeem(&emu, "demo-client", &code).await,
        400,
        "invalid_grant",
    )
    .await;
    assert_eq!(status_of(&emu, &id).await, "redeemed");
    // A missing code.
    let resp = emu
        .token_request(
            &emu.unit("demo-client").auth(),
            &[p("grant_type", REDIRECT_GRANT)],
        )
        .await;
    expect_oauth_error(resp, 400, "invalid_request").await;
}

#[tokio::test]
async fn redirect_code_lives_ciba_redirect_code_ttl_secs() {
    let emu = Emu::shipped().await;
    let (_, code) = webpage_code(&emu, "ttl-state").await;
    emu.advance_clock(31).await;
    expect_oauth_error(
        redeem(&emu, "demo-client", &code).await,
        400,
        "invalid_grant",
    )
    .await;

    let (_, code) = webpage_code(&emu, "ttl-state").await;
    // (28: a real second may tick between the approval and the redemption.)
    emu.advance_clock(28).await;
    tokens_ok(redeem(&emu, "demo-client", &code).await).await;
}

#[tokio::test]
async fn redirect_variant_faults_snake_case_and_wrong_auth_req_id() {
    let emu = Emu::shipped().await;
    emu.set_faults(json!({"ciba_auth_req_id_snake": true}))
        .await;
    let (id, code) = webpage_code(&emu, "fault-state").await;
    let jwt = tokens_ok(redeem(&emu, "demo-client", &code).await)
        .await
        .jwt();
    assert_eq!(jwt.claims["auth_req_id"], id.as_str());
    assert!(jwt.claims.get("authReqId").is_none());

    emu.set_faults(json!({"ciba_auth_req_id_snake": false, "ciba_wrong_auth_req_id": true}))
        .await;
    let (id, code) = webpage_code(&emu, "fault-state").await;
    let jwt = tokens_ok(redeem(&emu, "demo-client", &code).await)
        .await
        .jwt();
    let claim = jwt.claims["authReqId"].as_str().expect("authReqId");
    assert_ne!(claim, id);
    verify_es256(&ec_key(&emu.jwks().await), &jwt).expect("still signed right");
}

// ---------------------------------------------------------------------------------------
// The ping
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn ping_is_delivered_signed_on_approve_and_deny() {
    let emu = Emu::shipped().await;
    let mut hook = receiver(200, "/webhooks/vipps?unit=demo").await;
    let secret = "webhook-secret-0123456789";
    let resp = register(&emu, "demo-client", &hook.url, secret).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let registered: Value = resp.json().await.expect("JSON");
    assert!(registered["id"].is_string(), "{registered}");
    // Another unit's webhook hears nothing of demo-client.
    let mut other = receiver(200, "/other").await;
    register(&emu, "other-client", &other.url, "other-secret").await;

    let id = start_id(&emu, "demo-client", &start_form(OLA_PHONE)).await;
    let decided = decide(&emu, &id, "approve").await;
    assert_eq!(
        decided["pinged"],
        json!([{ "url": hook.url, "status": 200 }])
    );
    let got = hook.next().await;
    assert_eq!(got.method, "POST");
    assert_eq!(got.target, "/webhooks/vipps?unit=demo");
    assert_eq!(got.header("content-type"), Some("application/json"));
    let body: Value = serde_json::from_slice(&got.body).expect("JSON body");
    assert_eq!(body, json!({ "auth_req_id": id }));
    assert!(signature_ok(&got, secret), "signature verifies: {got:?}");
    assert!(!signature_ok(&got, "another-secret"));

    let id = start_id(&emu, "demo-client", &start_form(OLA_PHONE)).await;
    let decided = decide(&emu, &id, "deny").await;
    assert_eq!(decided["pinged"][0]["status"], 200);
    let got = hook.next().await;
    assert_eq!(
        serde_json::from_slice::<Value>(&got.body).expect("JSON"),
        json!({ "auth_req_id": id })
    );
    assert!(signature_ok(&got, secret));
    other.nothing_more();

    // The fault signs wrong; the rest stays right.
    emu.set_faults(json!({"ping_bad_signature": true})).await;
    let id = start_id(&emu, "demo-client", &start_form(OLA_PHONE)).await;
    decide(&emu, &id, "approve").await;
    let got = hook.next().await;
    assert!(
        !signature_ok(&got, secret),
        "ping_bad_signature signs wrong"
    );

    // reset drops the run-time webhooks.
    emu.reset().await;
    let listed = emu.get_json("/_emulator/webhooks").await;
    assert_eq!(listed, json!([]));
    let id = start_id(&emu, "demo-client", &start_form(OLA_PHONE)).await;
    assert_eq!(decide(&emu, &id, "approve").await["pinged"], json!([]));
    hook.nothing_more();
}

#[tokio::test]
async fn configured_webhooks_are_pinged_and_failures_reported() {
    let mut hook = receiver(204, "/hook").await;
    let toml = format!(
        "{TEST_TOML}\n[[webhooks]]\nclient_id = \"plain-post\"\nurl = \"{}\"\nsecret = \"cfg-secret\"\nevents = [\"{PING_EVENT}\"]\n",
        hook.url
    );
    let emu = Emu::with_toml(&toml).await;
    let listed = emu.get_json("/_emulator/webhooks").await;
    assert_eq!(listed[0]["source"], "config");
    assert!(listed[0].get("secret").is_none(), "no secrets listed");

    // A second, run-time one that nobody listens on.
    let dead = {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        format!("http://{}/gone", l.local_addr().expect("addr"))
    };
    register(&emu, "plain-post", &dead, "s").await;

    let id = start_id(&emu, "plain-post", &start_form("4799999999")).await;
    let decided = decide(&emu, &id, "approve").await;
    let pinged = decided["pinged"].as_array().expect("pinged");
    assert_eq!(pinged.len(), 2, "{decided}");
    assert_eq!(pinged[0], json!({"url": hook.url, "status": 204}));
    assert_eq!(pinged[1]["url"], dead.as_str());
    assert_eq!(pinged[1]["status"], 0);
    assert!(pinged[1]["error"].is_string(), "{decided}");
    assert!(signature_ok(&hook.next().await, "cfg-secret"));
}

#[tokio::test]
async fn a_receiver_that_never_answers_is_given_up_after_5_s() {
    let emu = Emu::shipped().await;
    let mut hook = receiver(0, "/slow").await;
    register(&emu, "demo-client", &hook.url, "s").await;
    let id = start_id(&emu, "demo-client", &start_form(OLA_PHONE)).await;
    let started = Instant::now();
    let decided = decide(&emu, &id, "approve").await;
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(4500) && took < Duration::from_secs(9),
        "{took:?}"
    );
    assert_eq!(decided["pinged"][0]["status"], 0, "{decided}");
    hook.next().await;
}

#[tokio::test]
async fn webhook_registration_is_checked() {
    let emu = Emu::shipped().await;
    let post = |body: Value| emu.post_json("/_emulator/webhooks", body);
    let good = json!({"client_id": "demo-client", "url": "http://127.0.0.1:9/x", "secret": "s", "events": [PING_EVENT]});
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    for bad in [
        with("client_id", json!("nobody")),
        with("url", json!("https://127.0.0.1/x")),
        with("url", json!("not a url")),
        with("secret", json!("")),
        with("events", json!([])),
        with("events", json!(["epayments.payment.created.v1"])),
        json!({"client_id": "demo-client"}),
        with("extra", json!(1)),
    ] {
        expect_oauth_error(post(bad).await, 400, "invalid_request").await;
    }
    assert_eq!(post(good).await.status(), StatusCode::OK);

    let bad_config = format!(
        "{TEST_TOML}\n[[webhooks]]\nclient_id = \"nobody\"\nurl = \"http://127.0.0.1:9/\"\nsecret = \"s\"\nevents = [\"{PING_EVENT}\"]\n"
    );
    let e = vipps_login_emulator::Config::from_toml_str(&bad_config).expect_err("refused");
    assert!(e.contains("webhooks[0].client_id"), "{e}");
}

// ---------------------------------------------------------------------------------------
// The phone page
// ---------------------------------------------------------------------------------------

async fn phone_html(emu: &Emu, query: &str) -> String {
    let resp = emu.get(&format!("/_emulator/phone{query}")).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    resp.text().await.expect("HTML")
}

/// The form on the phone page for `auth_req_id`, submitted with `decision`.
async fn phone_decide(emu: &Emu, html: &str, auth_req_id: &str, decision: &str) -> Response {
    let forms = parse_forms(html);
    let form = forms
        .iter()
        .find(|f| f.field("auth_req_id") == Some(auth_req_id))
        .unwrap_or_else(|| panic!("no form for {auth_req_id}:\n{html}"));
    assert_eq!(form.method, "post");
    let button = form
        .submits()
        .into_iter()
        .find(|s| matches!(s, Control::Submit { value, .. } if value == decision))
        .unwrap_or_else(|| panic!("no {decision} button"));
    let data = form.data(button, &[]);
    emu.post_form(&emu.url(&form.action), &data).await
}

#[tokio::test]
async fn phone_page_lists_requests_and_decides() {
    let emu = Emu::shipped().await;
    let html = phone_html(&emu, "").await;
    assert!(html.contains("No login requests"), "{html}");

    let mut form = start_form(OLA_PHONE);
    form.push(p("binding_message", "POS-42"));
    let id = start_id(&emu, "demo-client", &form).await;
    let kari = start_id(&emu, "other-client", &start_form("4798765432")).await;

    let html = phone_html(&emu, &format!("?phone={OLA_PHONE}")).await;
    assert!(html.contains("Demo shop"), "{html}");
    assert!(html.contains("POS-42"), "{html}");
    assert!(html.contains(&id));
    assert!(
        !html.contains(&kari),
        "another number's request is not shown"
    );
    assert!(phone_html(&emu, "").await.contains(&kari), "every number");

    let resp = phone_decide(&emu, &html, &id, "approve").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&resp).as_deref(),
        Some(format!("/_emulator/phone?phone={OLA_PHONE}").as_str())
    );
    let tokens = tokens_ok(poll(&emu, "demo-client", &id).await).await;
    assert_eq!(tokens.json["token_type"], "Bearer");
    assert!(
        !phone_html(&emu, "").await.contains(&id),
        "no longer pending"
    );

    let html = phone_html(&emu, "?phone=4798765432").await;
    let resp = phone_decide(&emu, &html, &kari, "deny").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    expect_oauth_error(
        poll(&emu, "other-client", &kari).await,
        400,
        "access_denied",
    )
    .await;

    // Deciding again is an error page; a bad number too.
    let resp = phone_decide(&emu, &html, &kari, "approve").await;
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let resp = emu.get("/_emulator/phone?phone=47abc").await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    // A leading + is fine.
    let html = phone_html(&emu, "?phone=%2B4712345678").await;
    assert!(html.contains("No login requests"), "{html}");
}

#[tokio::test]
async fn phone_approval_of_the_webpage_variant_goes_to_the_redirect_uri() {
    let emu = Emu::shipped().await;
    let id = start_id(&emu, "demo-client", &webpage_form("phone-state")).await;
    let html = phone_html(&emu, &format!("?phone={OLA_PHONE}")).await;
    let resp = phone_decide(&emu, &html, &id, "approve").await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let to = location(&resp).expect("Location");
    let (base, query) = split_location(&to);
    assert_eq!(base, PHONE_CALLBACK);
    assert_eq!(get_param(&query, "state"), Some("phone-state"));
    let code = get_param(&query, "code").expect("code");
    let jwt = tokens_ok(redeem(&emu, "demo-client", code).await)
        .await
        .jwt();
    assert_eq!(jwt.claims["authReqId"], id.as_str());
}

// ---------------------------------------------------------------------------------------
// Faults of the start and the poll
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn rate_limited_answers_429_with_retry_after() {
    let emu = Emu::shipped().await;
    let id = start_id(&emu, "demo-client", &start_form(OLA_PHONE)).await;
    emu.set_faults(json!({"ciba_rate_limited": true})).await;

    let resp = ciba_post(
        &emu,
        &emu.unit("demo-client").auth(),
        &start_form(OLA_PHONE),
    )
    .await;
    assert_eq!(resp.headers()[RETRY_AFTER], "2");
    expect_oauth_error(resp, 429, "too_many_requests").await;

    let resp = poll(&emu, "demo-client", &id).await;
    assert_eq!(resp.headers()[RETRY_AFTER], "2");
    expect_oauth_error(resp, 429, "too_many_requests").await;

    emu.set_faults(json!({"ciba_rate_limited": false})).await;
    expect_oauth_error(
        poll(&emu, "demo-client", &id).await,
        400,
        "authorization_pending",
    )
    .await;
}

#[tokio::test]
async fn old_app_fault() {
    let emu = Emu::shipped().await;
    emu.set_faults(json!({"ciba_old_app": true})).await;
    let resp = ciba_post(
        &emu,
        &emu.unit("demo-client").auth(),
        &start_form(OLA_PHONE),
    )
    .await;
    expect_oauth_error(resp, 400, "old_app").await;
    // An unknown number is still invalid_user.
    let resp = ciba_post(
        &emu,
        &emu.unit("demo-client").auth(),
        &start_form("4700000000"),
    )
    .await;
    expect_oauth_error(resp, 400, "invalid_user").await;
    assert!(ciba_list(&emu).await.is_empty());
}
