//! The way back: `GET /callback` (Worker-driven) and `POST /api/callback` (front-end
//! driven) complete the login ([`complete`]); when Vipps brought the user back to
//! another browser (`automatic_return_from_vipps_app` only), that browser first sees who
//! is logging in and confirms with `POST /callback` (the page's form) or
//! `POST /api/confirm` (the front-end's button) before any session is set.

use super::authorize::{browser_binding, set_binding};
use super::complete::{self, CallingBrowser, Finished};
use super::config::Config;
use super::respond::{
    confirm_page, error_answer, json_response, login_failed, redirect, redirect_with_status, Answer,
};
use super::transactions::TransactionStore;
use crate::binding::BrowserBinding;
use crate::error::{Error, ErrorCode};
use crate::session::set_cookie;
use crate::transaction::CompletedLogin;
use serde::Deserialize;
use serde_json::json;
use worker::{Env, Request, Response};

fn calling_browser(req: &Request, config: &Config) -> worker::Result<CallingBrowser> {
    let (binding, had_cookie) = browser_binding(req, config)?;
    Ok(CallingBrowser {
        binding,
        had_cookie,
    })
}

fn add_session_cookie(
    response: &mut Response,
    done: &CompletedLogin,
    config: &Config,
) -> worker::Result<()> {
    response.headers_mut().append(
        "set-cookie",
        &set_cookie(&done.session, config.cookie_scope()),
    )
}

/// A browser without a binding gets the one made for it with its confirmation page, so
/// that only it can confirm.
fn bind_if_new(
    response: &mut Response,
    browser: &CallingBrowser,
    config: &Config,
) -> worker::Result<()> {
    if browser.had_cookie {
        return Ok(());
    }
    set_binding(response, &browser.binding, config)
}

/// `GET /callback?code&state[&iss]`: completes the login, sets the session cookie and
/// sends the user to the transaction's `returnTo`; another browser in the automatic
/// flow gets the confirmation page; a failure goes back to the shop with `login_error`
/// (or the built-in page when nowhere is known).
pub async fn callback(req: &Request, env: &Env, config: &Config) -> worker::Result<Answer> {
    let url = req.inner().url();
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    let browser = calling_browser(req, config)?;
    let store = TransactionStore::from_env(env, &config.state_key)?;
    match complete::complete_login(env, &store, config, query, &browser).await? {
        Ok(Finished::LoggedIn(done)) => {
            let mut response = redirect(&done.return_to)?;
            add_session_cookie(&mut response, &done, config)?;
            Answer::ok(response)
        }
        Ok(Finished::Confirm { result, state }) => {
            let action = config.route("/callback");
            let mut response = confirm_page(&result.display_name, &state, &action)?;
            bind_if_new(&mut response, &browser, config)?;
            Answer::ok(response)
        }
        Err(failure) => login_failed(&failure.error, config, failure.return_to.as_deref()),
    }
}

/// The binding a confirmation must come with; none is `confirmation_required`.
fn confirming_binding(req: &Request, config: &Config) -> worker::Result<Option<BrowserBinding>> {
    let cookies = req.headers().get("cookie")?.unwrap_or_default();
    Ok(BrowserBinding::from_cookie_header(
        &cookies,
        config.cookie_scope(),
    ))
}

fn no_confirmation() -> Error {
    Error::new(
        ErrorCode::ConfirmationRequired,
        "this browser has no login waiting for confirmation",
    )
}

/// `POST /callback` with the confirmation page's form (`state=...`): the browser that
/// redeemed the login confirms it, gets the session and goes on (303). The router has
/// already required a form body and this Worker's own `Origin`.
pub async fn confirm_form(
    req: &Request,
    body: &str,
    env: &Env,
    config: &Config,
) -> worker::Result<Answer> {
    let state = form_urlencoded::parse(body.as_bytes())
        .find(|(name, _)| name == "state")
        .map(|(_, value)| value.into_owned());
    let (Some(state), Some(binding)) = (state, confirming_binding(req, config)?) else {
        return login_failed(&no_confirmation(), config, None);
    };
    let store = TransactionStore::from_env(env, &config.state_key)?;
    match store.confirm(&state, &binding.sha256()).await {
        Ok(done) => {
            let mut response = redirect_with_status(&done.return_to, 303)?;
            add_session_cookie(&mut response, &done, config)?;
            Answer::ok(response)
        }
        Err(e) => login_failed(&e, config, None),
    }
}

