//! Login from phone number: OpenID Connect CIBA (Client-Initiated Backchannel
//! Authentication Core 1.0) as Vipps runs it, merchant-initiated only (point of sale,
//! call centre, customer club). Sans-IO, in three parts:
//!
//! 1. The start (CIBA Core 7.1, 7.3): [`start_request`] and [`process_start_response`]
//!    (`{auth_req_id, expires_in, interval}`; Vipps' `invalid_user`, `old_app`, HTTP 429
//!    with `Retry-After`).
//! 2. The token request: the poll and ping modes' `grant_type=urn:openid:params:grant-type:ciba`
//!    ([`poll_request`], CIBA Core 10.1) classified by [`process_poll_response`]
//!    (`authorization_pending`, `slow_down`, `expired_token`, `access_denied`, 429, the
//!    tokens, CIBA Core 11); the redirect variant's
//!    `grant_type=urn:vipps:params:grant-type:ciba-redirect` ([`redirect_token_request`],
//!    Vipps, no `redirect_uri`).
//! 3. [`PhoneTokens`], the machine that turns the tokens into a [`VerifiedPhoneLogin`]:
//!    the id_token's signature by `kid` (RS256 for poll and ping; ES256 for the redirect
//!    variant), its claims as the browser flow's (iss, aud, exp, iat; the nonce, or for
//!    the redirect variant `authReqId`), then userinfo with the same `sub`.
//!
//! The pacing (never faster than `interval`, +5 s on `slow_down`, `Retry-After`) is
//! kept by the adapter's storage with [`crate::phone_login`]'s transitions.

use crate::completion::TokenClient;
use crate::error::{Error, ErrorCode, Result};
use crate::http::{HttpRequest, HttpResponse};
use crate::id_token::{
    validate_ciba_redirect_claims, validate_id_token_claims, IdTokenClaims, IdTokenExpectations,
};
use crate::issuer::Endpoints;
use crate::jose::UnverifiedJwt;
use crate::machine::{check_signature, userinfo_step, KeyStep, Machine, ProviderCache, Step};
use crate::token::{
    form_request, process_token_response, read_json, ClientCredentials, Secret, SystemHeaders,
    TokenResponse,
};
use crate::userinfo::process_userinfo_response;
use serde::Deserialize;
use serde_json::{Map, Value};

/// The CIBA grant (CIBA Core 10.1).
pub const GRANT_CIBA: &str = "urn:openid:params:grant-type:ciba";
/// Vipps' grant for the redirect variant's code.
pub const GRANT_CIBA_REDIRECT: &str = "urn:vipps:params:grant-type:ciba-redirect";
/// Vipps' `requested_flow` for the redirect variant.
pub const FLOW_LOGIN_TO_WEBPAGE: &str = "login_to_webpage";
/// Longest `auth_req_id` accepted (Vipps': a UUID).
pub const MAX_AUTH_REQ_ID_LEN: usize = 256;
/// CIBA Core 7.3: "If no value is provided, clients MUST use 5 as the default".
pub const DEFAULT_INTERVAL_SECS: u64 = 5;
/// CIBA Core 11: on `slow_down` the interval grows by at least 5 seconds.
pub const SLOW_DOWN_SECS: u64 = 5;
/// Vipps' range for `requested_expiry`, and its default (`expires_in: 600`).
pub const MIN_EXPIRY_SECS: u64 = 60;
pub const MAX_EXPIRY_SECS: u64 = 900;
pub const DEFAULT_EXPIRY_SECS: u64 = 600;
/// The longest interval or `Retry-After` honoured: past it, the login would expire
/// first anyway.
pub const MAX_WAIT_SECS: u64 = MAX_EXPIRY_SECS;
/// `Retry-After` when a 429 carries none readable.
pub const DEFAULT_RETRY_AFTER_SECS: u64 = 5;

/// What the start request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartParams<'a> {
    pub scope: &'a str,
    /// `urn:msisdn:…` from [`crate::phone::login_hint`].
    pub login_hint: &'a str,
    pub binding_message: Option<&'a str>,
    pub state: &'a str,
    pub nonce: &'a str,
    /// [`MIN_EXPIRY_SECS`] to [`MAX_EXPIRY_SECS`].
    pub requested_expiry: u64,
    /// The redirect variant: `requested_flow=login_to_webpage` with this registered URI.
    pub redirect_uri: Option<&'a str>,
}

