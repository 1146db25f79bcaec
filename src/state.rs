//! `state` values the server can authenticate without storage: 24 random bytes and a
//! 16-byte HMAC-SHA-256 tag over them, base64url (54 characters; Vipps needs 8 or more
//! and has failed on 1000+). A callback whose state carries no valid tag was never
//! issued here, so it is refused before any storage is touched: a forged `?state=`
//! costs one HMAC, never a Durable Object (RFC 9700 4.7: state is the CSRF token; here
//! it is also the proof of origin).

use crate::error::{Error, ErrorCode, Result};
use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

const RANDOM_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// The length of a minted state in characters.
pub const MINTED_STATE_LEN: usize = 54;

/// The key for state tags, derived from the server's session secret (a key of its
/// own, so a state tag can never be mistaken for a session's), and during a rotation of
/// that secret the previous one's key with the time (Unix seconds) until which states it
/// tagged are still accepted: logins in flight survive the rotation. `Debug` hides both.
#[derive(Clone)]
pub struct StateKey([u8; 32], Option<([u8; 32], u64)>);

impl std::fmt::Debug for StateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateKey([redacted])")
    }
}

fn derive_key(secret: &[u8]) -> Result<[u8; 32]> {
    let mut mac = hmac(secret)?;
    mac.update(b"vipps-login state v1");
    Ok(mac.finalize().into_bytes().into())
}

fn tag_with(key: &[u8; 32], random: &[u8]) -> Result<[u8; TAG_LEN]> {
    let mut mac = hmac(key)?;
    mac.update(random);
    let full = mac.finalize().into_bytes();
    let mut tag = [0u8; TAG_LEN];
    tag.copy_from_slice(&full[..TAG_LEN]);
    Ok(tag)
}

fn hmac(key: &[u8]) -> Result<Hmac<Sha256>> {
    Hmac::<Sha256>::new_from_slice(key)
        .map_err(|_| Error::new(ErrorCode::ConfigInvalid, "the state key cannot key HMAC"))
}

impl StateKey {
    /// `HMAC-SHA-256(secret, "vipps-login state v1")`.
    pub fn derive(secret: &[u8]) -> Result<Self> {
        Ok(StateKey(derive_key(secret)?, None))
    }

    /// Also accepting, until `until`, the states the previous secret's key tagged
    /// ([`StateKey::issued_at`]). States are always minted with the current key.
    pub fn with_previous(self, previous: &[u8], until: u64) -> Result<Self> {
        Ok(StateKey(self.0, Some((derive_key(previous)?, until))))
    }

    fn tag(&self, random: &[u8]) -> Result<[u8; TAG_LEN]> {
        tag_with(&self.0, random)
    }

    /// A fresh state.
    pub fn mint(&self) -> Result<String> {
        let mut bytes = [0u8; RANDOM_LEN + TAG_LEN];
        getrandom::fill(&mut bytes[..RANDOM_LEN]).map_err(|e| {
            Error::new(
                ErrorCode::RandomUnavailable,
                format!("the random number generator failed: {e}"),
            )
        })?;
        let tag = self.tag(&bytes[..RANDOM_LEN])?;
        bytes[RANDOM_LEN..].copy_from_slice(&tag);
        Ok(Base64UrlUnpadded::encode_string(&bytes))
    }

    /// Whether `state` was minted with the current key (the tag compared in constant
    /// time).
    pub fn issued(&self, state: &str) -> bool {
        self.issued_at(state, u64::MAX)
    }

    /// Whether `state` was minted with the current key, or with the previous one while
    /// `now` is before its time.
    pub fn issued_at(&self, state: &str, now: u64) -> bool {
        if state.len() != MINTED_STATE_LEN {
            return false;
        }
        let mut bytes = [0u8; RANDOM_LEN + TAG_LEN];
        match Base64UrlUnpadded::decode(state, &mut bytes) {
            Ok(decoded) if decoded.len() == RANDOM_LEN + TAG_LEN => {}
            _ => return false,
        }
        let (random, presented) = bytes.split_at(RANDOM_LEN);
        let matches = |key: &[u8; 32]| match tag_with(key, random) {
            Ok(tag) => bool::from(tag.ct_eq(presented)),
            Err(_) => false,
        };
        matches(&self.0)
            || self
                .1
                .as_ref()
                .is_some_and(|(previous, until)| now < *until && matches(previous))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_states_verify_and_forged_ones_do_not() {
        let key = StateKey::derive(b"0123456789abcdef0123456789abcdef").unwrap();
        let state = key.mint().unwrap();
        assert_eq!(state.len(), MINTED_STATE_LEN);
        assert!(key.issued(&state));
        assert_ne!(key.mint().unwrap(), state);
        // Another key, a flipped character, other lengths, other alphabets: not ours.
        let other = StateKey::derive(b"another-secret-another-secret-!!").unwrap();
        assert!(!other.issued(&state));
        let mut flipped = state.clone().into_bytes();
        flipped[10] = if flipped[10] == b'A' { b'B' } else { b'A' };
        assert!(!key.issued(std::str::from_utf8(&flipped).unwrap()));
        for forged in [
            "",
            "never-issued-0123456789abc",
            &"A".repeat(54),
            &format!("{state}A"),
            &format!("+{}", &state[1..]),
        ] {
            assert!(!key.issued(forged), "{forged}");
        }
        assert!(!format!("{key:?}").contains(&format!("{:?}", key.0)));
    }

    #[test]
    fn a_previous_key_tags_are_accepted_until_its_time_only() {
        const OLD: &[u8] = b"the-old-secret-the-old-secret-xx";
        let old_state = StateKey::derive(OLD).unwrap().mint().unwrap();
        let rotated = StateKey::derive(b"0123456789abcdef0123456789abcdef")
            .unwrap()
            .with_previous(OLD, 2000)
            .unwrap();
        assert!(rotated.issued_at(&old_state, 1999));
        assert!(!rotated.issued_at(&old_state, 2000));
        assert!(!rotated.issued(&old_state));
        let new_state = rotated.mint().unwrap();
        assert!(rotated.issued_at(&new_state, 5000));
        assert!(!StateKey::derive(OLD).unwrap().issued(&new_state));
    }
}
