//! `GET /vipps-userinfo-api/userinfo`: claims by the consented scopes.

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::config::{Address, User};
use crate::http::{json, no_store, padded_json, HUGE_PADDING_BYTES};
use crate::state::Shared;
use crate::sub;

pub async fn userinfo(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let faults = app.faults();
    if faults.userinfo_delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.userinfo_delay_ms)).await;
    }
    if faults.userinfo_not_json {
        let mut response = (StatusCode::OK, "<html>not json</html>").into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
        return response;
    }
    let Some(token) = bearer(&headers) else {
        return invalid_token();
    };
    let now = app.clock.now();
    let grant = {
        let store = app.store();
        match store.tokens.get(token) {
            Some(g) if now < g.expires_at => (
                g.client_id.clone(),
                g.user_id.clone(),
                g.scopes.clone(),
                g.sid.clone(),
            ),
            _ => return invalid_token(),
        }
    };
    let (client_id, user_id, scopes, sid) = grant;
    let Some(user) = app.config.user(&user_id) else {
        return invalid_token();
    };
    let secret = &app.config.settings.sub_secret;
    let sub = if faults.userinfo_sub_mismatch {
        sub::mismatching(secret, &client_id, &user_id)
    } else {
        sub::pairwise(secret, &client_id, &user_id)
    };
    let mut claims = claims(user, &scopes, &sub, &sid);
    if faults.userinfo_missing_sub {
        claims.remove("sub");
    }
    no_store(if faults.userinfo_huge {
        padded_json(StatusCode::OK, claims, HUGE_PADDING_BYTES)
    } else {
        json(StatusCode::OK, &Value::Object(claims))
    })
}

fn claims(user: &User, scopes: &[String], sub: &str, sid: &str) -> Map<String, Value> {
    let mut c = Map::new();
    c.insert("sub".into(), json!(sub));
    c.insert("sid".into(), json!(sid));
    for scope in scopes {
        match scope.as_str() {
            "name" => {
                c.insert("name".into(), json!(user.name));
                c.insert("given_name".into(), json!(user.given_name));
                c.insert("family_name".into(), json!(user.family_name));
            }
            "email" => {
                c.insert("email".into(), json!(user.email));
                c.insert("email_verified".into(), json!(true));
            }
            "phoneNumber" => {
                c.insert("phone_number".into(), json!(user.phone_number));
                c.insert("phone_number_verified".into(), json!(true));
            }
            "birthDate" => {
                c.insert("birthdate".into(), json!(user.birthdate));
            }
            "address" => {
                let address = user
                    .address
                    .as_ref()
                    .map_or_else(empty_address, address_json);
                let others: Vec<Value> = user.other_addresses.iter().map(address_json).collect();
                c.insert("address".into(), address);
                c.insert("other_addresses".into(), Value::Array(others));
            }
            "nin" => {
                c.insert("nin".into(), json!(user.nin));
            }
            _ => {}
        }
    }
    c
}

fn address_json(a: &Address) -> Value {
    let formatted = format!(
        "{}\n{}\n{}\n{}",
        a.street_address, a.postal_code, a.region, a.country
    );
    json!({
        "street_address": a.street_address,
        "postal_code": a.postal_code,
        "region": a.region,
        "country": a.country,
        "formatted": formatted,
        "address_type": a.address_type,
    })
}

/// What Vipps answers for a user without an address.
fn empty_address() -> Value {
    json!({
        "street_address": "",
        "postal_code": "",
        "region": "",
        "country": "",
        "formatted": "",
        "address_type": "",
    })
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn invalid_token() -> Response {
    let mut response = json(
        StatusCode::UNAUTHORIZED,
        &json!({ "error": "invalid_token" }),
    );
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    response
}
