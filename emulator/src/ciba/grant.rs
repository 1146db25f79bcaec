//! The token endpoint's CIBA grants: polling with `auth_req_id` (CIBA Core 10-11) and
//! Vipps' redirect variant exchanging a `code` (vipps-login-api.md, "CIBA").

use axum::http::StatusCode;
use axum::response::Response;

use super::es_token::{self, Login};
use super::start::rate_limited;
use super::{CibaRequest, Status};
use crate::authorize::ttl;
use crate::config::SalesUnit;
use crate::es256::EcKey;
use crate::faults::Faults;
use crate::http::{bad_request, no_store, oauth_error};
use crate::id_token;
use crate::params::Params;
use crate::random;
use crate::state::{AccessGrant, Authorization, CodeGrant, Shared};

pub const CIBA_GRANT: &str = "urn:openid:params:grant-type:ciba";
pub const REDIRECT_GRANT: &str = "urn:vipps:params:grant-type:ciba-redirect";
/// CIBA Core 11: on `slow_down` the interval grows by (at least) 5 s.
const SLOW_DOWN_STEP_SECS: i64 = 5;

const INVALID_GRANT: &str = "The provided authorization grant is invalid, expired, revoked, \
or was issued to another client.";

/// Whether the token endpoint hands this `grant_type` to [`token`].
pub fn handles(grant_type: &str) -> bool {
    grant_type == CIBA_GRANT || grant_type == REDIRECT_GRANT
}

/// A CIBA token request by an authenticated `unit`.
pub fn token(
    app: &Shared,
    unit: &SalesUnit,
    grant_type: &str,
    params: &Params,
    faults: &Faults,
) -> Response {
    if let Some(name) = params.first_repeated(&["auth_req_id", "code"]) {
        return bad_request(
            "invalid_request",
            &format!("The parameter '{name}' was sent more than once."),
        );
    }
    if grant_type == CIBA_GRANT {
        poll(app, unit, params, faults)
    } else {
        redirect(app, unit, params, faults)
    }
}

fn poll(app: &Shared, unit: &SalesUnit, params: &Params, faults: &Faults) -> Response {
    if faults.ciba_rate_limited {
        return rate_limited();
    }
    let Some(auth_req_id) = params.non_empty("auth_req_id") else {
        return bad_request("invalid_request", "The parameter 'auth_req_id' is missing.");
    };
    let now = app.clock.now();
    let (request, user_id, auth_time, sid) = {
        let mut store = app.store();
        let Some(request) = store.ciba.requests.get_mut(auth_req_id) else {
            return invalid_grant("The auth_req_id is unknown.");
        };
        if request.client_id != unit.client_id {
            return invalid_grant("The auth_req_id was issued to another client.");
        }
        match request.status {
            Status::Redeemed => {
                return invalid_grant("The auth_req_id has already been used.");
            }
            Status::Denied => {
                return bad_request("access_denied", "The user denied the login.");
            }
            _ if now >= request.expires_at => {
                return bad_request(
                    "expired_token",
                    "The auth_req_id has expired: start the login again.",
                );
            }
            _ => {}
        }
        let too_soon = request
            .last_poll
            .is_some_and(|last| now < last.saturating_add(request.interval));
        request.last_poll = Some(now);
        if too_soon {
            request.interval = request.interval.saturating_add(SLOW_DOWN_STEP_SECS);
            return bad_request(
                "slow_down",
                &format!(
                    "Polled sooner than the interval; wait at least {} seconds between polls.",
                    request.interval
                ),
            );
        }
        let (user_id, auth_time, sid) = match &request.status {
            Status::Approved { .. } if request.redirect_uri.is_some() => {
                return invalid_grant(
                    "This request used requested_flow=login_to_webpage: redeem the code sent \
to the redirect_uri with grant_type=urn:vipps:params:grant-type:ciba-redirect.",
                );
            }
            Status::Approved {
                user_id,
                auth_time,
                sid,
            } => (user_id.clone(), *auth_time, sid.clone()),
            _ => {
                return bad_request(
                    "authorization_pending",
                    "The user has not yet answered on the phone.",
                );
            }
        };
        request.status = Status::Redeemed;
        (request.clone(), user_id, auth_time, sid)
    };

    let access_token = new_access_token(app, &request, &user_id, &sid, now);
    // The browser flow's RS256 id_token, with everything it has (aud an array, nonce).
    let grant = CodeGrant {
        auth: Authorization {
            client_id: request.client_id.clone(),
            redirect_uri: String::new(),
            state: request.state.clone(),
            nonce: request.nonce.clone(),
            scopes: request.scopes.clone(),
            pkce: None,
            acr: None,
            requested_at: request.requested_at,
        },
        user_id,
        auth_time,
        sid,
        expires_at: request.expires_at,
        used: true,
    };
    let id_token = id_token::issue(app, &grant, &access_token, faults);
    answer(&request, &access_token, &id_token, faults)
}

