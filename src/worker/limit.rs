//! The bound on what anonymous requests can make the Worker store (SECURITY.md, "What
//! an anonymous request can cost"): starting a login (`GET /login`, `POST /api/login`)
//! creates one Durable Object, so each start first asks the `LOGIN_RATE_LIMITER`
//! binding (Workers Rate Limiting, `[[ratelimits]]` in wrangler.toml) for permission,
//! keyed by the client's address. Refused starts store nothing and fetch nothing.
//!
//! With the shipped `simple = { limit = 60, period = 60 }` one address can keep at most
//! 60 × 15 = 900 transactions alive (each expires after 15 minutes and an alarm deletes
//! it), a few KiB each. The limiter counts per Cloudflare location and is eventually
//! consistent: a bound on cost, not an exact quota.

use super::config::{Config, ConfigError, LOGIN_RATE_LIMIT};
use crate::error::{Error, ErrorCode};
use worker::{Env, Request};

/// The rate limiting binding's name in wrangler.toml.
pub const BINDING: &str = "LOGIN_RATE_LIMITER";

/// The client's address as Cloudflare saw it (`CF-Connecting-IP`, set by Cloudflare's
/// edge; a client cannot choose it there). Without it (a test outside Cloudflare)
/// every request shares one bucket, which errs towards refusing.
fn client_key(req: &Request) -> worker::Result<String> {
    let ip = req.headers().get("cf-connecting-ip")?.unwrap_or_default();
    // An address is at most 45 characters (IPv6 with an IPv4 tail); anything longer is
    // not one Cloudflare set, and gets the shared bucket.
    let ip = if ip.is_empty() || ip.len() > 45 {
        "unknown"
    } else {
        ip.as_str()
    };
    Ok(format!("login-start:{ip}"))
}

/// What the limiter says about a login start.
pub enum Verdict {
    Allowed,
    /// Over the limit: answer this error, store nothing.
    Refused(Error),
    /// The binding is missing while `LOGIN_RATE_LIMIT` requires it.
    Unconfigured(ConfigError),
}

/// Asks the limiter whether this request may start a login. A limiter that fails
/// (an error from the runtime) lets the login start and logs the failure: logins must
/// not stop because the limiter did.
pub async fn login_start(req: &Request, env: &Env, config: &Config) -> worker::Result<Verdict> {
    if !config.rate_limit {
        return Ok(Verdict::Allowed);
    }
    let Ok(limiter) = env.rate_limiter(BINDING) else {
        return Ok(Verdict::Unconfigured(ConfigError {
            setting: BINDING,
            message: format!(
                "the rate limiting binding {BINDING} is missing: add [[ratelimits]] name = \"{BINDING}\" to wrangler.toml (see the shipped one), or set {LOGIN_RATE_LIMIT} = \"off\" with a Cloudflare rate limiting rule in front of /login and /api/login"
            ),
            code: None,
            hint: None,
        }));
    };
    match limiter.limit(client_key(req)?).await {
        Ok(outcome) if outcome.success => Ok(Verdict::Allowed),
        Ok(_) => Ok(Verdict::Refused(Error::new(
            ErrorCode::LoginRateLimited,
            "too many logins started from this address: wait for the limiter's period (60 s as shipped)",
        ))),
        Err(_) => {
            worker::console_log!(
                "{}",
                serde_json::json!({ "level": "warn", "warning": "rate_limiter_failed" })
            );
            Ok(Verdict::Allowed)
        }
    }
}
