//! `POST /vipps-login-ciba/api/backchannel/authentication`: start a login on the user's
//! phone (CIBA Core 7.1; Vipps' rules in vipps-login-api.md, "CIBA").

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::{under_age, user_by_phone, CibaRequest, Status, MAX_REQUESTS};
use crate::authorize::{checked_scopes, ttl};
use crate::client_auth::authenticated_form;
use crate::config::SalesUnit;
use crate::http::{bad_request, json, no_store, oauth_error};
use crate::params::Params;
use crate::random;
use crate::state::Shared;

/// `expires_in` when `requested_expiry` is not sent (Vipps: 600).
const DEFAULT_EXPIRY_SECS: i64 = 600;
const EXPIRY_RANGE: std::ops::RangeInclusive<i64> = 60..=900;
/// `state` or `nonce` this long (characters) is refused, so the store stays bounded.
const MAX_PARAM_CHARS: usize = 1000;
/// What `ciba_rate_limited` asks the client to wait (seconds).
const RETRY_AFTER_SECS: &str = "2";

const REPEATABLE_NOT: &[&str] = &[
    "scope",
    "login_hint",
    "binding_message",
    "state",
    "nonce",
    "requested_expiry",
    "requested_flow",
    "redirect_uri",
    "client_id",
    "client_secret",
];

pub async fn start(State(app): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let faults = app.faults();
    if faults.ciba_rate_limited {
        return rate_limited();
    }
    let (params, unit) = match authenticated_form(&app, &headers, &body, REPEATABLE_NOT) {
        Ok(form) => form,
        Err(refusal) => return *refusal,
    };

    let checked = match check(&params, unit) {
        Ok(checked) => checked,
        Err((error, description)) => return bad_request(error, &description),
    };

    let now = app.clock.now();
    let Some(user) = user_by_phone(&app.config, &checked.phone) else {
        return bad_request(
            "invalid_user",
            "The login_hint does not belong to a Vipps MobilePay user.",
        );
    };
    if under_age(user, now) {
        return bad_request(
            "invalid_user",
            "The user is under 15 years old and cannot log in with Vipps MobilePay.",
        );
    }
    if faults.ciba_old_app {
        return bad_request(
            "old_app",
            "The user's Vipps MobilePay app is too old for login from phone number.",
        );
    }

    let auth_req_id = random::uuid();
    let interval = ttl(app.config.settings.ciba_interval_secs);
    let request = CibaRequest {
        auth_req_id: auth_req_id.clone(),
        client_id: unit.client_id.clone(),
        user_id: user.id.clone(),
        phone: checked.phone,
        scopes: checked.scopes,
        binding_message: checked.binding_message,
        state: params.non_empty("state").map(str::to_string),
        nonce: params.get("nonce").map(str::to_string),
        redirect_uri: checked.redirect_uri,
        requested_at: now,
        expires_at: now.saturating_add(checked.expires_in),
        interval,
        last_poll: None,
        status: Status::Pending,
    };
    {
        let mut store = app.store();
        if !store.ciba.make_room(now) {
            return no_store(oauth_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "temporarily_unavailable",
                &format!("The emulator already holds {MAX_REQUESTS} open CIBA requests."),
            ));
        }
        store.ciba.requests.insert(auth_req_id.clone(), request);
    }
    no_store(json(
        StatusCode::OK,
        &json!({
            "auth_req_id": auth_req_id,
            "expires_in": checked.expires_in,
            "interval": interval,
        }),
    ))
}

struct Checked {
    phone: String,
    scopes: Vec<String>,
    binding_message: Option<String>,
    expires_in: i64,
    redirect_uri: Option<String>,
}

