//! The Worker's settings: `[vars]` in wrangler.toml and two secrets (`wrangler secret
//! put`, or `.dev.vars` locally). Read on every request from the bindings, checked
//! here, and refused with the name of the first bad setting: a deployment with a typo
//! answers `500 {"error":"config_invalid","setting":...}` instead of sending users to
//! the wrong place.
//!
//! Pure: [`Config::from_lookup`] takes a lookup function, so the rules are tested
//! natively without a Worker runtime.

use crate::authorize::Market;
use crate::begin::OptionPolicy;
use crate::error::Error;
use crate::id_token::DEFAULT_LEEWAY_SECS;
use crate::issuer::{Environment, Issuer};
use crate::redirect_uri::check_redirect_uri_rules;
use crate::return_to::safe_return_to;
use crate::scope::Scopes;
use crate::state::StateKey;
use crate::token::{ClientCredentials, Secret, SystemHeaders, TokenAuthMethod};
use std::fmt;

/// The names of the settings, as wrangler.toml and `.dev.vars` spell them.
pub const VIPPS_ENV: &str = "VIPPS_ENV";
pub const VIPPS_ISSUER: &str = "VIPPS_ISSUER";
pub const VIPPS_CLIENT_ID: &str = "VIPPS_CLIENT_ID";
pub const VIPPS_REDIRECT_URI: &str = "VIPPS_REDIRECT_URI";
pub const VIPPS_APP_REDIRECT_URI: &str = "VIPPS_APP_REDIRECT_URI";
pub const VIPPS_SCOPES: &str = "VIPPS_SCOPES";
pub const VIPPS_TOKEN_AUTH_METHOD: &str = "VIPPS_TOKEN_AUTH_METHOD";
pub const ALLOWED_ORIGINS: &str = "ALLOWED_ORIGINS";
pub const VIPPS_HTTP_TIMEOUT_MS: &str = "VIPPS_HTTP_TIMEOUT_MS";
pub const VIPPS_CLOCK_LEEWAY_SECS: &str = "VIPPS_CLOCK_LEEWAY_SECS";
pub const VIPPS_SYSTEM_NAME: &str = "VIPPS_SYSTEM_NAME";
pub const VIPPS_SYSTEM_VERSION: &str = "VIPPS_SYSTEM_VERSION";
pub const VIPPS_MSN: &str = "VIPPS_MSN";
pub const VIPPS_BASE_PATH: &str = "VIPPS_BASE_PATH";
pub const VIPPS_ERROR_PATH: &str = "VIPPS_ERROR_PATH";
pub const LOGIN_HOOK_URL: &str = "LOGIN_HOOK_URL";
pub const LOGIN_HOOK_SECRET: &str = "LOGIN_HOOK_SECRET";
/// The service binding of the shop's login hook (wrangler.toml `[[services]]`).
pub const LOGIN_HOOK: &str = "LOGIN_HOOK";
/// `"off"` lets logins start without the `LOGIN_RATE_LIMITER` binding (a Cloudflare
/// rate limiting rule in front does the job); anything else requires the binding.
pub const LOGIN_RATE_LIMIT: &str = "LOGIN_RATE_LIMIT";
/// `"true"` adds `GET {base}/api/_memory` (the wasm memory's size, for `bench/`).
pub const VIPPS_DEBUG_ROUTES: &str = "VIPPS_DEBUG_ROUTES";
/// Longest base path.
pub const MAX_BASE_PATH_LEN: usize = 64;
/// Shortest `LOGIN_HOOK_SECRET`, as for `SESSION_SECRET`.
pub const HOOK_SECRET_MIN_LEN: usize = 32;
pub const VIPPS_ALLOWED_MARKETS: &str = "VIPPS_ALLOWED_MARKETS";
pub const VIPPS_ALLOWED_FLOWS: &str = "VIPPS_ALLOWED_FLOWS";
pub const VIPPS_ALLOW_FINAL_REDIRECT_IS_APP: &str = "VIPPS_ALLOW_FINAL_REDIRECT_IS_APP";
pub const VIPPS_ALLOWED_ACR_VALUES: &str = "VIPPS_ALLOWED_ACR_VALUES";
/// The `requested_flow` values the Worker can complete. The app flows (`app_to_app`,
/// `app_to_app_v2`) start only with `POST /api/login` and come back to the app (at
/// `VIPPS_MOBILE_REDIRECT_URI`), which posts the code to `/api/callback`.
pub const WORKER_FLOWS: &[&str] = &[
    "automatic_return_from_vipps_app",
    "app_to_app",
    "app_to_app_v2",
];
/// The flows that return to an iOS or Android app.
pub const APP_FLOWS: &[&str] = &["app_to_app", "app_to_app_v2"];
/// Partner keys (secrets): the Access Token API's `client_id`, `client_secret` and
/// `Ocp-Apim-Subscription-Key`; with `VIPPS_MSN`, instead of `VIPPS_CLIENT_SECRET`.
pub const VIPPS_PARTNER_CLIENT_ID: &str = "VIPPS_PARTNER_CLIENT_ID";
pub const VIPPS_PARTNER_CLIENT_SECRET: &str = "VIPPS_PARTNER_CLIENT_SECRET";
pub const VIPPS_PARTNER_SUBSCRIPTION_KEY: &str = "VIPPS_PARTNER_SUBSCRIPTION_KEY";
/// The universal link (iOS) / app link (Android) the app flows come back to.
pub const VIPPS_MOBILE_REDIRECT_URI: &str = "VIPPS_MOBILE_REDIRECT_URI";
/// The `app_callback_uri`s a legacy `app_to_app` login may name (registered at Vipps).
pub const VIPPS_APP_CALLBACK_URIS: &str = "VIPPS_APP_CALLBACK_URIS";
/// Largest clock skew accepted for id_token `exp`/`iat`.
pub const MAX_CLOCK_LEEWAY_SECS: u64 = 600;
pub const VIPPS_CLIENT_SECRET: &str = "VIPPS_CLIENT_SECRET";
pub const SESSION_SECRET: &str = "SESSION_SECRET";
/// Rotation of `SESSION_SECRET` (README "Rotating SESSION_SECRET"): the previous secret,
/// whose sessions and states still verify until `SESSION_SECRET_PREVIOUS_UNTIL`, an
/// RFC 3339 UTC time (`2026-12-02T02:00:00Z`), required with it.
pub const SESSION_SECRET_PREVIOUS: &str = "SESSION_SECRET_PREVIOUS";
pub const SESSION_SECRET_PREVIOUS_UNTIL: &str = "SESSION_SECRET_PREVIOUS_UNTIL";