/// The backchannel authentication request (CIBA Core 7.1), client-authenticated as the
/// token endpoint is ([`crate::token::authenticate`]).
pub fn start_request(
    endpoints: &Endpoints,
    client: &ClientCredentials,
    params: &StartParams<'_>,
    system: &SystemHeaders,
) -> Result<HttpRequest> {
    let endpoint = endpoints
        .backchannel_authentication_endpoint
        .as_deref()
        .ok_or_else(|| {
            Error::new(
                ErrorCode::EndpointsUnknown,
                "the provider has no backchannel_authentication_endpoint (login from phone number)",
            )
        })?;
    if !(MIN_EXPIRY_SECS..=MAX_EXPIRY_SECS).contains(&params.requested_expiry) {
        return Err(Error::new(
            ErrorCode::InvalidOptions,
            format!("requested_expiry must be {MIN_EXPIRY_SECS} to {MAX_EXPIRY_SECS} seconds"),
        ));
    }
    if let Some(message) = params.binding_message {
        crate::phone::check_binding_message(message)?;
    }
    form_request(endpoint, client, system, |form| {
        form.append_pair("scope", params.scope)
            .append_pair("login_hint", params.login_hint);
        if let Some(message) = params.binding_message {
            form.append_pair("binding_message", message);
        }
        form.append_pair("state", params.state)
            .append_pair("nonce", params.nonce)
            .append_pair("requested_expiry", &params.requested_expiry.to_string());
        if let Some(uri) = params.redirect_uri {
            form.append_pair("requested_flow", FLOW_LOGIN_TO_WEBPAGE)
                .append_pair("redirect_uri", uri);
        }
    })
}

/// A started backchannel authentication (CIBA Core 7.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub auth_req_id: String,
    pub expires_in: u64,
    pub interval: u64,
}

#[derive(Deserialize)]
struct RawStarted {
    auth_req_id: Option<String>,
    expires_in: Option<Value>,
    interval: Option<Value>,
}

#[derive(Deserialize, Default)]
struct RawError {
    error: Option<String>,
    error_description: Option<String>,
}

/// A whole number of seconds, also as a string (some Vipps APIs send them so).
fn seconds(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `Retry-After` (RFC 9110 10.2.3): delay-seconds or an HTTP-date, at least 1 and at
/// most [`MAX_WAIT_SECS`]; [`DEFAULT_RETRY_AFTER_SECS`] when absent or unreadable.
pub fn retry_after_secs(value: Option<&str>, now: u64) -> u64 {
    let value = value.map(str::trim).unwrap_or("");
    let secs = match value.parse::<u64>() {
        Ok(secs) => Some(secs),
        Err(_) => crate::webhook::parse_http_date(value).map(|at| at.saturating_sub(now)),
    };
    secs.unwrap_or(DEFAULT_RETRY_AFTER_SECS)
        .clamp(1, MAX_WAIT_SECS)
}

fn valid_auth_req_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_AUTH_REQ_ID_LEN && id.bytes().all(|b| b.is_ascii_graphic())
}

/// Reads the start's answer. `retry_after`: the response's `Retry-After` header.
pub fn process_start_response(
    response: &HttpResponse,
    retry_after: Option<&str>,
    now: u64,
) -> Result<Started> {
    if response.status != 200 {
        return Err(ciba_error(
            response,
            retry_after,
            now,
            "the backchannel authentication endpoint",
        ));
    }
    let (raw, invalid) =
        read_json::<RawStarted>(response, "the backchannel authentication response")?;
    let auth_req_id = raw
        .auth_req_id
        .filter(|id| valid_auth_req_id(id))
        .ok_or_else(|| invalid("has no usable auth_req_id"))?;
    let expires_in = seconds(raw.expires_in.as_ref())
        .filter(|s| *s > 0)
        .ok_or_else(|| invalid("has no expires_in"))?
        .min(MAX_EXPIRY_SECS);
    let interval = seconds(raw.interval.as_ref())
        .unwrap_or(DEFAULT_INTERVAL_SECS)
        .clamp(1, MAX_WAIT_SECS);
    Ok(Started {
        auth_req_id,
        expires_in,
        interval,
    })
}

/// An OAuth error from the CIBA start or a CIBA token request, typed, with Vipps' hints.
fn ciba_error(response: &HttpResponse, retry_after: Option<&str>, now: u64, what: &str) -> Error {
    let raw: RawError = serde_json::from_slice(&response.body).unwrap_or_default();
    let error = raw.error.as_deref();
    if response.status == 429 || error == Some("too_many_requests") {
        let secs = retry_after_secs(retry_after, now);
        return Error::new(
            ErrorCode::VippsRateLimited,
            format!("{what} answered HTTP 429: retry after {secs} s"),
        )
        .with_detail("retryAfter", secs.to_string());
    }
    let code = match (error, response.status) {
        (Some("invalid_user"), _) => ErrorCode::VippsInvalidUser,
        (Some("old_app"), _) => ErrorCode::VippsOldApp,
        (Some("invalid_client"), _) | (None, 401) => ErrorCode::TokenInvalidClient,
        (Some("invalid_grant"), _) => ErrorCode::TokenInvalidGrant,
        (Some("invalid_request"), _) => ErrorCode::TokenInvalidRequest,
        (Some("invalid_scope"), _) => ErrorCode::VippsInvalidScope,
        (_, 500..=599) => ErrorCode::TokenServerError,
        (Some(_), _) => ErrorCode::TokenRejected,
        (None, _) => ErrorCode::TokenResponseInvalid,
    };
    let mut message = format!("{what} answered HTTP {}", response.status);
    if let Some(error) = error {
        message.push(' ');
        message.push_str(error);
    }
    if let Some(d) = &raw.error_description {
        message.push_str(": ");
        message.extend(d.chars().take(200));
    }
    let mut e = Error::new(code, message).with_detail("status", response.status.to_string());
    if let Some(error) = raw.error {
        e = e.with_detail("error", error);
    }
    e
}

