//! Login from phone number (CIBA), merchant-initiated only: a point of sale, a call
//! centre, a customer club start it for a customer who is there with their phone, never
//! a web page (Vipps' rule; the browser login is for that). The protocol is the core's
//! ([`crate::ciba`], [`crate::phone_login`]); this module routes and moves bytes.
//!
//! - `POST {base}/api/phone-login` (`Authorization: Bearer <PHONE_LOGIN_API_KEY>`)
//!   `{phone, scope?, bindingMessage?, flow?: "poll"|"webpage"}` → 202 `{id, expiresIn,
//!   interval}`;
//! - `GET {base}/api/phone-login/{id}` (the same key) → `{id, status, ...}`: in poll mode
//!   at most one token request, and only when the interval has passed;
//! - `POST {base}/webhooks/vipps`: Vipps' `login.merchant-initiated.ping.v1` delivery,
//!   verified ([`crate::webhook`]), then one token request;
//! - `GET {base}/phone-callback` ([`super::phone_callback`]): the redirect variant.

use super::config::Config;
use super::es256::verify_es256;
use super::partner;
use super::phone_logins::PhoneLoginStore;
use super::respond::{error_body, for_provider, json_response, status_of, Answer};
use super::transactions::now_secs;
use super::upstream::{
    load_cache, send, send_with_retry_after, store_cache, verify_rs256, Transport,
    MAX_PROVIDER_RESPONSE_BYTES,
};
use crate::ciba::{
    self, poll_request, process_poll_response, process_start_response, start_request, Expect,
    PhoneTokens, PollAnswer, StartParams, VerifiedPhoneLogin,
};
use crate::completion::TokenClient;
use crate::error::{Error, ErrorCode};
use crate::http::{HttpRequest, HttpResponse};
use crate::issuer::Endpoints;
use crate::machine::{drive, Outbound, ProviderCache, SignatureCheck};
use crate::phone_login::{Mode, PhoneLogin, PollResult, Status, Trigger};
use crate::token::{ClientCredentials, TokenResponse};
use crate::webhook::{ping_auth_req_id, verify_delivery, Delivery};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use worker::{Env, Request};

/// The route of one login's status: `/api/phone-login/{id}`.
pub const STATUS_PREFIX: &str = "/api/phone-login/";

/// The error as a JSON answer with `status`.
pub fn failure(e: &Error, status: u16, config: &Config) -> worker::Result<Answer> {
    super::respond::error_answer_with_status(e, status, config)
}