/// Shortest `SESSION_SECRET` accepted: the session module's rule (32 bytes, the
/// HMAC-SHA-256 key size).
pub const SESSION_SECRET_MIN_LEN: usize = crate::session::MIN_SESSION_SECRET_LEN;

/// Default time limit of each request to the provider (token, JWKS, userinfo, discovery).
pub const DEFAULT_HTTP_TIMEOUT_MS: u32 = 10_000;
/// Longest time limit accepted: a Worker's request should not hang for minutes.
pub const MAX_HTTP_TIMEOUT_MS: u32 = 60_000;

/// A bad setting: which one, and why. Never holds a secret's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub setting: &'static str,
    pub message: String,
    /// The core's error code, when the core refused the value.
    pub code: Option<&'static str>,
    pub hint: Option<String>,
}

impl ConfigError {
    fn new(setting: &'static str, message: impl Into<String>) -> Self {
        ConfigError {
            setting,
            message: message.into(),
            code: None,
            hint: None,
        }
    }

    fn missing(setting: &'static str) -> Self {
        ConfigError::new(
            setting,
            format!("{setting} is not set (a string in [vars], or a secret)"),
        )
    }

    fn from_core(setting: &'static str, e: &Error) -> Self {
        ConfigError {
            setting,
            message: format!("{setting}: {}", e.message()),
            code: Some(e.code().as_str()),
            hint: e.hint().map(str::to_string),
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The checked settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub environment: Environment,
    pub issuer: Issuer,
    pub client_id: String,
    pub redirect_uri: String,
    /// The front-end-driven flow's redirect URI (`POST /api/login`): a page that reads
    /// the callback with the npm package and posts it to `/api/callback`. `None`: that
    /// flow comes back to `redirect_uri` too.
    pub app_redirect_uri: Option<String>,
    pub scopes: Scopes,
    /// Scope names outside Vipps' list were allowed: the issuer is not laid out like
    /// Vipps' (another OpenID provider).
    pub allow_non_vipps_scopes: bool,
    pub token_auth_method: TokenAuthMethod,
    /// Exact origins (`scheme://host[:port]`) allowed to call the API with credentials.
    pub allowed_origins: Vec<String>,
    /// Time limit of each outbound request, in milliseconds.
    pub http_timeout_ms: u32,
    /// Clock skew allowed for the id_token's `exp` and `iat` (OIDC Core 3.1.3.7).
    pub clock_leeway_secs: u64,
    /// `Vipps-System-*` headers for the token request (mandatory for platforms).
    pub system_headers: SystemHeaders,
    /// A partner's merchant serial number: sent instead of `client_id` to authorize,
    /// and the id_token's `msn` must equal it.
    pub msn: Option<String>,
    /// The per-login options the routes accept.
    pub policy: OptionPolicy,
    /// Client authentication for the token request (client_id and the secret).
    pub credentials: ClientCredentials,
    /// Where every route lives (`""` or e.g. `/auth`): `{base_path}/login`, ...
    pub base_path: String,
    /// Where a failed Worker-driven login sends the customer (with `login_error`),
    /// instead of the login's `returnTo`.
    pub error_path: Option<String>,
    /// The shop's login hook over https (`LOGIN_HOOK_URL`); a `LOGIN_HOOK` service
    /// binding is found at request time and wins.
    pub hook_url: Option<String>,
    pub hook_secret: Option<Secret>,
    /// Partner keys: the token endpoint then takes a partner access token for `msn`
    /// instead of the client secret ([`crate::partner`]).
    pub partner_keys: Option<crate::partner::PartnerKeys>,
    /// Where the app flows (`app_to_app`, `app_to_app_v2`) come back: the app's
    /// universal link / app link, registered at Vipps.
    pub mobile_redirect_uri: Option<String>,
    /// Tags every state the Worker makes (from `SESSION_SECRET`).
    pub state_key: StateKey,
    pub debug_routes: bool,
    /// Whether starting a login needs the `LOGIN_RATE_LIMITER` binding's permission
    /// (`LOGIN_RATE_LIMIT` is not `"off"`): [`super::limit`].
    pub rate_limit: bool,
    pub client_secret: Secret,
    pub session_secret: Secret,
    /// The previous `SESSION_SECRET` and the Unix time until which it is honoured.
    pub previous_session_secret: Option<(Secret, u64)>,
    /// Login from phone number (CIBA): [`super::phone_settings`].
    pub phone: super::phone_settings::PhoneSettings,
}

/// `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339 5.6 in UTC, without fractions) as Unix seconds.
pub fn parse_utc(text: &str) -> Option<u64> {
    let b = text.as_bytes();
    let shape = b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && matches!(b[10], b'T' | b't')
        && b[13] == b':'
        && b[16] == b':'
        && matches!(b[19], b'Z' | b'z');
    if !shape {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<u64> {
        let digits = text.get(from..to)?;
        digits
            .bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| digits.parse().ok())?
    };
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    let valid = year >= 1970
        && (1..=12).contains(&month)
        && day >= 1
        && month_days
            .get(usize::try_from(month - 1).ok()?)
            .is_some_and(|&d| day <= d)
        && hour < 24
        && minute < 60
        && second < 60;
    if !valid {
        return None;
    }
    // Days from the civil date (H. Hinnant's days_from_civil, years from March).
    let (y, m) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = (era * 146_097 + doe).checked_sub(719_468)?;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

impl Config {
    /// Reads and checks every setting through `get` (`None` = not set). Optional
    /// settings that are set to an empty string count as not set.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let optional = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let required = |name: &'static str| optional(name).ok_or(ConfigError::missing(name));

        // VIPPS_ISSUER overrides VIPPS_ENV; without either, the test environment, so
        // that nothing reaches production by accident.
        let environment = match optional(VIPPS_ENV) {
            Some(name) => Environment::from_name(name.trim())
                .map_err(|e| ConfigError::from_core(VIPPS_ENV, &e))?,
            None => Environment::Test,
        };
        let environment = match optional(VIPPS_ISSUER) {
            Some(issuer) => Environment::Custom(
                Issuer::new(&issuer).map_err(|e| ConfigError::from_core(VIPPS_ISSUER, &e))?,
            ),
            None => environment,
        };
        let issuer = environment.issuer();

        let client_id = required(VIPPS_CLIENT_ID)?;
        if client_id.trim() != client_id || client_id.chars().any(char::is_control) {
            return Err(ConfigError::new(
                VIPPS_CLIENT_ID,
                "VIPPS_CLIENT_ID has surrounding spaces or control characters",
            ));
        }

        let base_path = match optional(VIPPS_BASE_PATH) {
            None => String::new(),
            Some(path) => parse_base_path(path.trim())?,
        };

        let redirect_uri = required(VIPPS_REDIRECT_URI)?;
        check_redirect_uri_rules(&redirect_uri)
            .into_result()
            .map_err(|e| ConfigError::from_core(VIPPS_REDIRECT_URI, &e))?;
        // Vipps sends the user to exactly this URI: it must be this Worker's callback.
        let callback_path = format!("{base_path}/callback");
        if path_of(&redirect_uri) != Some(callback_path.as_str()) {
            return Err(ConfigError::new(
                VIPPS_REDIRECT_URI,
                format!(
                    "VIPPS_REDIRECT_URI \"{redirect_uri}\" must end in this Worker's callback route, {callback_path} (VIPPS_BASE_PATH + /callback), with no query"
                ),
            ));
        }
        let error_path = match optional(VIPPS_ERROR_PATH) {
            None => None,
            Some(path) => {
                let path = path.trim();
                if safe_return_to(Some(path)) != path || path.contains('#') {
                    return Err(ConfigError::new(
                        VIPPS_ERROR_PATH,
                        format!("VIPPS_ERROR_PATH \"{path}\" must be a path on this site, like /login-failed"),
                    ));
                }
                Some(path.to_string())
            }
        };

        let allowed_origins = match optional(ALLOWED_ORIGINS) {
            Some(list) => parse_origins(&list)?,
            None => Vec::new(),
        };

        // The same rules as VIPPS_REDIRECT_URI, on the Worker's own origin or an
        // ALLOWED_ORIGINS one: the page there posts the callback to /api/callback, which
        // only those origins may call.
        let app_redirect_uri = match optional(VIPPS_APP_REDIRECT_URI) {
            None => None,
            Some(uri) => {
                check_redirect_uri_rules(&uri)
                    .into_result()
                    .map_err(|e| ConfigError::from_core(VIPPS_APP_REDIRECT_URI, &e))?;
                let origin = origin_of(&uri);
                let own = origin_of(&redirect_uri);
                if origin.is_none()
                    || (origin != own
                        && !allowed_origins.iter().any(|o| Some(o.as_str()) == origin))
                {
                    return Err(ConfigError::new(
                        VIPPS_APP_REDIRECT_URI,
                        format!(
                            "VIPPS_APP_REDIRECT_URI \"{uri}\" must be on the origin of VIPPS_REDIRECT_URI or one in ALLOWED_ORIGINS"
                        ),
                    ));
                }
                Some(uri)
            }
        };

        let allow_non_vipps_scopes = issuer.vipps_base().is_none();
        let scopes = Scopes::parse(
            &optional(VIPPS_SCOPES).unwrap_or_else(|| "openid".into()),
            allow_non_vipps_scopes,
        )
        .map_err(|e| ConfigError::from_core(VIPPS_SCOPES, &e))?;

        let token_auth_method = match optional(VIPPS_TOKEN_AUTH_METHOD) {
            None => TokenAuthMethod::ClientSecretBasic,
            Some(name) => TokenAuthMethod::parse(name.trim()).ok_or_else(|| {
                ConfigError::new(
                    VIPPS_TOKEN_AUTH_METHOD,
                    format!(
                        "VIPPS_TOKEN_AUTH_METHOD must be \"client_secret_basic\" or \"client_secret_post\", not \"{name}\""
                    ),
                )
            })?,
        };

        let http_timeout_ms = match optional(VIPPS_HTTP_TIMEOUT_MS) {
            None => DEFAULT_HTTP_TIMEOUT_MS,
            Some(ms) => ms
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|ms| (1..=MAX_HTTP_TIMEOUT_MS).contains(ms))
                .ok_or_else(|| {
                    ConfigError::new(
                        VIPPS_HTTP_TIMEOUT_MS,
                        format!(
                            "VIPPS_HTTP_TIMEOUT_MS must be a whole number of milliseconds from 1 to {MAX_HTTP_TIMEOUT_MS}, not \"{ms}\""
                        ),
                    )
                })?,
        };

        let clock_leeway_secs = match optional(VIPPS_CLOCK_LEEWAY_SECS) {
            None => DEFAULT_LEEWAY_SECS,
            Some(secs) => secs
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|s| *s <= MAX_CLOCK_LEEWAY_SECS)
                .ok_or_else(|| {
                    ConfigError::new(
                        VIPPS_CLOCK_LEEWAY_SECS,
                        format!(
                            "VIPPS_CLOCK_LEEWAY_SECS must be a whole number of seconds from 0 to {MAX_CLOCK_LEEWAY_SECS}, not \"{secs}\""
                        ),
                    )
                })?,
        };

        let system_headers = SystemHeaders::this_library(
            optional(VIPPS_SYSTEM_NAME).or_else(|| Some("cloudflare-worker".into())),
            optional(VIPPS_SYSTEM_VERSION),
        );
        if let Err(e) = system_headers.validate() {
            return Err(ConfigError::new(
                VIPPS_SYSTEM_NAME,
                format!("VIPPS_SYSTEM_NAME / VIPPS_SYSTEM_VERSION: {}", e.message()),
            ));
        }

        let msn = match optional(VIPPS_MSN) {
            None => None,
            Some(msn) => {
                let msn = msn.trim().to_string();
                if msn.is_empty() || msn.len() > 16 || !msn.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(ConfigError::new(
                        VIPPS_MSN,
                        "VIPPS_MSN must be the merchant serial number: digits only",
                    ));
                }
                Some(msn)
            }
        };
        let mut policy = parse_policy(&optional)?;
        let mobile_redirect_uri = parse_mobile_redirect_uri(&optional, &mut policy)?;
        let partner_keys = parse_partner_keys(&optional, msn.is_some())?;

