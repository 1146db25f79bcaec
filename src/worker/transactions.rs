//! Login transactions, held server-side and keyed by `state` (design.md, "Flow
//! binding"), in one Durable Object per transaction (`idFromName(state)`): no global
//! object, no global lock; Cloudflare spreads the objects by themselves. A Durable
//! Object runs one event at a time, and its input gate holds new events while a storage
//! operation is in flight; each request below reads, applies the core's transition
//! ([`crate::transaction`]) and writes without awaiting anything else in between, so two
//! callbacks racing for one state are served one after the other. KV could not do
//! this: it is eventually consistent.
//!
//! The object stores one [`Stored`] value (as JSON) under the state, and an alarm
//! deletes it when it stops mattering ([`transaction::expiry`]). The Worker talks to it
//! over `fetch`, all `POST` with a JSON body:
//!
//! | path | body | answer |
//! |---|---|---|
//! | `/put` | a [`LoginTransaction`] | 201, or 409 when anything is stored under the state ([`transaction::register`]) |
//! | `/claim` | [`ClaimRequest`] | 200 [`ClaimReply`] ([`transaction::claim`]); 409 `{refused}` otherwise |
//! | `/complete` | `{state, result}` | 200 `{held}`: whether the redemption was still held ([`transaction::complete`]) |
//! | `/confirm` | `{state, browser_sha256}` | 200 [`CompletedLogin`] ([`transaction::confirm`]); 409 `{refused}` otherwise |
//! | `/end` | `{state}` | 200: a failed login leaves a tombstone until it would have expired ([`transaction::end`]) |
//! | `/release` | `{state, code_sha256}` | 200: a redemption that failed on what its callback brought goes back to pending ([`transaction::release`]) |
//! | `/take` | `{state}` | 200 with the pending transaction, now deleted; 404 otherwise (tests inspect stored transactions with it) |
//!
//! The object keeps the code's SHA-256 and the browser binding's SHA-256, never the
//! code or the binding: a callback with another code is answered as if the state were
//! unknown, one from another browser is refused, and neither changes anything.

use super::storage;
use crate::error::{Error, ErrorCode, Result as CoreResult};
use crate::state::StateKey;
use crate::transaction::{
    self, Claim, CompletedLogin, LoginTransaction, Outcome, Presented, Stored, Write,
};
use serde::{Deserialize, Serialize};
use worker::{durable_object, Env, Method, ObjectNamespace, Request, Response, State};

/// The Durable Object binding's name in wrangler.toml.
pub const BINDING: &str = "LOGIN_TRANSACTIONS";
/// The class, as errors name it.
const CLASS: &str = "LoginTransactions";

/// Longest `state` accepted as a key: the core's limit for authorization requests
/// is far below (Vipps' gateway refuses 1000+ characters).
pub const STATE_MAX_LEN: usize = 512;

/// Internal URLs: the host is never resolved, a stub's `fetch` goes to the object.
const BASE_URL: &str = "https://login-transactions.internal/";

/// Whether `state` may key a transaction: 1 to [`STATE_MAX_LEN`] printable ASCII
/// characters. Anything else is answered as "no such transaction" without creating an
/// object for it.
pub fn is_valid_state_key(state: &str) -> bool {
    !state.is_empty() && state.len() <= STATE_MAX_LEN && state.bytes().all(|b| b.is_ascii_graphic())
}

/// What `take` does with the stored JSON: the transaction to hand out (if any) and
/// whether to delete the value. A pending transaction is always deleted (taken, or
/// expired); a value in the callback's later states is left to the callback; an
/// unreadable one is deleted.
pub fn take_decision(raw: Option<&str>, state: &str, now: u64) -> (Option<LoginTransaction>, bool) {
    let Some(raw) = raw else { return (None, false) };
    match serde_json::from_str::<Stored>(raw) {
        Ok(Stored::Pending(t)) => {
            let usable = now < t.expires_at && t.state == state;
            (usable.then_some(t), true)
        }
        Ok(_) => (None, false),
        Err(_) => (None, true),
    }
}

