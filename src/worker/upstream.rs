//! Everything the Worker asks of the provider: the core builds each request as plain data
//! ([`HttpRequest`]) and reads each answer ([`HttpResponse`]); this module only moves
//! the bytes, with a time limit on every fetch, and keeps what may be reused between
//! requests of one isolate: the discovery document (issuers not laid out like Vipps')
//! and the JWKS, the latter also in the Cache API so fresh isolates start warm. The RS256
//! check of the id_token is WebCrypto's (`crypto.subtle`).

use crate::discovery::{discovery_request, process_discovery_response, ProviderMetadata};
use crate::error::{Error, ErrorCode};
use crate::http::{HttpRequest, HttpResponse};
use crate::issuer::{Endpoints, Issuer};
use crate::jose::UnverifiedJwt;
use crate::jwks::{parse_jwks, Jwk, JwksCache, KeyLookup, JWKS_MAX_AGE_SECS};
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use std::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};
use worker::{
    AbortSignal, Cache, Fetch, Headers, Method, Request, RequestInit, RequestRedirect, Response,
};

/// Sends `request` with a time limit covering the answer's body too. A limit reached is
/// `provider_timeout`; a network failure is `provider_unreachable`. `what` names the
/// endpoint in the message ("the token endpoint").
pub async fn send(
    request: &HttpRequest,
    what: &str,
    timeout_ms: u32,
) -> Result<HttpResponse, Error> {
    let signal = AbortSignal::from(worker::web_sys::AbortSignal::timeout_with_u32(timeout_ms));
    match try_send(request, &signal).await {
        Ok(response) => Ok(response),
        Err(_) if signal.aborted() => Err(Error::new(
            ErrorCode::ProviderTimeout,
            format!("{what} did not answer within {timeout_ms} ms (VIPPS_HTTP_TIMEOUT_MS)"),
        )),
        Err(_) => Err(Error::new(
            ErrorCode::ProviderUnreachable,
            format!("{what} could not be reached"),
        )),
    }
}

async fn try_send(request: &HttpRequest, signal: &AbortSignal) -> worker::Result<HttpResponse> {
    let headers = Headers::new();
    for (name, value) in &request.headers {
        headers.set(name, value)?;
    }
    let mut init = RequestInit::new();
    init.with_method(if request.method == "POST" {
        Method::Post
    } else {
        Method::Get
    })
    .with_headers(headers)
    // Workers refuse `redirect: "error"`; a redirect is simply not followed.
    .with_redirect(RequestRedirect::Manual);
    if !request.body.is_empty() {
        init.with_body(Some(JsValue::from_str(&request.body)));
    }
    let outbound = Request::new_with_init(&request.url, &init)?;
    let mut response = Fetch::Request(outbound).send_with_signal(signal).await?;
    let status = response.status_code();
    let body = response.bytes().await?;
    Ok(HttpResponse { status, body })
}

async fn get(url: &str, what: &str, timeout_ms: u32) -> Result<HttpResponse, Error> {
    let request = HttpRequest {
        method: "GET",
        url: url.to_string(),
        headers: vec![("Accept", "application/json".to_string())],
        body: String::new(),
    };
    send(&request, what, timeout_ms).await
}

thread_local! {
    /// The discovery document per issuer, with when it was fetched.
    static DISCOVERED: RefCell<Vec<(ProviderMetadata, u64)>> = const { RefCell::new(Vec::new()) };
    /// The JWKS per `jwks_uri`, and when an unknown `kid` last forced a refetch.
    static JWKS: RefCell<Vec<JwksEntry>> = const { RefCell::new(Vec::new()) };
}

#[derive(Clone)]
struct JwksEntry {
    uri: String,
    cache: JwksCache,
}

