//! A login from phone number as the server keeps it between requests: one
//! [`PhoneLogin`] per `auth_req_id`, and the pure transitions its storage applies
//! (the Worker: one Durable Object per `auth_req_id`, which runs one event at a time).
//! The pacing lives here, so no request ever waits in a loop:
//!
//! - poll mode: a status request may start one token request, and only when the
//!   interval since the last one has passed (CIBA Core 7.3) and none is in flight;
//!   sooner, it gets the stored status. `slow_down` adds 5 s to the interval (CIBA Core
//!   11), HTTP 429 moves the next request to `Retry-After`, and past `expires_in` the
//!   login is expired without asking;
//! - ping mode: only a verified ping starts the (one) token request;
//! - redirect variant: the phone's visit redeems it, once.
//!
//! [`PhoneLoginKeys`] makes the ids the Worker hands out (the `auth_req_id` with an
//! HMAC tag) and the `state` it sends, so a forged id or callback is refused before any
//! storage is touched.

use crate::error::{Error, ErrorCode, Result};
use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// How long a token request may be in flight before another may start.
pub const LEASE_MS: u64 = 30_000;
/// How long a finished login's status (and the user's data) is kept for the caller.
pub const RESULT_TTL_SECS: u64 = 300;
/// A margin added to each interval, so that clock granularity never makes a request
/// land just inside it (which Vipps answers with `slow_down`).
pub const PACING_MARGIN_MS: u64 = 200;

/// How the login learns that the user answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "Wire", from = "Wire")]
pub enum Mode {
    /// The caller's status requests poll the token endpoint, paced.
    Poll,
    /// Vipps' ping (`login.merchant-initiated.ping.v1`) starts the token request.
    Ping,
    /// `requested_flow=login_to_webpage`: the phone opens the redirect URI with a code.
    Webpage,
}

impl From<Mode> for Wire {
    fn from(mode: Mode) -> Wire {
        Wire {
            kind: match mode {
                Mode::Poll => "poll",
                Mode::Ping => "ping",
                Mode::Webpage => "webpage",
            }
            .into(),
            ..Wire::default()
        }
    }
}

impl From<Wire> for Mode {
    fn from(wire: Wire) -> Mode {
        match wire.kind.as_str() {
            "ping" => Mode::Ping,
            "webpage" => Mode::Webpage,
            _ => Mode::Poll,
        }
    }
}

/// How [`Mode`], [`Status`] and [`PollResult`] are stored: one flat shape for the
/// three (serde's derived enums cost several KB of wasm each, in a Worker that counts
/// its size).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Wire {
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status: Option<Box<Wire>>,
}

/// Where a login stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "Wire", from = "Wire")]
pub enum Status {
    Pending,
    /// The verified user: `sub` and the userinfo claims.
    Approved {
        user: Value,
    },
    Denied,
    Expired,
    /// The error code, message and hint of what went wrong.
    Failed {
        error: String,
        message: String,
        hint: Option<String>,
    },
}

impl From<Status> for Wire {
    fn from(status: Status) -> Wire {
        let kind = |k: &str| Wire {
            kind: k.into(),
            ..Wire::default()
        };
        match status {
            Status::Pending => kind("pending"),
            Status::Approved { user } => Wire {
                user: Some(user),
                ..kind("approved")
            },
            Status::Denied => kind("denied"),
            Status::Expired => kind("expired"),
            Status::Failed {
                error,
                message,
                hint,
            } => Wire {
                error: Some(error),
                message: Some(message),
                hint,
                ..kind("failed")
            },
        }
    }
}

impl From<Wire> for Status {
    fn from(wire: Wire) -> Status {
        match wire.kind.as_str() {
            "pending" => Status::Pending,
            "approved" => Status::Approved {
                user: wire.user.unwrap_or(Value::Null),
            },
            "denied" => Status::Denied,
            "expired" => Status::Expired,
            // Anything unreadable is a failure, never an approval.
            _ => Status::Failed {
                error: wire.error.unwrap_or_else(|| "internal_error".into()),
                message: wire.message.unwrap_or_default(),
                hint: wire.hint,
            },
        }
    }
}

impl Status {
    pub fn failed(e: &Error) -> Status {
        Status::Failed {
            error: e.code().as_str().to_string(),
            message: e.message().chars().take(300).collect(),
            hint: e.hint().map(str::to_string),
        }
    }

    pub fn is_final(&self) -> bool {
        !matches!(self, Status::Pending)
    }
}