type Refusal = (&'static str, String);

fn check(params: &Params, unit: &SalesUnit) -> Result<Checked, Refusal> {
    let scopes = checked_scopes(params.get("scope").unwrap_or(""), unit)?;
    let invalid = |d: String| ("invalid_request", d);

    let phone = match params.non_empty("login_hint") {
        None => return Err(invalid("The parameter 'login_hint' is missing.".into())),
        Some(hint) => parse_login_hint(hint).ok_or_else(|| {
            invalid(
                "The login_hint must be urn:msisdn:<country code and number, 8 to 15 digits> \
(or the older urn:mobilenumber:<8 digits>, a Norwegian number)."
                    .into(),
            )
        })?,
    };

    let binding_message = match params.get("binding_message") {
        None => None,
        Some(m) if is_binding_message(m) => Some(m.to_string()),
        Some(_) => {
            return Err(invalid(
                "The binding_message must match ^[A-Z0-9-]{5,8}$.".into(),
            ))
        }
    };

    let expires_in = match params.get("requested_expiry") {
        None => DEFAULT_EXPIRY_SECS,
        Some(v) => match v.parse::<i64>() {
            Ok(secs) if v.bytes().all(|b| b.is_ascii_digit()) && EXPIRY_RANGE.contains(&secs) => {
                secs
            }
            _ => {
                return Err(invalid(
                    "The requested_expiry must be an integer number of seconds from 60 to 900."
                        .into(),
                ))
            }
        },
    };

    for name in ["state", "nonce"] {
        if params
            .get(name)
            .is_some_and(|v| v.chars().count() >= MAX_PARAM_CHARS)
        {
            return Err(invalid(format!(
                "The parameter '{name}' must be under {MAX_PARAM_CHARS} characters."
            )));
        }
    }

    let redirect_uri = match params.non_empty("requested_flow") {
        None => None,
        Some("login_to_webpage") => match params.get("redirect_uri") {
            Some(uri) if unit.redirect_uris.iter().any(|r| r == uri) => Some(uri.to_string()),
            Some(_) => {
                return Err(invalid(
                    "The 'redirect_uri' parameter does not match any of your preregistered URIs."
                        .into(),
                ))
            }
            None => {
                return Err(invalid(
                    "requested_flow=login_to_webpage needs a registered redirect_uri.".into(),
                ))
            }
        },
        Some(other) => {
            return Err(invalid(format!(
                "The requested_flow '{other}' is not supported here; use login_to_webpage or leave it out."
            )))
        }
    };

    Ok(Checked {
        phone,
        scopes,
        binding_message,
        expires_in,
        redirect_uri,
    })
}

/// `urn:msisdn:<8..15 digits>` → the digits; `urn:mobilenumber:<8 digits>` → `47` and
/// the digits (the older Norwegian-only format).
pub fn parse_login_hint(hint: &str) -> Option<String> {
    let digits = |s: &str, range: std::ops::RangeInclusive<usize>| {
        (range.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.to_string())
    };
    if let Some(number) = hint.strip_prefix("urn:msisdn:") {
        digits(number, 8..=15)
    } else if let Some(number) = hint.strip_prefix("urn:mobilenumber:") {
        digits(number, 8..=8).map(|n| format!("47{n}"))
    } else {
        None
    }
}

/// `^[A-Z0-9-]{5,8}$`.
pub fn is_binding_message(m: &str) -> bool {
    (5..=8).contains(&m.len())
        && m.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

/// 429 with `Retry-After` (the `ciba_rate_limited` fault).
pub fn rate_limited() -> Response {
    let mut response = oauth_error(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
        "Too many requests; wait as Retry-After says.",
    );
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_static(RETRY_AFTER_SECS),
    );
    no_store(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_hints() {
        assert_eq!(
            parse_login_hint("urn:msisdn:4712345678").as_deref(),
            Some("4712345678")
        );
        assert_eq!(
            parse_login_hint("urn:mobilenumber:12345678").as_deref(),
            Some("4712345678")
        );
        for bad in [
            "urn:msisdn:+4712345678",
            "urn:msisdn:1234567",
            "urn:msisdn:1234567890123456",
            "urn:mobilenumber:4712345678",
            "4712345678",
            "urn:msisdn:",
        ] {
            assert_eq!(parse_login_hint(bad), None, "{bad}");
        }
    }

    #[test]
    fn binding_messages() {
        assert!(is_binding_message("AB-12"));
        assert!(is_binding_message("ABCD-123"));
        for bad in ["AB12", "ABCDE-123", "ab-12", "AB 12", "ÆØÅ12"] {
            assert!(!is_binding_message(bad), "{bad}");
        }
    }
}
