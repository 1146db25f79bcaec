//! The user's answer on the phone (the phone page or the control endpoint): approve or
//! deny a pending CIBA request, then the ping to the unit's webhooks.

use axum::http::StatusCode;

use super::ping::{self, Delivery};
use super::{under_age, RedirectCode, Status};
use crate::authorize::ttl;
use crate::http::with_params;
use crate::random;
use crate::state::Shared;

/// Why a decision was refused; each a stable `error` code.
#[derive(Debug)]
pub enum Refused {
    UnknownRequest,
    NotPending(&'static str),
    UnknownUser(String),
    UnderAge(String),
    Full,
}

impl Refused {
    pub fn status(&self) -> StatusCode {
        match self {
            Refused::UnknownRequest => StatusCode::NOT_FOUND,
            Refused::NotPending(_) => StatusCode::CONFLICT,
            Refused::UnknownUser(_) | Refused::UnderAge(_) => StatusCode::BAD_REQUEST,
            Refused::Full => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub fn error(&self) -> &'static str {
        match self {
            Refused::UnknownRequest => "unknown_auth_req_id",
            Refused::NotPending(_) => "not_pending",
            Refused::UnknownUser(_) | Refused::UnderAge(_) => "invalid_request",
            Refused::Full => "temporarily_unavailable",
        }
    }

    pub fn description(&self) -> String {
        match self {
            Refused::UnknownRequest => "There is no CIBA request with this auth_req_id.".into(),
            Refused::NotPending(status) => {
                format!("This CIBA request is {status}, no longer pending.")
            }
            Refused::UnknownUser(id) => format!("There is no test user {id:?}."),
            Refused::UnderAge(id) => {
                format!("The test user {id:?} is under 15 and cannot log in.")
            }
            Refused::Full => "The emulator holds too many redirect codes.".into(),
        }
    }
}

/// What a decision did.
pub struct Outcome {
    pub auth_req_id: String,
    pub phone: String,
    /// The redirect variant: `{redirect_uri}?code=..&state=..` for the phone's browser.
    pub redirect_to: Option<String>,
    pub pinged: Vec<Delivery>,
}

/// Approves (as `user`, default the number's owner) or denies a pending request, then
/// delivers the ping before returning.
pub async fn decide(
    app: &Shared,
    auth_req_id: &str,
    approve: bool,
    user: Option<&str>,
) -> Result<Outcome, Refused> {
    let now = app.clock.now();
    if let Some(id) = user {
        match app.config.user(id) {
            None => return Err(Refused::UnknownUser(id.to_string())),
            Some(u) if approve && under_age(u, now) => {
                return Err(Refused::UnderAge(id.to_string()))
            }
            Some(_) => {}
        }
    }
    let (client_id, phone, redirect_to) = {
        let mut store = app.store();
        let Some(request) = store.ciba.requests.get(auth_req_id) else {
            return Err(Refused::UnknownRequest);
        };
        if !request.is_open(now) {
            return Err(Refused::NotPending(request.status_name(now)));
        }
        let webpage = request.redirect_uri.is_some();
        if approve && webpage && !store.ciba.make_code_room(now) {
            return Err(Refused::Full);
        }
        let Some(request) = store.ciba.requests.get_mut(auth_req_id) else {
            return Err(Refused::UnknownRequest);
        };
        request.status = if approve {
            Status::Approved {
                user_id: user.unwrap_or(&request.user_id).to_string(),
                auth_time: now,
                sid: random::uuid(),
            }
        } else {
            Status::Denied
        };
        let snapshot = request.clone();
        let redirect_to = match (&snapshot.redirect_uri, approve) {
            (Some(uri), true) => {
                let code = random::token();
                let mut params = vec![("code", code.as_str())];
                if let Some(state) = snapshot.state.as_deref() {
                    params.push(("state", state));
                }
                let location = with_params(uri, &params);
                let expires_at =
                    now.saturating_add(ttl(app.config.settings.ciba_redirect_code_ttl_secs));
                store.ciba.codes.insert(
                    code,
                    RedirectCode {
                        request: snapshot.clone(),
                        expires_at,
                        used: false,
                    },
                );
                Some(location)
            }
            _ => None,
        };
        (snapshot.client_id, snapshot.phone, redirect_to)
    };
    let pinged = ping::deliver(app, &client_id, auth_req_id).await;
    Ok(Outcome {
        auth_req_id: auth_req_id.to_string(),
        phone,
        redirect_to,
        pinged,
    })
}
