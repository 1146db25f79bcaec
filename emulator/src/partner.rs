//! `POST /accesstoken/get`: a partner's access token from its partner keys (Vipps'
//! Access Token API: headers `client_id`, `client_secret`, `Ocp-Apim-Subscription-Key`,
//! an empty body). Vipps answers every number as a string.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use crate::authorize::ttl;
use crate::http::{json, no_store};
use crate::random;
use crate::state::{PartnerGrant, Shared};

/// The Access Token API's `resource` (what the token is for).
const RESOURCE: &str = "00000002-0000-0000-c000-000000000000";
/// Most partner tokens kept at once: the oldest are forgotten first.
const MAX_PARTNER_TOKENS: usize = 10_000;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

pub async fn access_token(State(app): State<Shared>, headers: HeaderMap) -> Response {
    let partner = app.config.partner_by_keys(
        header(&headers, "client_id"),
        header(&headers, "client_secret"),
        header(&headers, "ocp-apim-subscription-key"),
    );
    let Some(partner) = partner else {
        return no_store(json(
            StatusCode::UNAUTHORIZED,
            &json!({
                "error": "invalid_client",
                "error_description": "The client_id, client_secret or Ocp-Apim-Subscription-Key header is wrong, or the keys are another environment's.",
            }),
        ));
    };
    let now = app.clock.now();
    let lifetime = ttl(app.config.settings.partner_token_ttl_secs);
    let expires_on = now.saturating_add(lifetime);
    let token = random::token();
    {
        let mut store = app.store();
        store.prune(now);
        if store.partner_tokens.len() >= MAX_PARTNER_TOKENS {
            if let Some(oldest) = store
                .partner_tokens
                .iter()
                .min_by_key(|(_, g)| g.expires_at)
                .map(|(t, _)| t.clone())
            {
                store.partner_tokens.remove(&oldest);
            }
        }
        store.partner_tokens.insert(
            token.clone(),
            PartnerGrant {
                partner: partner.client_id.clone(),
                expires_at: expires_on,
            },
        );
    }
    no_store(json(
        StatusCode::OK,
        &json!({
            "token_type": "Bearer",
            "expires_in": lifetime.to_string(),
            "ext_expires_in": lifetime.to_string(),
            "expires_on": expires_on.to_string(),
            "not_before": now.to_string(),
            "resource": RESOURCE,
            "access_token": token,
        }),
    ))
}
