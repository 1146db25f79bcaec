//! Everything the Worker asks of the provider: the core's machines ([`crate::machine`])
//! build each request as plain data ([`HttpRequest`]) and read each answer
//! ([`HttpResponse`]); this module only moves the bytes, with a time limit on every
//! fetch, checks signatures with WebCrypto (`crypto.subtle`) when a machine asks, and
//! keeps what may be reused between requests of one isolate ([`ProviderCache`]: the
//! discovery document and the JWKS, the latter also in the Cache API so fresh isolates
//! start warm).

use super::body::{self, Declared};
use super::transactions::now_secs;
use crate::begin::Begin;
use crate::completion::Completion;
use crate::error::{Error, ErrorCode};
use crate::http::{HttpRequest, HttpResponse};
use crate::issuer::Issuer;
use crate::jwks::{Jwk, JwksCache, JWKS_MAX_AGE_SECS};
use crate::machine::{drive, Machine, Outbound, ProviderCache, Purpose, SignatureCheck, Step};
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use std::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};
use worker::{AbortSignal, Cache, Env, Fetch, Fetcher, Headers, Request, Response};

/// The URL a hand-off to the `LOGIN_HOOK` service binding is sent to (the binding
/// ignores the host).
pub const HOOK_BINDING_URL: &str = "https://login-hook.internal/vipps-login";

/// Largest answer read from the provider (discovery, JWKS, token, userinfo: a few KB in
/// practice); the shop's hook has its own, smaller limit.
pub const MAX_PROVIDER_RESPONSE_BYTES: usize = 256 * 1024;

/// Where a request goes: the network, or the shop's Worker through its binding.
#[derive(Clone, Copy)]
pub enum Transport<'a> {
    Fetch,
    Binding(&'a Fetcher),
}

/// Sends `request` for `purpose` with a time limit covering the answer's body too,
/// reading at most `limit` bytes of it. A limit reached is `provider_timeout`; a network
/// failure `provider_unreachable`; a longer answer `response_too_large` in the error's
/// terms (the login hook's failures are `login_hook_failed`). A JWKS `GET` is shared
/// with concurrent requests ([`send_jwks_once`]).
pub async fn send(
    request: &HttpRequest,
    purpose: Purpose,
    timeout_ms: u32,
    limit: usize,
    transport: Transport<'_>,
) -> Result<HttpResponse, Error> {
    if purpose == Purpose::Jwks && request.method == "GET" {
        return send_jwks_once(request, timeout_ms, limit, js_sys::Date::now()).await;
    }
    let what = purpose.describe();
    let hook = purpose == Purpose::HandOff;
    send_with_retry_after(request, what, hook, timeout_ms, limit, transport)
        .await
        .map(|(response, _)| response)
}

/// Longest a finished JWKS fetch's answer is handed to other requests.
const JWKS_SHARE_MAX_MS: f64 = 10_000.0;
/// How often a request waiting for another's JWKS fetch looks for its answer.
const JWKS_WAIT_STEP_MS: u64 = 20;

/// This isolate's latest JWKS fetch: its URL, when it started, and its answer once it
/// came.
struct JwksFetch {
    url: String,
    started_ms: f64,
    answer: Option<Result<HttpResponse, Error>>,
}

thread_local! {
    /// Workers forbid one request to await another's I/O, so requests that need the
    /// JWKS at the same time do not share the fetch itself: the first fetches, the
    /// others wait (bounded by the time limit) for the answer it leaves here
    /// (SECURITY.md: concurrent refetches are made once).
    static JWKS_FETCH: RefCell<Option<JwksFetch>> = const { RefCell::new(None) };
}

