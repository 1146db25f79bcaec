//! Login transactions, held server-side and keyed by `state` (design.md, "Flow
//! binding"): Vipps may return the user in another browser than the one that started,
//! so nothing of the transaction lives in a cookie.
//!
//! One Durable Object per transaction (`idFromName(state)`): no global object, no
//! global lock; Cloudflare spreads the objects by themselves. A Durable Object runs
//! one event at a time and its input gate holds new events while a storage operation
//! is in flight, so `take` (read, then delete, in the same request) hands a
//! transaction out at most once, even to two callbacks racing each other. KV could not:
//! it is eventually consistent.
//!
//! The object stores one [`Stored`] value (the core's, as JSON) under the state, and an
//! alarm at its expiry deletes whatever is left. The Worker talks to it over `fetch`
//! with two internal requests: `POST /put` (a [`LoginTransaction`] as JSON; 201, or 409
//! while the state is in use) and `POST /take` (`{"state"}`; 200 with the pending
//! transaction, now deleted, or 404 when unknown, taken or expired).

use crate::transaction::{LoginTransaction, Stored};
use serde::{Deserialize, Serialize};
use worker::{
    durable_object, Env, Headers, Method, ObjectNamespace, Request, RequestInit, Response, State,
};

/// The Durable Object binding's name in wrangler.toml.
pub const BINDING: &str = "LOGIN_TRANSACTIONS";

/// Longest `state` accepted as a key: the core's limit for authorization requests
/// is far below (Vipps' gateway refuses 1000+ characters).
pub const STATE_MAX_LEN: usize = 512;

/// Internal URLs: the host is never resolved, a stub's `fetch` goes to the object.
const PUT_URL: &str = "https://login-transactions.internal/put";
const TAKE_URL: &str = "https://login-transactions.internal/take";

/// Whether `state` may key a transaction: 1 to [`STATE_MAX_LEN`] printable ASCII
/// characters. Anything else is answered as "no such transaction" without creating an
/// object for it.
pub fn is_valid_state_key(state: &str) -> bool {
    !state.is_empty() && state.len() <= STATE_MAX_LEN && state.bytes().all(|b| b.is_ascii_graphic())
}

/// Whether a stored value still holds its state at `now` (a new login may not reuse
/// it until then).
pub fn is_live(stored: &Stored, now: u64) -> bool {
    match stored {
        Stored::Pending(t) => now < t.expires_at,
        Stored::Redeeming { until, .. } | Stored::Completed { until, .. } => now < *until,
    }
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

/// The outcome of [`TransactionStore::put`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    Stored,
    /// The state is in use by a live transaction (a replayed registration).
    StateTaken,
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

    async fn call(&self, state: &str, url: &str, body: String) -> worker::Result<Response> {
        // One object per state: never a global object.
        let stub = self.namespace.id_from_name(state)?.get_stub()?;
        let headers = Headers::new();
        headers.set("content-type", "application/json")?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post)
            .with_headers(headers)
            .with_body(Some(body.into()));
        stub.fetch_with_request(Request::new_with_init(url, &init)?)
            .await
    }

    /// Stores a new transaction under its state.
    pub async fn put(&self, transaction: &LoginTransaction) -> worker::Result<PutOutcome> {
        if !is_valid_state_key(&transaction.state) {
            return Err(worker::Error::RustError("state is not a valid key".into()));
        }
        let body = serde_json::to_string(transaction)?;
        let response = self.call(&transaction.state, PUT_URL, body).await?;
        match response.status_code() {
            201 => Ok(PutOutcome::Stored),
            409 => Ok(PutOutcome::StateTaken),
            status => Err(worker::Error::RustError(format!(
                "LoginTransactions put answered {status}"
            ))),
        }
    }

    /// Takes the transaction for `state` and deletes it: `Some` at most once per state,
    /// `None` when unknown, already taken or expired.
    pub async fn take(&self, state: &str) -> worker::Result<Option<LoginTransaction>> {
        if !is_valid_state_key(state) {
            return Ok(None);
        }
        let body = serde_json::to_string(&TakeRequest { state })?;
        let mut response = self.call(state, TAKE_URL, body).await?;
        match response.status_code() {
            200 => Ok(Some(serde_json::from_str(&response.text().await?)?)),
            404 => Ok(None),
            status => Err(worker::Error::RustError(format!(
                "LoginTransactions take answered {status}"
            ))),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct TakeRequest<'a> {
    #[serde(borrow)]
    state: &'a str,
}

/// Unix seconds from the Workers clock (`SystemTime::now()` panics on wasm32).
pub fn now_secs() -> u64 {
    (js_sys::Date::now() / 1000.0) as u64
}

/// The Durable Object holding one transaction (see the module documentation).
#[durable_object(alarm)]
pub struct LoginTransactions {
    state: State,
}

impl LoginTransactions {
    async fn put(&self, body: &str, now: u64) -> worker::Result<Response> {
        let Ok(transaction) = serde_json::from_str::<LoginTransaction>(body) else {
            return Response::error("bad transaction", 400);
        };
        if !is_valid_state_key(&transaction.state) {
            return Response::error("bad state", 400);
        }
        let storage = self.state.storage();
        let existing: Option<String> = storage.get(&transaction.state).await?;
        let in_use = existing
            .and_then(|raw| serde_json::from_str::<Stored>(&raw).ok())
            .is_some_and(|stored| is_live(&stored, now));
        if in_use {
            return Response::error("state in use", 409);
        }
        let expires_ms = transaction.expires_at.saturating_mul(1000);
        let key = transaction.state.clone();
        storage
            .put(&key, serde_json::to_string(&Stored::Pending(transaction))?)
            .await?;
        // Logins never finished leave nothing behind: the alarm deletes the storage.
        storage
            .set_alarm(i64::try_from(expires_ms).unwrap_or(i64::MAX))
            .await?;
        Ok(Response::empty()?.with_status(201))
    }

    async fn take(&self, body: &str, now: u64) -> worker::Result<Response> {
        let Ok(TakeRequest { state }) = serde_json::from_str::<TakeRequest>(body) else {
            return Response::error("bad request", 400);
        };
        let storage = self.state.storage();
        // Read and delete in the same request: single use (module documentation).
        let raw: Option<String> = storage.get(state).await?;
        let (transaction, delete) = take_decision(raw.as_deref(), state, now);
        if delete {
            storage.delete(state).await?;
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
            "/put" => self.put(&body, now).await,
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
    use crate::transaction::{complete, CompletedLogin, TRANSACTION_TTL_SECS};

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
    fn later_states_are_left_to_the_callback() {
        let done = complete(
            CompletedLogin {
                session: "sealed".into(),
                user: serde_json::json!({}),
                return_to: "/".into(),
            },
            1_000,
        );
        let raw = serde_json::to_string(&done).unwrap();
        assert_eq!(take_decision(Some(&raw), STATE, 1_001), (None, false));
        assert!(is_live(&done, 1_001));
    }

    #[test]
    fn liveness_blocks_reuse_of_a_state_until_expiry() {
        let stored: Stored = serde_json::from_str(&pending(1_000)).unwrap();
        assert!(is_live(&stored, 1_000 + TRANSACTION_TTL_SECS - 1));
        assert!(!is_live(&stored, 1_000 + TRANSACTION_TTL_SECS));
    }

    #[test]
    fn state_keys() {
        assert!(is_valid_state_key("abc-DEF_123.~"));
        assert!(!is_valid_state_key(""));
        assert!(!is_valid_state_key("a b"));
        assert!(!is_valid_state_key(&"a".repeat(STATE_MAX_LEN + 1)));
    }
}
