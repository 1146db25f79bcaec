//! The settings of login from phone number (CIBA, merchant-initiated): off unless
//! `PHONE_LOGIN_API_KEY` is set. Pure, as [`super::config`]: read through a lookup.
//!
//! | setting | |
//! |---|---|
//! | `PHONE_LOGIN_API_KEY` | secret, at least 32 characters: the shop's server sends `Authorization: Bearer <key>`; unset, the phone-login routes answer 404 |
//! | `VIPPS_CIBA_MODE` | `poll` (default): the status requests poll Vipps, paced; `ping`: Vipps' webhook says when to ask |
//! | `VIPPS_WEBHOOK_SECRET` | secret of the Webhooks API registration (`login.merchant-initiated.ping.v1`); required for `ping` |
//! | `VIPPS_PHONE_REDIRECT_URI` | `{origin}{base}/phone-callback`, registered: allows `flow: "webpage"` (the redirect variant) |
//! | `VIPPS_PHONE_LOGIN_EXPIRY_SECS` | `requested_expiry`, 60 to 900 (default 300) |

use super::config::ConfigError;
use crate::ciba::{MAX_EXPIRY_SECS, MIN_EXPIRY_SECS};
use crate::phone_login::{Mode, PhoneLoginKeys};
use crate::redirect_uri::check_redirect_uri_rules;
use crate::token::Secret;

pub const PHONE_LOGIN_API_KEY: &str = "PHONE_LOGIN_API_KEY";
pub const VIPPS_CIBA_MODE: &str = "VIPPS_CIBA_MODE";
pub const VIPPS_WEBHOOK_SECRET: &str = "VIPPS_WEBHOOK_SECRET";
pub const VIPPS_PHONE_REDIRECT_URI: &str = "VIPPS_PHONE_REDIRECT_URI";
pub const VIPPS_PHONE_LOGIN_EXPIRY_SECS: &str = "VIPPS_PHONE_LOGIN_EXPIRY_SECS";
/// Shortest API key accepted (as `SESSION_SECRET`).
pub const API_KEY_MIN_LEN: usize = 32;
/// `requested_expiry` when the setting is unset: long enough to find the phone, short
/// enough for a queue at the till.
pub const DEFAULT_EXPIRY_SECS: u64 = 300;

/// The checked phone-login settings.
#[derive(Debug, Clone)]
pub struct PhoneSettings {
    /// `None`: the feature is off (its routes answer 404).
    pub api_key: Option<Secret>,
    /// Poll or ping (the redirect variant is chosen per login).
    pub mode: Mode,
    pub webhook_secret: Option<Secret>,
    pub redirect_uri: Option<String>,
    pub expiry_secs: u64,
    /// Ids and states of phone logins (from `SESSION_SECRET`).
    pub keys: PhoneLoginKeys,
}

impl PhoneSettings {
    pub fn enabled(&self) -> bool {
        self.api_key.is_some()
    }

    /// Whether `POST /webhooks/vipps` exists: ping mode with its secret.
    pub fn pings(&self) -> bool {
        self.enabled() && self.mode == Mode::Ping && self.webhook_secret.is_some()
    }

    /// Whether `GET /phone-callback` exists.
    pub fn redirects(&self) -> bool {
        self.enabled() && self.redirect_uri.is_some()
    }
}

