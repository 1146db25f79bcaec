//! Completing a login in the Worker: the callback's `state` claims the transaction in
//! its Durable Object, presenting the code's hash and the browser's binding
//! ([`crate::binding`]); the core's [`Completion`] machine then does every protocol step,
//! the shop's login hook included (run by [`upstream::run`]), and the result is sealed
//! into a session and stored for duplicates. This file only moves values between the
//! store, the machine and the session.

use super::config::Config;
use super::transactions::{now_secs, ClaimReply, ClaimRequest, TransactionStore};
use super::{partner, upstream};
use crate::binding::BrowserBinding;
use crate::callback::{read_callback_params, vipps_error};
use crate::completion::{Completion, TokenClient, VerifiedLogin};
use crate::error::{Error, ErrorCode, Result};
use crate::handoff::HandOffTarget;
use crate::session::{seal, Session};
use crate::token::ClientCredentials;
use crate::transaction::{CompletedLogin, LoginTransaction};
use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::time::Duration;
use worker::Env;

/// How often a duplicate callback asks whether the first one is done.
const POLL_INTERVAL_MS: u64 = 250;
/// The most fetches one redemption makes: discovery, token, JWKS, userinfo, hand-off.
const MAX_FETCHES: u64 = 5;
/// What a redemption may spend beyond its fetches (storage, WebCrypto).
const LEASE_MARGIN_SECS: u64 = 5;

/// Claims not passed to the browser: the national identity number never leaves the
/// server, and `sid` is Vipps' session id, of no use to a front-end.
const PRIVATE_CLAIMS: &[&str] = &["nin", "sid"];

/// What a callback ends in.
#[derive(Debug)]
pub enum Finished {
    /// Set the session and send the user on.
    LoggedIn(CompletedLogin),
    /// Another browser (Vipps' automatic return): show who is logging in and ask.
    Confirm {
        result: CompletedLogin,
        state: String,
    },
}

/// A failed callback, and where its login wanted to go (when the transaction was
/// found), so the customer can be sent back there.
#[derive(Debug)]
pub struct Failure {
    pub error: Error,
    pub return_to: Option<String>,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure {
            error,
            return_to: None,
        }
    }
}

/// The browser a callback comes from: its binding cookie, or a fresh one made for it
/// (`had_cookie` false), which the response then sets if a confirmation page follows.
pub struct CallingBrowser {
    pub binding: BrowserBinding,
    pub had_cookie: bool,
}

/// How long one redemption may take: every fetch at its time limit, plus a margin. The
/// transaction's lease, and how long a duplicate waits for it.
pub fn lease_secs(config: &Config) -> u64 {
    MAX_FETCHES * u64::from(config.http_timeout_ms).div_ceil(1000) + LEASE_MARGIN_SECS
}

/// Completes the login a callback query (`code`, `state`, `iss`, or Vipps' `error`)
/// belongs to. The outer `Result` is the runtime's; the inner one the login's, storage
/// failures included (`storage_unavailable`: nothing is redeemed when the claim fails).
/// A duplicate in the same browser gets the same result; the code is redeemed once;
/// another browser is refused without consuming anything.
pub async fn complete_login(
    env: &Env,
    store: &TransactionStore<'_>,
    config: &Config,
    query: &str,
    browser: &CallingBrowser,
) -> worker::Result<std::result::Result<Finished, Failure>> {
    let params = match read_callback_params(query) {
        Ok(params) => params,
        Err(e) => return Ok(Err(e.into())),
    };
    let Some(state) = params.state else {
        // Without state there is no transaction to find, but an error callback still
        // says what went wrong at Vipps (it grants nothing): show that.
        if let Some(error) = &params.error {
            let e = vipps_error(error, params.error_description.as_deref());
            return Ok(Err(e.into()));
        }
        return Ok(Err(Error::new(
            ErrorCode::CallbackMissingState,
            "the callback has no state",
        )
        .into()));
    };
    let lease = lease_secs(config);
    let request = ClaimRequest {
        state,
        code_sha256: Base64UrlUnpadded::encode_string(&Sha256::digest(
            params.code.unwrap_or_default(),
        )),
        browser_sha256: browser.binding.sha256(),
        had_cookie: browser.had_cookie,
        lease_secs: lease,
    };

    let mut reply = store.claim(&request).await;
    // Another callback for this login (a reload, a double click) is redeeming the code:
    // wait for its result, as long as its lease, rather than redeem the code twice.
    let polls = lease * 1000 / POLL_INTERVAL_MS;
    for _ in 0..polls {
        if !matches!(reply, Ok(ClaimReply::InProgress)) {
            break;
        }
        worker::Delay::from(Duration::from_millis(POLL_INTERVAL_MS)).await;
        reply = store.claim(&request).await;
    }
    let state = &request.state;
    match reply {
        Err(e) => Ok(Err(e.into())),
        Ok(ClaimReply::Completed { result }) => Ok(Ok(Finished::LoggedIn(result))),
        Ok(ClaimReply::AwaitingConfirmation { result }) => Ok(Ok(Finished::Confirm {
            result,
            state: state.clone(),
        })),
        Ok(ClaimReply::InProgress) => Ok(Err(Error::new(
            ErrorCode::ProviderTimeout,
            "another request for this login is still waiting for the provider",
        )
        .into())),
        Ok(ClaimReply::Redeem {
            transaction,
            confirm,
        }) => {
            let return_to = transaction.return_to.clone();
            match redeem(env, config, transaction, query, confirm).await {
                Ok(result) => {
                    // If the redemption outlived its lease the object has let go of it;
                    // this request still answers with the result.
                    // A store that fails now cannot take the result back from this
                    // customer: the code is redeemed, the login answered; the object
                    // lets go of the redemption when its lease ends, and the code is
                    // spent at Vipps.
                    if let Err(e) = store.complete(state, &result).await {
                        log_storage_failure(&e);
                    }
                    Ok(Ok(if confirm {
                        Finished::Confirm {
                            result,
                            state: state.clone(),
                        }
                    } else {
                        Finished::LoggedIn(result)
                    }))
                }
                Err(e) => {
                    if confirm && failed_on_callback(&e) {
                        // A browser without the binding brought a code or an error that
                        // did not check out: it may be forged, so the real user's login
                        // stays pending.
                        if let Err(e) = store.release(state, &request.code_sha256).await {
                            log_storage_failure(&e);
                        }
                    } else {
                        // The login is over: a code is tried once.
                        if let Err(e) = store.end(state).await {
                            log_storage_failure(&e);
                        }
                    }
                    Ok(Err(Failure {
                        error: e,
                        return_to: Some(return_to),
                    }))
                }
            }
        }
    }
}