/// The answer to `/claim`: the core's [`Claim`] on the wire. Externally tagged, as
/// [`Stored`] is: an internally tagged enum (`#[serde(tag = ...)]`) makes serde buffer
/// the whole value to find its tag, 8.8 KB gzip of this Worker's wasm for the two.
// Made and read once per claim, never kept: the size of `Redeem` costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClaimReply {
    /// This callback redeems the code (`confirm`: in another browser, which confirms).
    Redeem {
        transaction: LoginTransaction,
        confirm: bool,
    },
    /// Another callback is redeeming it: ask again shortly.
    InProgress,
    /// Redeemed in this (other) browser, not yet confirmed: the page again.
    AwaitingConfirmation { result: CompletedLogin },
    /// A duplicate of a finished login: the same result again.
    Completed { result: CompletedLogin },
}

impl From<Claim> for ClaimReply {
    fn from(claim: Claim) -> Self {
        match claim {
            Claim::Redeem {
                transaction,
                confirm,
            } => ClaimReply::Redeem {
                transaction,
                confirm,
            },
            Claim::InProgress => ClaimReply::InProgress,
            Claim::AwaitingConfirmation(result) => ClaimReply::AwaitingConfirmation { result },
            Claim::Completed(result) => ClaimReply::Completed { result },
        }
    }
}

/// A refusal on the wire: the error code only (the Worker words the message).
#[derive(Serialize, Deserialize)]
struct Refusal {
    refused: String,
}

/// The refusals the transitions make, back from their wire names. Anything else reads
/// as "not found": never a reason to go ahead.
fn refusal_error(code: &str) -> Error {
    let (code, message) = match code {
        "browser_binding_missing" => (
            ErrorCode::BrowserBindingMissing,
            "the callback came without the cookie of the browser that started the login",
        ),
        "browser_binding_mismatch" => (
            ErrorCode::BrowserBindingMismatch,
            "this browser did not start this login",
        ),
        "confirmation_required" => (
            ErrorCode::ConfirmationRequired,
            "this browser has no login waiting for confirmation",
        ),
        "invalid_options" => {
            return Error::new(
                ErrorCode::InvalidOptions,
                "this state is already registered: make a new one for every login",
            )
            .with_hint("Use randomState() from the vipps-login package for every login.")
        }
        _ => (
            ErrorCode::TransactionNotFound,
            "no login is waiting for this state",
        ),
    };
    Error::new(code, message)
}

/// The body of `/claim`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ClaimRequest {
    pub state: String,
    pub code_sha256: String,
    pub browser_sha256: String,
    pub had_cookie: bool,
    /// How long the redemption may take, if this claim starts one.
    pub lease_secs: u64,
}

#[derive(Serialize, Deserialize)]
struct StateRequest {
    state: String,
}

#[derive(Serialize, Deserialize)]
struct CompleteRequest {
    state: String,
    result: CompletedLogin,
}

#[derive(Serialize, Deserialize)]
struct ConfirmRequest {
    state: String,
    browser_sha256: String,
}

#[derive(Serialize, Deserialize)]
struct ReleaseRequest {
    state: String,
    code_sha256: String,
}

#[derive(Serialize, Deserialize)]
struct Held {
    held: bool,
}

/// The Worker's handle on the transactions. Each call answers the login's result; a
/// Durable Object that fails, answers out of protocol or does not answer in time is
/// [`ErrorCode::StorageUnavailable`] ([`super::storage`]). A state the Worker did not
/// mint ([`StateKey::issued`]) never reaches a Durable Object: a forged `?state=`
/// creates no object and no storage.
pub struct TransactionStore<'k> {
    namespace: ObjectNamespace,
    state_key: &'k StateKey,
}

impl<'k> TransactionStore<'k> {
    pub fn from_env(env: &Env, state_key: &'k StateKey) -> worker::Result<Self> {
        Ok(TransactionStore {
            namespace: env.durable_object(BINDING)?,
            state_key,
        })
    }

    /// Whether `state` may name a transaction: minted here (or with the previous
    /// `SESSION_SECRET` during its grace), and a valid key.
    fn ours(&self, state: &str) -> bool {
        is_valid_state_key(state) && self.state_key.issued_at(state, now_secs())
    }

    async fn call<B: Serialize>(
        &self,
        state: &str,
        op: &str,
        body: &B,
    ) -> CoreResult<(u16, String)> {
        let failed = |how: &str| {
            Error::new(
                ErrorCode::StorageUnavailable,
                format!("{CLASS} {op}: {how}"),
            )
        };
        // One object per state: never a global object.
        let stub = self
            .namespace
            .id_from_name(state)
            .and_then(|id| id.get_stub())
            .map_err(|_| failed("no object"))?;
        let body = serde_json::to_string(body).map_err(|_| failed("body"))?;
        storage::send(&stub, &format!("{BASE_URL}{op}"), &body, CLASS, op).await
    }

