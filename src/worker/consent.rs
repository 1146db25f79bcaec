//! `POST {base}/webhooks/consent-revoked`: Vipps' consent-revoked webhook, a `text/plain`
//! unsigned JWT ([`crate::consent`]), decoded with its size bounded before it is read,
//! checked, and handed to the shop's login hook (the `LOGIN_HOOK` binding or
//! `LOGIN_HOOK_URL`, signed as a login's hand-off) as a hint to re-check the user. Nothing
//! is stored. Answers: 200 `{ok, handedOver}`; 413/415/400 with the error code for an
//! oversized, non-text or malformed/stale/other-event body; 502 `login_hook_failed` when
//! the hook did not take it (so Vipps tries again).

use super::body::{self, Declared};
use super::complete::hand_off_target;
use super::config::{Config, LOGIN_HOOK};
use super::respond::{error_answer, error_answer_with_status, json_response, Answer};
use super::transactions::now_secs;
use super::upstream::{send, Transport};
use crate::consent::{decode_consent_revoked, MAX_BODY_BYTES};
use crate::error::{Error, ErrorCode};
use crate::handoff::{consent_revoked_request, process_consent_revoked_response};
use crate::machine::Purpose;
use serde_json::json;
use worker::{Env, Request};

fn too_large() -> Error {
    Error::new(
        ErrorCode::ConsentWebhookTooLarge,
        format!("the body is larger than {MAX_BODY_BYTES} bytes"),
    )
}

pub async fn consent_revoked(
    req: &mut Request,
    env: &Env,
    config: &Config,
) -> worker::Result<Answer> {
    // Vipps sends text/plain; a JSON or form body is someone else's request.
    let content_type = req.headers().get("content-type")?.unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("text/plain") {
        let e = Error::new(
            ErrorCode::ConsentWebhookMalformed,
            "the consent-revoked webhook is Content-Type: text/plain",
        );
        return error_answer_with_status(&e, 415, config);
    }
    let length = req.headers().get("content-length")?;
    match body::declared(length.as_deref(), MAX_BODY_BYTES) {
        Declared::TooLarge => return error_answer_with_status(&too_large(), 413, config),
        Declared::Invalid => {
            let e = Error::new(
                ErrorCode::ConsentWebhookMalformed,
                "Content-Length is not a number",
            );
            return error_answer(&e, config);
        }
        Declared::Within(_) | Declared::Unknown => {}
    }
    let Some(bytes) = body::read_limited(req.stream()?, MAX_BODY_BYTES).await? else {
        return error_answer_with_status(&too_large(), 413, config);
    };
    let now = now_secs();
    let revoked = match decode_consent_revoked(&bytes, now, config.clock_leeway_secs) {
        Ok(revoked) => revoked,
        Err(e) => return error_answer(&e, config),
    };
    let Some(target) = hand_off_target(env, config) else {
        // Nowhere to hand it: say so in the log, and answer 200 so Vipps does not retry
        // what cannot be delivered.
        let mut answer = Answer::ok(json_response(
            200,
            &json!({ "ok": true, "handedOver": false }),
        )?)?;
        answer.message = Some(
            "consent-revoked webhook received, but no LOGIN_HOOK binding or LOGIN_HOOK_URL is set: not handed to the shop".into(),
        );
        return Ok(answer);
    };
    let request = match consent_revoked_request(&target, &revoked, config.issuer.as_str(), now) {
        Ok(request) => request,
        Err(e) => return error_answer(&e, config),
    };
    let binding = env.service(LOGIN_HOOK).ok();
    let transport = binding
        .as_ref()
        .map_or(Transport::Fetch, Transport::Binding);
    let outcome = send(
        &request,
        Purpose::HandOff,
        config.http_timeout_ms,
        crate::handoff::MAX_RESPONSE_BYTES,
        transport,
    )
    .await
    .and_then(|response| process_consent_revoked_response(&response));
    match outcome {
        Ok(()) => Answer::ok(json_response(
            200,
            &json!({ "ok": true, "handedOver": true }),
        )?),
        Err(e) => error_answer(&e, config),
    }
}