        let hook_url = match optional(LOGIN_HOOK_URL) {
            None => None,
            Some(url) => {
                let url = url.trim().to_string();
                if !crate::uri::is_secure_http_url(&url) {
                    return Err(ConfigError::new(
                        LOGIN_HOOK_URL,
                        format!(
                            "LOGIN_HOOK_URL \"{url}\" must be an https URL (http only on loopback)"
                        ),
                    ));
                }
                Some(url)
            }
        };
        let hook_secret = optional(LOGIN_HOOK_SECRET).map(Secret::new);
        match (&hook_url, &hook_secret) {
            (Some(_), None) => {
                return Err(ConfigError::new(
                    LOGIN_HOOK_SECRET,
                    "LOGIN_HOOK_URL needs LOGIN_HOOK_SECRET (a secret), which signs every hand-off",
                ))
            }
            (_, Some(secret)) if secret.expose().len() < HOOK_SECRET_MIN_LEN => {
                return Err(ConfigError::new(
                    LOGIN_HOOK_SECRET,
                    format!("LOGIN_HOOK_SECRET must be at least {HOOK_SECRET_MIN_LEN} characters"),
                ))
            }
            _ => {}
        }
        let debug_routes = optional(VIPPS_DEBUG_ROUTES).is_some_and(|v| v.trim() == "true");
        let rate_limit = match optional(LOGIN_RATE_LIMIT).as_deref().map(str::trim) {
            None | Some("on") => true,
            Some("off") => false,
            Some(_) => {
                return Err(ConfigError::new(
                    LOGIN_RATE_LIMIT,
                    "LOGIN_RATE_LIMIT must be \"on\" (the default: the LOGIN_RATE_LIMITER binding is required) or \"off\"".to_string(),
                ))
            }
        };

