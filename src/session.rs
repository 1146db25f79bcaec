//! The merchant's own session after a Vipps login: a cookie holding a few claims,
//! signed with HMAC-SHA-256 under `SESSION_SECRET` so it cannot be forged or edited.
//!
//! It holds only `sub` and display fields (name, email): never the national identity
//! number, phone number, birth date or addresses, which stay server-side (Vipps: the
//! merchant is an independent controller under GDPR). Vipps has no merchant logout;
//! logging out clears this cookie only.
//!
//! The cookie strings are built here by hand: the `cookie` crate would bring the `time`
//! crate into the Worker for one fixed format.

use crate::error::{Error, ErrorCode, Result};
use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::Sha256;

/// How long a session lasts.
pub const SESSION_TTL_SECS: u64 = 8 * 3600;
/// SESSION_SECRET must be at least this many bytes (256 bits).
pub const MIN_SESSION_SECRET_LEN: usize = 32;

/// What the session cookie carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// What the shop's login hook added (its own user id, say): few and short
    /// ([`crate::handoff`]).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub claims: Map<String, Value>,
    pub iat: u64,
    pub exp: u64,
}

impl Session {
    /// A session for `sub` with the display fields of userinfo, from `now`.
    pub fn from_userinfo(sub: &str, userinfo: &Map<String, Value>, now: u64) -> Self {
        let field = |name: &str| {
            userinfo
                .get(name)
                .and_then(Value::as_str)
                .map(str::to_string)
        };
        Session {
            sub: sub.to_string(),
            name: field("name"),
            given_name: field("given_name"),
            email: field("email"),
            claims: Map::new(),
            iat: now,
            exp: now + SESSION_TTL_SECS,
        }
    }

    /// With the claims the shop's login hook added.
    pub fn with_claims(mut self, claims: &Map<String, Value>) -> Self {
        self.claims = claims.clone();
        self
    }
}

fn mac(secret: &[u8]) -> Result<Hmac<Sha256>> {
    if secret.len() < MIN_SESSION_SECRET_LEN {
        return Err(Error::new(
            ErrorCode::ConfigInvalid,
            format!("SESSION_SECRET must be at least {MIN_SESSION_SECRET_LEN} bytes"),
        )
        .with_detail("setting", "SESSION_SECRET"));
    }
    Hmac::<Sha256>::new_from_slice(secret)
        .map_err(|_| Error::new(ErrorCode::ConfigInvalid, "SESSION_SECRET cannot key HMAC"))
}

/// `BASE64URL(json) "." BASE64URL(HMAC-SHA-256(secret, BASE64URL(json)))`.
pub fn seal(session: &Session, secret: &[u8]) -> Result<String> {
    let json = serde_json::to_vec(session)
        .map_err(|_| Error::new(ErrorCode::SessionInvalid, "the session cannot be encoded"))?;
    let payload = Base64UrlUnpadded::encode_string(&json);
    let mut mac = mac(secret)?;
    mac.update(payload.as_bytes());
    let tag = Base64UrlUnpadded::encode_string(&mac.finalize().into_bytes());
    Ok(format!("{payload}.{tag}"))
}

/// Verifies (in constant time) and decodes a sealed session, refusing expired ones.
pub fn open(value: &str, secret: &[u8], now: u64) -> Result<Session> {
    open_rotating(value, secret, None, now).map(|(session, _)| session)
}

/// The key a session cookie verified under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SealedWith {
    /// `SESSION_SECRET`.
    Current,
    /// The previous secret, during its grace: re-seal the session under the current one.
    Previous,
}

/// A previous session secret and the time (Unix seconds) until which it is honoured:
/// key rotation without logging everyone out. `Debug` hides the secret.
#[derive(Clone, Copy)]
pub struct PreviousSecret<'a> {
    pub secret: &'a [u8],
    pub until: u64,
}

impl std::fmt::Debug for PreviousSecret<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PreviousSecret([redacted], until {})", self.until)
    }
}

/// Whether `tag` is the HMAC of `payload` under `secret` (`verify_slice` compares in
/// constant time).
fn verifies(payload: &str, tag: &[u8], secret: &[u8]) -> Result<bool> {
    let mut mac = mac(secret)?;
    mac.update(payload.as_bytes());
    Ok(mac.verify_slice(tag).is_ok())
}

