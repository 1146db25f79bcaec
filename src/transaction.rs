//! The login transaction: what the server keeps between the authorization request and
//! the callback, keyed by `state`, single use, expiring within 15 minutes, bound to the
//! browser that started it (design.md, "Flow binding").
//!
//! It carries every expectation the login made (issuer, client, nonce, PKCE verifier,
//! redirect URI, `acr`, `msn`, whether RFC 9207 `iss` is required, the requested flow,
//! the browser binding), so the completion ([`crate::completion`]) checks each without
//! any layer having to remember it.
//!
//! A duplicate callback (reload, double click, prefetch) must not redeem the code twice:
//! the first callback moves the transaction to `Redeeming`, and once done to
//! `Completed`, which answers repeats with the same result for a short while, and only
//! in the browser that holds the login. Vipps may return the user in another browser
//! (`automatic_return_from_vipps_app`): only for that flow may a browser without the
//! binding redeem, and its result then waits in `AwaitingConfirmation` until that
//! browser confirms who is logging in. These are the pure transitions; the Worker's
//! Durable Object stores the value and applies them one request at a time, which is what
//! makes them atomic.

use crate::authorize::RequestedFlow;
use crate::binding::same_binding;
use crate::error::{Error, ErrorCode, Result};
use crate::random::PkceCodeVerifier;
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;

/// A pending login lives at most this long (Vipps' codes live "a couple of minutes";
/// the user may take longer in the app).
pub const TRANSACTION_TTL_SECS: u64 = 15 * 60;
/// How long a completed login answers duplicate callbacks with the same result.
pub const DUPLICATE_WINDOW_SECS: u64 = 120;
/// How long a redemption may take at the least before the object lets go of it; the
/// adapter asks for as long as its fetches may take ([`Presented::lease_secs`]).
pub const REDEEM_TIMEOUT_SECS: u64 = 30;
/// How long an ended login's tombstone stays at the least, so its state cannot be
/// registered again while anyone could still use it.
pub const ENDED_MIN_SECS: u64 = 60;
/// How long a login finished in another browser waits for that browser's confirmation.
pub const CONFIRM_WINDOW_SECS: u64 = 5 * 60;
/// Front-end-made state and nonce must carry at least 128 bits: 22 base64url characters.
pub const MIN_FRONT_END_RANDOM_LEN: usize = 22;

/// What is stored for a started login. `Debug` hides the nonce, the verifier and the
/// binding.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginTransaction {
    pub state: String,
    pub nonce: String,
    /// The PKCE verifier: a secret until the token request.
    pub code_verifier: Option<String>,
    /// The redirect URI sent to authorize: the token request must repeat it exactly.
    pub redirect_uri: String,
    /// Where to send the user afterwards: a same-origin path.
    pub return_to: String,
    pub created_at: u64,
    pub expires_at: u64,
    /// The issuer the callback's `iss` and the id_token's `iss` must equal.
    pub issuer: String,
    /// The id_token's `aud` must hold it.
    pub client_id: String,
    /// The scopes requested, space separated.
    pub scope: String,
    /// `acr_values` sent to authorize: the id_token's `acr` must be one of them.
    #[serde(default)]
    pub acr_values: Option<String>,
    /// A partner's merchant serial number sent to authorize: the id_token's `msn` must
    /// equal it.
    #[serde(default)]
    pub msn: Option<String>,
    /// RFC 9207 2.4: the provider advertises `authorization_response_iss_parameter_supported`,
    /// so a callback without `iss` is refused.
    #[serde(default)]
    pub iss_required: bool,
    /// Vipps' `requested_flow`, when one was sent.
    #[serde(default)]
    pub requested_flow: Option<String>,
    /// `BASE64URL(SHA-256(binding cookie))` of the browser that started the login.
    pub binding_sha256: String,
}

