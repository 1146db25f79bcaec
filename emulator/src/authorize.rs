//! `GET .../oauth2/auth`: the checks, in Vipps' order, then the landing page or a shortcut.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;

use crate::config::SalesUnit;
use crate::html;
use crate::http::{found, with_params};
use crate::landing;
use crate::params::Params;
use crate::random;
use crate::scopes::is_vipps_scope;
use crate::state::{Authorization, CodeGrant, Pending, Pkce, Shared, PENDING_TTL_SECS};

/// Longest request URL (path and query) Vipps' gateway lets through.
const MAX_URL_CHARS: usize = 2000;
/// `state` or `nonce` this long (characters, decoded) gets a 502.
const MAX_PARAM_CHARS: usize = 1000;
const MIN_STATE_CHARS: usize = 8;
/// Vipps: users under 15 cannot log in.
const MIN_AGE: i64 = 15;

const REDIRECT_MISMATCH: &str = "The request is missing a required parameter, includes an \
invalid parameter value, includes a parameter more than once, or is otherwise malformed. \
The 'redirect_uri' parameter does not match any of your preregistered URIs.";

pub async fn authorize(State(app): State<Shared>, uri: Uri) -> Response {
    let url_len = uri
        .path_and_query()
        .map(|pq| pq.as_str().len())
        .unwrap_or_else(|| uri.path().len());
    let params = Params::parse(uri.query().unwrap_or("").as_bytes());

    // 1. The gateway.
    let too_long = |name: &str| {
        params
            .get(name)
            .is_some_and(|v| v.chars().count() >= MAX_PARAM_CHARS)
    };
    if url_len > MAX_URL_CHARS || too_long("state") || too_long("nonce") {
        return html::bad_gateway();
    }

    // 2. The sales unit.
    let unit = match find_unit(&app, &params) {
        Ok(unit) => unit,
        Err(description) => {
            return html::error_page(StatusCode::BAD_REQUEST, "invalid_client", &description)
        }
    };

    // 3. The redirect URI, byte for byte.
    let redirect_uri = match params.get("redirect_uri") {
        Some(uri) if unit.redirect_uris.iter().any(|r| r == uri) => uri.to_string(),
        _ => {
            return html::error_page(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                REDIRECT_MISMATCH,
            )
        }
    };

    // 4. and 5. From here errors go back to the merchant.
    let state = params.non_empty("state").map(str::to_string);
    let auth = match check_request(&params, unit, &redirect_uri, state.clone(), app.clock.now()) {
        Ok(auth) => auth,
        Err((error, description)) => {
            return error_redirect(&redirect_uri, error, &description, state.as_deref())
        }
    };

    // 6. Shortcuts for tests, else the landing page.
    if matches!(params.get("_emulator_cancel"), Some("1" | "true")) {
        return cancel(&auth);
    }
    let shortcut_user = match params.non_empty("_emulator_user") {
        Some(user) => Some(user.to_string()),
        None => app.store().auto_approve.clone(),
    };
    if let Some(user_id) = shortcut_user {
        if app.config.user(&user_id).is_none() {
            return html::error_page(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &format!("_emulator_user: there is no test user {user_id:?} in the emulator's configuration."),
            );
        }
        return approve(&app, auth, &user_id);
    }

    let request_id = random::token();
    {
        let now = app.clock.now();
        let mut store = app.store();
        store.prune(now);
        store.pending.insert(
            request_id.clone(),
            Pending {
                auth: auth.clone(),
                expires_at: now + PENDING_TTL_SECS,
            },
        );
    }
    landing::render(&app, unit, &auth, &request_id)
}

