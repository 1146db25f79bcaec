//! The session routes: `GET /api/session` reads the sealed session cookie,
//! `POST /api/logout` clears it.

use super::config::Config;
use super::respond::{error_answer_with_status, json_response, Answer};
use super::transactions::now_secs;
use crate::error::{Error, ErrorCode};
use crate::session::{
    clear_cookie, open_rotating, read_cookie, seal, PreviousSecret, SealedWith, SESSION_COOKIE,
};
use serde_json::json;
use worker::Request;

/// `GET /api/session`: the user in the session cookie, or 401. A session sealed with
/// `SESSION_SECRET_PREVIOUS` (before its `_UNTIL`) is answered and re-sealed under
/// `SESSION_SECRET` with the time it has left, so that active users move to the new key.
pub fn session(req: &Request, config: &Config) -> worker::Result<Answer> {
    let cookies = req.headers().get("cookie")?.unwrap_or_default();
    let now = now_secs();
    let current = config.session_secret.expose().as_bytes();
    let previous = config
        .previous_session_secret
        .as_ref()
        .map(|(secret, until)| PreviousSecret {
            secret: secret.expose().as_bytes(),
            until: *until,
        });
    let opened = read_cookie(&cookies, config.cookie_scope())
        .ok_or_else(|| Error::new(ErrorCode::SessionInvalid, "there is no session cookie"))
        .and_then(|value| open_rotating(value, current, previous, now));
    let resealed = match &opened {
        Ok((s, SealedWith::Previous)) => match seal(s, current) {
            Ok(sealed) => Some(config.cookie_scope().set_cookie(
                SESSION_COOKIE,
                &sealed,
                s.exp.saturating_sub(now),
            )),
            Err(e) => return error_answer_with_status(&e, 500, config),
        },
        _ => None,
    };
    match opened.map(|(s, _)| s) {
        Ok(s) => {
            // sub, and name, given_name and email when the session has them.
            let mut user = json!(s);
            if let Some(fields) = user.as_object_mut() {
                fields.remove("iat");
                fields.remove("exp");
            }
            let mut response = json_response(200, &json!({ "user": user }))?;
            if let Some(line) = resealed {
                response.headers_mut().append("set-cookie", &line)?;
            }
            Answer::ok(response)
        }
        Err(e) => error_answer_with_status(&e, 401, config),
    }
}

/// `POST /api/logout`: clears the session cookie. Vipps has no merchant-initiated
/// logout: this ends the shop's own session only.
pub fn logout(config: &Config) -> worker::Result<Answer> {
    let mut response = json_response(200, &json!({ "ok": true }))?;
    response
        .headers_mut()
        .append("set-cookie", &clear_cookie(config.cookie_scope()))?;
    Answer::ok(response)
}
