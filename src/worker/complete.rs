//! Completing a login in the Worker: the callback's `state` claims the transaction in
//! its Durable Object, presenting the code's hash and the browser's binding
//! ([`crate::binding`]); the core's [`Completion`] machine then does every protocol step
//! (run by [`upstream::run`]), and the result is sealed into a session and stored for
//! duplicates. This file only moves values between the store, the machine and the
//! session.

use super::config::Config;
use super::transactions::{now_secs, ClaimReply, ClaimRequest, TransactionStore};
use super::upstream;
use crate::binding::BrowserBinding;
use crate::callback::{read_callback_params, vipps_error};
use crate::completion::{Completion, TokenClient, VerifiedLogin};
use crate::error::{Error, ErrorCode, Result};
use crate::session::{seal, Session};
use crate::transaction::{CompletedLogin, LoginTransaction};
use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// How often, and how long, a duplicate callback asks whether the first one is done.
const POLL_INTERVAL_MS: u64 = 250;
const POLL_ATTEMPTS: u32 = 20;

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

/// The browser a callback comes from: its binding cookie, or a fresh one made for it
/// (`had_cookie` false), which the response then sets if a confirmation page follows.
pub struct CallingBrowser {
    pub binding: BrowserBinding,
    pub had_cookie: bool,
}

/// Completes the login a callback query (`code`, `state`, `iss`, or Vipps' `error`)
/// belongs to. The outer `Result` is the runtime's (storage down); the inner one the
/// login's. A duplicate in the same browser gets the same result; the code is redeemed
/// once; another browser is refused without consuming anything.
pub async fn complete_login(
    store: &TransactionStore,
    config: &Config,
    query: &str,
    browser: &CallingBrowser,
) -> worker::Result<Result<Finished>> {
    let params = match read_callback_params(query) {
        Ok(params) => params,
        Err(e) => return Ok(Err(e)),
    };
    let Some(state) = params.state else {
        // Without state there is no transaction to find, but an error callback still
        // says what went wrong at Vipps (it grants nothing): show that.
        if let Some(error) = &params.error {
            return Ok(Err(vipps_error(error, params.error_description.as_deref())));
        }
        return Ok(Err(Error::new(
            ErrorCode::CallbackMissingState,
            "the callback has no state",
        )));
    };
    let request = ClaimRequest {
        state,
        code_sha256: Base64UrlUnpadded::encode_string(&Sha256::digest(
            params.code.unwrap_or_default(),
        )),
        browser_sha256: browser.binding.sha256(),
        had_cookie: browser.had_cookie,
    };

    let mut reply = store.claim(&request).await?;
    for _ in 0..POLL_ATTEMPTS {
        if !matches!(reply, Ok(ClaimReply::InProgress)) {
            break;
        }
        // Another callback for this login (a reload, a double click) is redeeming the
        // code: wait for its result rather than redeem the code a second time.
        worker::Delay::from(Duration::from_millis(POLL_INTERVAL_MS)).await;
        reply = store.claim(&request).await?;
    }
    let state = &request.state;
    match reply {
        Err(e) => Ok(Err(e)),
        Ok(ClaimReply::Completed { result }) => Ok(Ok(Finished::LoggedIn(result))),
        Ok(ClaimReply::AwaitingConfirmation { result }) => Ok(Ok(Finished::Confirm {
            result,
            state: state.clone(),
        })),
        Ok(ClaimReply::InProgress) => Ok(Err(Error::new(
            ErrorCode::ProviderTimeout,
            "another request for this login is still waiting for the provider",
        ))),
        Ok(ClaimReply::Redeem {
            transaction,
            confirm,
        }) => match redeem(config, transaction, query).await {
            Ok(result) => {
                // If the redemption outlived its time limit the object has let go of
                // it; this request still answers with the result.
                store.complete(state, &result).await?;
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
                // The login is over either way: a code is tried once.
                store.discard(state).await?;
                Ok(Err(e))
            }
        },
    }
}

/// The core's completion, then the session.
async fn redeem(
    config: &Config,
    transaction: LoginTransaction,
    query: &str,
) -> Result<CompletedLogin> {
    let client = TokenClient {
        issuer: &config.issuer,
        credentials: &config.credentials,
        system_headers: &config.system_headers,
        leeway_secs: config.clock_leeway_secs,
    };
    let verified = upstream::run(&config.issuer, config.http_timeout_ms, |cache| {
        Completion::start(transaction, query, client, cache, now_secs())
    })
    .await?;
    completed(config, &verified, now_secs())
}

/// A verified login as the Worker keeps it: the sealed session, the user for the
/// front-end (without [`PRIVATE_CLAIMS`]), where to go, and who it is.
fn completed(config: &Config, verified: &VerifiedLogin, now: u64) -> Result<CompletedLogin> {
    let session = Session::from_userinfo(verified.sub(), verified.userinfo(), now);
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
