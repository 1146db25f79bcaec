//! Shared by the native flow tests.
#![allow(dead_code)]

use base64ct::{Base64UrlUnpadded, Encoding};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::{BigUint, RsaPublicKey};
use sha2::Sha256;
use vipps_login::http::{HttpRequest, HttpResponse};
use vipps_login::jose::UnverifiedJwt;
use vipps_login::jwks::Jwk;

/// The native stand-in for the Worker's WebCrypto RSASSA-PKCS1-v1_5 / SHA-256 check.
pub fn verify_rs256(key: &Jwk, jwt: &UnverifiedJwt) -> bool {
    let (Ok(n), Ok(e)) = (
        Base64UrlUnpadded::decode_vec(&key.n),
        Base64UrlUnpadded::decode_vec(&key.e),
    ) else {
        return false;
    };
    let Ok(public) = RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e))
    else {
        return false;
    };
    let Ok(signature) = Signature::try_from(jwt.signature.as_slice()) else {
        return false;
    };
    VerifyingKey::<Sha256>::new(public)
        .verify(jwt.signing_input.as_bytes(), &signature)
        .is_ok()
}

/// Sends a core-built request with reqwest.
pub async fn send(http: &reqwest::Client, request: &HttpRequest) -> HttpResponse {
    let mut builder = match request.method {
        "POST" => http.post(&request.url).body(request.body.clone()),
        _ => http.get(&request.url),
    };
    for (name, value) in &request.headers {
        builder = builder.header(*name, value);
    }
    let response = builder.send().await.expect("request on loopback");
    HttpResponse {
        status: response.status().as_u16(),
        body: response.bytes().await.expect("body").to_vec(),
    }
}

pub fn get(url: &str) -> HttpRequest {
    HttpRequest {
        method: "GET",
        url: url.to_string(),
        headers: vec![],
        body: String::new(),
    }
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
