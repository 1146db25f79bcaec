//! The pairwise `sub`: one UUID per (sales unit, user), stable across restarts.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// HMAC-SHA-256(sub_secret, client_id ":" user_id), first 16 bytes as a UUID
/// (version 8, RFC 9562 variant).
pub fn pairwise(sub_secret: &str, client_id: &str, user_id: &str) -> String {
    keyed_uuid(sub_secret, &[client_id, ":", user_id])
}

/// Another stable UUID for the same pair: what `userinfo_sub_mismatch` answers.
pub fn mismatching(sub_secret: &str, client_id: &str, user_id: &str) -> String {
    keyed_uuid(sub_secret, &["mismatch:", client_id, ":", user_id])
}

fn keyed_uuid(secret: &str, parts: &[&str]) -> String {
    // HMAC takes keys of any length; new_from_slice cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts every key length"),
    };
    for part in parts {
        mac.update(part.as_bytes());
    }
    let digest = mac.finalize().into_bytes();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes)
        .into_uuid()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_and_pairwise() {
        let a = pairwise("s", "demo-client", "ola");
        assert_eq!(a, pairwise("s", "demo-client", "ola"));
        assert_ne!(a, pairwise("s", "other-client", "ola"));
        assert_ne!(a, pairwise("t", "demo-client", "ola"));
        assert_ne!(a, mismatching("s", "demo-client", "ola"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "8");
    }
}