/// One login from phone number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneLogin {
    pub auth_req_id: String,
    /// The `state` sent at the start: the redirect variant's callback must bring it.
    pub state: String,
    pub nonce: String,
    pub mode: Mode,
    /// The issuer and client it was started for.
    pub issuer: String,
    pub client_id: String,
    pub expires_at_ms: u64,
    pub interval_secs: u64,
    /// No token request before this time.
    pub next_poll_at_ms: u64,
    /// A token request is in flight until this time.
    pub lease_until_ms: u64,
    pub status: Status,
    /// When the status became final.
    pub finished_at_ms: Option<u64>,
}

impl PhoneLogin {
    /// When the storage may delete it: a while after it finished, or after it expired.
    pub fn delete_at_ms(&self) -> u64 {
        let ttl = RESULT_TTL_SECS * 1000;
        match self.finished_at_ms {
            Some(at) => at.saturating_add(ttl),
            None => self.expires_at_ms.saturating_add(ttl),
        }
    }

    /// Marks it expired when `now` is past `expires_in` (CIBA Core 7.3). Whether it
    /// changed.
    fn expire(&mut self, now_ms: u64) -> bool {
        if self.status == Status::Pending && now_ms >= self.expires_at_ms {
            self.finish(Status::Expired, now_ms);
            return true;
        }
        false
    }

    fn finish(&mut self, status: Status, now_ms: u64) {
        self.status = status;
        self.finished_at_ms = Some(now_ms);
        self.lease_until_ms = 0;
    }

    /// What a status request answers: `{status, user?, error?, message?, hint?,
    /// expiresIn?, interval?}`.
    pub fn view(&self, now_ms: u64) -> Value {
        match &self.status {
            Status::Pending => json!({
                "status": "pending",
                "expiresIn": self.expires_at_ms.saturating_sub(now_ms).div_ceil(1000),
                "interval": self.interval_secs,
            }),
            Status::Approved { user } => json!({ "status": "approved", "user": user }),
            Status::Denied => json!({ "status": "denied" }),
            Status::Expired => json!({ "status": "expired" }),
            Status::Failed {
                error,
                message,
                hint,
            } => {
                let mut v = json!({ "status": "failed", "error": error, "message": message });
                if let Some(hint) = hint {
                    v["hint"] = json!(hint);
                }
                v
            }
        }
    }
}

/// What starts a token request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The caller's status request (poll mode only).
    Status,
    /// A verified ping (ping mode only).
    Ping,
}

/// What a storage transition decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Send one CIBA token request now (a lease is taken).
    pub poll: bool,
    /// Whether the stored value changed.
    pub changed: bool,
}

/// A status request or a ping: whether to send one token request now. Pacing (module
/// documentation): the caller's requests never reach Vipps faster than the interval.
pub fn begin(login: &mut PhoneLogin, trigger: Trigger, now_ms: u64) -> Decision {
    let expired = login.expire(now_ms);
    let mode_ok = matches!(
        (trigger, login.mode),
        (Trigger::Status, Mode::Poll) | (Trigger::Ping, Mode::Ping)
    );
    let due = match trigger {
        Trigger::Status => now_ms >= login.next_poll_at_ms,
        // Vipps says the user answered: ask now (still one request at a time).
        Trigger::Ping => true,
    };
    let free = now_ms >= login.lease_until_ms;
    if login.status == Status::Pending && mode_ok && due && free {
        login.lease_until_ms = now_ms.saturating_add(LEASE_MS);
        login.next_poll_at_ms = now_ms
            .saturating_add(login.interval_secs.saturating_mul(1000))
            .saturating_add(PACING_MARGIN_MS);
        return Decision {
            poll: true,
            changed: true,
        };
    }
    Decision {
        poll: false,
        changed: expired,
    }
}

/// What the token request brought, on the wire between the Worker and its storage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "Wire", from = "Wire")]
pub enum PollResult {
    Pending,
    SlowDown,
    RateLimited { retry_after_secs: u64 },
    Final { status: Status },
}

impl From<PollResult> for Wire {
    fn from(result: PollResult) -> Wire {
        let kind = |k: &str| Wire {
            kind: k.into(),
            ..Wire::default()
        };
        match result {
            PollResult::Pending => kind("pending"),
            PollResult::SlowDown => kind("slow_down"),
            PollResult::RateLimited { retry_after_secs } => Wire {
                secs: Some(retry_after_secs),
                ..kind("rate_limited")
            },
            PollResult::Final { status } => Wire {
                status: Some(Box::new(status.into())),
                ..kind("final")
            },
        }
    }
}