        // Partner keys replace the sales unit's secret (Vipps: partners authenticate with
        // their own token and the merchant serial number).
        let client_secret = match (&partner_keys, optional(VIPPS_CLIENT_SECRET)) {
            (_, Some(secret)) => Secret::new(secret),
            (Some(_), None) => Secret::new(""),
            (None, None) => return Err(ConfigError::missing(VIPPS_CLIENT_SECRET)),
        };
        let session_secret = Secret::new(required(SESSION_SECRET)?);
        if session_secret.expose().len() < SESSION_SECRET_MIN_LEN {
            return Err(ConfigError::new(
                SESSION_SECRET,
                format!(
                    "SESSION_SECRET must be at least {SESSION_SECRET_MIN_LEN} characters (e.g. `openssl rand -base64 32`)"
                ),
            ));
        }

        let previous_session_secret = match (
            optional(SESSION_SECRET_PREVIOUS),
            optional(SESSION_SECRET_PREVIOUS_UNTIL),
        ) {
            (None, None) => None,
            (Some(_), None) => return Err(ConfigError::new(
                SESSION_SECRET_PREVIOUS_UNTIL,
                "SESSION_SECRET_PREVIOUS needs SESSION_SECRET_PREVIOUS_UNTIL (an RFC 3339 UTC time such as 2026-12-02T02:00:00Z): the previous secret is honoured until then only",
            )),
            (None, Some(_)) => return Err(ConfigError::new(
                SESSION_SECRET_PREVIOUS,
                "SESSION_SECRET_PREVIOUS_UNTIL is set without SESSION_SECRET_PREVIOUS",
            )),
            (Some(previous), Some(until)) => {
                if previous.len() < SESSION_SECRET_MIN_LEN {
                    return Err(ConfigError::new(
                        SESSION_SECRET_PREVIOUS,
                        format!("SESSION_SECRET_PREVIOUS must be at least {SESSION_SECRET_MIN_LEN} characters"),
                    ));
                }
                let until = parse_utc(until.trim()).ok_or_else(|| ConfigError::new(
                    SESSION_SECRET_PREVIOUS_UNTIL,
                    "SESSION_SECRET_PREVIOUS_UNTIL must be an RFC 3339 UTC time such as 2026-12-02T02:00:00Z",
                ))?;
                Some((Secret::new(previous), until))
            }
        };
        let mut state_key = StateKey::derive(session_secret.expose().as_bytes())
            .map_err(|e| ConfigError::from_core(SESSION_SECRET, &e))?;
        if let Some((previous, until)) = &previous_session_secret {
            state_key = state_key
                .with_previous(previous.expose().as_bytes(), *until)
                .map_err(|e| ConfigError::from_core(SESSION_SECRET_PREVIOUS, &e))?;
        }
        let mut phone = super::phone_settings::parse(&optional, &base_path, &session_secret)?;
        if let Some((previous, until)) = &previous_session_secret {
            phone.keys = phone
                .keys
                .with_previous(previous.expose().as_bytes(), *until)
                .map_err(|e| ConfigError::from_core(SESSION_SECRET_PREVIOUS, &e))?;
        }
        let credentials = ClientCredentials {
            client_id: client_id.clone(),
            client_secret: client_secret.clone(),
            method: token_auth_method,
            partner: None,
        };
        Ok(Config {
            base_path,
            error_path,
            hook_url,
            hook_secret,
            partner_keys,
            mobile_redirect_uri,
            state_key,
            debug_routes,
            rate_limit,
            msn,
            policy,
            credentials,
            environment,
            issuer,
            client_id,
            redirect_uri,
            app_redirect_uri,
            scopes,
            allow_non_vipps_scopes,
            token_auth_method,
            allowed_origins,
            http_timeout_ms,
            clock_leeway_secs,
            system_headers,
            client_secret,
            session_secret,
            previous_session_secret,
            phone,
        })
    }

    /// Whether the Worker is served over https (its redirect URI says so): the session
    /// cookie is then `Secure` and `__Host-` prefixed.
    pub fn secure_cookies(&self) -> bool {
        self.redirect_uri.starts_with("https://")
    }

    /// Where the Worker's cookies live: https or not, and its routes' path.
    pub fn cookie_scope(&self) -> crate::session::CookieScope<'_> {
        crate::session::CookieScope {
            secure: self.secure_cookies(),
            path: self.cookie_path(),
        }
    }

    /// Where the Worker's cookies live: its routes (`base_path`), or `/`.
    pub fn cookie_path(&self) -> &str {
        if self.base_path.is_empty() {
            "/"
        } else {
            &self.base_path
        }
    }

    /// A route's path under the base path: `route("/login")` is `/auth/login`.
    pub fn route(&self, path: &str) -> String {
        format!("{}{path}", self.base_path)
    }

    /// Whether the issuer is Vipps' (its layout): hints may then cite Vipps' FAQ.
    pub fn is_vipps(&self) -> bool {
        self.issuer.vipps_base().is_some()
    }

    /// The redirect URI of the front-end-driven flow: `VIPPS_APP_REDIRECT_URI`, else
    /// `VIPPS_REDIRECT_URI`.
    pub fn app_redirect_uri(&self) -> &str {
        self.app_redirect_uri
            .as_deref()
            .unwrap_or(&self.redirect_uri)
    }

    /// `test`, `production` or `custom` (any other issuer).
    pub fn environment_name(&self) -> &'static str {
        match self.environment {
            Environment::Test => "test",
            Environment::Production => "production",
            Environment::Custom(_) => "custom",
        }
    }
}