/// The poll and ping modes' token request (CIBA Core 10.1).
pub fn poll_request(
    endpoints: &Endpoints,
    client: &ClientCredentials,
    auth_req_id: &str,
    system: &SystemHeaders,
) -> Result<HttpRequest> {
    form_request(&endpoints.token_endpoint, client, system, |form| {
        form.append_pair("grant_type", GRANT_CIBA)
            .append_pair("auth_req_id", auth_req_id);
    })
}

/// The redirect variant's token request: the code from the phone's visit, and no
/// `redirect_uri` (Vipps).
pub fn redirect_token_request(
    endpoints: &Endpoints,
    client: &ClientCredentials,
    code: &str,
    system: &SystemHeaders,
) -> Result<HttpRequest> {
    form_request(&endpoints.token_endpoint, client, system, |form| {
        form.append_pair("grant_type", GRANT_CIBA_REDIRECT)
            .append_pair("code", code);
    })
}

/// What a CIBA token request answered (CIBA Core 11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollAnswer {
    /// `authorization_pending`: ask again after the interval.
    Pending,
    /// `slow_down`: the interval grows by [`SLOW_DOWN_SECS`].
    SlowDown,
    /// `expired_token`.
    Expired,
    /// `access_denied`: the user said no on the phone.
    Denied,
    /// HTTP 429: ask again after this many seconds at the earliest.
    RateLimited(u64),
    /// The user approved: the tokens, still to be verified ([`PhoneTokens`]).
    Tokens(TokenResponse),
}

/// Classifies a CIBA token response. Other errors (`invalid_grant`, `invalid_client`,
/// 5xx) are errors: the login has failed.
pub fn process_poll_response(
    response: &HttpResponse,
    retry_after: Option<&str>,
    now: u64,
) -> Result<PollAnswer> {
    if (200..300).contains(&response.status) {
        return process_token_response(response).map(PollAnswer::Tokens);
    }
    if response.status == 429 {
        return Ok(PollAnswer::RateLimited(retry_after_secs(retry_after, now)));
    }
    let raw: RawError = serde_json::from_slice(&response.body).unwrap_or_default();
    Ok(match raw.error.as_deref() {
        Some("authorization_pending") => PollAnswer::Pending,
        Some("slow_down") => PollAnswer::SlowDown,
        Some("expired_token") => PollAnswer::Expired,
        Some("access_denied") => PollAnswer::Denied,
        _ => return Err(ciba_error(response, retry_after, now, "the token endpoint")),
    })
}

/// A phone login whose id_token (signature and claims) and userinfo were checked. Only
/// [`PhoneTokens`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPhoneLogin {
    claims: IdTokenClaims,
    userinfo: Map<String, Value>,
    scope: Option<String>,
}

impl VerifiedPhoneLogin {
    pub fn sub(&self) -> &str {
        &self.claims.sub
    }

    pub fn claims(&self) -> &IdTokenClaims {
        &self.claims
    }

    /// Userinfo as the provider sent it, its `sub` checked.
    pub fn userinfo(&self) -> &Map<String, Value> {
        &self.userinfo
    }

    /// The scopes granted, when the token response said.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }
}

/// Which id_token a [`PhoneTokens`] run expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// Poll and ping: RS256, the nonce sent at the start (as the browser flow).
    Ciba { nonce: String },
    /// The redirect variant: ES256, no nonce, `authReqId` (or `auth_req_id`) equal to
    /// the started request's.
    Redirect { auth_req_id: String },
}

impl Expect {
    fn alg(&self) -> &'static str {
        match self {
            Expect::Ciba { .. } => "RS256",
            Expect::Redirect { .. } => "ES256",
        }
    }
}

enum Stage {
    Jwks,
    Signature,
    Userinfo { claims: IdTokenClaims },
    Done,
}