/// Reads the settings; `optional` as in [`super::config::Config::from_lookup`].
pub fn parse(
    optional: &impl Fn(&str) -> Option<String>,
    base_path: &str,
    session_secret: &Secret,
) -> Result<PhoneSettings, ConfigError> {
    let bad = |setting: &'static str, message: String| ConfigError {
        setting,
        message,
        code: None,
        hint: None,
    };
    let api_key = optional(PHONE_LOGIN_API_KEY).map(Secret::new);
    if api_key
        .as_ref()
        .is_some_and(|k| k.expose().len() < API_KEY_MIN_LEN)
    {
        return Err(bad(
            PHONE_LOGIN_API_KEY,
            format!("PHONE_LOGIN_API_KEY must be at least {API_KEY_MIN_LEN} characters (e.g. `openssl rand -base64 32`)"),
        ));
    }
    let mode = match optional(VIPPS_CIBA_MODE).as_deref().map(str::trim) {
        None | Some("poll") => Mode::Poll,
        Some("ping") => Mode::Ping,
        Some(other) => {
            return Err(bad(
                VIPPS_CIBA_MODE,
                format!("VIPPS_CIBA_MODE must be \"poll\" or \"ping\", not \"{other}\""),
            ))
        }
    };
    let webhook_secret = optional(VIPPS_WEBHOOK_SECRET).map(Secret::new);
    if mode == Mode::Ping && api_key.is_some() && webhook_secret.is_none() {
        return Err(bad(
            VIPPS_WEBHOOK_SECRET,
            "VIPPS_CIBA_MODE=ping needs VIPPS_WEBHOOK_SECRET (a secret): the secret of the Webhooks API registration for login.merchant-initiated.ping.v1".into(),
        ));
    }
    let redirect_uri = match optional(VIPPS_PHONE_REDIRECT_URI) {
        None => None,
        Some(uri) => {
            let uri = uri.trim().to_string();
            check_redirect_uri_rules(&uri)
                .into_result()
                .map_err(|e| ConfigError {
                    setting: VIPPS_PHONE_REDIRECT_URI,
                    message: format!("{VIPPS_PHONE_REDIRECT_URI}: {}", e.message()),
                    code: Some(e.code().as_str()),
                    hint: e.hint().map(str::to_string),
                })?;
            let route = format!("{base_path}/phone-callback");
            let path = uri
                .find("://")
                .and_then(|i| uri[i + 3..].find('/').map(|j| &uri[i + 3 + j..]));
            if path != Some(route.as_str()) {
                return Err(bad(
                    VIPPS_PHONE_REDIRECT_URI,
                    format!("VIPPS_PHONE_REDIRECT_URI \"{uri}\" must end in this Worker's route {route} (VIPPS_BASE_PATH + /phone-callback), with no query"),
                ));
            }
            Some(uri)
        }
    };
    let expiry_secs = match optional(VIPPS_PHONE_LOGIN_EXPIRY_SECS) {
        None => DEFAULT_EXPIRY_SECS,
        Some(v) => v
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|s| (MIN_EXPIRY_SECS..=MAX_EXPIRY_SECS).contains(s))
            .ok_or_else(|| {
                bad(
                    VIPPS_PHONE_LOGIN_EXPIRY_SECS,
                    format!("VIPPS_PHONE_LOGIN_EXPIRY_SECS must be {MIN_EXPIRY_SECS} to {MAX_EXPIRY_SECS} seconds, not \"{v}\""),
                )
            })?,
    };
    let keys =
        PhoneLoginKeys::derive(session_secret.expose().as_bytes()).map_err(|e| ConfigError {
            setting: super::config::SESSION_SECRET,
            message: e.message().to_string(),
            code: Some(e.code().as_str()),
            hint: None,
        })?;
    Ok(PhoneSettings {
        api_key,
        mode,
        webhook_secret,
        redirect_uri,
        expiry_secs,
        keys,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)], base: &str) -> Result<PhoneSettings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        parse(
            &|name: &str| map.get(name).cloned().filter(|v| !v.trim().is_empty()),
            base,
            &Secret::new("x".repeat(32)),
        )
    }

    const KEY: &str = "phone-login-api-key-0123456789abcdef";

    #[test]
    fn off_by_default_and_poll_by_default() {
        let s = load(&[], "").unwrap();
        assert!(!s.enabled() && !s.pings() && !s.redirects());
        let s = load(&[(PHONE_LOGIN_API_KEY, KEY)], "").unwrap();
        assert!(s.enabled());
        assert_eq!(s.mode, Mode::Poll);
        assert_eq!(s.expiry_secs, DEFAULT_EXPIRY_SECS);
        assert!(!format!("{s:?}").contains(KEY));
    }

    #[test]
    fn each_bad_setting_is_named() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[(PHONE_LOGIN_API_KEY, "short")], PHONE_LOGIN_API_KEY),
            (
                &[(PHONE_LOGIN_API_KEY, KEY), (VIPPS_CIBA_MODE, "push")],
                VIPPS_CIBA_MODE,
            ),
            (
                &[(PHONE_LOGIN_API_KEY, KEY), (VIPPS_CIBA_MODE, "ping")],
                VIPPS_WEBHOOK_SECRET,
            ),
            (
                &[(VIPPS_PHONE_REDIRECT_URI, "https://shop.example/callback")],
                VIPPS_PHONE_REDIRECT_URI,
            ),
            (
                &[(
                    VIPPS_PHONE_REDIRECT_URI,
                    "https://shop.example/phone-callback?x=1",
                )],
                VIPPS_PHONE_REDIRECT_URI,
            ),
            (
                &[(
                    VIPPS_PHONE_REDIRECT_URI,
                    "http://shop.example/phone-callback",
                )],
                VIPPS_PHONE_REDIRECT_URI,
            ),
            (
                &[(VIPPS_PHONE_LOGIN_EXPIRY_SECS, "59")],
                VIPPS_PHONE_LOGIN_EXPIRY_SECS,
            ),
            (
                &[(VIPPS_PHONE_LOGIN_EXPIRY_SECS, "901")],
                VIPPS_PHONE_LOGIN_EXPIRY_SECS,
            ),
        ];
        for (vars, setting) in cases {
            assert_eq!(load(vars, "").unwrap_err().setting, *setting, "{vars:?}");
        }
    }

    #[test]
    fn ping_and_redirect_settings() {
        let s = load(
            &[
                (PHONE_LOGIN_API_KEY, KEY),
                (VIPPS_CIBA_MODE, "ping"),
                (VIPPS_WEBHOOK_SECRET, "whsec"),
                (
                    VIPPS_PHONE_REDIRECT_URI,
                    "https://shop.example/auth/phone-callback",
                ),
                (VIPPS_PHONE_LOGIN_EXPIRY_SECS, "120"),
            ],
            "/auth",
        )
        .unwrap();
        assert!(s.pings() && s.redirects());
        assert_eq!(s.expiry_secs, 120);
        // The route follows the base path.
        assert!(load(
            &[(
                VIPPS_PHONE_REDIRECT_URI,
                "https://shop.example/auth/phone-callback"
            )],
            ""
        )
        .is_err());
    }
}
