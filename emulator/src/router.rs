//! The routes.

use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::json;

use crate::state::Shared;
use crate::{authorize, consent, control, discovery, landing, log, partner, token, userinfo};

const ISSUER_PATH: &str = "/access-management-1.0/access";

pub fn router(app: Shared) -> Router {
    let at = |rest: &str| format!("{ISSUER_PATH}/{rest}");
    Router::new()
        .route(
            &at(".well-known/openid-configuration"),
            get(discovery::openid_configuration),
        )
        .route(&at(".well-known/jwks.json"), get(discovery::jwks))
        .route(&at("oauth2/auth"), get(authorize::authorize))
        .route(&at("oauth2/auth/decision"), post(landing::decision))
        .route(&at("oauth2/token"), post(token::token))
        .route(discovery::USERINFO_PATH, get(userinfo::userinfo))
        .route(
            "/vipps-login-ciba/api/backchannel/authentication",
            post(crate::ciba::start::start),
        )
        .route("/accesstoken/get", post(partner::access_token))
        .route("/_emulator/consent-revoked", post(consent::send))
        .route("/_emulator/health", get(control::health))
        .route("/_emulator/reset", post(control::reset))
        .route("/_emulator/auto-approve", post(control::auto_approve))
        .route(
            "/_emulator/faults",
            get(control::get_faults).post(control::set_faults),
        )
        .route("/_emulator/rotate-key", post(control::rotate_key))
        .route("/_emulator/users", get(control::users))
        .route("/_emulator/issued", get(control::issued))
        .route("/_emulator/clock", post(control::clock))
        .route(
            crate::ciba::phone::PHONE_PATH,
            get(crate::ciba::phone::page),
        )
        .route(
            crate::ciba::phone::DECISION_PATH,
            post(crate::ciba::phone::decision),
        )
        .route("/_emulator/ciba", get(crate::ciba::control::list))
        .route(
            "/_emulator/ciba/decision",
            post(crate::ciba::control::decision),
        )
        .route(
            "/_emulator/webhooks",
            get(crate::ciba::control::list_webhooks).post(crate::ciba::control::register_webhook),
        )
        .fallback(not_found)
        .with_state(app)
        .layer(axum::middleware::from_fn(log::log_request))
}

async fn not_found() -> Response {
    crate::http::json(StatusCode::NOT_FOUND, &json!({ "error": "not_found" }))
}
