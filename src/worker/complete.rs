//! Completing a login (issue 4, "Completing a login"): the callback's `state` claims the
//! transaction in its Durable Object, then the core's steps in order — RFC 9207 `iss` and
//! Vipps' error mapping ([`parse_callback`]), the token exchange with the PKCE verifier
//! and the exact redirect URI, the id_token's RS256 signature (WebCrypto) and claims
//! (OIDC Core 3.1.3.7), userinfo with its `sub` checked, and the sealed session. This
//! file only sequences them and moves bytes ([`upstream`]).

use super::config::Config;
use super::transactions::{now_secs, ClaimReply, TransactionStore};
use super::upstream;
use crate::callback::{parse_callback, read_callback_params, vipps_error};
use crate::error::{Error, ErrorCode, Result};
use crate::id_token::{validate_id_token_claims, IdTokenExpectations};
use crate::jose::UnverifiedJwt;
use crate::session::{seal, Session};
use crate::token::{process_token_response, token_request, ClientCredentials};
use crate::transaction::{CompletedLogin, LoginTransaction};
use crate::userinfo::{process_userinfo_response, userinfo_request};
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

/// Completes the login a callback query (`code`, `state`, `iss`, or Vipps' `error`)
/// belongs to. The outer `Result` is the runtime's (storage down); the inner one the
/// login's. A duplicate of a completed callback gets the same result; the code is
/// redeemed once.
pub async fn complete_login(
    store: &TransactionStore,
    config: &Config,
    query: &str,
) -> worker::Result<Result<CompletedLogin>> {
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
    let code_sha256 =
        Base64UrlUnpadded::encode_string(&Sha256::digest(params.code.unwrap_or_default()));

    let mut reply = store.claim(&state, &code_sha256).await?;
    for _ in 0..POLL_ATTEMPTS {
        if reply != Some(ClaimReply::InProgress) {
            break;
        }
        // Another callback for this login (a reload, a double click) is redeeming the
        // code: wait for its result rather than redeem the code a second time.
        worker::Delay::from(Duration::from_millis(POLL_INTERVAL_MS)).await;
        reply = store.claim(&state, &code_sha256).await?;
    }
    match reply {
        None => Ok(Err(not_found())),
        Some(ClaimReply::Completed { result }) => Ok(Ok(result)),
        Some(ClaimReply::InProgress) => Ok(Err(Error::new(
            ErrorCode::ProviderTimeout,
            "another request for this login is still waiting for the provider",
        ))),
        Some(ClaimReply::Redeem { transaction }) => {
            match redeem(config, &transaction, query).await {
                Ok(result) => {
                    // If the redemption outlived its time limit the object has let go of
                    // it; this request still answers with the result.
                    store.complete(&state, &result).await?;
                    Ok(Ok(result))
                }
                Err(e) => {
                    // The login is over either way: a code is tried once.
                    store.discard(&state).await?;
                    Ok(Err(e))
                }
            }
        }
    }
}

fn not_found() -> Error {
    Error::new(
        ErrorCode::TransactionNotFound,
        "no login is waiting for this state",
    )
}

/// The protocol steps, from the callback to the session.
async fn redeem(config: &Config, txn: &LoginTransaction, query: &str) -> Result<CompletedLogin> {
    let timeout = config.http_timeout_ms;
    let issuer = config.issuer.as_str();

    // RFC 9207 iss, state (constant time), Vipps' error callbacks, code.
    let callback = parse_callback(query, &txn.state, Some(issuer))?;

    let discovered = upstream::discovery(&config.issuer, now_secs(), timeout).await?;
    let endpoints = upstream::endpoints(&config.issuer, discovered.as_ref())?;

    // Token request: client authentication as configured, the PKCE verifier and the
    // redirect URI sent to authorize, Vipps-System-* headers.
    let credentials = ClientCredentials {
        client_id: config.client_id.clone(),
        client_secret: config.client_secret.clone(),
        method: config.token_auth_method,
    };
    let verifier = txn.pkce_verifier()?;
    let request = token_request(
        &endpoints.token_endpoint,
        &credentials,
        &callback.code,
        &txn.redirect_uri,
        verifier.as_ref(),
        &config.system_headers,
    )?;
    let response = upstream::send(&request, "the token endpoint", timeout).await?;
    let tokens = process_token_response(&response)?;

    // The id_token: RS256 only (parse), the key by kid, the signature, then the claims.
    let jwt = UnverifiedJwt::parse(&tokens.id_token)?;
    let now = now_secs();
    let key =
        upstream::signing_key(&endpoints.jwks_uri, jwt.header.kid.as_deref(), now, timeout).await?;
    if !upstream::verify_rs256(&key, &jwt).await {
        return Err(Error::new(
            ErrorCode::IdTokenSignatureInvalid,
            "the id_token's signature does not verify with the provider's key",
        ));
    }
    let claims = validate_id_token_claims(
        &jwt,
        &IdTokenExpectations {
            issuer,
            client_id: &config.client_id,
            nonce: &txn.nonce,
            acr: None,
            leeway_secs: config.clock_leeway_secs,
        },
        now,
    )?;

    // Only now userinfo, whose sub must be the id_token's.
    let userinfo_endpoint = endpoints.userinfo_endpoint.as_deref().ok_or_else(|| {
        Error::new(
            ErrorCode::UserinfoFailed,
            "the provider has no userinfo endpoint",
        )
    })?;
    let response = upstream::send(
        &userinfo_request(userinfo_endpoint, &tokens.access_token),
        "userinfo",
        timeout,
    )
    .await?;
    let mut user = process_userinfo_response(&response, &claims.sub)?;

    let session = Session::from_userinfo(&claims.sub, &user, now);
    let sealed = seal(&session, config.session_secret.expose().as_bytes())?;
    for claim in PRIVATE_CLAIMS {
        user.remove(*claim);
    }
    Ok(CompletedLogin {
        session: sealed,
        user: Value::Object(user),
        return_to: txn.return_to.clone(),
    })
}