/// This isolate's good (HTTP 200) JWKS answer for `url` from a fetch that started at or
/// after `since` (so it is newer than the keys the asking run holds) and less than
/// [`JWKS_SHARE_MAX_MS`] ago; `Err(())` when a fetch of it is still in flight (started
/// within `timeout_ms`); after a failed one the waiter fetches for itself.
fn shared_jwks(
    url: &str,
    since: f64,
    now: f64,
    timeout_ms: u32,
) -> Option<Result<Result<HttpResponse, Error>, ()>> {
    JWKS_FETCH.with_borrow(|fetch| {
        let fetch = fetch.as_ref().filter(|f| f.url == url)?;
        match &fetch.answer {
            // Only a good answer is handed on: after a failure the next run tries again.
            Some(Ok(response))
                if response.status == 200
                    && fetch.started_ms >= since
                    && now - fetch.started_ms < JWKS_SHARE_MAX_MS =>
            {
                Some(Ok(Ok(response.clone())))
            }
            None if now - fetch.started_ms < f64::from(timeout_ms) => Some(Err(())),
            _ => None,
        }
    })
}

/// A JWKS `GET` for a run whose keys are older than `since` (ms): the answer of a fetch
/// another request started since then, or of the one in flight (waited for, at most
/// `timeout_ms`), else a fetch of its own.
async fn send_jwks_once(
    request: &HttpRequest,
    timeout_ms: u32,
    limit: usize,
    since: f64,
) -> Result<HttpResponse, Error> {
    let steps = u64::from(timeout_ms) / JWKS_WAIT_STEP_MS + 1;
    for _ in 0..steps {
        match shared_jwks(&request.url, since, js_sys::Date::now(), timeout_ms) {
            Some(Ok(answer)) => return answer,
            Some(Err(())) => {
                worker::Delay::from(std::time::Duration::from_millis(JWKS_WAIT_STEP_MS)).await
            }
            None => break,
        }
    }
    JWKS_FETCH.with_borrow_mut(|fetch| {
        *fetch = Some(JwksFetch {
            url: request.url.clone(),
            started_ms: js_sys::Date::now(),
            answer: None,
        })
    });
    let answer = send_with_retry_after(
        request,
        Purpose::Jwks.describe(),
        false,
        timeout_ms,
        limit,
        Transport::Fetch,
    )
    .await
    .map(|(response, _)| response);
    JWKS_FETCH.with_borrow_mut(|fetch| {
        if let Some(fetch) = fetch.as_mut().filter(|f| f.url == request.url) {
            fetch.answer = Some(answer.clone());
        }
    });
    answer
}

/// [`send`] for a request that no [`Purpose`] names (`what` names it: "the Access
/// Token API"), also handing back the answer's `Retry-After` header (CIBA: HTTP 429).
/// `hook`: the shop's login hook, whose failures are `login_hook_failed` (as is
/// anything sent through a service binding).
pub async fn send_with_retry_after(
    request: &HttpRequest,
    what: &str,
    hook: bool,
    timeout_ms: u32,
    limit: usize,
    transport: Transport<'_>,
) -> Result<(HttpResponse, Option<String>), Error> {
    let signal = AbortSignal::from(worker::web_sys::AbortSignal::timeout_with_u32(timeout_ms));
    let hook = hook || matches!(transport, Transport::Binding(_));
    let (timeout, unreachable, too_large) = if hook {
        (
            ErrorCode::LoginHookFailed,
            ErrorCode::LoginHookFailed,
            ErrorCode::LoginHookFailed,
        )
    } else {
        (
            ErrorCode::ProviderTimeout,
            ErrorCode::ProviderUnreachable,
            ErrorCode::ProviderUnreachable,
        )
    };
    // The signal ends a fetch; the timer also bounds a service binding's answer and
    // the reading of any body.
    let work = std::pin::pin!(try_send(request, &signal, limit, transport));
    let timer = std::pin::pin!(worker::Delay::from(std::time::Duration::from_millis(
        u64::from(timeout_ms)
    )));
    let outcome = match futures_util::future::select(work, timer).await {
        futures_util::future::Either::Left((outcome, _)) => outcome,
        futures_util::future::Either::Right(_) => {
            return Err(Error::new(
                timeout,
                format!("{what} did not answer within {timeout_ms} ms (VIPPS_HTTP_TIMEOUT_MS)"),
            ))
        }
    };
    match outcome {
        Ok(Some(response)) => Ok(response),
        Ok(None) => Err(Error::new(
            too_large,
            format!("{what} answered more than {limit} bytes"),
        )),
        Err(_) if signal.aborted() => Err(Error::new(
            timeout,
            format!("{what} did not answer within {timeout_ms} ms (VIPPS_HTTP_TIMEOUT_MS)"),
        )),
        Err(_) => Err(Error::new(
            unreachable,
            format!("{what} could not be reached"),
        )),
    }
}

