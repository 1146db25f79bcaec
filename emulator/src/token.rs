//! `POST .../oauth2/token`: the authorization_code grant.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::authorize::ttl;
use crate::client_auth::authenticated_form;
use crate::conn::ResetHandle;
use crate::faults::Faults;
use crate::http::{bad_request, json, no_store, padded_json, HUGE_PADDING_BYTES};
use crate::id_token;
use crate::random;
use crate::state::{AccessGrant, CodeGrant, Pkce, Shared};

/// What Vipps answers, whatever the access token's real lifetime.
const EXPIRES_IN: u64 = 3599;

const INVALID_GRANT: &str = "The provided authorization grant (e.g., authorization code, \
resource owner credentials) or refresh token is invalid, expired, revoked, does not match \
the redirection URI used in the authorization request, or was issued to another client.";

pub async fn token(
    State(app): State<Shared>,
    ConnectInfo(connection): ConnectInfo<ResetHandle>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let faults = app.faults();
    if faults.token_delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(faults.token_delay_ms)).await;
    }
    if faults.token_reset {
        // Nothing of this answer is written: the connection is reset instead. The
        // request is not looked at, so its code stays unspent. (The request log shows
        // the 500 below, which the client never sees.)
        connection.reset();
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    if faults.token_500 {
        return json(
            StatusCode::INTERNAL_SERVER_ERROR,
            &json!({ "error": "server_error" }),
        );
    }
    if faults.token_malformed_json {
        let mut response = (
            StatusCode::OK,
            "{\"access_token\": \"<html>upstream timeout",
        )
            .into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        return response;
    }

    let single = [
        "grant_type",
        "code",
        "redirect_uri",
        "code_verifier",
        "client_id",
        "client_secret",
    ];
    let (params, unit) = match authenticated_form(&app, &headers, &body, &single) {
        Ok(form) => form,
        Err(refusal) => return *refusal,
    };

    // The CIBA grants (poll and redirect variant).
    if let Some(grant) = params
        .non_empty("grant_type")
        .filter(|g| crate::ciba::grant::handles(g))
    {
        return crate::ciba::grant::token(&app, unit, grant, &params, &faults);
    }
    match params.non_empty("grant_type") {
        None => return bad_request("invalid_request", "The parameter 'grant_type' is missing."),
        Some("authorization_code") => {}
        Some(other) => {
            return bad_request(
                "unsupported_grant_type",
                &format!("The authorization grant type '{other}' is not supported by the authorization server."),
            )
        }
    }
    let Some(code) = params.non_empty("code") else {
        return bad_request("invalid_request", "The parameter 'code' is missing.");
    };
    let Some(redirect_uri) = params.non_empty("redirect_uri") else {
        return bad_request(
            "invalid_request",
            "The parameter 'redirect_uri' is missing.",
        );
    };

    let now = app.clock.now();
    let access_token = random::token();
    let (grant_snapshot, scope) = {
        let mut store = app.store();
        let Some(grant) = store.codes.get_mut(code) else {
            return invalid_grant("The authorization code is unknown.");
        };
        if grant.used {
            return invalid_grant("The authorization code has already been used.");
        }
        // Single use: any redemption attempt spends the code.
        grant.used = true;
        if now >= grant.expires_at {
            return invalid_grant("The authorization code has expired.");
        }
        if grant.auth.client_id != unit.client_id {
            return invalid_grant("The authorization code was issued to another client.");
        }
        if grant.auth.redirect_uri != redirect_uri {
            return invalid_grant(
                "The 'redirect_uri' differs from the one sent to the authorization endpoint.",
            );
        }
        if let Err(why) = check_pkce(grant, params.get("code_verifier")) {
            return invalid_grant(why);
        }
        let snapshot = grant.clone();
        let scope = grant.auth.scopes.join(" ");
        store.prune(now);
        store.tokens.insert(
            access_token.clone(),
            AccessGrant {
                client_id: snapshot.auth.client_id.clone(),
                user_id: snapshot.user_id.clone(),
                scopes: snapshot.auth.scopes.clone(),
                sid: snapshot.sid.clone(),
                expires_at: now.saturating_add(ttl(app.config.settings.access_token_ttl_secs)),
            },
        );
        (snapshot, scope)
    };

    let id_token = id_token::issue(&app, &grant_snapshot, &access_token, &faults);
    answer(&access_token, &id_token, &scope, "bearer", &faults)
}

/// The token response (`token_type`: the browser flow's `bearer`, the CIBA grants'
/// `Bearer`), padded by the `token_huge` fault.
pub fn answer(
    access_token: &str,
    id_token: &str,
    scope: &str,
    token_type: &str,
    faults: &Faults,
) -> Response {
    let answer = json!({
        "access_token": access_token,
        "id_token": id_token,
        "expires_in": EXPIRES_IN,
        "scope": scope,
        "token_type": token_type,
    });
    no_store(match answer {
        Value::Object(fields) if faults.token_huge => {
            padded_json(StatusCode::OK, fields, HUGE_PADDING_BYTES)
        }
        answer => json(StatusCode::OK, &answer),
    })
}

fn check_pkce(grant: &CodeGrant, verifier: Option<&str>) -> Result<(), &'static str> {
    let Some(pkce) = &grant.auth.pkce else {
        return Ok(());
    };
    let Some(verifier) = verifier.filter(|v| !v.is_empty()) else {
        return Err("The PKCE code_verifier is missing.");
    };
    let ok = match pkce {
        Pkce::Plain(challenge) => verifier == challenge,
        Pkce::S256(challenge) => {
            Base64UrlUnpadded::encode_string(&Sha256::digest(verifier.as_bytes())) == *challenge
        }
    };
    if ok {
        Ok(())
    } else {
        Err("The PKCE code_verifier does not match the code_challenge.")
    }
}

fn invalid_grant(detail: &str) -> Response {
    bad_request("invalid_grant", &format!("{INVALID_GRANT} {detail}"))
}
