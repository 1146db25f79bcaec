//! The provider's signing keys (RFC 7517) and when to fetch them again.
//!
//! Vipps rotates keys with no documented policy (kids like `public:<uuid>`), so keys
//! are looked up by `kid` and an unknown `kid` triggers a refetch — once per `kid` per
//! cooldown, and at most [`MAX_FORCED_REFETCHES`] per cooldown, so that two rotations in
//! quick succession are both picked up while a stream of forged kids cannot make the
//! Worker hammer the JWKS. The policy is pure: the adapter stores the cache and does the
//! fetching.

use crate::error::{Error, ErrorCode, Result};
use serde::{Deserialize, Serialize};

/// How long a fetched JWKS is used before it is fetched again (Vipps' discovery sends
/// `max-age=3600`).
pub const JWKS_MAX_AGE_SECS: u64 = 3600;
/// The window in which an unknown `kid` forces at most one refetch, and all unknown
/// kids together at most [`MAX_FORCED_REFETCHES`].
pub const REFETCH_COOLDOWN_SECS: u64 = 60;
/// Refetches unknown kids may force within one cooldown: a second rotation right after
/// a first one is still picked up (in probing, logins failed for 60 s after one).
pub const MAX_FORCED_REFETCHES: usize = 3;
/// More keys than this in one document is not a JWKS we trust.
pub const MAX_KEYS: usize = 16;

/// One public key: RSA (RS256) or EC P-256 (ES256, the CIBA redirect variant).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(default)]
    pub kid: Option<String>,
    #[serde(default, rename = "use")]
    pub use_: Option<String>,
    #[serde(default)]
    pub alg: Option<String>,
    /// Modulus, base64url.
    #[serde(default)]
    pub n: String,
    /// Exponent, base64url.
    #[serde(default)]
    pub e: String,
    /// EC keys: the curve (`P-256`) and the point's coordinates, base64url.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub crv: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub x: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub y: String,
}

impl Jwk {
    /// Whether this key can check a signature of `alg` (RS256: RSA; ES256: EC P-256).
    pub fn fits(&self, alg: &str) -> bool {
        let alg_ok = self.alg.as_deref().is_none_or(|a| a == alg);
        let use_ok = self.use_.as_deref().is_none_or(|u| u == "sig");
        let shape = match alg {
            "RS256" => self.kty == "RSA" && !self.n.is_empty() && !self.e.is_empty(),
            "ES256" => {
                self.kty == "EC" && self.crv == "P-256" && !self.x.is_empty() && !self.y.is_empty()
            }
            _ => false,
        };
        alg_ok && use_ok && shape
    }
}

#[derive(Deserialize)]
struct JwkSet {
    keys: Vec<serde_json::Value>,
}

/// Reads a JWKS, keeping the signing keys usable for RS256 (RSA) or ES256 (EC P-256)
/// and skipping others (other curves, encryption keys) rather than failing on them.
pub fn parse_jwks(body: &[u8]) -> Result<Vec<Jwk>> {
    let set: JwkSet = serde_json::from_slice(body).map_err(|_| {
        Error::new(
            ErrorCode::JwksInvalid,
            "the JWKS is not a JSON object with keys",
        )
    })?;
    if set.keys.len() > MAX_KEYS {
        return Err(Error::new(
            ErrorCode::JwksInvalid,
            format!(
                "the JWKS holds {} keys; at most {MAX_KEYS} are accepted",
                set.keys.len()
            ),
        ));
    }
    Ok(set
        .keys
        .into_iter()
        .filter_map(|k| serde_json::from_value::<Jwk>(k).ok())
        .filter(|k| k.fits("RS256") || k.fits("ES256"))
        .collect())
}

/// What to do for a `kid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyLookup<'a> {
    Found(&'a Jwk),
    /// Fetch the JWKS (again), then look up once more.
    Fetch,
    /// Not there, and refetching is on cooldown.
    Unknown,
}

/// Keys plus the times that drive refetching. Serializable, so an adapter can keep it
/// in memory and in a cache store.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwksCache {
    pub keys: Vec<Jwk>,
    pub fetched_at: Option<u64>,
    /// When the cooldown window of forced refetches began (an unknown `kid`'s first
    /// refetch): it counts from here, not from routine fetches, so a key rotated just
    /// after one is still picked up.
    #[serde(default)]
    pub forced_at: Option<u64>,
    /// The kids (`""` for none) that forced a refetch in that window, at most
    /// [`MAX_FORCED_REFETCHES`].
    #[serde(default)]
    pub forced_kids: Vec<String>,
}