impl std::fmt::Debug for LoginTransaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginTransaction")
            .field("state", &self.state)
            .field("nonce", &"[redacted]")
            .field(
                "code_verifier",
                &self.code_verifier.as_ref().map(|_| "[redacted]"),
            )
            .field("redirect_uri", &self.redirect_uri)
            .field("return_to", &self.return_to)
            .field("expires_at", &self.expires_at)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("scope", &self.scope)
            .field("acr_values", &self.acr_values)
            .field("msn", &self.msn)
            .field("iss_required", &self.iss_required)
            .field("requested_flow", &self.requested_flow)
            .field("binding_sha256", &"[redacted]")
            .finish()
    }
}

impl LoginTransaction {
    /// The verifier, checked again on the way out of storage.
    pub fn pkce_verifier(&self) -> Result<Option<PkceCodeVerifier>> {
        self.code_verifier
            .as_deref()
            .map(PkceCodeVerifier::new)
            .transpose()
    }

    /// Whether Vipps may bring the user back in another browser, so a callback without
    /// the binding may complete after that browser's confirmation.
    pub fn allows_other_browser(&self) -> bool {
        self.requested_flow.as_deref() == Some(RequestedFlow::AutomaticReturnFromVippsApp.as_str())
    }
}

/// What the front-end sends to register its own login (`POST /api/login`): the values
/// it made with the npm package, and the per-login options the Worker's settings allow.
/// The Worker adds client_id, redirect URI and issuer from its configuration, so the
/// browser cannot change where the login goes.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FrontEndLogin {
    /// Refused when given: the Worker makes the state of every login (it authenticates
    /// it, [`crate::state`]) and answers it with the URL.
    #[serde(default)]
    pub state: Option<String>,
    pub nonce: String,
    pub code_verifier: String,
    #[serde(default)]
    pub return_to: Option<String>,
    #[serde(default)]
    pub market: Option<String>,
    #[serde(default)]
    pub requested_flow: Option<String>,
    #[serde(default)]
    pub final_redirect_is_app: Option<bool>,
    #[serde(default)]
    pub acr_values: Option<String>,
    /// A subset of the Worker's scopes, space separated.
    #[serde(default)]
    pub scope: Option<String>,
    /// Legacy `requestedFlow: "app_to_app"`: one of `VIPPS_APP_CALLBACK_URIS`.
    #[serde(default)]
    pub app_callback_uri: Option<String>,
}

debug_redacted!(FrontEndLogin { state, return_to, market, requested_flow, final_redirect_is_app, acr_values, scope, app_callback_uri; nonce, code_verifier });

impl FrontEndLogin {
    /// Refuses values too weak to bind a login: the nonce needs 128 bits
    /// (`randomNonce()` gives 256), the verifier RFC 7636's shape; and a state, which is
    /// the Worker's to make.
    pub fn validate(&self) -> Result<()> {
        if self.state.is_some() {
            return Err(Error::new(
                ErrorCode::InvalidOptions,
                "leave state out: the Worker makes the state of every login and answers it with the URL",
            )
            .with_hint("Keep the state from POST /api/login's answer ({url, state}) to check the callback with parseCallback()."));
        }
        let nonce = &self.nonce;
        let ok = nonce.len() >= MIN_FRONT_END_RANDOM_LEN
            && nonce.len() <= crate::authorize::MAX_STATE_LEN
            && nonce
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'));
        if !ok {
            return Err(Error::new(
                ErrorCode::InvalidOptions,
                format!("nonce must be {MIN_FRONT_END_RANDOM_LEN} to 256 URL-safe characters"),
            )
            .with_hint("Use randomNonce() from the vipps-login package."));
        }
        PkceCodeVerifier::new(&self.code_verifier).map(|_| ())
    }
}

/// A finished login, kept to answer duplicate callbacks alike. `Debug` hides the
/// sealed session and the user's data.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletedLogin {
    /// The sealed session cookie value.
    pub session: String,
    /// The user as the front-end sees it (`{ user }`).
    pub user: serde_json::Value,
    pub return_to: String,
    /// Who is logging in, for the confirmation page of another browser ("Continue as
    /// Kari Nordmann?").
    #[serde(default)]
    pub display_name: String,
}

debug_redacted!(CompletedLogin { return_to; session, user, display_name });