/// A `Request` made with web_sys' `RequestInit` directly: the `worker` crate's
/// `Request::new_with_init` converts its own `RequestInit` (Cloudflare properties and
/// all), 11.7 KB of this Worker's wasm (BENCHMARKS.md, "Cuts"). `manual_redirect`: a
/// redirect answer is returned, not followed.
pub(crate) fn new_request(
    url: &str,
    method: &str,
    headers: &Headers,
    body: Option<&str>,
    manual_redirect: bool,
) -> worker::Result<Request> {
    let init = worker::web_sys::RequestInit::new();
    init.set_method(method);
    init.set_headers(headers.0.as_ref());
    if let Some(body) = body {
        init.set_body(&JsValue::from_str(body));
    }
    if manual_redirect {
        init.set_redirect(worker::web_sys::RequestRedirect::Manual);
    }
    worker::web_sys::Request::new_with_str_and_init(url, &init)
        .map(Request::from)
        .map_err(|e| {
            worker::Error::JsError(e.as_string().unwrap_or_else(|| "invalid request".into()))
        })
}

async fn try_send(
    request: &HttpRequest,
    signal: &AbortSignal,
    limit: usize,
    transport: Transport<'_>,
) -> worker::Result<Option<(HttpResponse, Option<String>)>> {
    let headers = Headers::new();
    for (name, value) in &request.headers {
        headers.set(name, value)?;
    }
    let method = if request.method == "POST" {
        "POST"
    } else {
        "GET"
    };
    let body = Some(request.body.as_str()).filter(|b| !b.is_empty());
    // Workers refuse `redirect: "error"`; a redirect is simply not followed.
    let outbound = new_request(&request.url, method, &headers, body, true)?;
    let mut response = match transport {
        Transport::Fetch => Fetch::Request(outbound).send_with_signal(signal).await?,
        Transport::Binding(fetcher) => fetcher.fetch_request(outbound).await?,
    };
    let status = response.status_code();
    // A declared length over the limit is refused unread.
    let length = response.headers().get("content-length")?;
    if matches!(body::declared(length.as_deref(), limit), Declared::TooLarge) {
        return Ok(None);
    }
    let retry_after = response.headers().get("retry-after")?;
    // A response without a body (a hook's `204`, `new Response(null)`) has no stream.
    if !matches!(response.body(), worker::ResponseBody::Stream(_)) {
        let empty = HttpResponse {
            status,
            body: Vec::new(),
        };
        return Ok(Some((empty, retry_after)));
    }
    let Some(body) = body::read_limited(response.stream()?, limit).await? else {
        return Ok(None);
    };
    Ok(Some((HttpResponse { status, body }, retry_after)))
}

thread_local! {
    /// Per issuer: its discovery document and JWKS ([`ProviderCache`]), for the
    /// requests this isolate serves next.
    static PROVIDERS: RefCell<Vec<(String, ProviderCache)>> = const { RefCell::new(Vec::new()) };
}

/// How many issuers one isolate keeps a cache for (one in practice: the configured one).
const MAX_CACHED_ISSUERS: usize = 4;

/// The cache for `issuer`: from memory, else its JWKS from the Cache API (so fresh
/// isolates start warm), else empty.
pub async fn load_cache(issuer: &Issuer) -> ProviderCache {
    let cached = PROVIDERS.with_borrow(|all| {
        all.iter()
            .find(|(i, _)| i == issuer.as_str())
            .map(|(_, c)| c.clone())
    });
    if let Some(cache) = cached {
        return cache;
    }
    let mut cache = ProviderCache::default();
    if let Some(mut jwks) = cache_api_get(issuer.as_str()).await {
        // The refetch cooldown is this isolate's own: another isolate's forced refetch
        // must not keep this one from seeing a key rotated since.
        jwks.forced_at = None;
        jwks.forced_kids.clear();
        cache.jwks = jwks;
    }
    cache
}

