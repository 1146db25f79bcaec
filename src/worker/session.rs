//! The session routes: `GET /api/session` reads the sealed session cookie,
//! `POST /api/logout` clears it.

use super::config::Config;
use super::respond::{error_answer_with_status, json_response, Answer};
use super::transactions::now_secs;
use crate::error::{Error, ErrorCode};
use crate::session::{clear_cookie, open, read_cookie};
use serde_json::json;
use worker::Request;

/// `GET /api/session`: the user in the session cookie, or 401.
pub fn session(req: &Request, config: &Config) -> worker::Result<Answer> {
    let cookies = req.headers().get("cookie")?.unwrap_or_default();
    let opened = read_cookie(&cookies, config.cookie_scope())
        .ok_or_else(|| Error::new(ErrorCode::SessionInvalid, "there is no session cookie"))
        .and_then(|value| open(value, config.session_secret.expose().as_bytes(), now_secs()));
    match opened {
        Ok(s) => {
            // sub, and name, given_name and email when the session has them.
            let mut user = json!(s);
            if let Some(fields) = user.as_object_mut() {
                fields.remove("iat");
                fields.remove("exp");
            }
            Answer::ok(json_response(200, &json!({ "user": user }))?)
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
