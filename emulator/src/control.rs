//! `/_emulator/...`: test-only control endpoints.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::faults::FaultsPatch;
use crate::http::{json, oauth_error};
use crate::keys::SigningKey;
use crate::state::Shared;

fn bad_request(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

/// A JSON body (any content type); an empty body is `{}`.
fn parse_body<T: DeserializeOwned>(body: &Bytes, expected: &str) -> Result<T, String> {
    let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        body
    };
    serde_json::from_slice(text)
        .map_err(|e| format!("The body is not valid: {e}. Expected {expected}."))
}

pub async fn health(State(app): State<Shared>) -> Response {
    json(
        StatusCode::OK,
        &json!({
            "ok": true,
            "issuer": app.issuer,
            "now": app.clock.now(),
            "clock_offset_secs": app.clock.offset(),
        }),
    )
}

pub async fn reset(State(app): State<Shared>) -> Response {
    app.store().reset();
    app.clock.reset();
    json(StatusCode::OK, &json!({ "ok": true }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AutoApprove {
    user: Option<String>,
}

pub async fn auto_approve(State(app): State<Shared>, body: Bytes) -> Response {
    let request: AutoApprove = match parse_body(&body, r#"{"user": "<id>"} or {"user": null}"#) {
        Ok(r) => r,
        Err(e) => return bad_request(&e),
    };
    if let Some(user) = &request.user {
        if app.config.user(user).is_none() {
            return bad_request(&format!("There is no test user {user:?}."));
        }
    }
    app.store().auto_approve = request.user.clone();
    json(StatusCode::OK, &json!({ "ok": true, "user": request.user }))
}

pub async fn get_faults(State(app): State<Shared>) -> Response {
    json(StatusCode::OK, &json!(app.faults()))
}

pub async fn set_faults(State(app): State<Shared>, body: Bytes) -> Response {
    let patch: FaultsPatch = match parse_body(&body, "a JSON object of fault fields") {
        Ok(p) => p,
        Err(e) => return bad_request(&e),
    };
    let faults = {
        let mut store = app.store();
        if let Err(e) = store.faults.apply(patch) {
            return bad_request(&e);
        }
        store.faults.clone()
    };
    json(StatusCode::OK, &json!(faults))
}

pub async fn rotate_key(State(app): State<Shared>) -> Response {
    let generated = tokio::task::spawn_blocking(SigningKey::generate).await;
    let key = match generated {
        Ok(Ok(key)) => key,
        Ok(Err(e)) => return oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &e),
        Err(e) => {
            return oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                &format!("key generation failed: {e}"),
            )
        }
    };
    let kid = key.kid.clone();
    app.keys().rotate(key);
    json(StatusCode::OK, &json!({ "ok": true, "kid": kid }))
}

pub async fn users(State(app): State<Shared>) -> Response {
    let users: Vec<Value> = app
        .config
        .users
        .iter()
        .map(|u| {
            json!({
                "id": u.id,
                "name": u.name,
                "phone_number": u.phone_number,
                "birthdate": u.birthdate,
            })
        })
        .collect();
    json(StatusCode::OK, &json!({ "users": users }))
}

/// How many of each `GET /_emulator/issued` lists at most (the newest are not chosen:
/// the maps are unordered; tests run few logins per emulator).
const MAX_ISSUED_LISTED: usize = 1000;

/// `GET /_emulator/issued`: the access tokens and the authorization codes the emulator
/// holds (until they expire; redeemed codes too, so that a second redemption fails), for
/// tests that check that none of them leaks (SECURITY.md). Test only.
pub async fn issued(State(app): State<Shared>) -> Response {
    let store = app.store();
    let access_tokens: Vec<&String> = store.tokens.keys().take(MAX_ISSUED_LISTED).collect();
    let codes: Vec<&String> = store.codes.keys().take(MAX_ISSUED_LISTED).collect();
    json(
        StatusCode::OK,
        &json!({ "access_tokens": access_tokens, "codes": codes }),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    advance_secs: u64,
}

pub async fn clock(State(app): State<Shared>, body: Bytes) -> Response {
    let request: Advance = match parse_body(&body, r#"{"advance_secs": N} with N >= 0"#) {
        Ok(r) => r,
        Err(e) => return bad_request(&e),
    };
    let offset = app.clock.advance(request.advance_secs);
    json(
        StatusCode::OK,
        &json!({ "ok": true, "offset_secs": offset, "now": app.clock.now() }),
    )
}