/// The machine from a CIBA token response to a [`VerifiedPhoneLogin`] (module docs).
pub struct PhoneTokens<'a> {
    client: TokenClient<'a>,
    expect: Expect,
    endpoints: Endpoints,
    cache: ProviderCache,
    jwt: UnverifiedJwt,
    access_token: Secret,
    scope: Option<String>,
    jwks_fetched: bool,
    stage: Stage,
    /// A partner's merchant serial number: the id_token's `msn` must equal it.
    msn: Option<&'a str>,
}

// Holds the access token: only where it stands is shown.
impl std::fmt::Debug for PhoneTokens<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let stage = match self.stage {
            Stage::Jwks => "jwks",
            Stage::Signature => "signature",
            Stage::Userinfo { .. } => "userinfo",
            Stage::Done => "done",
        };
        f.debug_struct("PhoneTokens")
            .field("stage", &stage)
            .finish()
    }
}

fn unexpected() -> Error {
    Error::new(
        ErrorCode::InvalidOptions,
        "the phone login was fed out of order",
    )
}

impl<'a> PhoneTokens<'a> {
    /// Starts from the tokens ([`PollAnswer::Tokens`], or the redirect variant's
    /// token response): the algorithm is checked before any key is looked at (OIDC
    /// Core 3.1.3.7 step 7).
    pub fn start(
        tokens: TokenResponse,
        client: TokenClient<'a>,
        expect: Expect,
        cache: ProviderCache,
        now: u64,
    ) -> Result<(Self, Step<VerifiedPhoneLogin>)> {
        let jwt = match expect {
            Expect::Ciba { .. } => UnverifiedJwt::parse(&tokens.id_token)?,
            Expect::Redirect { .. } => UnverifiedJwt::parse_es256(&tokens.id_token)?,
        };
        let endpoints = cache.endpoints(client.issuer, now)?;
        let mut machine = PhoneTokens {
            client,
            expect,
            endpoints,
            cache,
            jwt,
            access_token: tokens.access_token,
            scope: tokens.scope,
            jwks_fetched: false,
            stage: Stage::Done,
            msn: None,
        };
        let step = machine.key_step(now)?;
        Ok((machine, step))
    }

    /// Partners (Vipps): the id_token's `msn` must be this merchant serial number.
    pub fn expecting_msn(mut self, msn: Option<&'a str>) -> Self {
        self.msn = msn;
        self
    }

    /// The discovery document and JWKS as this run left them, for the adapter to keep.
    pub fn cache(&self) -> &ProviderCache {
        &self.cache
    }

    fn key_step(&mut self, now: u64) -> Result<Step<VerifiedPhoneLogin>> {
        let step = self.cache.key_step(
            &self.jwt,
            self.expect.alg(),
            true,
            &self.endpoints.jwks_uri,
            !self.jwks_fetched,
            now,
        )?;
        self.stage = match step {
            KeyStep::Verify(_) => Stage::Signature,
            KeyStep::Fetch(_) => Stage::Jwks,
        };
        Ok(step.into())
    }
}

impl Machine for PhoneTokens<'_> {
    type Output = VerifiedPhoneLogin;

    fn receive(&mut self, response: HttpResponse, now: u64) -> Result<Step<VerifiedPhoneLogin>> {
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Jwks => {
                self.cache.receive_jwks(&response, now)?;
                self.jwks_fetched = true;
                self.key_step(now)
            }
            Stage::Userinfo { claims } => {
                // OIDC Core 5.3.2: userinfo's sub must be the id_token's.
                let userinfo = process_userinfo_response(&response, &claims.sub)?;
                Ok(Step::Done(VerifiedPhoneLogin {
                    claims,
                    userinfo,
                    scope: self.scope.take(),
                }))
            }
            Stage::Signature | Stage::Done => Err(unexpected()),
        }
    }

    fn verified(&mut self, valid: bool, now: u64) -> Result<Step<VerifiedPhoneLogin>> {
        if !matches!(
            std::mem::replace(&mut self.stage, Stage::Done),
            Stage::Signature
        ) {
            return Err(unexpected());
        }
        // OIDC Core 3.1.3.7 steps 6-8.
        check_signature(valid)?;
        let c = &self.client;
        let msn = self.msn;
        let mut expected = IdTokenExpectations {
            issuer: c.issuer.as_str(),
            client_id: &c.credentials.client_id,
            nonce: "",
            acr: None,
            msn,
            leeway_secs: c.leeway_secs,
        };
        let claims = match &self.expect {
            Expect::Ciba { nonce } => {
                expected.nonce = nonce;
                validate_id_token_claims(&self.jwt, &expected, now)?
            }
            Expect::Redirect { auth_req_id } => {
                validate_ciba_redirect_claims(&self.jwt, &expected, auth_req_id, now)?
            }
        };
        let outbound = userinfo_step(&self.endpoints, &self.access_token)?;
        self.stage = Stage::Userinfo { claims };
        Ok(Step::Send(outbound))
    }
}

#[cfg(test)]
#[path = "ciba_tests.rs"]
mod tests;