/// Keeps what a machine run left in `cache`; a JWKS fetched in that run also goes to
/// the Cache API.
pub async fn store_cache(issuer: &Issuer, before: &ProviderCache, cache: &ProviderCache) {
    PROVIDERS.with_borrow_mut(|all| {
        all.retain(|(i, _)| i != issuer.as_str());
        all.truncate(MAX_CACHED_ISSUERS - 1);
        all.push((issuer.as_str().to_string(), cache.clone()));
    });
    if cache.jwks.fetched_at != before.jwks.fetched_at {
        cache_api_put(issuer.as_str(), &cache.jwks).await;
    }
}

/// Runs one of the core's machines to its end: its requests through [`send`] with the
/// time limit (the hand-off through the `LOGIN_HOOK` binding when there is one), its
/// signature checks through WebCrypto; the issuer's cache is read before and kept
/// after.
pub async fn run<M, F>(
    env: &Env,
    issuer: &Issuer,
    timeout_ms: u32,
    start: F,
) -> Result<M::Output, Error>
where
    M: Machine + CacheOf,
    F: FnOnce(ProviderCache) -> Result<(M, Step<M::Output>), Error>,
{
    let before = load_cache(issuer).await;
    // A JWKS fetch another request started after the second this run's keys were
    // fetched in brings keys at least as new: its answer is shared with this run.
    let since = before
        .jwks
        .fetched_at
        .map_or(0.0, |secs| secs.saturating_add(1) as f64 * 1000.0);
    let (mut machine, first) = start(before.clone())?;
    let hook = env.service(super::config::LOGIN_HOOK).ok();
    let hook = hook.as_ref();
    let result = drive(
        &mut machine,
        first,
        |outbound: Outbound| async move {
            let (transport, limit) = match outbound.purpose {
                Purpose::HandOff => (
                    hook.map_or(Transport::Fetch, Transport::Binding),
                    crate::handoff::MAX_RESPONSE_BYTES + 1,
                ),
                Purpose::Jwks if outbound.request.method == "GET" => {
                    return send_jwks_once(
                        &outbound.request,
                        timeout_ms,
                        MAX_PROVIDER_RESPONSE_BYTES,
                        since,
                    )
                    .await
                }
                _ => (Transport::Fetch, MAX_PROVIDER_RESPONSE_BYTES),
            };
            send(
                &outbound.request,
                outbound.purpose,
                timeout_ms,
                limit,
                transport,
            )
            .await
        },
        |check: SignatureCheck| async move { verify_rs256(&check).await },
        now_secs,
    )
    .await;
    store_cache(issuer, &before, machine.provider_cache()).await;
    result
}

/// The machines' caches, for [`run`].
pub trait CacheOf {
    fn provider_cache(&self) -> &ProviderCache;
}

impl CacheOf for Begin<'_> {
    fn provider_cache(&self) -> &ProviderCache {
        self.cache()
    }
}

impl CacheOf for Completion<'_> {
    fn provider_cache(&self) -> &ProviderCache {
        self.cache()
    }
}

/// The Cache API key for an issuer's JWKS: a URL of our own, never fetched.
fn cache_key(issuer: &str) -> String {
    let encoded: String = form_urlencoded::byte_serialize(issuer.as_bytes()).collect();
    format!("https://vipps-login.internal/jwks?issuer={encoded}")
}

async fn cache_api_get(issuer: &str) -> Option<JwksCache> {
    let mut response = Cache::default().get(cache_key(issuer), true).await.ok()??;
    serde_json::from_str(&response.text().await.ok()?).ok()
}