/// The provider's discovery document, or `None` for an issuer laid out like Vipps'
/// (whose endpoints follow from the issuer: `Endpoints::vipps_layout`). Kept per isolate
/// for as long as a JWKS.
pub async fn discovery(
    issuer: &Issuer,
    now: u64,
    timeout_ms: u32,
) -> Result<Option<ProviderMetadata>, Error> {
    if issuer.vipps_base().is_some() {
        return Ok(None);
    }
    let cached = DISCOVERED.with_borrow(|all| {
        all.iter()
            .find(|(m, at)| {
                m.issuer == issuer.as_str() && now.saturating_sub(*at) < JWKS_MAX_AGE_SECS
            })
            .map(|(m, _)| m.clone())
    });
    if let Some(metadata) = cached {
        return Ok(Some(metadata));
    }
    let response = get(
        &discovery_request(issuer),
        "the discovery document",
        timeout_ms,
    )
    .await?;
    if response.status != 200 {
        return Err(Error::new(
            ErrorCode::ProviderUnreachable,
            format!("the discovery document answered HTTP {}", response.status),
        ));
    }
    let metadata = process_discovery_response(&response.body, issuer)?;
    DISCOVERED.with_borrow_mut(|all| {
        all.retain(|(m, _)| m.issuer != metadata.issuer);
        all.push((metadata.clone(), now));
    });
    Ok(Some(metadata))
}

/// The endpoints of the configured provider.
pub fn endpoints(
    issuer: &Issuer,
    discovered: Option<&ProviderMetadata>,
) -> Result<Endpoints, Error> {
    match discovered {
        Some(metadata) => metadata.endpoints(issuer),
        None => Endpoints::vipps_layout(issuer).ok_or_else(|| {
            Error::new(
                ErrorCode::EndpointsUnknown,
                format!(
                    "issuer {issuer} is not laid out like Vipps' and has no discovery document"
                ),
            )
        }),
    }
}

/// The key that signed an id_token, by `kid`: from memory, else the Cache API, else the
/// provider's JWKS. An unknown `kid` refetches the JWKS once (a rotated key), at most
/// once per `jwks::REFETCH_COOLDOWN_SECS` per isolate, so forged kids cannot make the Worker
/// hammer the provider.
pub async fn signing_key(
    jwks_uri: &str,
    kid: Option<&str>,
    now: u64,
    timeout_ms: u32,
) -> Result<Jwk, Error> {
    let mut entry = JWKS
        .with_borrow(|all| all.iter().find(|e| e.uri == jwks_uri).cloned())
        .unwrap_or_else(|| JwksEntry {
            uri: jwks_uri.to_string(),
            cache: JwksCache::default(),
        });
    if entry.cache.fetched_at.is_none() {
        if let Some(cache) = cache_api_get(jwks_uri).await {
            entry.cache = cache;
        }
    }
    let mut fetched = false;
    loop {
        // The core's policy: fetch when absent or stale, and for an unknown kid at most
        // once per cooldown (counted from the last refetch an unknown kid forced).
        match entry.cache.lookup(kid, now) {
            KeyLookup::Found(key) => {
                let key = key.clone();
                remember(entry);
                return Ok(key);
            }
            KeyLookup::Fetch if !fetched => {}
            _ => {
                remember(entry);
                return Err(Error::new(
                    ErrorCode::IdTokenKidUnknown,
                    format!(
                        "no key in the provider's JWKS has kid {}",
                        kid.map(|k| format!("\"{k}\""))
                            .unwrap_or_else(|| "(none)".into())
                    ),
                ));
            }
        }
        let response = get(jwks_uri, "the JWKS", timeout_ms).await?;
        if response.status != 200 {
            return Err(Error::new(
                ErrorCode::JwksUnavailable,
                format!("the JWKS answered HTTP {}", response.status),
            ));
        }
        let keys = parse_jwks(&response.body)?;
        entry.cache.replace(keys, now);
        fetched = true;
        cache_api_put(jwks_uri, &entry.cache).await;
    }
}

fn remember(entry: JwksEntry) {
    JWKS.with_borrow_mut(|all| {
        all.retain(|e| e.uri != entry.uri);
        all.push(entry);
    });
}