/// The body of `POST /api/callback`: the callback's raw query, or its parameters.
/// A struct of options rather than an untagged enum: serde buffers an untagged enum's
/// input to try each variant, code the Worker's wasm paid for in KB.
#[derive(Deserialize)]
pub struct CallbackBody {
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    iss: Option<String>,
}

impl CallbackBody {
    /// The callback's query: `query` as given, else `code` and `state` (and `iss`).
    fn into_query(self) -> Option<String> {
        if let Some(query) = self.query {
            return Some(query);
        }
        let mut form = form_urlencoded::Serializer::new(String::new());
        form.append_pair("code", &self.code?)
            .append_pair("state", &self.state?);
        if let Some(iss) = &self.iss {
            form.append_pair("iss", iss);
        }
        Some(form.finish())
    }
}

/// `POST /api/callback`: as `GET /callback`, answering `200 {user}` with the session
/// cookie, or, for another browser in the automatic flow, `202 {confirm: {name}, state}`
/// (show the name, then `POST /api/confirm`). Failures are `{error, message, hint}`.
pub async fn api_callback(
    req: &Request,
    body: &str,
    env: &Env,
    config: &Config,
) -> worker::Result<Answer> {
    let query = match serde_json::from_str::<CallbackBody>(body)
        .ok()
        .and_then(CallbackBody::into_query)
    {
        Some(query) => query,
        None => {
            let e = Error::new(
                ErrorCode::CallbackInvalid,
                "the body must be JSON {code, state, iss?} or {query}",
            );
            return error_answer(&e, config);
        }
    };
    let browser = calling_browser(req, config)?;
    let store = TransactionStore::from_env(env, &config.state_key)?;
    match complete::complete_login(env, &store, config, &query, &browser).await? {
        Ok(Finished::LoggedIn(done)) => {
            let mut response = json_response(200, &json!({ "user": done.user }))?;
            add_session_cookie(&mut response, &done, config)?;
            Answer::ok(response)
        }
        Ok(Finished::Confirm { result, state }) => {
            let body = json!({ "confirm": { "name": result.display_name }, "state": state });
            let mut response = json_response(202, &body)?;
            bind_if_new(&mut response, &browser, config)?;
            Answer::ok(response)
        }
        Err(failure) => error_answer(&failure.error, config),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfirmBody {
    state: String,
}

/// `POST /api/confirm {state}`: the front-end's "Continue as ..." button, in the
/// browser that got the 202.
pub async fn api_confirm(
    req: &Request,
    body: &str,
    env: &Env,
    config: &Config,
) -> worker::Result<Answer> {
    let Ok(ConfirmBody { state }) = serde_json::from_str(body) else {
        let e = Error::new(ErrorCode::InvalidOptions, "the body must be JSON {state}");
        return error_answer(&e, config);
    };
    let Some(binding) = confirming_binding(req, config)? else {
        return error_answer(&no_confirmation(), config);
    };
    let store = TransactionStore::from_env(env, &config.state_key)?;
    match store.confirm(&state, &binding.sha256()).await {
        Ok(done) => {
            let mut response = json_response(200, &json!({ "user": done.user }))?;
            add_session_cookie(&mut response, &done, config)?;
            Answer::ok(response)
        }
        Err(e) => error_answer(&e, config),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_bodies() {
        let query = |body: &str| {
            serde_json::from_str::<CallbackBody>(body)
                .ok()
                .and_then(CallbackBody::into_query)
        };
        assert_eq!(
            query(r#"{"query":"?code=a&state=b"}"#).as_deref(),
            Some("?code=a&state=b")
        );
        assert_eq!(
            query(r#"{"code":"a b","state":"s","iss":"https://i/"}"#).as_deref(),
            Some("code=a+b&state=s&iss=https%3A%2F%2Fi%2F")
        );
        assert_eq!(query(r#"{"code":"a"}"#), None);
        assert_eq!(query(r#"{"state":"s"}"#), None);
        assert_eq!(query(r#"[1]"#), None);
        assert!(serde_json::from_str::<ConfirmBody>(r#"{"state":"s","x":1}"#).is_err());
    }
}