/// As [`open`], also accepting a session sealed with `previous` while `now` is before its
/// `until` (never after: a leaked old secret stops working at the set time), and saying
/// which key it verified under. New sessions are always sealed with the current secret.
pub fn open_rotating(
    value: &str,
    current: &[u8],
    previous: Option<PreviousSecret<'_>>,
    now: u64,
) -> Result<(Session, SealedWith)> {
    let invalid = |why: &str| {
        Error::new(
            ErrorCode::SessionInvalid,
            format!("the session cookie {why}"),
        )
    };
    let (payload, tag) = value
        .split_once('.')
        .ok_or_else(|| invalid("is malformed"))?;
    let tag = Base64UrlUnpadded::decode_vec(tag).map_err(|_| invalid("is malformed"))?;
    let sealed_with = if verifies(payload, &tag, current)? {
        SealedWith::Current
    } else {
        match previous.filter(|p| now < p.until) {
            Some(p) if verifies(payload, &tag, p.secret)? => SealedWith::Previous,
            _ => return Err(invalid("has a wrong signature")),
        }
    };
    let json = Base64UrlUnpadded::decode_vec(payload).map_err(|_| invalid("is malformed"))?;
    let session: Session = serde_json::from_slice(&json).map_err(|_| invalid("is malformed"))?;
    if now >= session.exp {
        return Err(invalid("has expired"));
    }
    Ok((session, sealed_with))
}

/// Where the Worker's cookies live: https or not, and the path of its routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookieScope<'a> {
    pub secure: bool,
    /// `/`, or the Worker's base path (`/auth`).
    pub path: &'a str,
}

impl CookieScope<'_> {
    /// A cookie's full name: `__Host-` on https at `/` (RFC 6265bis 4.1.3.2: Secure,
    /// `Path=/`, no Domain, so no subdomain can plant one), `__Secure-` on https under a
    /// base path (4.1.3.1), plain on http (local development).
    pub fn name(&self, base: &str) -> String {
        match (self.secure, self.path == "/") {
            (true, true) => format!("__Host-{base}"),
            (true, false) => format!("__Secure-{base}"),
            (false, _) => base.to_string(),
        }
    }

    /// `Set-Cookie` for `base=value`, `HttpOnly; SameSite=Lax` (it rides on the
    /// top-level redirect back from Vipps, never on cross-site subrequests or POSTs).
    pub fn set_cookie(&self, base: &str, value: &str, max_age_secs: u64) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!(
            "{}={value}; Max-Age={max_age_secs}; Path={}; HttpOnly; SameSite=Lax{secure}",
            self.name(base),
            self.path
        )
    }

    /// The value of cookie `base` (by its full name) in a `Cookie` header.
    pub fn read<'h>(&self, cookie_header: &'h str, base: &str) -> Option<&'h str> {
        cookie_value(cookie_header, &self.name(base))
    }
}

/// The session cookie's name, before the scope's prefix.
pub const SESSION_COOKIE: &str = "vipps_session";

/// `Set-Cookie` for a sealed session.
pub fn set_cookie(sealed: &str, scope: CookieScope<'_>) -> String {
    scope.set_cookie(SESSION_COOKIE, sealed, SESSION_TTL_SECS)
}

/// `Set-Cookie` that removes the session.
pub fn clear_cookie(scope: CookieScope<'_>) -> String {
    scope.set_cookie(SESSION_COOKIE, "", 0)
}

/// The session cookie's value in a `Cookie` request header.
pub fn read_cookie<'h>(cookie_header: &'h str, scope: CookieScope<'_>) -> Option<&'h str> {
    scope.read(cookie_header, SESSION_COOKIE)
}

