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

/// The limiter's key for a request from `ip`, the client's address as Cloudflare saw it
/// (`CF-Connecting-IP`, set by Cloudflare's edge; a client cannot choose it there). An
/// IPv6 client is keyed by its /64: one customer line or host usually holds a whole /64,
/// so keying by the full address would give an attacker 2^64 allowances. Without an
/// address (a test outside Cloudflare) or with one that does not parse, every such
/// request shares one bucket, which errs towards refusing.
pub fn client_key(ip: Option<&str>) -> String {
    let ip = ip.map(str::trim).unwrap_or_default();
    // An address is at most 45 characters (IPv6 with an IPv4 tail): longer is not one.
    let parsed = (ip.len() <= 45)
        .then(|| ip.parse::<std::net::IpAddr>().ok())
        .flatten();
    match parsed {
        Some(std::net::IpAddr::V4(v4)) => format!("login-start:{v4}"),
        Some(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("login-start:{v4}"),
            None => {
                let s = v6.segments();
                format!(
                    "login-start:{:x}:{:x}:{:x}:{:x}::/64",
                    s[0], s[1], s[2], s[3]
                )
            }
        },
        None => "login-start:unknown".to_string(),
    }
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
    let ip = req.headers().get("cf-connecting-ip")?;
    match ask(env, &client_key(ip.as_deref())).await {
        None => Ok(Verdict::Unconfigured(ConfigError {
            setting: BINDING,
            message: format!(
                "the rate limiting binding {BINDING} is missing: add [[ratelimits]] name = \"{BINDING}\" to wrangler.toml (see the shipped one), or set {LOGIN_RATE_LIMIT} = \"off\" with a Cloudflare rate limiting rule in front of /login and /api/login"
            ),
            code: None,
            hint: None,
        })),
        Some(Ok(true)) => Ok(Verdict::Allowed),
        Some(Ok(false)) => Ok(Verdict::Refused(Error::new(
            ErrorCode::LoginRateLimited,
            "too many logins started from this address: wait for the limiter's period (60 s as shipped)",
        ))),
        Some(Err(())) => {
            worker::console_log!(
                "{}",
                serde_json::json!({ "level": "warn", "warning": "rate_limiter_failed" })
            );
            Ok(Verdict::Allowed)
        }
    }
}

/// `await env.LOGIN_RATE_LIMITER.limit({ key })` and its `success`; `None` without the
/// binding. Through `js_sys` rather than worker's `RateLimiter`, whose serde-wasm-bindgen
/// (de)serialisation of `{key}` and `{success}` costs this Worker's wasm more than the
/// whole limiter (bench/size-report.md).
async fn ask(env: &Env, key: &str) -> Option<Result<bool, ()>> {
    use js_sys::{Function, Object, Promise, Reflect};
    use wasm_bindgen::{JsCast, JsValue};
    let binding = Reflect::get(env, &JsValue::from_str(BINDING))
        .ok()
        .filter(JsValue::is_object)?;
    let limit = Reflect::get(&binding, &JsValue::from_str("limit"))
        .ok()?
        .dyn_into::<Function>()
        .ok()?;
    let options = Object::new();
    let answer = async {
        Reflect::set(&options, &JsValue::from_str("key"), &JsValue::from_str(key))?;
        let promise = limit.call1(&binding, &options)?.dyn_into::<Promise>()?;
        let outcome = js_sys::futures::JsFuture::from(promise).await?;
        Reflect::get(&outcome, &JsValue::from_str("success"))
    };
    Some(match answer.await {
        Ok(success) => success.as_bool().ok_or(()),
        Err(_) => Err(()),
    })
}

#[cfg(test)]
mod tests {
    use super::client_key;

    #[test]
    fn ipv4_is_keyed_by_the_address() {
        assert_eq!(client_key(Some("203.0.113.7")), "login-start:203.0.113.7");
        assert_ne!(
            client_key(Some("203.0.113.7")),
            client_key(Some("203.0.113.8"))
        );
    }

    #[test]
    fn ipv6_is_keyed_by_its_64() {
        let a = client_key(Some("2001:db8:1:2:aaaa::1"));
        assert_eq!(a, "login-start:2001:db8:1:2::/64");
        // Another host of the same /64, written another way: the same bucket.
        assert_eq!(
            client_key(Some("2001:0db8:0001:0002:ffff:ffff:ffff:ffff")),
            a
        );
        assert_ne!(client_key(Some("2001:db8:1:3::1")), a);
        // IPv4-mapped is the IPv4 address.
        assert_eq!(
            client_key(Some("::ffff:203.0.113.7")),
            "login-start:203.0.113.7"
        );
    }

    #[test]
    fn anything_else_shares_one_bucket() {
        for bad in [
            None,
            Some(""),
            Some("not an address"),
            Some("1.2.3.4.5"),
            Some(&*"1".repeat(100)),
        ] {
            assert_eq!(client_key(bad), "login-start:unknown", "{bad:?}");
        }
    }
}
