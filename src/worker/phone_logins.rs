//! Logins from phone number, one Durable Object per `auth_req_id` (`idFromName`): no
//! global object. A Durable Object runs one event at a time and each request below
//! reads, applies the core's transition ([`crate::phone_login`]) and writes without
//! awaiting anything else, so two status requests racing for one login never both
//! start a token request: the pacing (interval, `slow_down`, `Retry-After`) is decided
//! here, the token request is sent by the Worker between `/begin` and `/finish`. An
//! alarm deletes the login when it stops mattering ([`PhoneLogin::delete_at_ms`]).
//! Its own class rather than `LoginTransactions`: another key (`auth_req_id`, which
//! the ping names), another record and other transitions.
//!
//! | path | body | answer |
//! |---|---|---|
//! | `/put` | a [`PhoneLogin`] | 201, or 409 when one is stored |
//! | `/begin`, `/begin-ping` | (none) | 200 `{login, poll}` ([`phone_login::begin`], for a status request or a ping); 404 when none |
//! | `/finish` | `{result}` | 200 `{login}` ([`phone_login::finish`]); 404 |
//! | `/redeemable` | `{state}` | 200 `{login}` ([`phone_login::check_redeemable`]); 409 `{refused}`; 404 |
//! | `/redeem` | `{state, status}` | 200 `{login}` ([`phone_login::redeem`]); 409 `{refused}`; 404 |
//!
//! Only the Worker calls it, and only for an `auth_req_id` Vipps gave it: one from an id
//! with a valid tag, a verified ping, or a verified code exchange. Nothing else creates
//! an object, and only `/put` creates storage.

use super::storage;
use crate::error::{Error, ErrorCode};
use crate::phone_login::{self, PhoneLogin, PollResult, Status, Trigger};
use serde::{Deserialize, Serialize};
use worker::{durable_object, Env, Method, ObjectNamespace, Request, Response, State};

/// The Durable Object binding's name in wrangler.toml.
pub const BINDING: &str = "PHONE_LOGINS";
const BASE_URL: &str = "https://phone-logins.internal/";
const KEY: &str = "login";

#[derive(Serialize, Deserialize)]
pub struct Begun {
    pub login: PhoneLogin,
    pub poll: bool,
}

#[derive(Serialize, Deserialize)]
struct FinishRequest {
    result: PollResult,
}

#[derive(Serialize, Deserialize)]
struct RedeemRequest {
    state: String,
    status: Option<Status>,
}

#[derive(Serialize, Deserialize)]
struct Held {
    login: PhoneLogin,
}

#[derive(Serialize, Deserialize)]
struct Refusal {
    refused: String,
}

/// The Worker's handle on the phone logins. The outer `Result` is the runtime's; `None`
/// is "no such login".
pub struct PhoneLoginStore {
    namespace: ObjectNamespace,
}

fn now_ms() -> u64 {
    js_sys::Date::now().max(0.0) as u64
}

impl PhoneLoginStore {
    pub fn from_env(env: &Env) -> worker::Result<Self> {
        Ok(PhoneLoginStore {
            namespace: env.durable_object(BINDING)?,
        })
    }

    /// A call bounded as every Durable Object call ([`storage::send`]); its failure is
    /// answered `503 storage_unavailable` ([`storage::runtime_error`]).
    async fn call(
        &self,
        auth_req_id: &str,
        op: &str,
        body: String,
    ) -> worker::Result<(u16, String)> {
        let stub = self.namespace.id_from_name(auth_req_id)?.get_stub()?;
        let url = format!("{BASE_URL}{op}");
        storage::send(&stub, &url, &body, "PhoneLogins", op)
            .await
            .map_err(|e| storage::runtime_error(&e))
    }

    fn unexpected(op: &str, status: u16) -> worker::Error {
        storage::runtime_error(&storage::unexpected("PhoneLogins", op, status))
    }

    /// Stores a new login; `false` when one is stored under its `auth_req_id` already.
    pub async fn put(&self, login: &PhoneLogin) -> worker::Result<bool> {
        let (status, _) = self
            .call(&login.auth_req_id, "put", serde_json::to_string(login)?)
            .await?;
        match status {
            201 => Ok(true),
            409 => Ok(false),
            s => Err(Self::unexpected("put", s)),
        }
    }

    pub async fn begin(
        &self,
        auth_req_id: &str,
        trigger: Trigger,
    ) -> worker::Result<Option<Begun>> {
        let op = match trigger {
            Trigger::Status => "begin",
            Trigger::Ping => "begin-ping",
        };
        match self.call(auth_req_id, op, String::new()).await? {
            (200, text) => Ok(Some(serde_json::from_str(&text)?)),
            (404, _) => Ok(None),
            (s, _) => Err(Self::unexpected("begin", s)),
        }
    }

    pub async fn finish(
        &self,
        auth_req_id: &str,
        result: PollResult,
    ) -> worker::Result<Option<PhoneLogin>> {
        let body = serde_json::to_string(&FinishRequest { result })?;
        match self.call(auth_req_id, "finish", body).await? {
            (200, text) => Ok(Some(serde_json::from_str::<Held>(&text)?.login)),
            (404, _) => Ok(None),
            (s, _) => Err(Self::unexpected("finish", s)),
        }
    }