/// `Authorization: Bearer <PHONE_LOGIN_API_KEY>`, compared in constant time (of
/// SHA-256 digests, so not even the length shows). `None`: allowed.
pub fn refuse_unauthorized(req: &Request, config: &Config) -> worker::Result<Option<Answer>> {
    let Some(key) = config.phone.api_key.as_ref() else {
        return Ok(Some(Answer::failed(
            super::respond::error_json(404, json!({ "error": "not_found" }))?,
            "not_found",
        )?));
    };
    let sent = req.headers().get("authorization")?.unwrap_or_default();
    let token = sent.strip_prefix("Bearer ").unwrap_or("").trim();
    let ok = bool::from(
        Sha256::digest(token.as_bytes()).ct_eq(&Sha256::digest(key.expose().as_bytes())),
    );
    if ok && !token.is_empty() {
        return Ok(None);
    }
    let e = Error::new(
        ErrorCode::PhoneLoginUnauthorized,
        "the phone-login API needs Authorization: Bearer <PHONE_LOGIN_API_KEY>",
    );
    let mut answer = failure(&e, 401, config)?;
    answer
        .response
        .headers_mut()
        .set("www-authenticate", "Bearer")?;
    Ok(Some(answer))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct StartBody {
    phone: String,
    scope: Option<String>,
    binding_message: Option<String>,
    flow: Option<String>,
}

/// The scope to ask for: `openid` plus the requested names, each one a configured
/// scope (`VIPPS_SCOPES`); all of them when none is requested.
fn scope_for(requested: Option<&str>, config: &Config) -> Result<String, Error> {
    let configured = config.scopes.as_slice();
    let Some(requested) = requested else {
        return Ok(config.scopes.to_scope_string());
    };
    let mut names = vec!["openid".to_string()];
    for name in requested.split(' ').filter(|n| !n.is_empty()) {
        if !configured.iter().any(|c| c == name) {
            return Err(Error::new(
                ErrorCode::OptionNotAllowed,
                format!(
                    "scope \"{}\" is not in VIPPS_SCOPES",
                    name.chars().take(40).collect::<String>()
                ),
            ));
        }
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    }
    Ok(names.join(" "))
}

/// `POST /api/phone-login`.
pub async fn start(body: &str, env: &Env, config: &Config) -> worker::Result<Answer> {
    let parsed: StartBody = match serde_json::from_str(body) {
        Ok(b) => b,
        Err(_) => {
            let e = Error::new(
                ErrorCode::InvalidOptions,
                "the body must be {\"phone\": \"+47 ...\", \"scope\"?, \"bindingMessage\"?, \"flow\"?: \"poll\"|\"webpage\"}",
            );
            return failure(&e, 400, config);
        }
    };
    match begin_login(&parsed, env, config).await? {
        Ok(answer) => Ok(answer),
        Err(e) => {
            let status = match e.code() {
                ErrorCode::VippsRateLimited => 429,
                ErrorCode::VippsInvalidUser | ErrorCode::VippsOldApp => 502,
                code => status_of(code),
            };
            let mut answer = failure(&e, status, config)?;
            if let Some(secs) = e.detail("retryAfter") {
                let e = for_provider(&e, config);
                let mut body = error_body(&e);
                body["retryAfter"] = json!(secs
                    .parse::<u64>()
                    .unwrap_or(ciba::DEFAULT_RETRY_AFTER_SECS));
                answer.response = json_response(429, &body)?;
                answer.response.headers_mut().set("retry-after", secs)?;
            }
            Ok(answer)
        }
    }
}

async fn begin_login(
    body: &StartBody,
    env: &Env,
    config: &Config,
) -> worker::Result<Result<Answer, Error>> {
    let settings = &config.phone;
    let login_hint = match crate::phone::login_hint(&body.phone) {
        Ok(hint) => hint,
        Err(e) => return Ok(Err(e)),
    };
    if let Some(message) = &body.binding_message {
        if let Err(e) = crate::phone::check_binding_message(message) {
            return Ok(Err(e));
        }
    }
    let mode = match body.flow.as_deref() {
        None | Some("poll") => settings.mode,
        Some("webpage") if settings.redirect_uri.is_some() => Mode::Webpage,
        Some(other) => {
            return Ok(Err(Error::new(
                ErrorCode::OptionNotAllowed,
                format!(
                    "flow \"{}\" is not allowed: \"poll\", or \"webpage\" when VIPPS_PHONE_REDIRECT_URI is set",
                    other.chars().take(20).collect::<String>()
                ),
            )))
        }
    };
    let scope = match scope_for(body.scope.as_deref(), config) {
        Ok(scope) => scope,
        Err(e) => return Ok(Err(e)),
    };
    let (state, nonce) = match (settings.keys.mint_state(), crate::random::random_nonce()) {
        (Ok(state), Ok(nonce)) => (state, nonce),
        (Err(e), _) | (_, Err(e)) => return Ok(Err(e)),
    };
    let now = now_secs();
    let cache = load_cache(&config.issuer).await;
    // Known endpoints before any partner token is fetched.
    if let Err(e) = cache.endpoints(&config.issuer, now) {
        return Ok(Err(e));
    }
    let params = StartParams {
        scope: &scope,
        login_hint: &login_hint,
        binding_message: body.binding_message.as_deref(),
        state: &state,
        nonce: &nonce,
        requested_expiry: settings.expiry_secs,
        redirect_uri: (mode == Mode::Webpage)
            .then_some(settings.redirect_uri.as_deref())
            .flatten(),
    };
    let started = ciba_call(
        config,
        &cache,
        "the backchannel authentication endpoint",
        |endpoints, credentials| {
            start_request(endpoints, credentials, &params, &config.system_headers)
        },
        |response, retry_after| process_start_response(response, retry_after, now_secs()),
    )
    .await;
    let started = match started {
        Ok(started) => started,
        Err(e) => return Ok(Err(e)),
    };
    let id = match settings.keys.id_for(&started.auth_req_id) {
        Ok(id) => id,
        Err(e) => return Ok(Err(e)),
    };
    let now_ms = js_sys::Date::now().max(0.0) as u64;
    let login = PhoneLogin {
        auth_req_id: started.auth_req_id,
        state,
        nonce,
        mode,
        issuer: config.issuer.as_str().to_string(),
        client_id: config.client_id.clone(),
        expires_at_ms: now_ms + started.expires_in * 1000,
        interval_secs: started.interval,
        next_poll_at_ms: now_ms + started.interval * 1000 + crate::phone_login::PACING_MARGIN_MS,
        lease_until_ms: 0,
        status: Status::Pending,
        finished_at_ms: None,
    };
    if !PhoneLoginStore::from_env(env)?.put(&login).await? {
        return Ok(Err(Error::new(
            ErrorCode::TokenResponseInvalid,
            "the provider answered an auth_req_id already in use",
        )));
    }
    let body = json!({ "id": id, "expiresIn": started.expires_in, "interval": started.interval });
    Ok(Ok(Answer::ok(json_response(202, &body)?)?))
}

/// A request to the provider (the CIBA start, a poll, the redirect variant's exchange)
/// with the client authentication [`partner::with_credentials`] gives (with partner
/// keys, the partner token first): `build` makes it from the issuer's endpoints, `read`
/// reads the answer and its `Retry-After`. `what` names the endpoint in errors.
pub(super) async fn ciba_call<T>(
    config: &Config,
    cache: &ProviderCache,
    what: &str,
    build: impl Fn(&Endpoints, &ClientCredentials) -> Result<HttpRequest, Error>,
    read: impl Fn(&HttpResponse, Option<&str>) -> Result<T, Error>,
) -> Result<T, Error> {
    partner::with_credentials(config, |credentials: ClientCredentials| {
        let (build, read) = (&build, &read);
        async move {
            let endpoints = cache.endpoints(&config.issuer, now_secs())?;
            let request = build(&endpoints, &credentials)?;
            let (response, retry_after) = send_with_retry_after(
                &request,
                what,
                false,
                config.http_timeout_ms,
                MAX_PROVIDER_RESPONSE_BYTES,
                Transport::Fetch,
            )
            .await?;
            read(&response, retry_after.as_deref())
        }
    })
    .await
}

/// `GET /api/phone-login/{id}`: the stored status; in poll mode, one token request
/// first when one is due.
pub async fn status(id: &str, env: &Env, config: &Config) -> worker::Result<Answer> {
    let not_found = || Error::new(ErrorCode::PhoneLoginNotFound, "no phone login has this id");
    // A forged id never reaches a Durable Object.
    let Some(auth_req_id) = config.phone.keys.auth_req_id_of_at(id, now_secs()) else {
        return failure(&not_found(), 404, config);
    };
    let store = PhoneLoginStore::from_env(env)?;
    let Some(begun) = store.begin(&auth_req_id, Trigger::Status).await? else {
        return failure(&not_found(), 404, config);
    };
    let login = if begun.poll {
        token_round(env, config, &store, begun.login).await?
    } else {
        begun.login
    };
    let mut body = login.view(js_sys::Date::now().max(0.0) as u64);
    body["id"] = json!(id);
    Answer::ok(json_response(200, &body)?)
}

/// One token request for `login` (its lease taken), and its result stored.
pub async fn token_round(
    env: &Env,
    config: &Config,
    store: &PhoneLoginStore,
    login: PhoneLogin,
) -> worker::Result<PhoneLogin> {
    let result = poll_once(env, config, &login).await;
    Ok(store
        .finish(&login.auth_req_id, result)
        .await?
        .unwrap_or(login))
}

/// Errors worth asking again about at the next interval: the provider was slow,
/// unreachable or failed, not the login.
fn transient(e: &Error) -> bool {
    matches!(
        e.code(),
        ErrorCode::ProviderTimeout | ErrorCode::ProviderUnreachable | ErrorCode::TokenServerError
    )
}

async fn poll_once(env: &Env, config: &Config, login: &PhoneLogin) -> PollResult {
    let failed = |e: &Error| PollResult::Final {
        status: Status::failed(&for_provider(e, config)),
    };
    if login.issuer != config.issuer.as_str() || login.client_id != config.client_id {
        return failed(&Error::new(
            ErrorCode::ConfigInvalid,
            "this phone login was started for another issuer or client than the one configured now",
        ));
    }
    let cache = load_cache(&config.issuer).await;
    let answer = ciba_call(
        config,
        &cache,
        "the token endpoint",
        |endpoints, credentials| {
            poll_request(
                endpoints,
                credentials,
                &login.auth_req_id,
                &config.system_headers,
            )
        },
        |response, retry_after| process_poll_response(response, retry_after, now_secs()),
    )
    .await;
    match answer {
        Ok(PollAnswer::Pending) => PollResult::Pending,
        Ok(PollAnswer::SlowDown) => PollResult::SlowDown,
        Ok(PollAnswer::RateLimited(secs)) => PollResult::RateLimited {
            retry_after_secs: secs,
        },
        Ok(PollAnswer::Expired) => PollResult::Final {
            status: Status::Expired,
        },
        Ok(PollAnswer::Denied) => PollResult::Final {
            status: Status::Denied,
        },
        Ok(PollAnswer::Tokens(tokens)) => {
            let expect = Expect::Ciba {
                nonce: login.nonce.clone(),
            };
            match verify_tokens(env, config, tokens, expect, cache).await {
                Ok(verified) => PollResult::Final {
                    status: Status::Approved {
                        user: user_of(&verified),
                    },
                },
                Err(e) => failed(&e),
            }
        }
        Err(e) if transient(&e) => PollResult::Pending,
        Err(e) => failed(&e),
    }
}

/// The verified user for the shop: `sub` and userinfo's claims (not `sid`).
pub fn user_of(verified: &VerifiedPhoneLogin) -> Value {
    let mut user = verified.userinfo().clone();
    user.remove("sid");
    user.insert("sub".into(), json!(verified.sub()));
    Value::Object(user)
}

/// Runs [`PhoneTokens`] to its end: the JWKS and userinfo through [`send`], the
/// signature through WebCrypto (RS256, or ES256 for the redirect variant).
pub async fn verify_tokens(
    _env: &Env,
    config: &Config,
    tokens: TokenResponse,
    expect: Expect,
    before: ProviderCache,
) -> Result<VerifiedPhoneLogin, Error> {
    let client = TokenClient {
        issuer: &config.issuer,
        credentials: &config.credentials,
        system_headers: &config.system_headers,
        leeway_secs: config.clock_leeway_secs,
    };
    let (machine, first) = PhoneTokens::start(tokens, client, expect, before.clone(), now_secs())?;
    let mut machine = machine.expecting_msn(config.msn.as_deref());
    let timeout = config.http_timeout_ms;
    let result = drive(
        &mut machine,
        first,
        |outbound: Outbound| async move {
            send(
                &outbound.request,
                outbound.purpose,
                timeout,
                MAX_PROVIDER_RESPONSE_BYTES,
                Transport::Fetch,
            )
            .await
        },
        |check: SignatureCheck| async move {
            match check.alg {
                "ES256" => verify_es256(&check).await,
                _ => verify_rs256(&check).await,
            }
        },
        now_secs,
    )
    .await;
    store_cache(&config.issuer, &before, machine.cache()).await;
    result
}

/// `POST /webhooks/vipps`: a verified `login.merchant-initiated.ping.v1` delivery
/// starts one token request for its login. A delivery that does not verify touches no
/// storage.
pub async fn ping(req: &Request, body: &str, env: &Env, config: &Config) -> worker::Result<Answer> {
    let Some(secret) = config.phone.webhook_secret.as_ref() else {
        return failure(
            &Error::new(ErrorCode::ConfigInvalid, "no VIPPS_WEBHOOK_SECRET"),
            404,
            config,
        );
    };
    let url = req.inner().url();
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let path_start = url[after_scheme..]
        .find('/')
        .map_or(url.len(), |i| after_scheme + i);
    let path_and_query = url[path_start..].split('#').next().unwrap_or("/");
    let host = match req.headers().get("host")? {
        Some(host) => host,
        None => url[after_scheme..path_start].to_string(),
    };
    let headers = req.headers();
    let (date, hash, authorization) = (
        headers.get("x-ms-date")?,
        headers.get("x-ms-content-sha256")?,
        headers.get("authorization")?,
    );
    let delivery = Delivery {
        method: "POST",
        path_and_query,
        host: &host,
        date: date.as_deref(),
        content_sha256: hash.as_deref(),
        authorization: authorization.as_deref(),
        body: body.as_bytes(),
    };
    if let Err(e) = verify_delivery(&delivery, secret.expose().as_bytes(), now_secs()) {
        return failure(&e, 401, config);
    }
    let auth_req_id = match ping_auth_req_id(body.as_bytes()) {
        Ok(id) => id,
        Err(e) => return failure(&e, 400, config),
    };
    let store = PhoneLoginStore::from_env(env)?;
    // Another integration's request on the same registration: acknowledged, nothing stored.
    let Some(begun) = store.begin(&auth_req_id, Trigger::Ping).await? else {
        return Answer::ok(json_response(200, &json!({ "received": true }))?);
    };
    let login = if begun.poll {
        token_round(env, config, &store, begun.login).await?
    } else {
        begun.login
    };
    let status = login.view(0)["status"].clone();
    Answer::ok(json_response(
        200,
        &json!({ "received": true, "status": status }),
    )?)
}