/// Best effort: a Cache API failure only means the next isolate fetches the JWKS itself.
async fn cache_api_put(issuer: &str, cache: &JwksCache) {
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
    let _ = Cache::default().put(cache_key(issuer), response).await;
}

/// OIDC Core 3.1.3.7 steps 6-8: RSASSA-PKCS1-v1_5 with SHA-256 over the JWS signing
/// input, through WebCrypto. The core asks only for RS256 ([`UnverifiedJwt::parse`]
/// refuses every other `alg`). Any failure (a key WebCrypto refuses, a wrong
/// signature) is `false`.
pub async fn verify_rs256(check: &SignatureCheck) -> bool {
    check.alg == "RS256" && webcrypto_verify(&check.key, check).await.unwrap_or(false)
}

fn set(object: &Object, name: &str, value: &JsValue) -> Result<(), JsValue> {
    Reflect::set(object, &JsValue::from_str(name), value).map(|_| ())
}

fn method(subtle: &JsValue, name: &str) -> Result<Function, JsValue> {
    Reflect::get(subtle, &JsValue::from_str(name))?.dyn_into::<Function>()
}

thread_local! {
    /// The RSA keys WebCrypto imported, by their exact modulus and exponent, so a login
    /// verifies with a key imported once per isolate (as the JWKS is fetched once).
    /// Bounded: a JWKS of Vipps holds one or two keys; past the limit the oldest goes.
    static IMPORTED: RefCell<Vec<(String, String, JsValue)>> = const { RefCell::new(Vec::new()) };
}

/// How many imported keys an isolate keeps ([`IMPORTED`]).
const MAX_IMPORTED_KEYS: usize = 8;

async fn webcrypto_verify(key: &Jwk, jwt: &SignatureCheck) -> Result<bool, JsValue> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))?;
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle"))?;
    let public_key = match imported(key) {
        Some(public_key) => public_key,
        None => {
            let public_key = import_rs256(&subtle, key).await?;
            IMPORTED.with_borrow_mut(|all| {
                if all.len() >= MAX_IMPORTED_KEYS {
                    all.remove(0);
                }
                all.push((key.n.clone(), key.e.clone(), public_key.clone()));
            });
            public_key
        }
    };
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

/// The CryptoKey imported earlier for exactly this modulus and exponent.
fn imported(key: &Jwk) -> Option<JsValue> {
    IMPORTED.with_borrow(|all| {
        all.iter()
            .find(|(n, e, _)| *n == key.n && *e == key.e)
            .map(|(_, _, k)| k.clone())
    })
}

/// `crypto.subtle.importKey("jwk", …)` of an RS256 public key.
async fn import_rs256(subtle: &JsValue, key: &Jwk) -> Result<JsValue, JsValue> {
    let jwk = Object::new();
    set(&jwk, "kty", &JsValue::from_str("RSA"))?;
    set(&jwk, "n", &JsValue::from_str(&key.n))?;
    set(&jwk, "e", &JsValue::from_str(&key.e))?;
    set(&jwk, "alg", &JsValue::from_str("RS256"))?;
    set(&jwk, "ext", &JsValue::TRUE)?;
    let algorithm = Object::new();
    set(&algorithm, "name", &JsValue::from_str("RSASSA-PKCS1-v1_5"))?;
    set(&algorithm, "hash", &JsValue::from_str("SHA-256"))?;

    let import = method(subtle, "importKey")?.apply(
        subtle,
        &Array::of5(
            &JsValue::from_str("jwk"),
            &jwk,
            &algorithm,
            &JsValue::FALSE,
            &Array::of1(&JsValue::from_str("verify")),
        ),
    )?;
    js_sys::futures::JsFuture::from(import.dyn_into::<Promise>()?).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_keys_are_urls_of_our_own() {
        assert_eq!(
            cache_key("https://api.vipps.no/access-management-1.0/access/"),
            "https://vipps-login.internal/jwks?issuer=https%3A%2F%2Fapi.vipps.no%2Faccess-management-1.0%2Faccess%2F"
        );
    }
}