/// What the Durable Object stores under a state. `code_sha256` is the hash of the code
/// the first callback carried (never the code); `holder_sha256` the binding hash of the
/// browser that may see the result. Externally tagged (`{"pending": {...}}`): an
/// internally tagged enum makes serde buffer the value to find the tag (KBs of the
/// Worker's wasm, and work on every read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stored {
    Pending(LoginTransaction),
    /// A callback is exchanging the code now.
    Redeeming {
        transaction: LoginTransaction,
        until: u64,
        code_sha256: String,
        holder_sha256: String,
        /// Redeemed by another browser than the one that started: confirm first.
        confirm: bool,
    },
    /// Redeemed in another browser; waits until that browser confirms (or `until`).
    AwaitingConfirmation {
        result: CompletedLogin,
        until: u64,
        code_sha256: String,
        holder_sha256: String,
    },
    /// Done: repeats in the holder's browser get the same result until `until`.
    Completed {
        result: CompletedLogin,
        until: u64,
        code_sha256: String,
        holder_sha256: String,
    },
    /// Failed or cancelled: nothing left to use, but the state stays taken until
    /// `until`, so it cannot be registered again.
    Ended {
        until: u64,
    },
}

/// What a callback presents: the hash of its code, and the binding hash of its browser
/// (`had_cookie` false when the Worker has just made one for a browser without).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Presented<'a> {
    pub code_sha256: &'a str,
    pub browser_sha256: &'a str,
    pub had_cookie: bool,
    /// How long the redemption may take (all of its fetches, each with its time limit);
    /// at least [`REDEEM_TIMEOUT_SECS`].
    pub lease_secs: u64,
}

/// What a callback may do with the stored value.
// Made and consumed once per callback, never stored: the size of `Redeem` costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Go ahead and redeem the code; `confirm`: the result must be confirmed by this
    /// browser before a session is set.
    Redeem {
        transaction: LoginTransaction,
        confirm: bool,
    },
    /// Another callback is redeeming it: wait and ask again.
    InProgress,
    /// Redeemed, waiting for this browser's confirmation: show the page again.
    AwaitingConfirmation(CompletedLogin),
    /// A duplicate of a finished login in its browser: answer with the same result.
    Completed(CompletedLogin),
}

/// What to do with storage after a transition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    Keep,
    /// Boxed: a stored value is large, the other variants nothing.
    Put(Box<Stored>),
    Delete,
}

/// A transition's answer and what it writes. An error writes `Keep` unless the value is
/// gone for good (expired or unreadable: `Delete`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome<T> {
    pub reply: Result<T>,
    pub write: Write,
}

fn not_found() -> Error {
    Error::new(
        ErrorCode::TransactionNotFound,
        "no login is waiting for this state",
    )
}