    /// `/redeemable` (`status: None`) or `/redeem`: the login, or why not.
    pub async fn redeem(
        &self,
        auth_req_id: &str,
        state: &str,
        status: Option<Status>,
    ) -> worker::Result<Result<PhoneLogin, Error>> {
        let op = if status.is_some() {
            "redeem"
        } else {
            "redeemable"
        };
        let body = serde_json::to_string(&RedeemRequest {
            state: state.to_string(),
            status,
        })?;
        match self.call(auth_req_id, op, body).await? {
            (200, text) => Ok(Ok(serde_json::from_str::<Held>(&text)?.login)),
            (409, text) => {
                let refusal: Refusal = serde_json::from_str(&text)?;
                Ok(Err(refusal_error(&refusal.refused)))
            }
            (404, _) => Ok(Err(refusal_error(""))),
            (s, _) => Err(Self::unexpected(op, s)),
        }
    }
}

fn refusal_error(code: &str) -> Error {
    if code == ErrorCode::PhoneLoginAlreadyUsed.as_str() {
        return Error::new(
            ErrorCode::PhoneLoginAlreadyUsed,
            "this phone login is already done or expired",
        );
    }
    Error::new(
        ErrorCode::CibaAuthReqIdMismatch,
        "the code's id_token names no phone login this callback started",
    )
}

/// The alarm for Unix time `at_ms`, as an offset from now (`set_alarm` takes one).
fn alarm_offset_ms(at_ms: u64) -> i64 {
    (at_ms as f64 - js_sys::Date::now()).clamp(0.0, i64::MAX as f64) as i64
}

/// One login from phone number (module documentation).
#[durable_object(alarm)]
pub struct PhoneLogins {
    state: State,
}

impl PhoneLogins {
    async fn load(&self) -> worker::Result<Option<PhoneLogin>> {
        let raw: Option<String> = self.state.storage().get(KEY).await?;
        Ok(raw.and_then(|raw| serde_json::from_str(&raw).ok()))
    }

    async fn store(&self, login: &PhoneLogin) -> worker::Result<()> {
        let storage = self.state.storage();
        storage.put(KEY, serde_json::to_string(login)?).await?;
        storage
            .set_alarm(alarm_offset_ms(login.delete_at_ms()))
            .await
    }

    fn held(login: PhoneLogin) -> worker::Result<Response> {
        Response::ok(serde_json::to_string(&Held { login })?)
    }

    async fn op(&self, path: &str, body: &str) -> worker::Result<Response> {
        let bad = || Response::error("bad request", 400);
        let now = now_ms();
        if path == "/put" {
            let Ok(login) = serde_json::from_str::<PhoneLogin>(body) else {
                return bad();
            };
            if self.load().await?.is_some() {
                return Response::error("in use", 409);
            }
            self.store(&login).await?;
            return Ok(Response::empty()?.with_status(201));
        }
        // Every other operation reads an existing login and never creates one.
        let Some(mut login) = self.load().await? else {
            return Response::error("no such login", 404);
        };
        match path {
            "/begin" | "/begin-ping" => {
                let trigger = if path == "/begin" {
                    Trigger::Status
                } else {
                    Trigger::Ping
                };
                let decision = phone_login::begin(&mut login, trigger, now);
                if decision.changed {
                    self.store(&login).await?;
                }
                Response::ok(serde_json::to_string(&Begun {
                    login,
                    poll: decision.poll,
                })?)
            }
            "/finish" => {
                let Ok(r) = serde_json::from_str::<FinishRequest>(body) else {
                    return bad();
                };
                phone_login::finish(&mut login, r.result, now);
                self.store(&login).await?;
                Self::held(login)
            }
            "/redeemable" | "/redeem" => {
                let Ok(r) = serde_json::from_str::<RedeemRequest>(body) else {
                    return bad();
                };
                let outcome = match r.status {
                    Some(status) if path == "/redeem" => {
                        phone_login::redeem(&mut login, &r.state, status, now)
                    }
                    _ => phone_login::check_redeemable(&login, &r.state, now),
                };
                match outcome {
                    Ok(()) => {
                        if path == "/redeem" {
                            self.store(&login).await?;
                        }
                        Self::held(login)
                    }
                    Err(e) => Ok(Response::ok(serde_json::to_string(&Refusal {
                        refused: e.code().as_str().to_string(),
                    })?)?
                    .with_status(409)),
                }
            }
            _ => Response::error("not found", 404),
        }
    }
}

impl worker::DurableObject for PhoneLogins {
    fn new(state: State, _env: Env) -> Self {
        PhoneLogins { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        if req.method() != Method::Post {
            return Response::error("method not allowed", 405);
        }
        let Ok(body) = req.text().await else {
            return Response::error("bad request", 400);
        };
        self.op(&req.path(), &body).await
    }

    async fn alarm(&self) -> worker::Result<Response> {
        self.state.storage().delete_all().await?;
        Response::empty()
    }
}