impl From<Wire> for PollResult {
    fn from(wire: Wire) -> PollResult {
        match (wire.kind.as_str(), wire.status) {
            ("slow_down", _) => PollResult::SlowDown,
            ("rate_limited", _) => PollResult::RateLimited {
                retry_after_secs: wire.secs.unwrap_or(crate::ciba::DEFAULT_RETRY_AFTER_SECS),
            },
            ("final", Some(status)) => PollResult::Final {
                status: Status::from(*status),
            },
            _ => PollResult::Pending,
        }
    }
}

/// Applies a token request's result (the lease ends).
pub fn finish(login: &mut PhoneLogin, result: PollResult, now_ms: u64) {
    if login.status.is_final() {
        return;
    }
    login.lease_until_ms = 0;
    match result {
        PollResult::Pending => {}
        PollResult::SlowDown => {
            // CIBA Core 11: "the interval MUST be increased by at least 5 seconds for
            // this and all subsequent requests".
            login.interval_secs = login
                .interval_secs
                .saturating_add(crate::ciba::SLOW_DOWN_SECS)
                .min(crate::ciba::MAX_WAIT_SECS);
            login.next_poll_at_ms = now_ms
                .saturating_add(login.interval_secs * 1000)
                .saturating_add(PACING_MARGIN_MS);
        }
        PollResult::RateLimited { retry_after_secs } => {
            let wait = retry_after_secs
                .max(login.interval_secs)
                .min(crate::ciba::MAX_WAIT_SECS);
            login.next_poll_at_ms = login.next_poll_at_ms.max(
                now_ms
                    .saturating_add(wait * 1000)
                    .saturating_add(PACING_MARGIN_MS),
            );
        }
        PollResult::Final { status } => login.finish(status, now_ms),
    }
    login.expire(now_ms);
}

/// The redirect variant's callback, before its token request's result is kept: the
/// login must be pending, of the redirect variant, and started with this `state`
/// (compared in constant time).
pub fn check_redeemable(login: &PhoneLogin, state: &str, now_ms: u64) -> Result<()> {
    let ours =
        login.mode == Mode::Webpage && bool::from(login.state.as_bytes().ct_eq(state.as_bytes()));
    if !ours {
        return Err(Error::new(
            ErrorCode::CibaAuthReqIdMismatch,
            "the code was issued for another phone login than this callback's",
        ));
    }
    if login.status.is_final() || now_ms >= login.expires_at_ms {
        return Err(Error::new(
            ErrorCode::PhoneLoginAlreadyUsed,
            "this phone login is already done or expired",
        ));
    }
    Ok(())
}

/// Keeps the redirect variant's result, once.
pub fn redeem(login: &mut PhoneLogin, state: &str, status: Status, now_ms: u64) -> Result<()> {
    check_redeemable(login, state, now_ms)?;
    login.finish(status, now_ms);
    Ok(())
}

const TAG_LEN: usize = 16;
const STATE_RANDOM_LEN: usize = 24;

/// Keys for the ids and states of phone logins, derived from the server's session
/// secret (a key of their own: never mistaken for a browser login's state or a
/// session), and during a rotation of that secret the previous one's key with the time
/// (Unix seconds) until which its ids and states are still accepted, so that phone logins
/// in flight survive the rotation. `Debug` hides them.
#[derive(Clone)]
pub struct PhoneLoginKeys([u8; 32], Option<([u8; 32], u64)>);

impl std::fmt::Debug for PhoneLoginKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PhoneLoginKeys([redacted])")
    }
}

fn hmac(key: &[u8]) -> Result<Hmac<Sha256>> {
    Hmac::<Sha256>::new_from_slice(key)
        .map_err(|_| Error::new(ErrorCode::ConfigInvalid, "the key cannot key HMAC"))
}

fn derive_phone_key(secret: &[u8]) -> Result<[u8; 32]> {
    let mut mac = hmac(secret)?;
    mac.update(b"vipps-login phone-login v1");
    Ok(mac.finalize().into_bytes().into())
}

fn tag_with(key: &[u8; 32], purpose: &[u8], value: &[u8]) -> Result<[u8; TAG_LEN]> {
    let mut mac = hmac(key)?;
    mac.update(purpose);
    mac.update(value);
    let full = mac.finalize().into_bytes();
    let mut tag = [0u8; TAG_LEN];
    tag.copy_from_slice(&full[..TAG_LEN]);
    Ok(tag)
}

