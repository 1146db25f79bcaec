//! Shared by the native flow tests.
#![allow(dead_code)]

use base64ct::{Base64UrlUnpadded, Encoding};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::{BigUint, RsaPublicKey};
use sha2::Sha256;
use std::sync::Mutex;
use vipps_login::http::{HttpRequest, HttpResponse};
use vipps_login::jose::UnverifiedJwt;
use vipps_login::jwks::Jwk;
use vipps_login::machine::{drive, Machine, Outbound, Purpose, SignatureCheck, Step};
use vipps_login::{Error, ErrorCode};

/// The native stand-in for the Worker's WebCrypto RSASSA-PKCS1-v1_5 / SHA-256 check.
pub fn verify_rs256(key: &Jwk, jwt: &UnverifiedJwt) -> bool {
    rs256_verifies(key, jwt.signing_input.as_bytes(), &jwt.signature)
}

/// The same for a machine's [`SignatureCheck`] (what [`drive`]'s `verify` is given).
pub fn verify_check(check: &SignatureCheck) -> bool {
    check.alg == "RS256"
        && rs256_verifies(&check.key, check.signing_input.as_bytes(), &check.signature)
}

fn rs256_verifies(key: &Jwk, signing_input: &[u8], signature: &[u8]) -> bool {
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
    let Ok(signature) = Signature::try_from(signature) else {
        return false;
    };
    VerifyingKey::<Sha256>::new(public)
        .verify(signing_input, &signature)
        .is_ok()
}

/// One request a machine asked for, as it went: what for, where, and the answer.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub purpose: Purpose,
    pub url: String,
    pub response: HttpResponse,
}

/// The native adapter of the core's machines: sends their requests with reqwest,
/// verifies their signatures with `rsa`, and records every request it sent.
pub struct Adapter {
    pub http: reqwest::Client,
    log: Mutex<Vec<Exchange>>,
}

impl Adapter {
    pub fn new(http: reqwest::Client) -> Self {
        Adapter {
            http,
            log: Mutex::new(Vec::new()),
        }
    }

    /// Runs `machine` from `first` with [`drive`].
    pub async fn drive<M: Machine>(
        &self,
        machine: &mut M,
        first: Step<M::Output>,
        now: impl Fn() -> u64,
    ) -> vipps_login::Result<M::Output> {
        drive(
            machine,
            first,
            |outbound| self.send(outbound),
            |check| std::future::ready(verify_check(&check)),
            now,
        )
        .await
    }

    /// Sends one request; a transport failure ends the run as the Worker's would.
    pub async fn send(&self, outbound: Outbound) -> vipps_login::Result<HttpResponse> {
        let response = try_send(&self.http, &outbound.request).await.map_err(|e| {
            Error::new(
                ErrorCode::ProviderUnreachable,
                format!("{} did not answer: {e}", outbound.purpose.describe()),
            )
        })?;
        self.log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Exchange {
                purpose: outbound.purpose,
                url: outbound.request.url,
                response: response.clone(),
            });
        Ok(response)
    }

    /// How many requests are recorded.
    pub fn sent(&self) -> usize {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// What was sent since the last call, and forgets it.
    pub fn take_log(&self) -> Vec<Exchange> {
        std::mem::take(&mut *self.log.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The purposes of what was sent since the last call, and forgets it.
    pub fn take_purposes(&self) -> Vec<Purpose> {
        self.take_log().into_iter().map(|x| x.purpose).collect()
    }
}

/// `url` without its query parameter `name` (every occurrence).
pub fn without_param(url: &str, name: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_string();
    };
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| pair.split('=').next() != Some(name))
        .collect();
    format!("{base}?{}", kept.join("&"))
}

/// `url` with its query parameter `name` set to `value` (form-urlencoded).
pub fn with_param(url: &str, name: &str, value: &str) -> String {
    let stripped = without_param(url, name);
    let encoded: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
    let sep = if stripped.contains('?') { '&' } else { '?' };
    format!("{stripped}{sep}{name}={encoded}")
}

/// The decoded value of query parameter `name` of `url`.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let (_, query) = url.split_once('?')?;
    form_urlencoded::parse(query.as_bytes())
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.into_owned())
}

async fn try_send(
    http: &reqwest::Client,
    request: &HttpRequest,
) -> Result<HttpResponse, reqwest::Error> {
    let mut builder = match request.method {
        "POST" => http.post(&request.url).body(request.body.clone()),
        _ => http.get(&request.url),
    };
    for (name, value) in &request.headers {
        builder = builder.header(*name, value);
    }
    let response = builder.send().await?;
    Ok(HttpResponse {
        status: response.status().as_u16(),
        body: response.bytes().await?.to_vec(),
    })
}

/// Sends a core-built request with reqwest.
pub async fn send(http: &reqwest::Client, request: &HttpRequest) -> HttpResponse {
    try_send(http, request).await.expect("request on loopback")
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
