//! Log in with Vipps MobilePay, correctly.
//!
//! A sans-IO core for Vipps MobilePay Login (OpenID Connect with Vipps' quirks): it
//! builds requests as plain data and reads responses into typed results or typed
//! errors; it does no I/O and reads no clock. Adapters move the bytes: the wasm-bindgen
//! exports for front-ends (feature `browser`) and the Cloudflare Worker (feature
//! `worker`).

extern crate alloc;

#[macro_use]
mod redact;

pub mod authorize;
pub mod begin;
pub mod binding;
pub mod callback;
pub mod ciba;
pub mod completion;
pub mod consent;
pub mod discovery;
pub mod error;
pub mod handoff;
pub mod http;
pub mod id_token;
pub mod issuer;
pub mod jose;
pub mod jwks;
pub mod login;
pub mod machine;
pub mod options;
pub mod partner;
pub mod phone;
pub mod phone_login;
pub mod random;
pub mod redirect_uri;
pub mod return_to;
pub mod scope;
pub mod session;
pub mod state;
pub mod token;
pub mod transaction;
mod uri;
pub mod userinfo;
pub mod webhook;

#[cfg(feature = "browser")]
pub mod browser;

#[cfg(feature = "worker")]
pub mod worker;

pub use authorize::{AuthorizationRequest, Client, Market, RequestedFlow};
pub use callback::{parse_callback, Callback};
pub use error::{Error, ErrorCode, Result};
pub use issuer::{Endpoints, Environment, Issuer};
pub use random::{random_nonce, random_state, PkceCodeVerifier};
pub use redirect_uri::{check_redirect_uri, check_redirect_uri_rules, RedirectUriReport};
pub use scope::Scopes;