/// The first value of cookie `name` in a `Cookie` request header (RFC 6265 5.4).
pub fn cookie_value<'a>(cookie_header: &'a str, name: &str) -> Option<&'a str> {
    cookie_header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn session() -> Session {
        let info = json!({"sub":"s-1","name":"Ola Nordmann","given_name":"Ola","email":"ola@example.no",
            "nin":"12048512345","phone_number":"4712345678","birthdate":"1985-04-12",
            "address":{"street_address":"Robert Levins gate 5"}});
        Session::from_userinfo("s-1", info.as_object().unwrap(), 1000)
    }

    #[test]
    fn sealed_session_round_trips_and_holds_no_personal_numbers_or_addresses() {
        let sealed = seal(&session(), SECRET).unwrap();
        let opened = open(&sealed, SECRET, 1001).unwrap();
        assert_eq!(opened, session());
        let json = String::from_utf8(
            Base64UrlUnpadded::decode_vec(sealed.split('.').next().unwrap()).unwrap(),
        )
        .unwrap();
        for private in ["12048512345", "4712345678", "1985-04-12", "Robert Levins"] {
            assert!(!json.contains(private), "{private} in {json}");
        }
    }

    #[test]
    fn tampered_wrong_key_and_expired_sessions_refused() {
        let sealed = seal(&session(), SECRET).unwrap();
        let (payload, tag) = sealed.split_once('.').unwrap();
        let forged =
            Base64UrlUnpadded::encode_string(br#"{"sub":"admin","iat":1000,"exp":99999999999}"#);
        for bad in [
            format!("{forged}.{tag}"),
            format!("{payload}.AAAA"),
            payload.to_string(),
            String::new(),
        ] {
            assert_eq!(
                open(&bad, SECRET, 1001).unwrap_err().code(),
                ErrorCode::SessionInvalid,
                "{bad}"
            );
        }
        assert_eq!(
            open(&sealed, b"another-secret-another-secret-xx", 1001)
                .unwrap_err()
                .code(),
            ErrorCode::SessionInvalid
        );
        assert_eq!(
            open(&sealed, SECRET, 1000 + SESSION_TTL_SECS)
                .unwrap_err()
                .code(),
            ErrorCode::SessionInvalid
        );
    }

    #[test]
    fn a_previous_secret_verifies_until_its_time_and_never_another() {
        const OLD: &[u8] = b"the-old-secret-the-old-secret-xx";
        let old = seal(&session(), OLD).unwrap();
        let old_key = PreviousSecret {
            secret: OLD,
            until: 2000,
        };
        let previous = Some(old_key);
        let (s, with) = open_rotating(&old, SECRET, previous, 1999).unwrap();
        assert_eq!((s, with), (session(), SealedWith::Previous));
        // After its time, or without it, the old key's session is refused.
        for (previous, now) in [(previous, 2000), (None, 1001)] {
            assert_eq!(
                open_rotating(&old, SECRET, previous, now)
                    .unwrap_err()
                    .code(),
                ErrorCode::SessionInvalid
            );
        }
        // The current key's sessions say so; a third key's verify under neither.
        let current = seal(&session(), SECRET).unwrap();
        assert_eq!(
            open_rotating(&current, SECRET, previous, 1001).unwrap().1,
            SealedWith::Current
        );
        let other = seal(&session(), b"another-secret-another-secret-xx").unwrap();
        assert_eq!(
            open_rotating(&other, SECRET, previous, 1001)
                .unwrap_err()
                .code(),
            ErrorCode::SessionInvalid
        );
        assert!(!format!("{old_key:?}").contains("old-secret"));
    }

    #[test]
    fn short_session_secret_is_a_config_error() {
        let e = seal(&session(), b"short").unwrap_err();
        assert_eq!(e.code(), ErrorCode::ConfigInvalid);
        assert_eq!(e.detail("setting"), Some("SESSION_SECRET"));
    }

    #[test]
    fn cookie_attributes_host_prefix_on_https() {
        let root = CookieScope {
            secure: true,
            path: "/",
        };
        let c = set_cookie("v", root);
        assert_eq!(c, format!("__Host-vipps_session=v; Max-Age={SESSION_TTL_SECS}; Path=/; HttpOnly; SameSite=Lax; Secure"));
        assert!(!c.contains("Domain"));
        let plain = CookieScope {
            secure: false,
            path: "/",
        };
        let c = set_cookie("v", plain);
        assert!(c.starts_with("vipps_session=v;") && !c.contains("Secure"));
        assert_eq!(
            clear_cookie(root),
            "__Host-vipps_session=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
        assert_eq!(
            read_cookie("a=1; __Host-vipps_session=abc.def; b=2", root),
            Some("abc.def")
        );
        assert_eq!(read_cookie("vipps_session=x", root), None);
    }

    #[test]
    fn under_a_base_path_the_cookie_is_scoped_to_it_with_the_secure_prefix() {
        let mounted = CookieScope {
            secure: true,
            path: "/auth",
        };
        assert_eq!(
            set_cookie("v", mounted),
            format!("__Secure-vipps_session=v; Max-Age={SESSION_TTL_SECS}; Path=/auth; HttpOnly; SameSite=Lax; Secure")
        );
        assert_eq!(read_cookie("__Secure-vipps_session=x", mounted), Some("x"));
        assert_eq!(read_cookie("__Host-vipps_session=x", mounted), None);
        let local = CookieScope {
            secure: false,
            path: "/auth",
        };
        assert!(set_cookie("v", local).starts_with("vipps_session=v;"));
    }
}
