//! Login transactions, held server-side and keyed by `state` (design.md, "Flow
//! binding"): Vipps may return the user in another browser than the one that started,
//! so nothing of the transaction lives in a cookie.
//!
//! One Durable Object per transaction (`idFromName(state)`): no global object, no
//! global lock; Cloudflare spreads the objects by themselves. A Durable Object runs
//! one event at a time, and its input gate holds new events while a storage operation
//! is in flight; each request below reads, decides and writes without awaiting anything
//! else in between, so two callbacks racing for one state are served one after the
//! other. KV could not do this: it is eventually consistent.
//!
//! The object stores one [`Stored`] value (the core's state machine, as JSON) under the
//! state, and an alarm deletes whatever is left when it runs out. The Worker talks to it
//! over `fetch` with internal requests, all `POST` with a JSON body:
//!
//! | path | body | answer |
//! |---|---|---|
//! | `/put` | a [`LoginTransaction`] | 201, or 409 when anything is stored under the state (put-if-absent) |
//! | `/claim` | `{state, code_sha256}` | 200 [`ClaimReply`] after [`transaction::claim`]; 404 when unknown, expired or used |
//! | `/complete` | `{state, result}` | 200 once the redemption is [`transaction::complete`]d; 409 when nothing is being redeemed |
//! | `/discard` | `{state}` | 200: a failed redemption leaves nothing behind |
//! | `/take` | `{state}` | 200 with the pending transaction, now deleted; 404 otherwise (tests inspect stored transactions with it) |
//!
//! A duplicate callback must present the same code as the one being redeemed: the
//! object keeps the code's SHA-256 (never the code) and answers a callback with another
//! code as if the state were unknown, so knowing a state alone never yields someone's
//! session.

use crate::transaction::{self, Claim, CompletedLogin, LoginTransaction, Stored};
use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use worker::{
    durable_object, Env, Headers, Method, ObjectNamespace, Request, RequestInit, Response, State,
};

/// The Durable Object binding's name in wrangler.toml.
pub const BINDING: &str = "LOGIN_TRANSACTIONS";

/// Longest `state` accepted as a key: the core's limit for authorization requests
/// is far below (Vipps' gateway refuses 1000+ characters).
pub const STATE_MAX_LEN: usize = 512;

/// Internal URLs: the host is never resolved, a stub's `fetch` goes to the object.
const BASE_URL: &str = "https://login-transactions.internal/";

/// Where the object keeps the code's hash, next to the transaction (a space: no state
/// can be this key).
const CODE_KEY: &str = "code sha256";

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

/// The answer to `/claim`: the core's [`Claim`] on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "claim", rename_all = "snake_case")]
pub enum ClaimReply {
    /// This callback redeems the code.
    Redeem { transaction: LoginTransaction },
    /// Another callback is redeeming it: ask again shortly.
    InProgress,
    /// A duplicate of a finished login: the same result again.
    Completed { result: CompletedLogin },
}

/// What `/claim` does: the reply (`None`: answer 404), what to store next (`Some(None)`:
/// delete everything; `None`: leave storage as it is), and whether to remember the code.
#[derive(Debug, PartialEq, Eq)]
pub struct ClaimDecision {
    pub reply: Option<ClaimReply>,
    pub store: Option<Option<Stored>>,
}

/// The pure part of `/claim`: the core's transition plus the duplicate's code check.
/// `raw` is the stored JSON, `code_sha256` the hash of the code this callback carries,
/// `redeeming_code` the hash remembered from the callback that claimed it first.
pub fn claim_decision(
    raw: Option<&str>,
    code_sha256: &str,
    redeeming_code: Option<&str>,
    now: u64,
) -> ClaimDecision {
    let stored = raw.and_then(|raw| serde_json::from_str::<Stored>(raw).ok());
    let delete_if_present = if raw.is_some() { Some(None) } else { None };
    let (claim, next) = match transaction::claim(stored, now) {
        Ok(outcome) => outcome,
        // Unknown, expired, abandoned or unreadable: gone for good.
        Err(_) => {
            return ClaimDecision {
                reply: None,
                store: delete_if_present,
            }
        }
    };
    let same_code = redeeming_code
        .is_some_and(|known| bool::from(known.as_bytes().ct_eq(code_sha256.as_bytes())));
    match claim {
        Claim::Redeem(transaction) => ClaimDecision {
            reply: Some(ClaimReply::Redeem { transaction }),
            store: Some(next),
        },
        // A duplicate with another code is not a duplicate: as if unknown, and the
        // stored login is left alone.
        _ if !same_code => ClaimDecision {
            reply: None,
            store: None,
        },
        Claim::InProgress => ClaimDecision {
            reply: Some(ClaimReply::InProgress),
            store: None,
        },
        Claim::Completed(result) => ClaimDecision {
            reply: Some(ClaimReply::Completed { result }),
            store: None,
        },
    }
}

