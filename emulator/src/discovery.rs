//! Discovery document and JWKS.

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::json;

use crate::http::json;
use crate::scopes::VIPPS_SCOPES;
use crate::state::Shared;

pub const USERINFO_PATH: &str = "/vipps-userinfo-api/userinfo";

/// Shaped like Vipps' (an ORY Hydra document), including what Vipps advertises but
/// does not do: implicit and hybrid flows, refresh tokens, private_key_jwt and none,
/// logout and revocation. CIBA grant types are left out, as at Vipps.
pub async fn openid_configuration(State(app): State<Shared>) -> Response {
    let mut scopes = vec!["offline_access", "offline"];
    scopes.extend_from_slice(VIPPS_SCOPES);
    let doc = json!({
        "issuer": app.issuer,
        "authorization_endpoint": app.issuer_url("oauth2/auth"),
        "token_endpoint": app.issuer_url("oauth2/token"),
        "jwks_uri": app.issuer_url(".well-known/jwks.json"),
        "userinfo_endpoint": format!("{}{USERINFO_PATH}", app.base_url),
        "subject_types_supported": ["public", "pairwise"],
        "response_types_supported": [
            "code", "code id_token", "id_token", "token id_token", "token", "token id_token code"
        ],
        "claims_supported": ["sub"],
        "grant_types_supported": [
            "authorization_code", "implicit", "client_credentials", "refresh_token"
        ],
        "response_modes_supported": ["query", "fragment"],
        "scopes_supported": scopes,
        "token_endpoint_auth_methods_supported": [
            "client_secret_post", "client_secret_basic", "private_key_jwt", "none"
        ],
        "userinfo_signing_alg_values_supported": ["none", "RS256"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "request_parameter_supported": true,
        "request_uri_parameter_supported": true,
        "require_request_uri_registration": true,
        "claims_parameter_supported": false,
        "revocation_endpoint": app.issuer_url("oauth2/revoke"),
        "backchannel_logout_supported": true,
        "backchannel_logout_session_supported": true,
        "frontchannel_logout_supported": true,
        "frontchannel_logout_session_supported": true,
        "end_session_endpoint": app.issuer_url("oauth2/sessions/logout"),
        "request_object_signing_alg_values_supported": ["RS256", "none"],
        "code_challenge_methods_supported": ["S256"],
    });
    let mut response = json(StatusCode::OK, &doc);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=3600"),
    );
    response
}

pub async fn jwks(State(app): State<Shared>) -> Response {
    let faults = app.faults();
    if faults.jwks_delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.jwks_delay_ms)).await;
    }
    if faults.jwks_unavailable {
        return json(
            StatusCode::SERVICE_UNAVAILABLE,
            &json!({ "error": "temporarily_unavailable" }),
        );
    }
    let mut keys = app.keys().jwks();
    // The ES256 key of the CIBA redirect variant, after the RSA keys.
    if let (Ok(ec), Some(list)) = (
        crate::es256::EcKey::test_key(),
        keys.get_mut("keys").and_then(|k| k.as_array_mut()),
    ) {
        list.push(ec.jwk());
    }
    json(StatusCode::OK, &keys)
}