/// Items of a list setting: separated by commas and/or spaces.
fn list_items(list: &str) -> impl Iterator<Item = &str> {
    list.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// The per-login option settings; each unset allows nothing.
fn parse_policy(optional: &impl Fn(&str) -> Option<String>) -> Result<OptionPolicy, ConfigError> {
    let mut policy = OptionPolicy::default();
    if let Some(list) = optional(VIPPS_ALLOWED_MARKETS) {
        for item in list_items(&list) {
            let market = Market::parse(item)
                .map_err(|e| ConfigError::from_core(VIPPS_ALLOWED_MARKETS, &e))?;
            policy.markets.push(market);
        }
    }
    if let Some(list) = optional(VIPPS_ALLOWED_FLOWS) {
        for item in list_items(&list) {
            if !WORKER_FLOWS.contains(&item) {
                return Err(ConfigError::new(
                    VIPPS_ALLOWED_FLOWS,
                    format!(
                        "VIPPS_ALLOWED_FLOWS: \"{item}\" is not a flow the Worker's browser routes complete (only {})",
                        WORKER_FLOWS.join(", ")
                    ),
                ));
            }
            policy.flows.push(item.to_string());
        }
    }
    if let Some(value) = optional(VIPPS_ALLOW_FINAL_REDIRECT_IS_APP) {
        policy.final_redirect_is_app = match value.trim() {
            "true" => true,
            "false" => false,
            other => {
                return Err(ConfigError::new(
                    VIPPS_ALLOW_FINAL_REDIRECT_IS_APP,
                    format!("VIPPS_ALLOW_FINAL_REDIRECT_IS_APP must be \"true\" or \"false\", not \"{other}\""),
                ))
            }
        };
    }
    if let Some(list) = optional(VIPPS_ALLOWED_ACR_VALUES) {
        for item in list_items(&list) {
            if !item.bytes().all(|b| b.is_ascii_graphic()) || item.len() > 128 {
                return Err(ConfigError::new(
                    VIPPS_ALLOWED_ACR_VALUES,
                    format!("VIPPS_ALLOWED_ACR_VALUES: \"{item}\" is not an acr value (e.g. urn:vipps:acr:app_auth)"),
                ));
            }
            policy.acr_values.push(item.to_string());
        }
    }
    Ok(policy)
}

/// `VIPPS_MOBILE_REDIRECT_URI` and `VIPPS_APP_CALLBACK_URIS`: the app flows in
/// `VIPPS_ALLOWED_FLOWS` need the first (an https universal link / app link, Vipps'
/// recommendation over custom schemes), `app_to_app` also the second (each checked with
/// the redirect URI rules: Vipps registers them alike).
fn parse_mobile_redirect_uri(
    optional: &impl Fn(&str) -> Option<String>,
    policy: &mut OptionPolicy,
) -> Result<Option<String>, ConfigError> {
    let uri = match optional(VIPPS_MOBILE_REDIRECT_URI) {
        None => None,
        Some(uri) => {
            let uri = uri.trim().to_string();
            check_redirect_uri_rules(&uri)
                .into_result()
                .map_err(|e| ConfigError::from_core(VIPPS_MOBILE_REDIRECT_URI, &e))?;
            if !crate::uri::is_secure_http_url(&uri) {
                return Err(ConfigError::new(
                    VIPPS_MOBILE_REDIRECT_URI,
                    format!("VIPPS_MOBILE_REDIRECT_URI \"{uri}\" must be an https universal link / app link (http only on loopback)"),
                ));
            }
            Some(uri)
        }
    };
    if let Some(list) = optional(VIPPS_APP_CALLBACK_URIS) {
        for item in list_items(&list) {
            check_redirect_uri_rules(item)
                .into_result()
                .map_err(|e| ConfigError::from_core(VIPPS_APP_CALLBACK_URIS, &e))?;
            policy.app_callback_uris.push(item.to_string());
        }
    }
    for flow in &policy.flows {
        if APP_FLOWS.contains(&flow.as_str()) && uri.is_none() {
            return Err(ConfigError::new(
                VIPPS_ALLOWED_FLOWS,
                format!("VIPPS_ALLOWED_FLOWS: {flow} comes back to an app: set VIPPS_MOBILE_REDIRECT_URI (its universal link / app link, registered at Vipps)"),
            ));
        }
        if flow == "app_to_app" && policy.app_callback_uris.is_empty() {
            return Err(ConfigError::new(
                VIPPS_APP_CALLBACK_URIS,
                "VIPPS_ALLOWED_FLOWS has app_to_app: list the app_callback_uris it may use (registered at Vipps) in VIPPS_APP_CALLBACK_URIS",
            ));
        }
    }
    Ok(uri)
}

/// The three partner keys, all or none; they need `VIPPS_MSN`.
fn parse_partner_keys(
    optional: &impl Fn(&str) -> Option<String>,
    has_msn: bool,
) -> Result<Option<crate::partner::PartnerKeys>, ConfigError> {
    let names = [
        VIPPS_PARTNER_CLIENT_ID,
        VIPPS_PARTNER_CLIENT_SECRET,
        VIPPS_PARTNER_SUBSCRIPTION_KEY,
    ];
    let values = names.map(optional);
    if values.iter().all(Option::is_none) {
        return Ok(None);
    }
    let [Some(client_id), Some(client_secret), Some(subscription_key)] = values else {
        let missing = names
            .iter()
            .zip(&values)
            .find(|(_, v)| v.is_none())
            .map_or(VIPPS_PARTNER_CLIENT_ID, |(n, _)| *n);
        return Err(ConfigError::new(
            missing,
            format!("{missing} is not set: partner keys are VIPPS_PARTNER_CLIENT_ID, VIPPS_PARTNER_CLIENT_SECRET and VIPPS_PARTNER_SUBSCRIPTION_KEY together (secrets)"),
        ));
    };
    if !has_msn {
        return Err(ConfigError::new(
            VIPPS_MSN,
            "partner keys need VIPPS_MSN, the merchant serial number of the sales unit they log in for",
        ));
    }
    let header_safe = |v: &str| !v.is_empty() && v.bytes().all(|b| b.is_ascii_graphic());
    for (name, value) in names
        .iter()
        .zip([&client_id, &client_secret, &subscription_key])
    {
        if !header_safe(value.trim()) {
            return Err(ConfigError::new(
                name,
                format!("{name} must be visible ASCII characters (it is sent as a header)"),
            ));
        }
    }
    Ok(Some(crate::partner::PartnerKeys {
        client_id: client_id.trim().to_string(),
        client_secret: Secret::new(client_secret.trim()),
        subscription_key: Secret::new(subscription_key.trim()),
    }))
}

/// `VIPPS_BASE_PATH`: `/` and segments of unreserved characters, no trailing `/`.
fn parse_base_path(path: &str) -> Result<String, ConfigError> {
    let ok = path.starts_with('/')
        && !path.ends_with('/')
        && path.len() <= MAX_BASE_PATH_LEN
        && !path.contains("//")
        && path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~'))
        && !path.split('/').any(|seg| seg == "." || seg == "..");
    if ok {
        Ok(path.to_string())
    } else {
        Err(ConfigError::new(
            VIPPS_BASE_PATH,
            format!("VIPPS_BASE_PATH \"{path}\" must be a path like /auth: a leading /, no trailing /, letters, digits, - _ . ~, at most {MAX_BASE_PATH_LEN} characters"),
        ))
    }
}

/// The path of an absolute URI (up to `?` or `#`), or `None` when it has a query.
fn path_of(uri: &str) -> Option<&str> {
    let rest = &uri[uri.find("://")? + 3..];
    let path = &rest[rest.find('/')?..];
    if path.contains(['?', '#']) {
        return None;
    }
    Some(path)
}

/// `ALLOWED_ORIGINS`: comma separated exact origins, `https://host[:port]`, or `http` on
/// loopback. No `*`: credentials are only ever allowed for named origins.
fn parse_origins(list: &str) -> Result<Vec<String>, ConfigError> {
    let mut origins = Vec::new();
    for origin in list.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let bad = |why: &str| {
            ConfigError::new(
                ALLOWED_ORIGINS,
                format!("ALLOWED_ORIGINS: \"{origin}\" {why} (expected e.g. https://shop.example or http://localhost:8080)"),
            )
        };
        let (scheme, authority) = origin
            .split_once("://")
            .ok_or_else(|| bad("is not an origin"))?;
        if authority.is_empty()
            || authority
                .bytes()
                .any(|b| matches!(b, b'/' | b'?' | b'#' | b'@' | b'*') || !b.is_ascii_graphic())
        {
            return Err(bad("is not an origin: scheme://host[:port] with no path"));
        }
        match scheme {
            "https" => {}
            "http" if is_loopback_authority(authority) => {}
            "http" => return Err(bad("uses plain http on a host that is not loopback")),
            _ => return Err(bad("is not an http(s) origin")),
        }
        origins.push(origin.to_string());
    }
    Ok(origins)
}