impl JwksCache {
    /// Looks up `kid` at `now` (seconds since the epoch). A token without `kid` may use
    /// the only key there is. Answering `Fetch` for an unknown `kid` starts its
    /// cooldown.
    pub fn lookup(&mut self, kid: Option<&str>, now: u64) -> KeyLookup<'_> {
        self.lookup_for("RS256", kid, now)
    }

    /// [`JwksCache::lookup`] among the keys that fit `alg` only ([`Jwk::fits`]): an
    /// RS256 token never gets the EC key, nor an ES256 one an RSA key.
    pub fn lookup_for(&mut self, alg: &str, kid: Option<&str>, now: u64) -> KeyLookup<'_> {
        let fresh = self
            .fetched_at
            .is_some_and(|t| now.saturating_sub(t) < JWKS_MAX_AGE_SECS);
        let fitting: Vec<usize> = (0..self.keys.len())
            .filter(|&i| self.keys.get(i).is_some_and(|k| k.fits(alg)))
            .collect();
        let found = match kid {
            Some(kid) => fitting
                .iter()
                .copied()
                .find(|&i| self.keys.get(i).and_then(|k| k.kid.as_deref()) == Some(kid)),
            None if fitting.len() == 1 => fitting.first().copied(),
            None => None,
        };
        match (found, fresh) {
            (Some(i), true) => match self.keys.get(i) {
                Some(key) => KeyLookup::Found(key),
                None => KeyLookup::Unknown,
            },
            (_, false) => KeyLookup::Fetch,
            (None, true) => {
                let kid = kid.unwrap_or("");
                let window_over = self
                    .forced_at
                    .is_none_or(|t| now.saturating_sub(t) >= REFETCH_COOLDOWN_SECS);
                if window_over {
                    self.forced_at = Some(now);
                    self.forced_kids.clear();
                }
                // A kid whose refetch did not bring it waits for the next window (forged,
                // or not yet published); another unknown kid may still force one.
                let already = self.forced_kids.iter().any(|k| k == kid);
                if already || self.forced_kids.len() >= MAX_FORCED_REFETCHES {
                    KeyLookup::Unknown
                } else {
                    self.forced_kids.push(kid.to_string());
                    KeyLookup::Fetch
                }
            }
        }
    }

    /// Stores a freshly fetched set.
    pub fn replace(&mut self, keys: Vec<Jwk>, now: u64) {
        self.keys = keys;
        self.fetched_at = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VIPPS_LIKE: &str = r#"{"keys":[
        {"kty":"RSA","kid":"public:aaaa","use":"sig","alg":"RS256","n":"sXch","e":"AQAB"},
        {"kty":"RSA","kid":"public:bbbb","n":"tYdi","e":"AQAB"},
        {"kty":"EC","kid":"ec","crv":"P-256","x":"a","y":"b"},
        {"kty":"RSA","kid":"enc","use":"enc","n":"x","e":"AQAB"}
    ]}"#;

    #[test]
    fn keeps_rsa_and_p256_signing_keys_only() {
        let keys = parse_jwks(VIPPS_LIKE.as_bytes()).unwrap();
        let kids: Vec<_> = keys.iter().map(|k| k.kid.as_deref().unwrap()).collect();
        assert_eq!(kids, ["public:aaaa", "public:bbbb", "ec"]);
        let other_curve = r#"{"keys":[{"kty":"EC","kid":"p384","crv":"P-384","x":"a","y":"b"},
            {"kty":"EC","kid":"es","crv":"P-256","alg":"ES256","use":"sig","x":"a","y":"b"},
            {"kty":"EC","kid":"noy","crv":"P-256","x":"a"}]}"#;
        let keys = parse_jwks(other_curve.as_bytes()).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid.as_deref(), Some("es"));
    }

    #[test]
    fn each_algorithm_finds_only_its_own_keys() {
        let mut cache = JwksCache::default();
        cache.replace(parse_jwks(VIPPS_LIKE.as_bytes()).unwrap(), 0);
        assert!(
            matches!(cache.lookup_for("ES256", Some("ec"), 1), KeyLookup::Found(k) if k.crv == "P-256" && k.x == "a")
        );
        // An RS256 token naming the EC key's kid is not given it, nor the reverse.
        assert_eq!(cache.lookup(Some("ec"), 1), KeyLookup::Fetch);
        assert_eq!(
            cache.lookup_for("ES256", Some("public:aaaa"), 30),
            KeyLookup::Fetch
        );
        assert_eq!(
            cache.lookup_for("ES256", Some("public:aaaa"), 31),
            KeyLookup::Unknown
        );
        // Without a kid: the only key of that kind.
        assert!(
            matches!(cache.lookup_for("ES256", None, 200), KeyLookup::Found(k) if k.kid.as_deref() == Some("ec"))
        );
    }

    #[test]
    fn invalid_or_oversized_jwks_refused() {
        assert_eq!(
            parse_jwks(b"{}").unwrap_err().code(),
            ErrorCode::JwksInvalid
        );
        assert_eq!(
            parse_jwks(b"nope").unwrap_err().code(),
            ErrorCode::JwksInvalid
        );
        let many = format!(
            r#"{{"keys":[{}]}}"#,
            vec![r#"{"kty":"RSA","n":"a","e":"b"}"#; MAX_KEYS + 1].join(",")
        );
        assert_eq!(
            parse_jwks(many.as_bytes()).unwrap_err().code(),
            ErrorCode::JwksInvalid
        );
    }

    #[test]
    fn vipps_quirk_key_rotation_unknown_kid_refetches_once_per_cooldown() {
        let mut cache = JwksCache::default();
        // Nothing cached: fetch.
        assert_eq!(cache.lookup(Some("public:aaaa"), 1000), KeyLookup::Fetch);
        cache.replace(parse_jwks(VIPPS_LIKE.as_bytes()).unwrap(), 1000);
        assert!(
            matches!(cache.lookup(Some("public:aaaa"), 1001), KeyLookup::Found(k) if k.n == "sXch")
        );
        // A rotated (unknown) kid right after a routine fetch: one forced refetch.
        assert_eq!(cache.lookup(Some("public:new"), 1010), KeyLookup::Fetch);
        cache.replace(parse_jwks(VIPPS_LIKE.as_bytes()).unwrap(), 1010);
        // Still unknown after its refetch: that kid waits for the next window.
        assert_eq!(cache.lookup(Some("public:new"), 1011), KeyLookup::Unknown);
        // A second rotation within the window: its new kid forces one more refetch.
        assert_eq!(cache.lookup(Some("public:newer"), 1020), KeyLookup::Fetch);
        assert_eq!(cache.lookup(Some("public:newer"), 1021), KeyLookup::Unknown);
        // At most MAX_FORCED_REFETCHES per window, whatever the kids (forged ones).
        assert_eq!(cache.lookup(Some("forged-1"), 1030), KeyLookup::Fetch);
        assert_eq!(MAX_FORCED_REFETCHES, 3);
        assert_eq!(
            cache.lookup(Some("forged-2"), 1011 + REFETCH_COOLDOWN_SECS - 2),
            KeyLookup::Unknown
        );
        // After the cooldown: a new window.
        assert_eq!(
            cache.lookup(Some("public:new"), 1010 + REFETCH_COOLDOWN_SECS),
            KeyLookup::Fetch
        );
        // Stale after max-age: fetch even for a known kid.
        cache.replace(parse_jwks(VIPPS_LIKE.as_bytes()).unwrap(), 2000);
        assert_eq!(
            cache.lookup(Some("public:aaaa"), 2000 + JWKS_MAX_AGE_SECS),
            KeyLookup::Fetch
        );
    }

    #[test]
    fn no_kid_uses_the_only_key() {
        let mut cache = JwksCache::default();
        cache.replace(
            parse_jwks(br#"{"keys":[{"kty":"RSA","n":"a","e":"AQAB"}]}"#).unwrap(),
            0,
        );
        assert!(matches!(cache.lookup(None, 1), KeyLookup::Found(_)));
        cache.replace(parse_jwks(VIPPS_LIKE.as_bytes()).unwrap(), 0);
        // Several keys and no kid: one refetch in case the set changed, then unknown.
        assert_eq!(cache.lookup(None, 1), KeyLookup::Fetch);
        assert_eq!(cache.lookup(None, 2), KeyLookup::Unknown);
    }
}