/// A storage failure after the redemption: the login's own answer stands, the failure
/// goes to the log.
fn log_storage_failure(e: &Error) {
    if e.code() == ErrorCode::StorageUnavailable {
        worker::console_log!(
            "{}",
            serde_json::json!({ "level": "warn", "warning": e.code().as_str(), "message": e.message() })
        );
    }
}

/// Failures that come from what the callback brought, before the provider granted
/// anything: its parameters, its error, a code the token endpoint refused.
fn failed_on_callback(e: &Error) -> bool {
    let code = e.code();
    code.as_str().starts_with("vipps_")
        || matches!(
            code,
            ErrorCode::CallbackInvalid
                | ErrorCode::CallbackMissingCode
                | ErrorCode::CallbackParameterRepeated
                | ErrorCode::StateMismatch
                | ErrorCode::IssuerMismatch
                | ErrorCode::IssuerMissing
                | ErrorCode::TokenInvalidGrant
                | ErrorCode::TokenInvalidRequest
        )
}

/// The shop's login hook: the `LOGIN_HOOK` service binding (an internal URL, signed
/// only when `LOGIN_HOOK_SECRET` is set), else `LOGIN_HOOK_URL`.
pub fn hand_off_target(env: &Env, config: &Config) -> Option<HandOffTarget> {
    if env.service(super::config::LOGIN_HOOK).is_ok() {
        return Some(HandOffTarget {
            url: upstream::HOOK_BINDING_URL.to_string(),
            secret: config.hook_secret.clone(),
        });
    }
    config.hook_url.as_ref().map(|url| HandOffTarget {
        url: url.clone(),
        secret: config.hook_secret.clone(),
    })
}

/// The core's completion (the hand-off included), then the session. With partner keys
/// the partner token comes first, and a cached one the token endpoint refuses is
/// replaced once ([`partner::with_credentials`]).
async fn redeem(
    env: &Env,
    config: &Config,
    transaction: LoginTransaction,
    query: &str,
    confirm: bool,
) -> Result<CompletedLogin> {
    let target = hand_off_target(env, config);
    let verified = partner::with_credentials(config, |credentials: ClientCredentials| {
        let (target, transaction) = (target.clone(), transaction.clone());
        async move {
            let client = TokenClient {
                issuer: &config.issuer,
                credentials: &credentials,
                system_headers: &config.system_headers,
                leeway_secs: config.clock_leeway_secs,
            };
            upstream::run(env, &config.issuer, config.http_timeout_ms, |cache| {
                Completion::start(transaction, query, client, cache, now_secs())
                    .map(|(machine, first)| (machine.hand_off_to(target.as_ref(), confirm), first))
            })
            .await
        }
    })
    .await?;
    completed(config, &verified, now_secs())
}

/// A verified login as the Worker keeps it: the sealed session (with the hook's
/// claims), the user for the front-end (without [`PRIVATE_CLAIMS`]), where to go, and
/// who it is.
fn completed(config: &Config, verified: &VerifiedLogin, now: u64) -> Result<CompletedLogin> {
    let session = Session::from_userinfo(verified.sub(), verified.userinfo(), now)
        .with_claims(verified.session_claims());
    let sealed = seal(&session, config.session_secret.expose().as_bytes())?;
    let mut user = verified.userinfo().clone();
    for claim in PRIVATE_CLAIMS {
        user.remove(*claim);
    }
    Ok(CompletedLogin {
        session: sealed,
        user: Value::Object(user),
        return_to: verified.return_to().to_string(),
        display_name: verified.display_name(),
    })
}