    /// 200 with `T`, or 409 with a refusal.
    async fn answer<T: for<'de> Deserialize<'de>, B: Serialize>(
        &self,
        state: &str,
        op: &str,
        body: &B,
    ) -> CoreResult<T> {
        match self.call(state, op, body).await? {
            (200, text) => storage::parse(CLASS, op, &text),
            (409, text) => {
                let refusal: Refusal = storage::parse(CLASS, op, &text)?;
                Err(refusal_error(&refusal.refused))
            }
            (status, _) => Err(storage::unexpected(CLASS, op, status)),
        }
    }

    /// Stores a new transaction under its state, unless the state is in use.
    pub async fn put(&self, transaction: &LoginTransaction) -> CoreResult<()> {
        if !self.ours(&transaction.state) {
            return Err(Error::new(
                ErrorCode::StorageUnavailable,
                "only states minted by this Worker are stored",
            ));
        }
        match self.call(&transaction.state, "put", transaction).await? {
            (201, _) => Ok(()),
            (409, _) => Err(refusal_error("invalid_options")),
            (status, _) => Err(storage::unexpected(CLASS, "put", status)),
        }
    }

    /// Claims the transaction for a callback ([`transaction::claim`]).
    pub async fn claim(&self, request: &ClaimRequest) -> CoreResult<ClaimReply> {
        if !self.ours(&request.state) {
            return Err(refusal_error("transaction_not_found"));
        }
        self.answer(&request.state, "claim", request).await
    }

    /// Stores the result of a redemption. `false` when the object no longer holds the
    /// redemption (it took longer than its time limit).
    pub async fn complete(&self, state: &str, result: &CompletedLogin) -> CoreResult<bool> {
        let body = CompleteRequest {
            state: state.to_string(),
            result: result.clone(),
        };
        let held: CoreResult<Held> = self.answer(state, "complete", &body).await;
        match held {
            Ok(h) => Ok(h.held),
            Err(e) if e.code() == ErrorCode::StorageUnavailable => Err(e),
            Err(_) => Ok(false),
        }
    }

    /// The other browser's confirmation ([`transaction::confirm`]).
    pub async fn confirm(&self, state: &str, browser_sha256: &str) -> CoreResult<CompletedLogin> {
        if !self.ours(state) {
            return Err(refusal_error("confirmation_required"));
        }
        let body = ConfirmRequest {
            state: state.to_string(),
            browser_sha256: browser_sha256.to_string(),
        };
        self.answer(state, "confirm", &body).await
    }

    /// Ends a login whose redemption failed: nothing left to use, the state stays taken.
    pub async fn end(&self, state: &str) -> CoreResult<()> {
        let body = StateRequest {
            state: state.to_string(),
        };
        self.answer::<(), _>(state, "end", &body).await
    }

    /// Puts a redemption that failed on its callback's own values back to pending.
    pub async fn release(&self, state: &str, code_sha256: &str) -> CoreResult<()> {
        let body = ReleaseRequest {
            state: state.to_string(),
            code_sha256: code_sha256.to_string(),
        };
        self.answer::<(), _>(state, "release", &body).await
    }
}

/// Unix seconds from the Workers clock (`SystemTime::now()` panics on wasm32).
pub fn now_secs() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// The alarm for Unix time `at_secs`, as worker's `set_alarm` takes an `i64`: an offset
/// in milliseconds from now (not a timestamp: as one, every alarm lay decades away and
/// nothing was ever deleted).
fn alarm_ms(at_secs: u64) -> i64 {
    let offset = (at_secs as f64) * 1000.0 - js_sys::Date::now();
    offset.clamp(0.0, i64::MAX as f64) as i64
}

/// The Durable Object holding one transaction (see the module documentation).
#[durable_object(alarm)]
pub struct LoginTransactions {
    state: State,
}

