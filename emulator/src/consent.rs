//! `POST /_emulator/consent-revoked` `{client_id, user, url?}`: sends Vipps'
//! consent-revoked webhook as Vipps does, `text/plain` holding an unsigned JWT
//! (`{"alg":"none"}`, an empty signature segment) whose payload is
//! `{sub, event: "CONSENT_REVOKED", iat, nbf, exp}`, to `url` or the sales unit's
//! `consent_revoked_url`. Answers the receiver's status and the JWT sent.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use base64ct::{Base64UrlUnpadded, Encoding};
use serde::Deserialize;
use serde_json::json;

use crate::deliver;
use crate::http::{json, oauth_error};
use crate::state::Shared;
use crate::sub;

/// How long the JWT is valid (`exp - iat`).
const VALID_SECS: i64 = 3600;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Revoke {
    client_id: String,
    user: String,
    #[serde(default)]
    url: Option<String>,
}

fn bad_request(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description)
}

/// The webhook's body for this pairwise `sub` at `now`.
pub fn unsigned_jwt(sub: &str, now: i64) -> String {
    let header = Base64UrlUnpadded::encode_string(br#"{"alg":"none"}"#);
    let payload = json!({
        "sub": sub,
        "event": "CONSENT_REVOKED",
        "iat": now,
        "nbf": now,
        "exp": now.saturating_add(VALID_SECS),
    });
    let payload = Base64UrlUnpadded::encode_string(payload.to_string().as_bytes());
    format!("{header}.{payload}.")
}

pub async fn send(State(app): State<Shared>, body: Bytes) -> Response {
    let request: Revoke = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return bad_request(&format!(
                "The body is not valid: {e}. Expected {{\"client_id\", \"user\", \"url\"?}}."
            ))
        }
    };
    let Some(unit) = app.config.sales_unit_by_client_id(&request.client_id) else {
        return bad_request(&format!("There is no sales unit {:?}.", request.client_id));
    };
    if app.config.user(&request.user).is_none() {
        return bad_request(&format!("There is no test user {:?}.", request.user));
    }
    let Some(url) = request.url.or_else(|| unit.consent_revoked_url.clone()) else {
        return bad_request("No url was given and the sales unit has no consent_revoked_url.");
    };
    let sub = sub::pairwise(
        &app.config.settings.sub_secret,
        &unit.client_id,
        &request.user,
    );
    let jwt = unsigned_jwt(&sub, app.clock.now());
    match deliver::post(&url, "text/plain", &[], jwt.clone().into_bytes()).await {
        Ok(status) => json(StatusCode::OK, &json!({ "status": status, "jwt": jwt })),
        Err(why) => json(
            StatusCode::BAD_GATEWAY,
            &json!({ "error": "delivery_failed", "error_description": why, "jwt": jwt }),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unsigned_jwt_with_an_empty_third_segment() {
        let jwt = unsigned_jwt("sub-1", 1000);
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[2], "");
        let header = Base64UrlUnpadded::decode_vec(parts[0]).unwrap();
        assert_eq!(header, br#"{"alg":"none"}"#);
        let payload: serde_json::Value =
            serde_json::from_slice(&Base64UrlUnpadded::decode_vec(parts[1]).unwrap()).unwrap();
        assert_eq!(payload["event"], "CONSENT_REVOKED");
        assert_eq!(payload["exp"], 1000 + VALID_SECS);
    }
}