/// The outcome of [`TransactionStore::put`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    Stored,
    /// Something is already stored under the state (a replayed registration).
    StateTaken,
}

#[derive(Serialize, Deserialize)]
struct StateRequest<'a> {
    #[serde(borrow)]
    state: &'a str,
}

#[derive(Serialize, Deserialize)]
struct ClaimRequest<'a> {
    #[serde(borrow)]
    state: &'a str,
    #[serde(borrow)]
    code_sha256: &'a str,
}

#[derive(Serialize, Deserialize)]
struct CompleteRequest<'a> {
    #[serde(borrow)]
    state: &'a str,
    result: CompletedLogin,
}

/// The Worker's handle on the transactions.
pub struct TransactionStore {
    namespace: ObjectNamespace,
}

impl TransactionStore {
    pub fn from_env(env: &Env) -> worker::Result<Self> {
        Ok(TransactionStore {
            namespace: env.durable_object(BINDING)?,
        })
    }

    async fn call(&self, state: &str, op: &str, body: String) -> worker::Result<Response> {
        // One object per state: never a global object.
        let stub = self.namespace.id_from_name(state)?.get_stub()?;
        let headers = Headers::new();
        headers.set("content-type", "application/json")?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.into()));
        let url = format!("{BASE_URL}{op}");
        stub.fetch_with_request(Request::new_with_init(&url, &init)?)
            .await
    }

    fn unexpected(op: &str, status: u16) -> worker::Error {
        worker::Error::RustError(format!("LoginTransactions {op} answered {status}"))
    }

    /// Stores a new transaction under its state, unless the state is in use.
    pub async fn put(&self, transaction: &LoginTransaction) -> worker::Result<PutOutcome> {
        if !is_valid_state_key(&transaction.state) {
            return Err(worker::Error::RustError("state is not a valid key".into()));
        }
        let body = serde_json::to_string(transaction)?;
        let response = self.call(&transaction.state, "put", body).await?;
        match response.status_code() {
            201 => Ok(PutOutcome::Stored),
            409 => Ok(PutOutcome::StateTaken),
            status => Err(Self::unexpected("put", status)),
        }
    }

    /// Claims the transaction for a callback carrying a code with this hash: `None` when
    /// unknown, expired, used, or a "duplicate" with another code.
    pub async fn claim(
        &self,
        state: &str,
        code_sha256: &str,
    ) -> worker::Result<Option<ClaimReply>> {
        if !is_valid_state_key(state) {
            return Ok(None);
        }
        let body = serde_json::to_string(&ClaimRequest { state, code_sha256 })?;
        let mut response = self.call(state, "claim", body).await?;
        match response.status_code() {
            200 => Ok(Some(serde_json::from_str(&response.text().await?)?)),
            404 => Ok(None),
            status => Err(Self::unexpected("claim", status)),
        }
    }

    /// Stores the result of a redemption for duplicates to find. `false` when the
    /// object no longer holds the redemption (it took longer than its time limit).
    pub async fn complete(&self, state: &str, result: &CompletedLogin) -> worker::Result<bool> {
        let body = serde_json::to_string(&CompleteRequest {
            state,
            result: result.clone(),
        })?;
        let response = self.call(state, "complete", body).await?;
        match response.status_code() {
            200 => Ok(true),
            409 => Ok(false),
            status => Err(Self::unexpected("complete", status)),
        }
    }

    /// Deletes a transaction whose redemption failed: the login is over.
    pub async fn discard(&self, state: &str) -> worker::Result<()> {
        let body = serde_json::to_string(&StateRequest { state })?;
        let response = self.call(state, "discard", body).await?;
        match response.status_code() {
            200 => Ok(()),
            status => Err(Self::unexpected("discard", status)),
        }
    }
}

