//! `GET {base}/phone-callback?code=..&state=..`: the redirect variant of login from
//! phone number (`requested_flow=login_to_webpage`). Vipps opens this on the phone
//! after the user approved; the page the phone shows is for that user, the verified
//! login goes to the shop through `GET /api/phone-login/{id}`.
//!
//! 1. `state` must be one this Worker minted for a phone login (an HMAC check): a
//!    forged or copied link is refused before any request or storage.
//! 2. The code is exchanged with `grant_type=urn:vipps:params:grant-type:ciba-redirect`
//!    (no `redirect_uri`); Vipps lets it be redeemed once, within about 30 s.
//! 3. The id_token's `authReqId` (or `auth_req_id`) must name a started login of this
//!    variant with this `state` ([`crate::phone_login::check_redeemable`]); then its
//!    ES256 signature, its claims (`aud` a string, no `nonce`, `authReqId` equal) and
//!    userinfo are checked ([`crate::ciba::PhoneTokens`]).
//! 4. The result is kept once: a second visit gets "already used".

use super::config::Config;
use super::phone_login::{ciba_call, user_of, verify_tokens};
use super::phone_logins::PhoneLoginStore;
use super::respond::{escape_html, for_provider, plain_page, Answer};
use super::transactions::now_secs;
use super::upstream::load_cache;
use crate::ciba::{redirect_token_request, Expect};
use crate::error::{Error, ErrorCode};
use crate::jose::UnverifiedJwt;
use crate::phone_login::Status;
use crate::token::process_token_response;
use worker::{Env, Request};

/// The longest query read (a code and a state are far shorter).
const MAX_QUERY_CHARS: usize = 4096;

fn page(e: Option<&Error>, config: &Config) -> worker::Result<Answer> {
    let Some(e) = e else {
        let response = plain_page(
            200,
            "Logged in",
            "<h1>You are logged in</h1><p>The shop now knows it is you. You can close this page and put your phone away.</p>",
        )?;
        return Answer::ok(response);
    };
    let e = for_provider(e, config);
    let words = match e.code() {
        ErrorCode::PhoneLoginAlreadyUsed | ErrorCode::TokenInvalidGrant => {
            "This login link was already used or has expired. Ask the shop to start the login again."
        }
        ErrorCode::VippsAccessDenied => "The login was cancelled.",
        _ => "The login could not be completed. Ask the shop to start it again.",
    };
    let status = match e.code() {
        ErrorCode::ProviderTimeout
        | ErrorCode::ProviderUnreachable
        | ErrorCode::TokenServerError => 502,
        _ => 400,
    };
    let body = format!(
        "<h1>Login did not complete</h1><p>{}</p><p class=\"code\">Error code: <code>{}</code></p>",
        escape_html(words),
        escape_html(e.code().as_str())
    );
    let response = plain_page(status, "Login did not complete", &body)?;
    Ok(Answer {
        response,
        error: Some(e.code().as_str()),
        message: Some(e.message().chars().take(300).collect()),
        hint: e.hint().map(str::to_string),
    })
}

/// The candidate `auth_req_id` named in an id_token not yet verified: only a key to
/// find the login by; nothing is trusted before [`verify_tokens`].
fn named_auth_req_id(id_token: &str) -> Option<String> {
    let jwt = UnverifiedJwt::parse_es256(id_token).ok()?;
    let claim = jwt
        .claims
        .get("authReqId")
        .or_else(|| jwt.claims.get("auth_req_id"))?;
    claim
        .as_str()
        .filter(|id| !id.is_empty() && id.len() <= crate::ciba::MAX_AUTH_REQ_ID_LEN)
        .map(str::to_string)
}

pub async fn callback(req: &Request, env: &Env, config: &Config) -> worker::Result<Answer> {
    let url = req.inner().url();
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split('#').next().unwrap_or("");
    let refused = |why: &str| Error::new(ErrorCode::CibaAuthReqIdMismatch, why.to_string());
    if query.len() > MAX_QUERY_CHARS {
        return page(Some(&refused("the callback's query is too long")), config);
    }
    let (mut code, mut state, mut error) = (None, None, None);
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        match name.as_ref() {
            "code" => code = Some(value.into_owned()),
            "state" => state = Some(value.into_owned()),
            "error" => error = Some(value.into_owned()),
            _ => {}
        }
    }
    let keys = &config.phone.keys;
    // Step 1: no request and no storage for a state this Worker did not mint.
    let Some(state) = state.filter(|s| keys.issued_state_at(s, now_secs())) else {
        return page(
            Some(&refused("the callback's state was not made by this Worker")),
            config,
        );
    };
    if error.is_some() {
        let e = Error::new(
            ErrorCode::VippsAccessDenied,
            "the phone's callback carries an error",
        );
        return page(Some(&e), config);
    }
    let Some(code) = code.filter(|c| !c.is_empty() && c.len() <= 2048) else {
        return page(Some(&refused("the callback has no code")), config);
    };
    // Step 2: the exchange (single use at Vipps).
    let before = load_cache(&config.issuer).await;
    let exchanged = ciba_call(
        config,
        &before,
        "the token endpoint",
        |endpoints, credentials| {
            redirect_token_request(endpoints, credentials, &code, &config.system_headers)
        },
        |response, _| process_token_response(response),
    )
    .await;
    let tokens = match exchanged {
        Ok(tokens) => tokens,
        Err(e) => return page(Some(&e), config),
    };
    // Step 3: the login the token names, of this variant and this state.
    let Some(named) = named_auth_req_id(&tokens.id_token) else {
        return page(Some(&refused("the id_token names no authReqId")), config);
    };
    let store = PhoneLoginStore::from_env(env)?;
    let login = match store.redeem(&named, &state, None).await? {
        Ok(login) => login,
        Err(e) => return page(Some(&e), config),
    };
    let expect = Expect::Redirect {
        auth_req_id: login.auth_req_id.clone(),
    };
    let (status, outcome) = match verify_tokens(env, config, tokens, expect, before).await {
        Ok(verified) => (
            Status::Approved {
                user: user_of(&verified),
            },
            None,
        ),
        Err(e) => (Status::failed(&for_provider(&e, config)), Some(e)),
    };
    // Step 4: kept once.
    if let Err(e) = store
        .redeem(&login.auth_req_id, &state, Some(status))
        .await?
    {
        return page(Some(&e), config);
    }
    page(outcome.as_ref(), config)
}