/// `scheme://authority` of an absolute URI (exact, no normalisation: the same
/// byte-for-byte comparison Vipps makes).
fn origin_of(uri: &str) -> Option<&str> {
    let scheme_end = uri.find("://")? + 3;
    let rest = &uri[scheme_end..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    (end > 0).then(|| &uri[..scheme_end + end])
}

pub fn is_loopback_authority(authority: &str) -> bool {
    match authority.strip_prefix('[') {
        Some(rest) => rest.split(']').next() == Some("::1"),
        None => {
            let host = authority.split(':').next().unwrap_or(authority);
            host == "127.0.0.1" || host.eq_ignore_ascii_case("localhost")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const EMULATOR: &str = "http://127.0.0.1:7000/access-management-1.0/access/";

    fn base() -> HashMap<&'static str, String> {
        HashMap::from([
            (VIPPS_ISSUER, EMULATOR.to_string()),
            (VIPPS_CLIENT_ID, "demo-client".to_string()),
            (
                VIPPS_REDIRECT_URI,
                "http://127.0.0.1:8787/callback".to_string(),
            ),
            (VIPPS_SCOPES, "openid name email".to_string()),
            (VIPPS_CLIENT_SECRET, "demo-secret".to_string()),
            (SESSION_SECRET, "x".repeat(32)),
        ])
    }

    fn load(vars: &HashMap<&'static str, String>) -> Result<Config, ConfigError> {
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    fn setting_of(vars: &HashMap<&'static str, String>) -> &'static str {
        load(vars).unwrap_err().setting
    }

    #[test]
    fn a_complete_config_loads_with_defaults() {
        let c = load(&base()).unwrap();
        assert_eq!(c.issuer.as_str(), EMULATOR);
        assert_eq!(c.environment_name(), "custom");
        assert_eq!(c.token_auth_method, TokenAuthMethod::ClientSecretBasic);
        assert_eq!(c.scopes.to_scope_string(), "openid name email");
        assert!(c.allowed_origins.is_empty());
        assert!(!c.allow_non_vipps_scopes);
        assert_eq!(c.http_timeout_ms, DEFAULT_HTTP_TIMEOUT_MS);
        assert_eq!(c.clock_leeway_secs, DEFAULT_LEEWAY_SECS);
        assert_eq!(
            c.system_headers.system_name.as_deref(),
            Some("cloudflare-worker")
        );
        assert_eq!(c.system_headers.plugin_name.as_deref(), Some("vipps-login"));
        assert!(!c.secure_cookies());
    }

    #[test]
    fn a_previous_session_secret_needs_its_time_and_both_are_checked() {
        let mut v = base();
        assert!(load(&v).unwrap().previous_session_secret.is_none());
        v.insert(SESSION_SECRET_PREVIOUS, "p".repeat(32));
        assert_eq!(setting_of(&v), SESSION_SECRET_PREVIOUS_UNTIL);
        for bad in [
            "2026-12-02",
            "2026-12-02T02:00:00+01:00",
            "2026-13-02T02:00:00Z",
            "2026-02-30T02:00:00Z",
            "2026-12-02T24:00:00Z",
            "+026-12-02T02:00:00Z",
            "1700000000",
        ] {
            v.insert(SESSION_SECRET_PREVIOUS_UNTIL, bad.into());
            assert_eq!(setting_of(&v), SESSION_SECRET_PREVIOUS_UNTIL, "{bad}");
        }
        v.insert(SESSION_SECRET_PREVIOUS_UNTIL, "2026-12-02T02:00:00Z".into());
        let c = load(&v).unwrap();
        let (secret, until) = c.previous_session_secret.as_ref().unwrap();
        assert_eq!(
            (secret.expose(), *until),
            ("p".repeat(32).as_str(), 1_796_176_800)
        );
        assert!(!format!("{c:?}").contains(&"p".repeat(32)));
        v.insert(SESSION_SECRET_PREVIOUS, "short".into());
        assert_eq!(setting_of(&v), SESSION_SECRET_PREVIOUS);
        v.remove(SESSION_SECRET_PREVIOUS);
        assert_eq!(setting_of(&v), SESSION_SECRET_PREVIOUS);
    }

    #[test]
    fn utc_times_are_unix_seconds() {
        assert_eq!(parse_utc("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_utc("2000-02-29T23:59:59Z"), Some(951_868_799));
        assert_eq!(parse_utc("2024-02-29T12:00:00z"), Some(1_709_208_000));
        assert_eq!(parse_utc("2023-02-29T12:00:00Z"), None);
        assert_eq!(parse_utc("1969-12-31T23:59:59Z"), None);
        assert_eq!(parse_utc("2026-12-02T02:00:00.5Z"), None);
    }

    #[test]
    fn leeway_and_system_headers_are_settings() {
        let mut v = base();
        v.insert(VIPPS_CLOCK_LEEWAY_SECS, "0".into());
        v.insert(VIPPS_SYSTEM_NAME, "acme-shop".into());
        v.insert(VIPPS_SYSTEM_VERSION, "4.2.0".into());
        let c = load(&v).unwrap();
        assert_eq!(c.clock_leeway_secs, 0);
        assert_eq!(c.system_headers.system_name.as_deref(), Some("acme-shop"));
        assert_eq!(c.system_headers.system_version.as_deref(), Some("4.2.0"));
    }

    #[test]
    fn environment_without_issuer_and_the_test_default() {
        let mut v = base();
        v.remove(VIPPS_ISSUER);
        v.insert(VIPPS_REDIRECT_URI, "https://shop.example/callback".into());
        assert_eq!(load(&v).unwrap().environment_name(), "test");
        v.insert(VIPPS_ENV, "production".into());
        let c = load(&v).unwrap();
        assert_eq!(c.environment_name(), "production");
        assert_eq!(
            c.issuer.as_str(),
            "https://api.vipps.no/access-management-1.0/access/"
        );
        v.insert(VIPPS_ENV, "prod".into());
        assert_eq!(setting_of(&v), VIPPS_ENV);
    }

    #[test]
    fn each_bad_setting_is_named() {
        for (name, value) in [
            (
                VIPPS_ISSUER,
                "http://op.example/access-management-1.0/access/",
            ),
            (VIPPS_ISSUER, "not a url"),
            (VIPPS_REDIRECT_URI, "https://shop.example/callback#x"),
            (VIPPS_SCOPES, "openid profile"),
            (VIPPS_TOKEN_AUTH_METHOD, "private_key_jwt"),
            (ALLOWED_ORIGINS, "*"),
            (ALLOWED_ORIGINS, "https://shop.example/"),
            (ALLOWED_ORIGINS, "http://shop.example"),
            (SESSION_SECRET, "short"),
            (VIPPS_HTTP_TIMEOUT_MS, "0"),
            (VIPPS_HTTP_TIMEOUT_MS, "10s"),
            (VIPPS_HTTP_TIMEOUT_MS, "600000"),
            (VIPPS_CLOCK_LEEWAY_SECS, "-1"),
            (VIPPS_CLOCK_LEEWAY_SECS, "601"),
            (VIPPS_SYSTEM_NAME, "a-system-name-longer-than-thirty-chars"),
            (VIPPS_MSN, "12a"),
            (VIPPS_ALLOWED_MARKETS, "NO,XX"),
            (VIPPS_ALLOWED_FLOWS, "app_to_app_v2"),
            (VIPPS_ALLOW_FINAL_REDIRECT_IS_APP, "yes"),
            (VIPPS_ALLOWED_ACR_VALUES, "urn:a\u{7f}"),
        ] {
            let mut v = base();
            v.insert(name, value.into());
            assert_eq!(setting_of(&v), name, "{name}={value}");
        }
        for name in [
            VIPPS_CLIENT_ID,
            VIPPS_REDIRECT_URI,
            VIPPS_CLIENT_SECRET,
            SESSION_SECRET,
        ] {
            let mut v = base();
            v.remove(name);
            assert_eq!(setting_of(&v), name);
            v.insert(name, "".into());
            assert_eq!(setting_of(&v), name);
        }
    }

    #[test]
    fn core_errors_carry_code_and_hint() {
        let mut v = base();
        v.insert(VIPPS_ISSUER, "http://op.example/".into());
        let e = load(&v).unwrap_err();
        assert_eq!(e.code, Some("issuer_insecure"));
        assert!(e.hint.is_some());
    }

    #[test]
    fn origins_and_post() {
        let mut v = base();
        v.insert(
            ALLOWED_ORIGINS,
            "https://shop.example, http://localhost:8080,http://[::1]:3000".into(),
        );
        v.insert(VIPPS_TOKEN_AUTH_METHOD, "client_secret_post".into());
        v.insert(VIPPS_HTTP_TIMEOUT_MS, " 250 ".into());
        v.insert(VIPPS_REDIRECT_URI, "https://shop.example/callback".into());
        let c = load(&v).unwrap();
        assert_eq!(c.http_timeout_ms, 250);
        assert!(c.secure_cookies());
        assert_eq!(
            c.allowed_origins,
            [
                "https://shop.example",
                "http://localhost:8080",
                "http://[::1]:3000"
            ]
        );
        assert_eq!(c.token_auth_method, TokenAuthMethod::ClientSecretPost);
    }

    #[test]
    fn app_redirect_uri_is_optional_checked_and_on_an_allowed_origin() {
        let c = load(&base()).unwrap();
        assert_eq!(c.app_redirect_uri, None);
        assert_eq!(c.app_redirect_uri(), "http://127.0.0.1:8787/callback");

        let mut v = base();
        v.insert(VIPPS_APP_REDIRECT_URI, "".into());
        assert_eq!(load(&v).unwrap().app_redirect_uri, None);
        v.insert(
            VIPPS_APP_REDIRECT_URI,
            "http://127.0.0.1:8787/app/callback".into(),
        );
        let c = load(&v).unwrap();
        assert_eq!(c.app_redirect_uri(), "http://127.0.0.1:8787/app/callback");
        assert_eq!(c.redirect_uri, "http://127.0.0.1:8787/callback");

        // The redirect URI rules (no fragment, no plain http off loopback, ...).
        for bad in [
            "http://127.0.0.1:8787/app/callback#x",
            "not a url",
            "http://shop.example/app/callback",
        ] {
            v.insert(VIPPS_APP_REDIRECT_URI, bad.into());
            assert_eq!(setting_of(&v), VIPPS_APP_REDIRECT_URI, "{bad}");
        }
        // Another origin: refused unless it is in ALLOWED_ORIGINS.
        for other in [
            "http://localhost:8787/app/callback",
            "http://127.0.0.1:8080/app/callback",
        ] {
            v.insert(VIPPS_APP_REDIRECT_URI, other.into());
            let e = load(&v).unwrap_err();
            assert_eq!(e.setting, VIPPS_APP_REDIRECT_URI, "{other}");
            assert!(e.message.contains("ALLOWED_ORIGINS"), "{}", e.message);
        }
        v.insert(ALLOWED_ORIGINS, "http://127.0.0.1:8080".into());
        assert_eq!(
            load(&v).unwrap().app_redirect_uri(),
            "http://127.0.0.1:8080/app/callback"
        );
    }

    #[test]
    fn other_providers_may_use_their_own_scopes() {
        let mut v = base();
        v.insert(VIPPS_ISSUER, "http://localhost:3000".into());
        v.insert(VIPPS_SCOPES, "openid profile".into());
        assert!(load(&v).unwrap().allow_non_vipps_scopes);
    }

    #[test]
    fn per_login_options_are_allowed_by_settings_and_nothing_by_default() {
        let c = load(&base()).unwrap();
        assert_eq!(c.policy, OptionPolicy::default());
        assert_eq!(c.msn, None);
        let mut v = base();
        v.insert(VIPPS_ALLOWED_MARKETS, "NO, SE DK,FI".into());
        v.insert(
            VIPPS_ALLOWED_FLOWS,
            "automatic_return_from_vipps_app".into(),
        );
        v.insert(VIPPS_ALLOW_FINAL_REDIRECT_IS_APP, "true".into());
        v.insert(VIPPS_ALLOWED_ACR_VALUES, "urn:vipps:acr:app_auth".into());
        v.insert(VIPPS_MSN, " 123456 ".into());
        let c = load(&v).unwrap();
        assert_eq!(
            c.policy.markets,
            [Market::No, Market::Se, Market::Dk, Market::Fi]
        );
        assert_eq!(c.policy.flows, ["automatic_return_from_vipps_app"]);
        assert!(c.policy.final_redirect_is_app);
        assert_eq!(c.policy.acr_values, ["urn:vipps:acr:app_auth"]);
        assert_eq!(c.msn.as_deref(), Some("123456"));
        assert_eq!(c.credentials.client_id, "demo-client");
    }

    #[test]
    fn partner_keys_replace_the_client_secret_and_need_the_msn() {
        let mut v = base();
        v.remove(VIPPS_CLIENT_SECRET);
        v.insert(VIPPS_PARTNER_CLIENT_ID, "p-id".into());
        v.insert(VIPPS_PARTNER_CLIENT_SECRET, "p-secret-value".into());
        v.insert(VIPPS_PARTNER_SUBSCRIPTION_KEY, "p-sub-key-value".into());
        assert_eq!(setting_of(&v), VIPPS_MSN);
        v.insert(VIPPS_MSN, "123456".into());
        let c = load(&v).unwrap();
        let keys = c.partner_keys.as_ref().unwrap();
        assert_eq!(keys.client_id, "p-id");
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("p-secret-value") && !shown.contains("p-sub-key-value"),
            "{shown}"
        );
        for name in [VIPPS_PARTNER_CLIENT_SECRET, VIPPS_PARTNER_SUBSCRIPTION_KEY] {
            let mut partial = v.clone();
            partial.remove(name);
            assert_eq!(setting_of(&partial), name);
        }
        let mut v = base();
        v.remove(VIPPS_CLIENT_SECRET);
        assert_eq!(setting_of(&v), VIPPS_CLIENT_SECRET);
    }

    #[test]
    fn app_flows_need_the_mobile_redirect_uri_and_app_callback_uris() {
        let mut v = base();
        v.insert(VIPPS_ALLOWED_FLOWS, "app_to_app_v2, app_to_app".into());
        assert_eq!(setting_of(&v), VIPPS_ALLOWED_FLOWS);
        v.insert(VIPPS_MOBILE_REDIRECT_URI, "myapp://vipps".into());
        assert_eq!(setting_of(&v), VIPPS_MOBILE_REDIRECT_URI);
        v.insert(
            VIPPS_MOBILE_REDIRECT_URI,
            "https://shop.example/app/vipps".into(),
        );
        assert_eq!(setting_of(&v), VIPPS_APP_CALLBACK_URIS);
        v.insert(VIPPS_APP_CALLBACK_URIS, "myapp://".into());
        assert_eq!(setting_of(&v), VIPPS_APP_CALLBACK_URIS);
        v.insert(
            VIPPS_APP_CALLBACK_URIS,
            "myapp://vipps/back, https://shop.example/app/back".into(),
        );
        let c = load(&v).unwrap();
        assert_eq!(
            c.mobile_redirect_uri.as_deref(),
            Some("https://shop.example/app/vipps")
        );
        assert_eq!(
            c.policy.app_callback_uris,
            ["myapp://vipps/back", "https://shop.example/app/back"]
        );
        assert_eq!(c.policy.flows, ["app_to_app_v2", "app_to_app"]);
    }

    #[test]
    fn secrets_never_print() {
        let c = load(&base()).unwrap();
        let shown = format!("{c:?}");
        assert!(!shown.contains("demo-secret"), "{shown}");
        assert!(!shown.contains(&"x".repeat(32)), "{shown}");
        assert!(shown.contains("[redacted]"));
        let mut v = base();
        v.insert(SESSION_SECRET, "short".into());
        assert!(!format!("{:?}", load(&v).unwrap_err()).contains("short\""));
    }
}