fn find_unit<'a>(app: &'a Shared, params: &Params) -> Result<&'a SalesUnit, String> {
    const UNKNOWN: &str = "Client authentication failed (e.g., unknown client, no client \
authentication included, or unsupported authentication method).";
    if let Some(client_id) = params.non_empty("client_id") {
        app.config
            .sales_unit_by_client_id(client_id)
            .ok_or_else(|| format!("{UNKNOWN} The requested OAuth 2.0 Client does not exist."))
    } else if let Some(msn) = params.non_empty("msn") {
        app.config.sales_unit_by_msn(msn).ok_or_else(|| {
            format!("{UNKNOWN} No sales unit has this merchant serial number (msn).")
        })
    } else {
        Err(format!("{UNKNOWN} Neither 'client_id' nor 'msn' was sent."))
    }
}

type Refusal = (&'static str, String);

fn check_request(
    params: &Params,
    unit: &SalesUnit,
    redirect_uri: &str,
    state: Option<String>,
    now: i64,
) -> Result<Authorization, Refusal> {
    if params.get("response_type") != Some("code") {
        return Err((
            "unsupported_response_type",
            "The authorization server does not support obtaining a token using this method. \
Only response_type=code is supported."
                .into(),
        ));
    }

    if state
        .as_deref()
        .is_none_or(|s| s.chars().count() < MIN_STATE_CHARS)
    {
        return Err((
            "invalid_request",
            "The state is missing or does not have enough characters and is therefore \
considered too weak. Request parameter 'state' must be at least 8 characters long to \
ensure sufficient entropy."
                .into(),
        ));
    }

    let scopes = check_scopes(params.get("scope").unwrap_or(""), unit)?;

    let challenge = params.non_empty("code_challenge");
    if params.get("requested_flow") == Some("app_to_app_v2") && challenge.is_none() {
        return Err((
            "invalid_request",
            "requested_flow=app_to_app_v2 requires PKCE: send code_challenge (S256).".into(),
        ));
    }

    if params.get("requested_flow") == Some("app_to_app") {
        check_app_callback_uri(params.get("app_callback_uri"), unit)?;
    }

    let pkce = match challenge {
        None => None,
        Some(challenge) => match params.non_empty("code_challenge_method") {
            // Vipps' quirk: no method means plain.
            None | Some("plain") => Some(Pkce::Plain(challenge.to_string())),
            Some("S256") => Some(Pkce::S256(challenge.to_string())),
            Some(other) => {
                return Err((
                    "invalid_request",
                    format!("The code_challenge_method '{other}' is not supported; use S256."),
                ))
            }
        },
    };

    let acr = params
        .non_empty("acr_values")
        .and_then(|v| v.split(' ').find(|s| !s.is_empty()))
        .map(str::to_string);

    Ok(Authorization {
        client_id: unit.client_id.clone(),
        redirect_uri: redirect_uri.to_string(),
        state,
        nonce: params.get("nonce").map(str::to_string),
        scopes,
        pkce,
        acr,
        requested_at: now,
    })
}

/// Legacy `requested_flow=app_to_app`: the `app_callback_uri` that switches the phone
/// back to the merchant's app must be a usable URI (absolute, no `#`, a custom scheme
/// with a path: Vipps' rules for redirect URIs) and registered for the sales unit, byte
/// for byte.
fn check_app_callback_uri(uri: Option<&str>, unit: &SalesUnit) -> Result<(), Refusal> {
    let Some(uri) = uri.filter(|u| !u.is_empty()) else {
        return Err((
            "invalid_app_callback_uri",
            "requested_flow=app_to_app needs app_callback_uri.".into(),
        ));
    };
    let scheme_ok = uri.split_once(':').is_some_and(|(scheme, _)| {
        scheme
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    let after_scheme = uri.split_once(':').map(|(_, rest)| rest).unwrap_or("");
    let without_slashes = after_scheme.trim_start_matches('/');
    if !scheme_ok
        || uri.contains('#')
        || uri.chars().any(|c| c.is_whitespace() || c.is_control())
        || without_slashes.is_empty()
    {
        return Err((
            "invalid_app_callback_uri",
            format!("The app_callback_uri {uri:?} is not valid: it must be absolute, without '#', and a custom scheme needs a path (myapp://callback)."),
        ));
    }
    if !unit.app_callback_uris.iter().any(|u| u == uri) {
        return Err((
            "app_callback_uri_not_registered",
            format!("The app_callback_uri {uri:?} is not registered for this sales unit."),
        ));
    }
    Ok(())
}

fn check_scopes(scope: &str, unit: &SalesUnit) -> Result<Vec<String>, Refusal> {
    let mut scopes: Vec<String> = Vec::new();
    for s in scope.split(' ').filter(|s| !s.is_empty()) {
        if !is_vipps_scope(s) {
            return Err((
                "invalid_scope",
                format!("The requested scope is invalid, unknown, or malformed. '{s}' is not a Vipps scope."),
            ));
        }
        if !unit.scopes.iter().any(|allowed| allowed == s) {
            return Err((
                "invalid_scope",
                format!("The requested scope is invalid, unknown, or malformed. The OAuth 2.0 Client is not allowed to request scope '{s}'."),
            ));
        }
        if !scopes.iter().any(|have| have == s) {
            scopes.push(s.to_string());
        }
    }
    if !scopes.iter().any(|s| s == "openid") {
        return Err((
            "invalid_scope",
            "The requested scope is invalid, unknown, or malformed. The scope 'openid' is required."
                .into(),
        ));
    }
    Ok(scopes)
}

/// `302 {redirect_uri}?error&error_description[&state]`.
pub fn error_redirect(
    redirect_uri: &str,
    error: &str,
    description: &str,
    state: Option<&str>,
) -> Response {
    let mut params = vec![("error", error), ("error_description", description)];
    if let Some(state) = state {
        params.push(("state", state));
    }
    found(&with_params(redirect_uri, &params))
}

/// The user pressed Cancel.
pub fn cancel(auth: &Authorization) -> Response {
    error_redirect(
        &auth.redirect_uri,
        "access_denied",
        "User cancelled the login",
        auth.state.as_deref(),
    )
}

/// The user approved as `user_id` (a configured user): a code, or `access_denied`
/// for users under 15.
pub fn approve(app: &Shared, auth: Authorization, user_id: &str) -> Response {
    let now = app.clock.now();
    let today = crate::dates::Date::from_unix_secs(now);
    let under_age = app
        .config
        .user(user_id)
        .and_then(|u| u.birth_date())
        .is_none_or(|born| born.age_on(today) < MIN_AGE);
    if under_age {
        return error_redirect(
            &auth.redirect_uri,
            "access_denied",
            "The user is under 15 years old and cannot log in with Vipps",
            auth.state.as_deref(),
        );
    }

    let code = random::token();
    let scope = auth.scopes.join(" ");
    let redirect_uri = auth.redirect_uri.clone();
    let state = auth.state.clone();
    {
        let mut store = app.store();
        store.prune(now);
        store.codes.insert(
            code.clone(),
            CodeGrant {
                auth,
                user_id: user_id.to_string(),
                auth_time: now,
                sid: random::uuid(),
                expires_at: now.saturating_add(ttl(app.config.settings.code_ttl_secs)),
                used: false,
            },
        );
    }
    let mut params = vec![("code", code.as_str())];
    if let Some(state) = state.as_deref() {
        params.push(("state", state));
    }
    params.push(("scope", scope.as_str()));
    found(&with_params(&redirect_uri, &params))
}

/// A configured TTL as seconds on the emulator clock.
pub fn ttl(secs: u64) -> i64 {
    i64::try_from(secs).unwrap_or(i64::MAX)
}

/// Authorize's scope rules, which the CIBA start shares (vipps-login-api.md, "CIBA").
pub(crate) fn checked_scopes(
    scope: &str,
    unit: &SalesUnit,
) -> Result<Vec<String>, (&'static str, String)> {
    check_scopes(scope, unit)
}
