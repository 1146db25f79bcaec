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
/// own, so a state tag can never be mistaken for a session's). `Debug` hides it.
#[derive(Clone)]
pub struct StateKey([u8; 32]);

impl std::fmt::Debug for StateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StateKey([redacted])")
    }
}

fn hmac(key: &[u8]) -> Result<Hmac<Sha256>> {
    Hmac::<Sha256>::new_from_slice(key)
        .map_err(|_| Error::new(ErrorCode::ConfigInvalid, "the state key cannot key HMAC"))
}

impl StateKey {
    /// `HMAC-SHA-256(secret, "vipps-login state v1")`.
    pub fn derive(secret: &[u8]) -> Result<Self> {
        let mut mac = hmac(secret)?;
        mac.update(b"vipps-login state v1");
        Ok(StateKey(mac.finalize().into_bytes().into()))
    }

    fn tag(&self, random: &[u8]) -> Result<[u8; TAG_LEN]> {
        let mut mac = hmac(&self.0)?;
        mac.update(random);
        let full = mac.finalize().into_bytes();
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&full[..TAG_LEN]);
        Ok(tag)
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

    /// Whether `state` was minted with this key (the tag compared in constant time).
    pub fn issued(&self, state: &str) -> bool {
        if state.len() != MINTED_STATE_LEN {
            return false;
        }
        let mut bytes = [0u8; RANDOM_LEN + TAG_LEN];
        match Base64UrlUnpadded::decode(state, &mut bytes) {
            Ok(decoded) if decoded.len() == RANDOM_LEN + TAG_LEN => {}
            _ => return false,
        }
        match self.tag(&bytes[..RANDOM_LEN]) {
            Ok(tag) => bool::from(tag.ct_eq(&bytes[RANDOM_LEN..])),
            Err(_) => false,
        }
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
}
