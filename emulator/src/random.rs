//! Unguessable identifiers: codes, access tokens, request ids.

use base64ct::{Base64UrlUnpadded, Encoding};
use rand::RngCore;

/// 32 random bytes from the OS, base64url without padding (43 characters).
pub fn token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    Base64UrlUnpadded::encode_string(&bytes)
}

/// A random UUID string (v4).
pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}