impl LoginTransactions {
    /// Reads the value under `key`, applies `transition`, writes what it says, and
    /// answers 200 with its reply or 409 with the refusal's code. An unreadable value
    /// counts as none and is deleted.
    async fn apply<T: Serialize>(
        &self,
        key: &str,
        transition: impl FnOnce(Option<Stored>) -> Outcome<T>,
    ) -> worker::Result<Response> {
        let storage = self.state.storage();
        let raw: Option<String> = storage.get(key).await?;
        let stored = raw
            .as_deref()
            .and_then(|raw| serde_json::from_str::<Stored>(raw).ok());
        let unreadable = raw.is_some() && stored.is_none();
        let outcome = transition(stored);
        match outcome.write {
            Write::Put(next) => {
                storage.put(key, serde_json::to_string(&next)?).await?;
                // Whatever is left is deleted when it stops mattering.
                storage
                    .set_alarm(alarm_ms(transaction::expiry(&next)))
                    .await?;
            }
            Write::Delete => {
                storage.delete_all().await?;
                storage.delete_alarm().await?;
            }
            Write::Keep if unreadable => {
                storage.delete_all().await?;
                storage.delete_alarm().await?;
            }
            Write::Keep => {}
        }
        match outcome.reply {
            Ok(reply) => Response::ok(serde_json::to_string(&reply)?),
            Err(e) => {
                let refusal = Refusal {
                    refused: e.code().as_str().to_string(),
                };
                Ok(Response::ok(serde_json::to_string(&refusal)?)?.with_status(409))
            }
        }
    }

    async fn put(&self, body: &str) -> worker::Result<Response> {
        let Ok(transaction) = serde_json::from_str::<LoginTransaction>(body) else {
            return Response::error("bad transaction", 400);
        };
        if !is_valid_state_key(&transaction.state) {
            return Response::error("bad state", 400);
        }
        let storage = self.state.storage();
        // Put-if-absent: a state is used once, whatever became of its first login.
        let key = transaction.state.clone();
        let existing: Option<String> = storage.get(&key).await?;
        let outcome = transaction::register(existing.as_deref(), transaction);
        match outcome.write {
            Write::Put(next) => {
                storage.put(&key, serde_json::to_string(&next)?).await?;
                // Logins never finished leave nothing behind: the alarm deletes them.
                storage
                    .set_alarm(alarm_ms(transaction::expiry(&next)))
                    .await?;
                Ok(Response::empty()?.with_status(201))
            }
            _ => Response::error("state in use", 409),
        }
    }

    async fn take(&self, body: &str, now: u64) -> worker::Result<Response> {
        let Ok(StateRequest { state }) = serde_json::from_str::<StateRequest>(body) else {
            return Response::error("bad request", 400);
        };
        let storage = self.state.storage();
        // Read and delete in the same request: single use (module documentation).
        let raw: Option<String> = storage.get(&state).await?;
        let (transaction, delete) = take_decision(raw.as_deref(), &state, now);
        if delete {
            storage.delete_all().await?;
            storage.delete_alarm().await?;
        }
        match transaction {
            Some(t) => Ok(Response::ok(serde_json::to_string(&t)?)?),
            None => Response::error("no transaction", 404),
        }
    }
}