/// The Cache API key for a JWKS: a URL of our own, never fetched.
fn cache_key(jwks_uri: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(jwks_uri.as_bytes()).collect();
    format!("https://vipps-login.internal/jwks?uri={encoded}")
}

async fn cache_api_get(jwks_uri: &str) -> Option<JwksCache> {
    let mut response = Cache::default()
        .get(cache_key(jwks_uri), true)
        .await
        .ok()??;
    serde_json::from_str(&response.text().await.ok()?).ok()
}

/// Best effort: a Cache API failure only means the next isolate fetches the JWKS itself.
async fn cache_api_put(jwks_uri: &str, cache: &JwksCache) {
    let Ok(json) = serde_json::to_string(cache) else {
        return;
    };
    let Ok(mut response) = Response::ok(json) else {
        return;
    };
    let max_age = format!("max-age={JWKS_MAX_AGE_SECS}");
    if response
        .headers_mut()
        .set("cache-control", &max_age)
        .is_err()
    {
        return;
    }
    let _ = Cache::default().put(cache_key(jwks_uri), response).await;
}

/// OIDC Core 3.1.3.7 steps 6-8: RSASSA-PKCS1-v1_5 with SHA-256 over the JWS signing
/// input, through WebCrypto. `jwt` was parsed by [`UnverifiedJwt::parse`], which refuses
/// every `alg` but RS256. Any failure (a key WebCrypto refuses, a wrong signature) is
/// `false`.
pub async fn verify_rs256(key: &Jwk, jwt: &UnverifiedJwt) -> bool {
    webcrypto_verify(key, jwt).await.unwrap_or(false)
}

fn set(object: &Object, name: &str, value: &JsValue) -> Result<(), JsValue> {
    Reflect::set(object, &JsValue::from_str(name), value).map(|_| ())
}

fn method(subtle: &JsValue, name: &str) -> Result<Function, JsValue> {
    Reflect::get(subtle, &JsValue::from_str(name))?.dyn_into::<Function>()
}

async fn webcrypto_verify(key: &Jwk, jwt: &UnverifiedJwt) -> Result<bool, JsValue> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))?;
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle"))?;

    let jwk = Object::new();
    set(&jwk, "kty", &JsValue::from_str("RSA"))?;
    set(&jwk, "n", &JsValue::from_str(&key.n))?;
    set(&jwk, "e", &JsValue::from_str(&key.e))?;
    set(&jwk, "alg", &JsValue::from_str("RS256"))?;
    set(&jwk, "ext", &JsValue::TRUE)?;
    let algorithm = Object::new();
    set(&algorithm, "name", &JsValue::from_str("RSASSA-PKCS1-v1_5"))?;
    set(&algorithm, "hash", &JsValue::from_str("SHA-256"))?;

    let import = method(&subtle, "importKey")?.apply(
        &subtle,
        &Array::of5(
            &JsValue::from_str("jwk"),
            &jwk,
            &algorithm,
            &JsValue::FALSE,
            &Array::of1(&JsValue::from_str("verify")),
        ),
    )?;
    let public_key = js_sys::futures::JsFuture::from(import.dyn_into::<Promise>()?).await?;

    let signature = Uint8Array::new_from_slice(&jwt.signature);
    let data = Uint8Array::new_from_slice(jwt.signing_input.as_bytes());
    let verified = method(&subtle, "verify")?.apply(
        &subtle,
        &Array::of4(
            &JsValue::from_str("RSASSA-PKCS1-v1_5"),
            &public_key,
            &signature,
            &data,
        ),
    )?;
    let verified = js_sys::futures::JsFuture::from(verified.dyn_into::<Promise>()?).await?;
    Ok(verified.as_bool() == Some(true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_keys_are_urls_of_our_own() {
        assert_eq!(
            cache_key("https://api.vipps.no/access-management-1.0/access/.well-known/jwks.json"),
            "https://vipps-login.internal/jwks?uri=https%3A%2F%2Fapi.vipps.no%2Faccess-management-1.0%2Faccess%2F.well-known%2Fjwks.json"
        );
    }
}