fn same(a: &str, b: &str) -> bool {
    !a.is_empty() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn refused<T>(e: Error) -> Outcome<T> {
    Outcome {
        reply: Err(e),
        write: Write::Keep,
    }
}

fn gone<T>(stored: &Option<Stored>) -> Outcome<T> {
    Outcome {
        reply: Err(not_found()),
        write: if stored.is_some() {
            Write::Delete
        } else {
            Write::Keep
        },
    }
}

/// The transition a callback makes.
///
/// - A pending login is redeemed by the browser that started it; by another browser
///   only when the login asked for `automatic_return_from_vipps_app`, and then it must
///   be confirmed. Any other browser is refused and **nothing changes**: the real user
///   can still finish.
/// - A duplicate (same code, same browser) waits for the redemption or gets its result.
///   A "duplicate" with another code is answered as if the state were unknown; one from
///   another browser is refused; neither changes anything.
/// - Unknown, expired or abandoned: `transaction_not_found`, and the value is deleted.
pub fn claim(stored: Option<Stored>, presented: &Presented<'_>, now: u64) -> Outcome<Claim> {
    let browser = presented.browser_sha256;
    let binding_error = || {
        if presented.had_cookie {
            Error::new(
                ErrorCode::BrowserBindingMismatch,
                "this browser did not start this login",
            )
        } else {
            Error::new(
                ErrorCode::BrowserBindingMissing,
                "the callback came without the cookie of the browser that started the login",
            )
        }
    };
    match stored {
        Some(Stored::Pending(t)) if now < t.expires_at => {
            let bound = presented.had_cookie && same_binding(&t.binding_sha256, Some(browser));
            if !bound && !t.allows_other_browser() {
                return refused(binding_error());
            }
            let next = Stored::Redeeming {
                transaction: t.clone(),
                until: now + presented.lease_secs.max(REDEEM_TIMEOUT_SECS),
                code_sha256: presented.code_sha256.to_string(),
                holder_sha256: browser.to_string(),
                confirm: !bound,
            };
            Outcome {
                reply: Ok(Claim::Redeem {
                    transaction: t,
                    confirm: !bound,
                }),
                write: Write::Put(Box::new(next)),
            }
        }
        Some(Stored::Redeeming {
            until,
            ref code_sha256,
            ref holder_sha256,
            ..
        }) if now < until => {
            if !same(code_sha256, presented.code_sha256) {
                refused(not_found())
            } else if !same(holder_sha256, browser) {
                refused(binding_error())
            } else {
                Outcome {
                    reply: Ok(Claim::InProgress),
                    write: Write::Keep,
                }
            }
        }
        Some(Stored::AwaitingConfirmation {
            ref result,
            until,
            ref code_sha256,
            ref holder_sha256,
        }) if now < until => {
            if !same(code_sha256, presented.code_sha256) {
                refused(not_found())
            } else if !same(holder_sha256, browser) {
                refused(binding_error())
            } else {
                Outcome {
                    reply: Ok(Claim::AwaitingConfirmation(result.clone())),
                    write: Write::Keep,
                }
            }
        }
        Some(Stored::Completed {
            ref result,
            until,
            ref code_sha256,
            ref holder_sha256,
        }) if now < until => {
            if !same(code_sha256, presented.code_sha256) {
                refused(not_found())
            } else if !same(holder_sha256, browser) {
                refused(binding_error())
            } else {
                Outcome {
                    reply: Ok(Claim::Completed(result.clone())),
                    write: Write::Keep,
                }
            }
        }
        // An ended login: taken, but nothing to use.
        Some(Stored::Ended { until }) if now < until => refused(not_found()),
        // Expired, or a redemption that never finished (the isolate died: the code is
        // most likely spent, so the login cannot be completed any more).
        other => gone(&other),
    }
}

/// After a failed redemption that used the login up (the code was redeemed, the user
/// cancelled in their browser, a token failed its checks): a tombstone until the login
/// would have expired, so the state cannot be registered again.
pub fn end(stored: Option<Stored>, now: u64) -> Outcome<()> {
    let until = match &stored {
        Some(Stored::Pending(t)) | Some(Stored::Redeeming { transaction: t, .. }) => t.expires_at,
        _ => 0,
    }
    .max(now + ENDED_MIN_SECS);
    Outcome {
        reply: Ok(()),
        write: Write::Put(Box::new(Stored::Ended { until })),
    }
}

/// After a redemption that failed on what its callback brought (a code the provider
/// did not accept, an error or a callback that does not check out), when the browser
/// was not the binding one: the login goes back to pending, so a forged callback for a
/// live state (which may reach this far only in the automatic flow) cannot destroy the
/// real user's login. Only the redemption this code started is released.
pub fn release(stored: Option<Stored>, code_sha256: &str) -> Outcome<()> {
    match stored {
        Some(Stored::Redeeming {
            transaction,
            code_sha256: held,
            ..
        }) if same(&held, code_sha256) => Outcome {
            reply: Ok(()),
            write: Write::Put(Box::new(Stored::Pending(transaction))),
        },
        _ => Outcome {
            reply: Ok(()),
            write: Write::Keep,
        },
    }
}

/// After a successful redemption: `Completed` for the binding browser, or
/// `AwaitingConfirmation` for another browser. `false` in the reply when the object no
/// longer holds the redemption (it outlived its time limit).
pub fn complete(stored: Option<Stored>, result: CompletedLogin, now: u64) -> Outcome<bool> {
    match stored {
        Some(Stored::Redeeming {
            code_sha256,
            holder_sha256,
            confirm,
            ..
        }) => {
            let next = if confirm {
                Stored::AwaitingConfirmation {
                    result,
                    until: now + CONFIRM_WINDOW_SECS,
                    code_sha256,
                    holder_sha256,
                }
            } else {
                Stored::Completed {
                    result,
                    until: now + DUPLICATE_WINDOW_SECS,
                    code_sha256,
                    holder_sha256,
                }
            };
            Outcome {
                reply: Ok(true),
                write: Write::Put(Box::new(next)),
            }
        }
        _ => Outcome {
            reply: Ok(false),
            write: Write::Keep,
        },
    }
}

/// The other browser's confirmation (a POST from the page naming the user): only the
/// browser that redeemed the login may confirm it, within [`CONFIRM_WINDOW_SECS`]. A
/// second confirmation (double click) gets the same result.
pub fn confirm(stored: Option<Stored>, browser_sha256: &str, now: u64) -> Outcome<CompletedLogin> {
    let mismatch = || {
        Error::new(
            ErrorCode::ConfirmationRequired,
            "this browser has no login waiting for confirmation",
        )
    };
    match stored {
        Some(Stored::AwaitingConfirmation {
            result,
            until,
            code_sha256,
            holder_sha256,
        }) if now < until => {
            if !same(&holder_sha256, browser_sha256) {
                return refused(mismatch());
            }
            let next = Stored::Completed {
                result: result.clone(),
                until: now + DUPLICATE_WINDOW_SECS,
                code_sha256,
                holder_sha256,
            };
            Outcome {
                reply: Ok(result),
                write: Write::Put(Box::new(next)),
            }
        }
        Some(Stored::Completed {
            ref result,
            until,
            ref holder_sha256,
            ..
        }) if now < until => {
            if same(holder_sha256, browser_sha256) {
                Outcome {
                    reply: Ok(result.clone()),
                    write: Write::Keep,
                }
            } else {
                refused(mismatch())
            }
        }
        Some(Stored::Pending(t)) if now < t.expires_at => refused(mismatch()),
        Some(Stored::Ended { until }) if now < until => refused(mismatch()),
        Some(Stored::Redeeming { until, .. }) if now < until => refused(mismatch()),
        other => gone(&other),
    }
}

/// Registering a transaction: put-if-absent. A state is used once, whatever became of
/// its first login.
pub fn register(stored: Option<&str>, transaction: LoginTransaction) -> Outcome<()> {
    if stored.is_some() {
        return refused(
            Error::new(
                ErrorCode::InvalidOptions,
                "this state is already registered: make a new one for every login",
            )
            .with_hint("Use randomState() from the vipps-login package for every login."),
        );
    }
    Outcome {
        reply: Ok(()),
        write: Write::Put(Box::new(Stored::Pending(transaction))),
    }
}

/// When the stored value stops mattering: the Durable Object's alarm deletes it then.
pub fn expiry(stored: &Stored) -> u64 {
    match stored {
        Stored::Pending(t) => t.expires_at,
        Stored::Redeeming { until, .. }
        | Stored::AwaitingConfirmation { until, .. }
        | Stored::Completed { until, .. }
        | Stored::Ended { until } => *until,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BROWSER: &str = "browser-a-hash";
    const OTHER: &str = "browser-b-hash";

    pub(crate) fn txn(now: u64, flow: Option<&str>) -> LoginTransaction {
        LoginTransaction {
            state: "s".repeat(43),
            nonce: "n".repeat(43),
            code_verifier: Some("v".repeat(43)),
            redirect_uri: "https://shop.example/callback".into(),
            return_to: "/".into(),
            created_at: now,
            expires_at: now + TRANSACTION_TTL_SECS,
            issuer: "https://api.vipps.no/access-management-1.0/access/".into(),
            client_id: "client-1".into(),
            scope: "openid name".into(),
            acr_values: None,
            msn: None,
            iss_required: false,
            requested_flow: flow.map(str::to_string),
            binding_sha256: BROWSER.into(),
        }
    }

    fn done() -> CompletedLogin {
        CompletedLogin {
            session: "sealed".into(),
            user: serde_json::json!({"sub":"x"}),
            return_to: "/".into(),
            display_name: "Kari Nordmann".into(),
        }
    }

    fn from(code: &'static str, browser: &'static str, had_cookie: bool) -> Presented<'static> {
        Presented {
            code_sha256: code,
            browser_sha256: browser,
            had_cookie,
            lease_secs: 0,
        }
    }

    fn put(o: &Write) -> Option<Stored> {
        match o {
            Write::Put(s) => Some(*s.clone()),
            _ => panic!("expected a Put, got {o:?}"),
        }
    }

    #[test]
    fn debug_hides_nonce_verifier_and_binding() {
        let dbg = format!("{:?}", txn(0, None));
        for secret in ["n".repeat(43), "v".repeat(43), BROWSER.to_string()] {
            assert!(!dbg.contains(&secret), "{dbg}");
        }
    }

    #[test]
    fn single_use_in_the_binding_browser_then_duplicates_get_the_same_result() {
        let o = claim(
            Some(Stored::Pending(txn(100, None))),
            &from("h1", BROWSER, true),
            101,
        );
        assert!(matches!(o.reply, Ok(Claim::Redeem { confirm: false, .. })));
        let redeeming = put(&o.write);
        // A second callback while the first redeems: in progress, nothing redeemed twice.
        let o = claim(redeeming.clone(), &from("h1", BROWSER, true), 102);
        assert_eq!(o.reply, Ok(Claim::InProgress));
        assert_eq!(o.write, Write::Keep);
        // Done: repeats within the window get the same result.
        let o = complete(redeeming, done(), 103);
        assert_eq!(o.reply, Ok(true));
        let stored = put(&o.write);
        let o = claim(
            stored.clone(),
            &from("h1", BROWSER, true),
            103 + DUPLICATE_WINDOW_SECS - 1,
        );
        assert_eq!(o.reply, Ok(Claim::Completed(done())));
        let o = claim(
            stored,
            &from("h1", BROWSER, true),
            103 + DUPLICATE_WINDOW_SECS,
        );
        assert_eq!(o.reply.unwrap_err().code(), ErrorCode::TransactionNotFound);
        assert_eq!(o.write, Write::Delete);
    }

    #[test]
    fn another_browser_is_refused_and_consumes_nothing() {
        let pending = Some(Stored::Pending(txn(100, None)));
        let o = claim(pending.clone(), &from("h1", OTHER, false), 101);
        assert_eq!(
            o.reply.unwrap_err().code(),
            ErrorCode::BrowserBindingMissing
        );
        assert_eq!(o.write, Write::Keep);
        let o = claim(pending.clone(), &from("h1", OTHER, true), 101);
        assert_eq!(
            o.reply.unwrap_err().code(),
            ErrorCode::BrowserBindingMismatch
        );
        assert_eq!(o.write, Write::Keep);
        // A cookie-less browser presenting the starting browser's hash is still refused:
        // the Worker made that hash up for it.
        let o = claim(pending.clone(), &from("h1", BROWSER, false), 101);
        assert!(o.reply.is_err());
        // The real user still completes.
        let o = claim(pending, &from("h1", BROWSER, true), 102);
        assert!(matches!(o.reply, Ok(Claim::Redeem { confirm: false, .. })));
    }

    #[test]
    fn duplicates_from_another_browser_or_with_another_code_are_refused() {
        let pending = Some(Stored::Pending(txn(100, None)));
        let redeeming = put(&claim(pending, &from("h1", BROWSER, true), 101).write);
        let done_state = put(&complete(redeeming.clone(), done(), 102).write);
        for stored in [redeeming, done_state] {
            let o = claim(stored.clone(), &from("h1", OTHER, true), 103);
            assert_eq!(
                o.reply.unwrap_err().code(),
                ErrorCode::BrowserBindingMismatch
            );
            assert_eq!(o.write, Write::Keep);
            let o = claim(stored, &from("h2", BROWSER, true), 103);
            assert_eq!(o.reply.unwrap_err().code(), ErrorCode::TransactionNotFound);
            assert_eq!(o.write, Write::Keep);
        }
    }

    #[test]
    fn automatic_return_completes_in_another_browser_after_its_confirmation() {
        let flow = Some("automatic_return_from_vipps_app");
        let pending = Some(Stored::Pending(txn(100, flow)));
        let o = claim(pending, &from("h1", OTHER, false), 101);
        assert!(matches!(o.reply, Ok(Claim::Redeem { confirm: true, .. })));
        let redeeming = put(&o.write);
        let waiting = put(&complete(redeeming, done(), 102).write);
        assert!(matches!(waiting, Some(Stored::AwaitingConfirmation { .. })));
        // A reload in that browser shows the page again; a third browser gets nothing.
        let o = claim(waiting.clone(), &from("h1", OTHER, true), 103);
        assert_eq!(o.reply, Ok(Claim::AwaitingConfirmation(done())));
        let o = claim(waiting.clone(), &from("h1", "third", false), 103);
        assert_eq!(
            o.reply.unwrap_err().code(),
            ErrorCode::BrowserBindingMissing
        );
        let o = confirm(waiting.clone(), "third", 103);
        assert_eq!(o.reply.unwrap_err().code(), ErrorCode::ConfirmationRequired);
        assert_eq!(o.write, Write::Keep);
        // Confirmed by the browser that redeemed it; a double click gets the same.
        let o = confirm(waiting.clone(), OTHER, 104);
        assert_eq!(o.reply, Ok(done()));
        let completed = put(&o.write);
        assert_eq!(confirm(completed.clone(), OTHER, 105).reply, Ok(done()));
        assert_eq!(
            claim(completed, &from("h1", OTHER, true), 105).reply,
            Ok(Claim::Completed(done()))
        );
        // Too late.
        let o = confirm(waiting, OTHER, 102 + CONFIRM_WINDOW_SECS);
        assert_eq!(o.write, Write::Delete);
    }

    #[test]
    fn the_binding_browser_is_not_asked_to_confirm_even_in_the_automatic_flow() {
        let pending = Some(Stored::Pending(txn(
            100,
            Some("automatic_return_from_vipps_app"),
        )));
        let o = claim(pending, &from("h1", BROWSER, true), 101);
        assert!(matches!(o.reply, Ok(Claim::Redeem { confirm: false, .. })));
    }

    #[test]
    fn expired_unknown_and_abandoned_transactions_are_not_found() {
        let o = claim(None, &from("h", BROWSER, true), 0);
        assert_eq!(o.reply.unwrap_err().code(), ErrorCode::TransactionNotFound);
        assert_eq!(o.write, Write::Keep);
        let o = claim(
            Some(Stored::Pending(txn(0, None))),
            &from("h", BROWSER, true),
            TRANSACTION_TTL_SECS,
        );
        assert_eq!(o.write, Write::Delete);
        let abandoned = put(&claim(
            Some(Stored::Pending(txn(0, None))),
            &from("h", BROWSER, true),
            0,
        )
        .write);
        let o = claim(abandoned, &from("h", BROWSER, true), REDEEM_TIMEOUT_SECS);
        assert_eq!(o.reply.unwrap_err().code(), ErrorCode::TransactionNotFound);
        assert_eq!(complete(None, done(), 1).reply, Ok(false));
    }

    #[test]
    fn the_lease_covers_every_fetch_of_the_redemption() {
        let long = Presented {
            lease_secs: 300,
            ..from("h1", BROWSER, true)
        };
        let o = claim(Some(Stored::Pending(txn(100, None))), &long, 101);
        let redeeming = put(&o.write);
        assert!(matches!(
            redeeming,
            Some(Stored::Redeeming { until: 401, .. })
        ));
        // Still held at 400: a duplicate waits rather than finding the login abandoned.
        assert_eq!(claim(redeeming, &long, 400).reply, Ok(Claim::InProgress));
    }

    #[test]
    fn an_ended_login_keeps_its_state_taken_and_answers_nothing() {
        let redeeming = put(&claim(
            Some(Stored::Pending(txn(100, None))),
            &from("h1", BROWSER, true),
            101,
        )
        .write);
        let ended = put(&end(redeeming, 102).write);
        assert_eq!(
            ended,
            Some(Stored::Ended {
                until: 100 + TRANSACTION_TTL_SECS
            })
        );
        let o = claim(ended.clone(), &from("h1", BROWSER, true), 103);
        assert_eq!(o.reply.unwrap_err().code(), ErrorCode::TransactionNotFound);
        assert_eq!(o.write, Write::Keep);
        let raw = serde_json::to_string(&ended).unwrap();
        assert!(register(Some(&raw), txn(103, None)).reply.is_err());
        // Gone once it would have expired.
        assert_eq!(
            claim(
                ended,
                &from("h1", BROWSER, true),
                100 + TRANSACTION_TTL_SECS
            )
            .write,
            Write::Delete
        );
    }

    #[test]
    fn a_failed_forged_callback_releases_the_login_for_the_real_one() {
        let flow = Some("automatic_return_from_vipps_app");
        let pending = Some(Stored::Pending(txn(100, flow)));
        let forged = put(&claim(pending, &from("bogus", OTHER, false), 101).write);
        // Another code cannot release it; the one that claimed it can.
        assert_eq!(release(forged.clone(), "other").write, Write::Keep);
        let released = put(&release(forged, "bogus").write);
        assert!(matches!(released, Some(Stored::Pending(_))));
        let o = claim(released, &from("real", BROWSER, true), 102);
        assert!(matches!(o.reply, Ok(Claim::Redeem { confirm: false, .. })));
    }

    #[test]
    fn a_state_is_registered_once() {
        assert!(register(None, txn(0, None)).reply.is_ok());
        let o = register(Some("{}"), txn(0, None));
        assert_eq!(o.reply.unwrap_err().code(), ErrorCode::InvalidOptions);
        assert_eq!(o.write, Write::Keep);
    }

    #[test]
    fn stored_values_round_trip_as_json() {
        let redeeming = put(&claim(
            Some(Stored::Pending(txn(1, None))),
            &from("h", BROWSER, true),
            2,
        )
        .write)
        .unwrap();
        for s in [Stored::Pending(txn(1, None)), redeeming] {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(serde_json::from_str::<Stored>(&json).unwrap(), s);
            assert!(expiry(&s) > 1);
        }
    }

    #[test]
    fn front_end_values_need_128_bits() {
        let good: FrontEndLogin = serde_json::from_str(&format!(
            r#"{{"nonce":"{}","codeVerifier":"{}"}}"#,
            "n".repeat(43),
            "v".repeat(43)
        ))
        .unwrap();
        assert!(good.validate().is_ok());
        let with_state = FrontEndLogin {
            state: Some("s".repeat(43)),
            ..good.clone()
        };
        assert_eq!(
            with_state.validate().unwrap_err().code(),
            ErrorCode::InvalidOptions
        );
        let weak = FrontEndLogin {
            nonce: "12345678".into(),
            ..good.clone()
        };
        assert_eq!(
            weak.validate().unwrap_err().code(),
            ErrorCode::InvalidOptions
        );
        let odd = FrontEndLogin {
            nonce: format!("{}\"<", "n".repeat(30)),
            ..good.clone()
        };
        assert!(odd.validate().is_err());
        let bad_verifier = FrontEndLogin {
            code_verifier: "short".into(),
            ..good
        };
        assert_eq!(
            bad_verifier.validate().unwrap_err().code(),
            ErrorCode::CodeVerifierInvalid
        );
        assert!(serde_json::from_str::<FrontEndLogin>(
            r#"{"nonce":"b","codeVerifier":"c","clientId":"x"}"#
        )
        .is_err());
    }
}