/// Whether `presented` is the tag of `value` under one of `keys` (constant time each).
fn tagged_by<'k>(
    mut keys: impl Iterator<Item = &'k [u8; 32]>,
    purpose: &[u8],
    value: &[u8],
    presented: &[u8],
) -> bool {
    presented.len() == TAG_LEN
        && keys.any(|key| match tag_with(key, purpose, value) {
            Ok(tag) => bool::from(tag.ct_eq(presented)),
            Err(_) => false,
        })
}

impl PhoneLoginKeys {
    /// `HMAC-SHA-256(secret, "vipps-login phone-login v1")`.
    pub fn derive(secret: &[u8]) -> Result<Self> {
        Ok(PhoneLoginKeys(derive_phone_key(secret)?, None))
    }

    /// Also accepting, until `until`, the ids and states the previous secret's key made
    /// (the `_at` methods). New ones are always made with the current key.
    pub fn with_previous(self, previous: &[u8], until: u64) -> Result<Self> {
        Ok(PhoneLoginKeys(
            self.0,
            Some((derive_phone_key(previous)?, until)),
        ))
    }

    /// The current key, and the previous one while `now` is before its time.
    fn keys_at(&self, now: u64) -> impl Iterator<Item = &[u8; 32]> {
        std::iter::once(&self.0).chain(
            self.1
                .as_ref()
                .filter(|(_, until)| now < *until)
                .map(|(key, _)| key),
        )
    }

    fn tag(&self, purpose: &[u8], value: &[u8]) -> Result<[u8; TAG_LEN]> {
        tag_with(&self.0, purpose, value)
    }

    /// The id handed to the caller: `base64url(auth_req_id) "." base64url(tag)`.
    pub fn id_for(&self, auth_req_id: &str) -> Result<String> {
        let tag = self.tag(b"id\0", auth_req_id.as_bytes())?;
        Ok(format!(
            "{}.{}",
            Base64UrlUnpadded::encode_string(auth_req_id.as_bytes()),
            Base64UrlUnpadded::encode_string(&tag)
        ))
    }

    /// The `auth_req_id` an id names, when this server made the id (the tag compared
    /// in constant time); `None` for anything else.
    pub fn auth_req_id_of(&self, id: &str) -> Option<String> {
        self.auth_req_id_of_at(id, u64::MAX)
    }

    /// As [`PhoneLoginKeys::auth_req_id_of`], also for an id the previous key made
    /// while `now` is before its time.
    pub fn auth_req_id_of_at(&self, id: &str, now: u64) -> Option<String> {
        if id.len() > 2 * crate::ciba::MAX_AUTH_REQ_ID_LEN {
            return None;
        }
        let (value, tag) = id.split_once('.')?;
        let value = Base64UrlUnpadded::decode_vec(value).ok()?;
        let tag = Base64UrlUnpadded::decode_vec(tag).ok()?;
        if !tagged_by(self.keys_at(now), b"id\0", &value, &tag) {
            return None;
        }
        String::from_utf8(value).ok()
    }

    /// A fresh `state` for the start: 24 random bytes and their tag (54 characters).
    pub fn mint_state(&self) -> Result<String> {
        let mut bytes = [0u8; STATE_RANDOM_LEN + TAG_LEN];
        getrandom::fill(&mut bytes[..STATE_RANDOM_LEN]).map_err(|e| {
            Error::new(
                ErrorCode::RandomUnavailable,
                format!("the random number generator failed: {e}"),
            )
        })?;
        let tag = self.tag(b"state\0", &bytes[..STATE_RANDOM_LEN])?;
        bytes[STATE_RANDOM_LEN..].copy_from_slice(&tag);
        Ok(Base64UrlUnpadded::encode_string(&bytes))
    }

    /// Whether `state` was minted by [`PhoneLoginKeys::mint_state`] with this key.
    pub fn issued_state(&self, state: &str) -> bool {
        self.issued_state_at(state, u64::MAX)
    }

    /// As [`PhoneLoginKeys::issued_state`], also for a state the previous key minted
    /// while `now` is before its time.
    pub fn issued_state_at(&self, state: &str, now: u64) -> bool {
        let mut bytes = [0u8; STATE_RANDOM_LEN + TAG_LEN];
        if state.len() != 54 {
            return false;
        }
        match Base64UrlUnpadded::decode(state, &mut bytes) {
            Ok(d) if d.len() == STATE_RANDOM_LEN + TAG_LEN => {}
            _ => return false,
        }
        let (random, presented) = bytes.split_at(STATE_RANDOM_LEN);
        tagged_by(self.keys_at(now), b"state\0", random, presented)
    }
}

#[cfg(test)]
#[path = "phone_login_tests.rs"]
mod tests;
