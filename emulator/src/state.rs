//! The emulator's in-memory state: pending logins, codes, access tokens, switches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::clock::Clock;
use crate::config::Config;
use crate::faults::Faults;
use crate::keys::{KeySet, SigningKey};

pub type Shared = Arc<App>;

/// How long a landing page (its `request_id`) stays usable.
pub const PENDING_TTL_SECS: i64 = 900;
/// Expired codes and tokens are kept this long for clearer error descriptions.
const KEEP_EXPIRED_SECS: i64 = 3600;

pub struct App {
    pub config: Config,
    pub base_url: String,
    pub issuer: String,
    pub clock: Clock,
    keys: Mutex<KeySet>,
    store: Mutex<Store>,
}

impl App {
    pub fn new(config: Config, base_url: String, first_key: Arc<SigningKey>) -> App {
        let issuer = format!("{base_url}/access-management-1.0/access/");
        App {
            config,
            base_url,
            issuer,
            clock: Clock::default(),
            keys: Mutex::new(KeySet::new(first_key)),
            store: Mutex::new(Store::default()),
        }
    }

    /// Never hold this across an `.await`.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn keys(&self) -> MutexGuard<'_, KeySet> {
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn faults(&self) -> Faults {
        self.store().faults.clone()
    }

    /// Endpoint URL below the issuer (`oauth2/token`, ...).
    pub fn issuer_url(&self, rest: &str) -> String {
        format!("{}{rest}", self.issuer)
    }
}

/// PKCE as sent to authorize.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pkce {
    Plain(String),
    S256(String),
}

/// A checked authorization request.
#[derive(Debug, Clone)]
pub struct Authorization {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub scopes: Vec<String>,
    pub pkce: Option<Pkce>,
    pub acr: Option<String>,
    /// When the authorize request arrived (`rat`).
    pub requested_at: i64,
}

pub struct Pending {
    pub auth: Authorization,
    pub expires_at: i64,
}

#[derive(Clone)]
pub struct CodeGrant {
    pub auth: Authorization,
    pub user_id: String,
    pub auth_time: i64,
    pub sid: String,
    pub expires_at: i64,
    pub used: bool,
}

pub struct AccessGrant {
    pub client_id: String,
    pub user_id: String,
    pub scopes: Vec<String>,
    pub sid: String,
    pub expires_at: i64,
}

/// A partner access token (`POST /accesstoken/get`).
pub struct PartnerGrant {
    /// The partner's `client_id`.
    pub partner: String,
    pub expires_at: i64,
}

#[derive(Default)]
pub struct Store {
    pub pending: HashMap<String, Pending>,
    pub codes: HashMap<String, CodeGrant>,
    pub tokens: HashMap<String, AccessGrant>,
    pub partner_tokens: HashMap<String, PartnerGrant>,
    pub faults: Faults,
    pub auto_approve: Option<String>,
    /// CIBA requests, redirect codes and run-time webhooks.
    pub ciba: crate::ciba::CibaStore,
}

impl Store {
    /// Drops what expired long ago, so memory stays bounded.
    pub fn prune(&mut self, now: i64) {
        self.pending.retain(|_, p| p.expires_at > now);
        self.codes
            .retain(|_, c| c.expires_at.saturating_add(KEEP_EXPIRED_SECS) > now);
        self.tokens
            .retain(|_, t| t.expires_at.saturating_add(KEEP_EXPIRED_SECS) > now);
        self.partner_tokens
            .retain(|_, t| t.expires_at.saturating_add(KEEP_EXPIRED_SECS) > now);
    }

    /// What `/_emulator/reset` clears.
    pub fn reset(&mut self) {
        self.pending.clear();
        self.codes.clear();
        self.tokens.clear();
        self.partner_tokens.clear();
        self.faults = Faults::default();
        self.auto_approve = None;
        self.ciba = crate::ciba::CibaStore::default();
    }
}
