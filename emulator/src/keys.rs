//! RSA signing keys: the committed test key, rotation, JWKS entries, RS256 signatures.

use std::sync::{Arc, OnceLock};

use base64ct::{Base64UrlUnpadded, Encoding};
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs1v15::SigningKey as Pkcs1v15SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::traits::PublicKeyParts;
use rsa::RsaPrivateKey;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The committed test key. It is public: it signs nothing but emulator tokens.
const TEST_KEY_PEM: &str = include_str!("../keys/test-signing-key.pem");

/// One RSA key with its `kid`.
pub struct SigningKey {
    pub kid: String,
    signer: Pkcs1v15SigningKey<Sha256>,
    n: String,
    e: String,
}

impl SigningKey {
    fn new(kid: String, key: RsaPrivateKey) -> SigningKey {
        let n = Base64UrlUnpadded::encode_string(&key.n().to_bytes_be());
        let e = Base64UrlUnpadded::encode_string(&key.e().to_bytes_be());
        SigningKey {
            kid,
            signer: Pkcs1v15SigningKey::<Sha256>::new(key),
            n,
            e,
        }
    }

    /// The committed test key; its kid is derived from the public key, so it is
    /// the same across restarts. Parsed once per process.
    pub fn test_key() -> Result<Arc<SigningKey>, String> {
        static KEY: OnceLock<Result<Arc<SigningKey>, String>> = OnceLock::new();
        KEY.get_or_init(|| {
            let key = parse_pem(TEST_KEY_PEM)?;
            let mut hasher = Sha256::new();
            hasher.update(key.n().to_bytes_be());
            hasher.update(b".");
            hasher.update(key.e().to_bytes_be());
            let digest = hasher.finalize();
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&digest[..16]);
            let uuid = uuid::Builder::from_custom_bytes(bytes).into_uuid();
            Ok(Arc::new(SigningKey::new(format!("public:{uuid}"), key)))
        })
        .clone()
    }

    /// A fresh 2048-bit key with a random kid. Slow-ish (CPU bound): call it from
    /// a blocking task.
    pub fn generate() -> Result<SigningKey, String> {
        let key = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
            .map_err(|e| format!("cannot generate an RSA key: {e}"))?;
        Ok(SigningKey::new(
            format!("public:{}", uuid::Uuid::new_v4()),
            key,
        ))
    }

    /// RS256 (RSASSA-PKCS1-v1_5 with SHA-256) over `message`.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.signer.sign(message).to_vec()
    }

    /// This key as a JWK.
    pub fn jwk(&self) -> Value {
        json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": self.n,
            "e": self.e,
        })
    }
}

/// Reads a PKCS#8 or PKCS#1 PEM, skipping any comment lines before `-----BEGIN`.
fn parse_pem(text: &str) -> Result<RsaPrivateKey, String> {
    let start = text
        .find("-----BEGIN")
        .ok_or("the signing key file has no PEM block")?;
    let pem = &text[start..];
    RsaPrivateKey::from_pkcs8_pem(pem)
        .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
        .map_err(|e| format!("cannot read the signing key: {e}"))
}

/// The keys the emulator publishes; the first one signs.
#[derive(Clone)]
pub struct KeySet {
    keys: Vec<Arc<SigningKey>>,
}

impl KeySet {
    pub fn new(first: Arc<SigningKey>) -> KeySet {
        KeySet { keys: vec![first] }
    }

    pub fn current(&self) -> Arc<SigningKey> {
        Arc::clone(&self.keys[0])
    }

    /// Puts `key` first; the old keys stay listed.
    pub fn rotate(&mut self, key: SigningKey) {
        self.keys.insert(0, Arc::new(key));
    }

    pub fn jwks(&self) -> Value {
        json!({ "keys": self.keys.iter().map(|k| k.jwk()).collect::<Vec<_>>() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_key_loads_with_a_stable_kid() {
        let a = SigningKey::test_key().map_err(|e| e.to_string());
        let a = match a {
            Ok(a) => a,
            Err(e) => panic!("{e}"),
        };
        assert!(a.kid.starts_with("public:"));
        assert_eq!(a.kid.len(), "public:".len() + 36);
        assert_eq!(a.e, "AQAB");
        assert_eq!(a.sign(b"x").len(), 256);
    }
}
