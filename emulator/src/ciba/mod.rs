//! CIBA, "login from phone number" (merchant-initiated): the backchannel start, the
//! emulated phone, the two token grants and the ping (vipps-login-api.md, "CIBA";
//! OpenID CIBA Core 1.0).

pub mod control;
pub mod decide;
pub mod es_token;
pub mod grant;
pub mod phone;
pub mod ping;
pub mod start;

use std::collections::HashMap;

use crate::config::{Config, User};
use crate::dates::Date;
use crate::webhooks::Webhook;

/// Most CIBA requests (and redirect codes) held at once.
pub const MAX_REQUESTS: usize = 10_000;
/// Most webhooks registered at run time.
pub const MAX_WEBHOOKS: usize = 100;
/// Finished and expired requests are kept this long for clear answers
/// (`expired_token` rather than `invalid_grant`).
const KEEP_FINISHED_SECS: i64 = 3600;
/// Vipps: users under 15 cannot log in.
pub const MIN_AGE: i64 = 15;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Pending,
    Approved {
        user_id: String,
        auth_time: i64,
        sid: String,
    },
    Denied,
    /// Approved and its tokens handed out (single use).
    Redeemed,
}

#[derive(Debug, Clone)]
pub struct CibaRequest {
    pub auth_req_id: String,
    pub client_id: String,
    /// The owner of the number (`login_hint`).
    pub user_id: String,
    /// Digits with country code, no `+`.
    pub phone: String,
    pub scopes: Vec<String>,
    pub binding_message: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    /// `Some` for `requested_flow=login_to_webpage`.
    pub redirect_uri: Option<String>,
    pub requested_at: i64,
    pub expires_at: i64,
    /// Grows by 5 s on every `slow_down` (CIBA Core 11).
    pub interval: i64,
    pub last_poll: Option<i64>,
    pub status: Status,
}

impl CibaRequest {
    pub fn flow(&self) -> &'static str {
        if self.redirect_uri.is_some() {
            "login_to_webpage"
        } else {
            "poll"
        }
    }

    /// `pending`, `approved`, `denied`, `expired` or `redeemed`, on the emulator clock.
    pub fn status_name(&self, now: i64) -> &'static str {
        match self.status {
            Status::Pending if now >= self.expires_at => "expired",
            Status::Pending => "pending",
            Status::Approved { .. } => "approved",
            Status::Denied => "denied",
            Status::Redeemed => "redeemed",
        }
    }

    pub fn is_open(&self, now: i64) -> bool {
        self.status == Status::Pending && now < self.expires_at
    }
}

/// The redirect variant's `code`: the approved request it stands for.
pub struct RedirectCode {
    pub request: CibaRequest,
    pub expires_at: i64,
    pub used: bool,
}

/// A webhook registered with `POST /_emulator/webhooks`.
pub struct Registered {
    pub id: String,
    pub hook: Webhook,
}

#[derive(Default)]
pub struct CibaStore {
    pub requests: HashMap<String, CibaRequest>,
    pub codes: HashMap<String, RedirectCode>,
    pub webhooks: Vec<Registered>,
}

impl CibaStore {
    /// Drops what expired long ago, so memory stays bounded.
    pub fn prune(&mut self, now: i64) {
        self.requests
            .retain(|_, r| r.expires_at.saturating_add(KEEP_FINISHED_SECS) > now);
        self.codes
            .retain(|_, c| c.expires_at.saturating_add(KEEP_FINISHED_SECS) > now);
    }

    /// Prunes, then makes room for one more request by dropping the finished ones if
    /// needed; false when [`MAX_REQUESTS`] requests are still open.
    pub fn make_room(&mut self, now: i64) -> bool {
        self.prune(now);
        if self.requests.len() >= MAX_REQUESTS {
            self.requests.retain(|_, r| r.is_open(now));
        }
        self.requests.len() < MAX_REQUESTS
    }

    /// The same for one more redirect code.
    pub fn make_code_room(&mut self, now: i64) -> bool {
        self.prune(now);
        if self.codes.len() >= MAX_REQUESTS {
            self.codes.retain(|_, c| !c.used && c.expires_at > now);
        }
        self.codes.len() < MAX_REQUESTS
    }
}

/// The test user with this number.
pub fn user_by_phone<'a>(config: &'a Config, phone: &str) -> Option<&'a User> {
    config.users.iter().find(|u| u.phone_number == phone)
}

/// Under 15 on the emulator's day (or without a usable birthdate).
pub fn under_age(user: &User, now: i64) -> bool {
    let today = Date::from_unix_secs(now);
    user.birth_date()
        .is_none_or(|born| born.age_on(today) < MIN_AGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(id: usize, expires_at: i64) -> CibaRequest {
        CibaRequest {
            auth_req_id: id.to_string(),
            client_id: "c".into(),
            user_id: "u".into(),
            phone: "4712345678".into(),
            scopes: vec!["openid".into()],
            binding_message: None,
            state: None,
            nonce: None,
            redirect_uri: None,
            requested_at: 0,
            expires_at,
            interval: 5,
            last_poll: None,
            status: Status::Pending,
        }
    }

    #[test]
    fn the_store_is_bounded() {
        let mut store = CibaStore::default();
        for i in 0..MAX_REQUESTS {
            store.requests.insert(i.to_string(), request(i, 600));
        }
        assert!(!store.make_room(0), "full of open requests");
        // Expired ones make room (and go for good an hour later).
        assert!(store.make_room(600));
        assert!(store.requests.is_empty());
        for i in 0..MAX_REQUESTS {
            store.requests.insert(i.to_string(), request(i, 600));
        }
        store.prune(600 + KEEP_FINISHED_SECS);
        assert!(store.requests.is_empty());
    }
}