impl worker::DurableObject for LoginTransactions {
    fn new(state: State, _env: Env) -> Self {
        LoginTransactions { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        if req.method() != Method::Post {
            return Response::error("method not allowed", 405);
        }
        let Ok(body) = req.text().await else {
            return Response::error("bad request", 400);
        };
        let now = now_secs();
        let bad = || Response::error("bad request", 400);
        match req.path().as_str() {
            "/put" => self.put(&body).await,
            "/claim" => {
                let Ok(r) = serde_json::from_str::<ClaimRequest>(&body) else {
                    return bad();
                };
                let presented = Presented {
                    code_sha256: &r.code_sha256,
                    browser_sha256: &r.browser_sha256,
                    had_cookie: r.had_cookie,
                    lease_secs: r.lease_secs,
                };
                self.apply(&r.state, |stored| {
                    let o = transaction::claim(stored, &presented, now);
                    Outcome {
                        reply: o.reply.map(ClaimReply::from),
                        write: o.write,
                    }
                })
                .await
            }
            "/complete" => {
                let Ok(r) = serde_json::from_str::<CompleteRequest>(&body) else {
                    return bad();
                };
                self.apply(&r.state, |stored| {
                    let o = transaction::complete(stored, r.result, now);
                    Outcome {
                        reply: o.reply.map(|held| Held { held }),
                        write: o.write,
                    }
                })
                .await
            }
            "/confirm" => {
                let Ok(r) = serde_json::from_str::<ConfirmRequest>(&body) else {
                    return bad();
                };
                self.apply(&r.state, |stored| {
                    transaction::confirm(stored, &r.browser_sha256, now)
                })
                .await
            }
            "/end" => {
                let Ok(r) = serde_json::from_str::<StateRequest>(&body) else {
                    return bad();
                };
                self.apply(&r.state, |stored| transaction::end(stored, now))
                    .await
            }
            "/release" => {
                let Ok(r) = serde_json::from_str::<ReleaseRequest>(&body) else {
                    return bad();
                };
                self.apply(&r.state, |stored| {
                    transaction::release(stored, &r.code_sha256)
                })
                .await
            }
            "/take" => self.take(&body, now).await,
            _ => Response::error("not found", 404),
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        self.state.storage().delete_all().await?;
        Response::empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = "state-0123456789abcdefghij";

    fn pending(now: u64) -> String {
        serde_json::to_string(&Stored::Pending(LoginTransaction {
            state: STATE.into(),
            nonce: "nonce-0123456789abcdefghij".into(),
            code_verifier: Some("v".repeat(43)),
            redirect_uri: "https://shop.example/callback".into(),
            return_to: "/account".into(),
            created_at: now,
            expires_at: now + transaction::TRANSACTION_TTL_SECS,
            issuer: "https://api.vipps.no/access-management-1.0/access/".into(),
            client_id: "c".into(),
            scope: "openid".into(),
            acr_values: None,
            msn: None,
            iss_required: false,
            requested_flow: None,
            binding_sha256: "b".into(),
        }))
        .unwrap()
    }

    #[test]
    fn a_pending_transaction_is_taken_once_and_deleted() {
        let raw = pending(1_000);
        let (t, delete) = take_decision(Some(&raw), STATE, 1_001);
        assert_eq!(t.unwrap().return_to, "/account");
        assert!(delete);
        assert_eq!(take_decision(None, STATE, 1_001), (None, false));
    }

    #[test]
    fn expired_and_mismatched_are_absent_and_deleted() {
        let raw = pending(1_000);
        assert_eq!(
            take_decision(Some(&raw), STATE, 1_000 + transaction::TRANSACTION_TTL_SECS),
            (None, true)
        );
        assert_eq!(
            take_decision(Some(&raw), "other-state", 1_001),
            (None, true)
        );
        assert_eq!(take_decision(Some("not json"), STATE, 1_001), (None, true));
    }

    #[test]
    fn refusals_come_back_as_their_codes_and_unknown_ones_as_not_found() {
        for code in [
            ErrorCode::BrowserBindingMissing,
            ErrorCode::BrowserBindingMismatch,
            ErrorCode::ConfirmationRequired,
            ErrorCode::TransactionNotFound,
            ErrorCode::InvalidOptions,
        ] {
            assert_eq!(refusal_error(code.as_str()).code(), code);
        }
        assert_eq!(
            refusal_error("anything").code(),
            ErrorCode::TransactionNotFound
        );
    }

    #[test]
    fn claim_replies_round_trip_as_json() {
        let result = CompletedLogin {
            session: "sealed".into(),
            user: serde_json::json!({"sub": "s"}),
            return_to: "/".into(),
            display_name: "Ola".into(),
        };
        for reply in [
            ClaimReply::InProgress,
            ClaimReply::Completed {
                result: result.clone(),
            },
            ClaimReply::AwaitingConfirmation { result },
        ] {
            let json = serde_json::to_string(&reply).unwrap();
            assert_eq!(serde_json::from_str::<ClaimReply>(&json).unwrap(), reply);
        }
        // Externally tagged (serde's default): no buffering to find the tag.
        assert_eq!(
            serde_json::to_string(&ClaimReply::InProgress).unwrap(),
            r#""in_progress""#
        );
        assert!(serde_json::to_string(&ClaimReply::Completed {
            result: CompletedLogin {
                session: "sealed".into(),
                user: serde_json::json!({"sub": "s"}),
                return_to: "/".into(),
                display_name: "Ola".into(),
            }
        })
        .unwrap()
        .starts_with(r#"{"completed":{"result":"#));
    }

    #[test]
    fn state_keys() {
        assert!(is_valid_state_key("abc-DEF_123.~"));
        assert!(!is_valid_state_key(""));
        assert!(!is_valid_state_key("a b"));
        assert!(!is_valid_state_key(&"a".repeat(STATE_MAX_LEN + 1)));
    }
}
