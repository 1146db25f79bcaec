//! Partner keys in the Worker: the partner access token ([`crate::partner`]) fetched
//! before a token request, and kept in this isolate's memory until a margin before it
//! expires, so a day of logins asks the Access Token API about once per isolate. One
//! token per isolate (the configured keys and issuer); when the token endpoint refuses
//! a cached one (`invalid_client`: revoked, or rotated keys) the caller forgets it and
//! asks once more ([`credentials`] with `refresh`).

use super::config::Config;
use super::transactions::now_secs;
use super::upstream::{send_with_retry_after, Transport};
use crate::error::{Error, ErrorCode};
use crate::partner::{access_token_request, process_access_token_response, PartnerToken};
use crate::token::ClientCredentials;
use std::cell::RefCell;
use std::future::Future;

/// Largest Access Token API answer read (a token response is about 2 KB).
const MAX_RESPONSE_BYTES: usize = 32 * 1024;

thread_local! {
    /// The token, and the issuer and partner client_id it is for.
    static TOKEN: RefCell<Option<(String, PartnerToken)>> = const { RefCell::new(None) };
}

fn cache_key(config: &Config, client_id: &str) -> String {
    format!("{} {client_id}", config.issuer.as_str())
}

/// Drops the cached token (the token endpoint refused it).
pub fn forget() {
    TOKEN.with_borrow_mut(|t| *t = None);
}

/// The client authentication for a token request (or the CIBA start): the sales unit's
/// secret, or with partner keys the partner token for `VIPPS_MSN` (cached, else fetched;
/// `refresh` fetches a new one). The `bool` says whether the token was fetched now.
pub async fn credentials(
    config: &Config,
    refresh: bool,
) -> Result<(ClientCredentials, bool), Error> {
    let (Some(keys), Some(msn)) = (&config.partner_keys, &config.msn) else {
        return Ok((config.credentials.clone(), false));
    };
    let key = cache_key(config, &keys.client_id);
    let now = now_secs();
    if !refresh {
        let cached = TOKEN.with_borrow(|t| {
            t.as_ref()
                .filter(|(k, token)| *k == key && token.is_fresh(now))
                .map(|(_, token)| token.clone())
        });
        if let Some(token) = cached {
            return Ok((token.credentials(&config.credentials, msn), false));
        }
    }
    let request = access_token_request(&config.issuer, keys, &config.system_headers)?;
    let (response, _) = send_with_retry_after(
        &request,
        "the Access Token API (POST /accesstoken/get)",
        false,
        config.http_timeout_ms,
        MAX_RESPONSE_BYTES,
        Transport::Fetch,
    )
    .await?;
    let token = process_access_token_response(&response, now_secs())?;
    let credentials = token.credentials(&config.credentials, msn);
    TOKEN.with_borrow_mut(|t| *t = Some((key, token)));
    Ok((credentials, true))
}

/// The advice for `invalid_client` when partner keys were used: the token was fresh, so
/// the merchant serial number is what the token endpoint refused.
pub fn partner_hint(e: Error) -> Error {
    if e.code() != ErrorCode::TokenInvalidClient {
        return e;
    }
    e.with_hint("With partner keys the token endpoint got a fresh partner token (Authorization: Bearer) and Merchant-Serial-Number: VIPPS_MSN. invalid_client then means the partner does not act for that merchant serial number, Login is not activated for its sales unit, or VIPPS_PARTNER_* are the other environment's keys.")
}

/// Runs `attempt` (a token request, the CIBA start) with the client authentication
/// [`credentials`] gives; with partner keys, an `invalid_client` to a cached token
/// forgets it and runs `attempt` once more with a fresh one (Vipps refuses the client
/// before it looks at the code or request, so nothing was spent), and a refusal of a
/// fresh one gets [`partner_hint`].
pub async fn with_credentials<T, F, Fut>(config: &Config, mut attempt: F) -> Result<T, Error>
where
    F: FnMut(ClientCredentials) -> Fut,
    Fut: Future<Output = Result<T, Error>>,
{
    let (first, fetched) = credentials(config, false).await?;
    if config.partner_keys.is_none() {
        return attempt(first).await;
    }
    let outcome = match attempt(first).await {
        Err(e) if !fetched && e.code() == ErrorCode::TokenInvalidClient => {
            forget();
            let (fresh, _) = credentials(config, true).await?;
            attempt(fresh).await
        }
        other => other,
    };
    outcome.map_err(partner_hint)
}
