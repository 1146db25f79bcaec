//! The begin-login step of Vipps MobilePay Login, small enough for a login button:
//! state, nonce, PKCE (RFC 7636, S256) and the authorization URL (OIDC Core 3.1.2.1).
//!
//! `no_std` and free of `core::fmt`: the npm package's `vipps-login/begin` entry is this
//! crate compiled to wasm (feature `wasm`), and its budget is 8 KB gzip with the JS
//! glue. Errors are a [`Fault`] (a stable code and a message assembled without
//! formatting machinery); the full package (`vipps-login`) adds hints, positions and
//! suggestions, and runs Vipps' complete redirect URI rules. Feature `wasm` builds
//! `vipps-login/pkce` (state, nonce, PKCE), feature `login` `vipps-login/begin` (and
//! createLogin).
//!
//! The rules and limits here are the one copy: the main crate uses them too.
#![cfg_attr(target_family = "wasm", no_std)]

extern crate alloc;

pub mod login;
pub mod query;
pub mod random;
pub mod rules;

pub use login::{create_login, Discovery, Fault, Login, Options};

#[cfg(feature = "wasm")]
mod wasm;
