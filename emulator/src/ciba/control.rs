//! Test-only control endpoints for CIBA: decide as the phone would, list the requests,
//! register webhooks at run time.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::decide::decide;
use super::{Registered, MAX_WEBHOOKS};
use crate::http::{json, oauth_error};
use crate::random;
use crate::state::Shared;
use crate::webhooks::Webhook;

fn bad_request(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

/// A JSON body (any content type).
fn parse_body<T: DeserializeOwned>(body: &Bytes, expected: &str) -> Result<T, String> {
    serde_json::from_slice(body)
        .map_err(|e| format!("The body is not valid: {e}. Expected {expected}."))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    auth_req_id: String,
    decision: String,
    #[serde(default)]
    user: Option<String>,
}

/// `POST /_emulator/ciba/decision` `{auth_req_id, decision: "approve"|"deny", user?}`.
pub async fn decision(State(app): State<Shared>, body: Bytes) -> Response {
    let request: DecisionBody = match parse_body(
        &body,
        r#"{"auth_req_id": "..", "decision": "approve"|"deny", "user"?: "<id>"}"#,
    ) {
        Ok(r) => r,
        Err(e) => return bad_request(&e),
    };
    let approve = match request.decision.as_str() {
        "approve" => true,
        "deny" => false,
        other => {
            return bad_request(&format!(
                "The decision must be \"approve\" or \"deny\", not {other:?}."
            ))
        }
    };
    match decide(&app, &request.auth_req_id, approve, request.user.as_deref()).await {
        Err(refused) => oauth_error(refused.status(), refused.error(), &refused.description()),
        Ok(outcome) => {
            let mut answer = Map::new();
            answer.insert("auth_req_id".into(), json!(outcome.auth_req_id));
            if let Some(to) = outcome.redirect_to {
                answer.insert("redirect_to".into(), json!(to));
            }
            answer.insert("pinged".into(), json!(outcome.pinged));
            json(StatusCode::OK, &Value::Object(answer))
        }
    }
}

/// `GET /_emulator/ciba`: every request held, oldest first.
pub async fn list(State(app): State<Shared>) -> Response {
    let now = app.clock.now();
    let mut requests: Vec<(i64, Value)> = app
        .store()
        .ciba
        .requests
        .values()
        .map(|r| {
            (
                r.requested_at,
                json!({
                    "auth_req_id": r.auth_req_id,
                    "client_id": r.client_id,
                    "phone": r.phone,
                    "binding_message": r.binding_message,
                    "flow": r.flow(),
                    "status": r.status_name(now),
                }),
            )
        })
        .collect();
    requests.sort_by_key(|(at, _)| *at);
    let list: Vec<Value> = requests.into_iter().map(|(_, v)| v).collect();
    json(StatusCode::OK, &Value::Array(list))
}

/// `POST /_emulator/webhooks` `{client_id, url, secret, events}` → `{id}`.
pub async fn register_webhook(State(app): State<Shared>, body: Bytes) -> Response {
    let hook: Webhook = match parse_body(
        &body,
        r#"{"client_id": "..", "url": "http://..", "secret": "..", "events": ["login.merchant-initiated.ping.v1"]}"#,
    ) {
        Ok(h) => h,
        Err(e) => return bad_request(&e),
    };
    if let Err(e) = hook.check(&app.config) {
        return bad_request(&e);
    }
    let id = random::uuid();
    {
        let mut store = app.store();
        if store.ciba.webhooks.len() >= MAX_WEBHOOKS {
            return bad_request(&format!(
                "There are already {MAX_WEBHOOKS} webhooks registered; POST /_emulator/reset clears them."
            ));
        }
        store.ciba.webhooks.push(Registered {
            id: id.clone(),
            hook,
        });
    }
    json(StatusCode::OK, &json!({ "id": id }))
}

/// `GET /_emulator/webhooks`: the configured and the run-time registrations (no secrets).
pub async fn list_webhooks(State(app): State<Shared>) -> Response {
    let describe = |id: Option<&str>, hook: &Webhook| {
        json!({
            "id": id,
            "client_id": hook.client_id,
            "url": hook.url,
            "events": hook.events,
            "source": if id.is_some() { "runtime" } else { "config" },
        })
    };
    let mut list: Vec<Value> = app
        .config
        .webhooks
        .iter()
        .map(|h| describe(None, h))
        .collect();
    list.extend(
        app.store()
            .ciba
            .webhooks
            .iter()
            .map(|r| describe(Some(&r.id), &r.hook)),
    );
    json(StatusCode::OK, &Value::Array(list))
}