/// Unix seconds from the Workers clock (`SystemTime::now()` panics on wasm32).
pub fn now_secs() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

fn alarm_ms(at_secs: u64) -> i64 {
    i64::try_from(at_secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}

/// The Durable Object holding one transaction (see the module documentation).
#[durable_object(alarm)]
pub struct LoginTransactions {
    state: State,
}

impl LoginTransactions {
    async fn put(&self, body: &str) -> worker::Result<Response> {
        let Ok(transaction) = serde_json::from_str::<LoginTransaction>(body) else {
            return Response::error("bad transaction", 400);
        };
        if !is_valid_state_key(&transaction.state) {
            return Response::error("bad state", 400);
        }
        let storage = self.state.storage();
        // Put-if-absent: a state is used once, whatever became of its first login.
        let existing: Option<String> = storage.get(&transaction.state).await?;
        if existing.is_some() {
            return Response::error("state in use", 409);
        }
        let expires_at = transaction.expires_at;
        let key = transaction.state.clone();
        storage
            .put(&key, serde_json::to_string(&Stored::Pending(transaction))?)
            .await?;
        // Logins never finished leave nothing behind: the alarm deletes the storage.
        storage.set_alarm(alarm_ms(expires_at)).await?;
        Ok(Response::empty()?.with_status(201))
    }

    async fn claim(&self, body: &str, now: u64) -> worker::Result<Response> {
        let Ok(ClaimRequest { state, code_sha256 }) = serde_json::from_str(body) else {
            return Response::error("bad request", 400);
        };
        let storage = self.state.storage();
        let raw: Option<String> = storage.get(state).await?;
        let known: Option<String> = storage.get(CODE_KEY).await?;
        let decision = claim_decision(raw.as_deref(), code_sha256, known.as_deref(), now);
        match &decision.store {
            Some(Some(next)) => {
                storage.put(state, serde_json::to_string(next)?).await?;
                storage.put(CODE_KEY, code_sha256).await?;
                // A redemption that never finishes is deleted when its time is up.
                if let Stored::Redeeming { until, .. } = next {
                    storage.set_alarm(alarm_ms(*until)).await?;
                }
            }
            Some(None) => {
                storage.delete_all().await?;
                storage.delete_alarm().await?;
            }
            None => {}
        }
        match decision.reply {
            Some(reply) => Ok(Response::ok(serde_json::to_string(&reply)?)?),
            None => Response::error("no transaction", 404),
        }
    }

    async fn complete(&self, body: &str, now: u64) -> worker::Result<Response> {
        let Ok(CompleteRequest { state, result }) = serde_json::from_str(body) else {
            return Response::error("bad request", 400);
        };
        let storage = self.state.storage();
        let raw: Option<String> = storage.get(state).await?;
        let redeeming = raw
            .and_then(|raw| serde_json::from_str::<Stored>(&raw).ok())
            .is_some_and(|s| matches!(s, Stored::Redeeming { .. }));
        if !redeeming {
            return Response::error("not redeeming", 409);
        }
        let done = transaction::complete(result, now);
        let until = match &done {
            Stored::Completed { until, .. } => *until,
            _ => now,
        };
        storage.put(state, serde_json::to_string(&done)?).await?;
        // Duplicates are answered until then; after it, nothing is left.
        storage.set_alarm(alarm_ms(until)).await?;
        Response::ok("{}")
    }

    async fn discard(&self) -> worker::Result<Response> {
        let storage = self.state.storage();
        storage.delete_all().await?;
        storage.delete_alarm().await?;
        Response::ok("{}")
    }

    async fn take(&self, body: &str, now: u64) -> worker::Result<Response> {
        let Ok(StateRequest { state }) = serde_json::from_str::<StateRequest>(body) else {
            return Response::error("bad request", 400);
        };
        let storage = self.state.storage();
        // Read and delete in the same request: single use (module documentation).
        let raw: Option<String> = storage.get(state).await?;
        let (transaction, delete) = take_decision(raw.as_deref(), state, now);
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
        match req.path().as_str() {
            "/put" => self.put(&body).await,
            "/claim" => self.claim(&body, now).await,
            "/complete" => self.complete(&body, now).await,
            "/discard" => self.discard().await,
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
    use crate::transaction::{complete, CompletedLogin, REDEEM_TIMEOUT_SECS, TRANSACTION_TTL_SECS};

    const STATE: &str = "state-0123456789abcdefghij";

    fn pending(now: u64) -> String {
        serde_json::to_string(&Stored::Pending(LoginTransaction::new(
            STATE.into(),
            "nonce-0123456789abcdefghij".into(),
            Some("v".repeat(43)),
            "https://shop.example/callback".into(),
            Some("/account"),
            now,
        )))
        .unwrap()
    }

    fn done() -> CompletedLogin {
        CompletedLogin {
            session: "sealed".into(),
            user: serde_json::json!({"sub": "s"}),
            return_to: "/".into(),
        }
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
            take_decision(Some(&raw), STATE, 1_000 + TRANSACTION_TTL_SECS),
            (None, true)
        );
        assert_eq!(
            take_decision(Some(&raw), "other-state", 1_001),
            (None, true)
        );
        assert_eq!(take_decision(Some("not json"), STATE, 1_001), (None, true));
    }

    #[test]
    fn claim_redeems_once_then_duplicates_with_the_same_code_wait_or_repeat() {
        let first = claim_decision(Some(&pending(1_000)), "h1", None, 1_001);
        let Some(ClaimReply::Redeem { transaction }) = first.reply else {
            panic!("{first:?}")
        };
        assert_eq!(transaction.return_to, "/account");
        let Some(Some(redeeming)) = first.store else {
            panic!("nothing stored")
        };
        assert!(
            matches!(redeeming, Stored::Redeeming { until, .. } if until == 1_001 + REDEEM_TIMEOUT_SECS)
        );
        let raw = serde_json::to_string(&redeeming).unwrap();

        let again = claim_decision(Some(&raw), "h1", Some("h1"), 1_002);
        assert_eq!(again.reply, Some(ClaimReply::InProgress));
        assert_eq!(again.store, None);

        let raw = serde_json::to_string(&complete(done(), 1_003)).unwrap();
        let repeat = claim_decision(Some(&raw), "h1", Some("h1"), 1_004);
        assert_eq!(repeat.reply, Some(ClaimReply::Completed { result: done() }));
        assert_eq!(repeat.store, None);
    }

    #[test]
    fn a_duplicate_with_another_code_is_refused_and_changes_nothing() {
        let raw = serde_json::to_string(&complete(done(), 1_003)).unwrap();
        for code in [Some("h1"), None] {
            let other = claim_decision(Some(&raw), "h2", code, 1_004);
            assert_eq!(
                other,
                ClaimDecision {
                    reply: None,
                    store: None
                }
            );
        }
    }

    #[test]
    fn unknown_expired_and_unreadable_are_not_found_and_deleted() {
        assert_eq!(
            claim_decision(None, "h", None, 1),
            ClaimDecision {
                reply: None,
                store: None
            }
        );
        let expired = claim_decision(Some(&pending(0)), "h", None, TRANSACTION_TTL_SECS);
        assert_eq!(
            expired,
            ClaimDecision {
                reply: None,
                store: Some(None)
            }
        );
        let garbage = claim_decision(Some("{"), "h", None, 1);
        assert_eq!(
            garbage,
            ClaimDecision {
                reply: None,
                store: Some(None)
            }
        );
    }

    #[test]
    fn claim_replies_round_trip_as_json() {
        for reply in [
            ClaimReply::InProgress,
            ClaimReply::Completed { result: done() },
        ] {
            let json = serde_json::to_string(&reply).unwrap();
            assert_eq!(serde_json::from_str::<ClaimReply>(&json).unwrap(), reply);
        }
        assert_eq!(
            serde_json::to_string(&ClaimReply::InProgress).unwrap(),
            r#"{"claim":"in_progress"}"#
        );
    }

    #[test]
    fn state_keys() {
        assert!(is_valid_state_key("abc-DEF_123.~"));
        assert!(!is_valid_state_key(""));
        assert!(!is_valid_state_key("a b"));
        assert!(!is_valid_state_key(&"a".repeat(STATE_MAX_LEN + 1)));
    }
}