fn redirect(app: &Shared, unit: &SalesUnit, params: &Params, faults: &Faults) -> Response {
    let Some(code) = params.non_empty("code") else {
        return bad_request("invalid_request", "The parameter 'code' is missing.");
    };
    let key = match EcKey::test_key() {
        Ok(key) => key,
        Err(e) => {
            return no_store(oauth_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                &e,
            ))
        }
    };
    let now = app.clock.now();
    let (request, user_id, auth_time, sid) = {
        let mut store = app.store();
        let Some(grant) = store.ciba.codes.get_mut(code) else {
            return invalid_grant("The code is unknown.");
        };
        if grant.used {
            return invalid_grant("The code has already been used.");
        }
        // Single use: any redemption attempt spends the code.
        grant.used = true;
        if now >= grant.expires_at {
            return invalid_grant("The code has expired.");
        }
        if grant.request.client_id != unit.client_id {
            return invalid_grant("The code was issued to another client.");
        }
        let Status::Approved {
            user_id,
            auth_time,
            sid,
        } = &grant.request.status
        else {
            return invalid_grant("The code is not for an approved login.");
        };
        let taken = (
            grant.request.clone(),
            user_id.clone(),
            *auth_time,
            sid.clone(),
        );
        if let Some(request) = store.ciba.requests.get_mut(&taken.0.auth_req_id) {
            request.status = Status::Redeemed;
        }
        taken
    };
    let access_token = new_access_token(app, &request, &user_id, &sid, now);
    let login = Login {
        user_id: &user_id,
        auth_time,
        sid: &sid,
    };
    let id_token = es_token::issue(app, &key, &request, &login, &access_token, faults);
    answer(&request, &access_token, &id_token, faults)
}

/// An opaque access token good at userinfo for the request's scopes.
fn new_access_token(
    app: &Shared,
    request: &CibaRequest,
    user_id: &str,
    sid: &str,
    now: i64,
) -> String {
    let access_token = random::token();
    let mut store = app.store();
    store.prune(now);
    store.tokens.insert(
        access_token.clone(),
        AccessGrant {
            client_id: request.client_id.clone(),
            user_id: user_id.to_string(),
            scopes: request.scopes.clone(),
            sid: sid.to_string(),
            expires_at: now.saturating_add(ttl(app.config.settings.access_token_ttl_secs)),
        },
    );
    access_token
}

/// The token response; `token_type` is `Bearer` here (vipps-login-api.md, "CIBA").
fn answer(request: &CibaRequest, access_token: &str, id_token: &str, faults: &Faults) -> Response {
    let scope = request.scopes.join(" ");
    crate::token::answer(access_token, id_token, &scope, "Bearer", faults)
}

fn invalid_grant(detail: &str) -> Response {
    bad_request("invalid_grant", &format!("{INVALID_GRANT} {detail}"))
}
