//! The P-256 key of the CIBA redirect variant: Vipps signs that id_token with ES256
//! (vipps-login-api.md, "CIBA"), and publishes the key in the same JWKS as the RSA ones.

use std::sync::{Arc, OnceLock};

use base64ct::{Base64UrlUnpadded, Encoding};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::DecodePrivateKey;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The committed test key. It is public: it signs nothing but emulator tokens.
const TEST_KEY_PEM: &str = include_str!("../keys/test-es256-key.pem");

pub struct EcKey {
    pub kid: String,
    signer: SigningKey,
    x: String,
    y: String,
}

impl EcKey {
    /// The committed key; its kid is derived from the public point, so it is the same
    /// across restarts. Parsed once per process.
    pub fn test_key() -> Result<Arc<EcKey>, String> {
        static KEY: OnceLock<Result<Arc<EcKey>, String>> = OnceLock::new();
        KEY.get_or_init(|| parse(TEST_KEY_PEM).map(Arc::new))
            .clone()
    }

    /// ES256 over `message` (RFC 7518 3.4): the raw `r || s`, 64 bytes, not DER.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: Signature = self.signer.sign(message);
        signature.to_bytes().to_vec()
    }

    /// This key as a JWK (RFC 7518 6.2.1).
    pub fn jwk(&self) -> Value {
        json!({
            "kty": "EC",
            "use": "sig",
            "alg": "ES256",
            "crv": "P-256",
            "kid": self.kid,
            "x": self.x,
            "y": self.y,
        })
    }
}

fn parse(text: &str) -> Result<EcKey, String> {
    let start = text
        .find("-----BEGIN")
        .ok_or("the ES256 key file has no PEM block")?;
    let signer = SigningKey::from_pkcs8_pem(&text[start..])
        .map_err(|e| format!("cannot read the ES256 key: {e}"))?;
    let point = signer.verifying_key().to_encoded_point(false);
    let (Some(x), Some(y)) = (point.x(), point.y()) else {
        return Err("the ES256 public key is not an uncompressed point".into());
    };
    let digest = Sha256::digest(point.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    let uuid = uuid::Builder::from_custom_bytes(bytes).into_uuid();
    Ok(EcKey {
        kid: format!("public:{uuid}"),
        x: Base64UrlUnpadded::encode_string(x),
        y: Base64UrlUnpadded::encode_string(y),
        signer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_key_loads_and_signs_raw_r_s() {
        let key = match EcKey::test_key() {
            Ok(key) => key,
            Err(e) => panic!("{e}"),
        };
        assert!(key.kid.starts_with("public:"));
        assert_eq!(key.sign(b"x").len(), 64);
        assert_eq!(key.jwk()["crv"], "P-256");
    }
}
