//! The Cloudflare Worker (feature `worker`), built into `build/` by worker-build.
//!
//! It finishes Vipps logins where the client secret lives: the browser never sees the
//! secret or Vipps' tokens and never calls Vipps' APIs (they have no CORS). The
//! protocol is the core's machines ([`crate::begin`], [`crate::completion`]); this
//! module only routes, moves bytes ([`upstream`]), reads settings ([`config`]) and keeps
//! the login transactions in Durable Objects ([`transactions`]). One file per route
//! group: [`authorize`] (starting), [`callback`] (the way back, confirmation),
//! [`session`]; [`respond`] words the answers.
//!
//! Rules of the house: no `unwrap()`/`expect()` on anything from outside (a panic is
//! `RuntimeError: unreachable` and fails every request in flight in the isolate); no
//! API that builds a `url::Url` (`req.url()`, `Response::redirect`: the `url` crate's
//! IDNA tables cost ~70 KB gzip); one JSON log line per request, without query strings,
//! codes, states, tokens, cookies or secrets.

pub mod authorize;
pub mod body;
pub mod callback;
pub mod complete;
pub mod config;
pub mod consent;
pub mod es256;
pub mod limit;
pub mod partner;
pub mod phone_callback;
pub mod phone_login;
pub mod phone_logins;
pub mod phone_settings;
pub mod respond;
pub mod session;
pub mod storage;
pub mod transactions;
pub mod upstream;

use body::Declared;
use config::{Config, ConfigError};
use respond::{config_invalid, error_json, internal_error, json_response, Answer};
use serde_json::json;
use std::rc::Rc;
use worker::{console_log, event, Context, Env, Headers, Method, Request, Response};

pub use phone_logins::PhoneLogins;
pub use transactions::LoginTransactions;

/// Largest body accepted on a `POST`, enforced while reading.
const MAX_BODY_BYTES: usize = 16 * 1024;
/// How long a browser may cache a CORS preflight.
const PREFLIGHT_MAX_AGE_SECS: &str = "600";

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let started = js_sys::Date::now();
    let method = req.method();
    let path = req.path();
    let answer = match route(req, &env, &path).await {
        Ok(answer) => answer,
        Err(e) => Answer {
            response: internal_error(&e),
            error: Some(match storage::runtime_message(&e) {
                Some(_) => "storage_unavailable",
                None => "internal_error",
            }),
            message: None,
            hint: None,
        },
    };
    log_request(&method, &path, &answer, started);
    Ok(answer.response)
}

/// The methods a route takes (its path under the base path).
fn methods_of(path: &str, config: &Config) -> Option<&'static [Method]> {
    Some(match path {
        "/api/config" | "/login" | "/api/session" => &[Method::Get],
        // GET: the way back from Vipps; POST: the confirmation page's form.
        "/callback" => &[Method::Get, Method::Post],
        "/api/login" | "/api/callback" | "/api/confirm" | "/api/logout" => &[Method::Post],
        "/api/_memory" if config.debug_routes => &[Method::Get],
        // Login from phone number: only with PHONE_LOGIN_API_KEY (phone_settings).
        "/api/phone-login" if config.phone.enabled() => &[Method::Post],
        p if p.starts_with(phone_login::STATUS_PREFIX) && config.phone.enabled() => &[Method::Get],
        "/webhooks/vipps" if config.phone.pings() => &[Method::Post],
        "/phone-callback" if config.phone.redirects() => &[Method::Get],
        // Vipps' consent-revoked webhook: text/plain, server to server.
        "/webhooks/consent-revoked" => &[Method::Post],
        _ => return None,
    })
}

/// The route a request path names: the part under `VIPPS_BASE_PATH`, or `None` for a
/// path outside it.
fn route_path<'p>(base: &str, path: &'p str) -> Option<&'p str> {
    let rest = path.strip_prefix(base)?;
    rest.starts_with('/').then_some(rest)
}

/// A Worker served on a public hostname with a loopback `VIPPS_ISSUER` (the emulator's,
/// shipped for `make demo`) would send customers to their own 127.0.0.1: refuse it,
/// naming the setting.
fn loopback_issuer_on_public_host(config: &Config, url: &str) -> Option<ConfigError> {
    let issuer_host = authority_of(config.issuer.as_str())?;
    let own_host = authority_of(url)?;
    let loopback = |authority: &str| config::is_loopback_authority(authority);
    (loopback(issuer_host) && !loopback(own_host)).then(|| ConfigError {
        setting: config::VIPPS_ISSUER,
        message: format!(
            "VIPPS_ISSUER is {}, a loopback address (the local emulator), but this Worker is served at {own_host}: set VIPPS_ENV (and remove VIPPS_ISSUER) for Vipps, or VIPPS_ISSUER to your provider",
            config.issuer.as_str()
        ),
        code: None,
        hint: None,
    })
}

fn authority_of(url: &str) -> Option<&str> {
    let rest = &url[url.find("://")? + 3..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// The routes.
async fn route(mut req: Request, env: &Env, full_path: &str) -> worker::Result<Answer> {
    let method = req.method();
    let config = match load_config(env) {
        Ok(config) => config,
        Err(e) => return Answer::failed(config_invalid(&e)?, "config_invalid"),
    };
    let Some(path) = route_path(&config.base_path, full_path) else {
        return Answer::failed(
            error_json(404, json!({ "error": "not_found" }))?,
            "not_found",
        );
    };
    let Some(allowed) = methods_of(path, &config) else {
        return Answer::failed(
            error_json(404, json!({ "error": "not_found" }))?,
            "not_found",
        );
    };
    let api = path.starts_with("/api/");
    let preflight = api && method == Method::Options;
    if !allowed.contains(&method) && !preflight {
        let names: Vec<&str> = allowed.iter().map(|m| m.as_ref()).collect();
        let mut response = error_json(405, json!({ "error": "method_not_allowed" }))?;
        response.headers_mut().set("allow", &names.join(", "))?;
        return Answer::failed(response, "method_not_allowed");
    }
    if let Some(e) = loopback_issuer_on_public_host(&config, &req.inner().url()) {
        return Answer::failed(config_invalid(&e)?, "config_invalid");
    }
    let origin = req.headers().get("origin")?;
    // Only the named origins get CORS headers, and credentials with them.
    let cors_origin = origin
        .as_deref()
        .filter(|o| api && config.allowed_origins.iter().any(|a| a == o));
    if preflight {
        let mut answer = Answer::ok(preflight_response(cors_origin.is_some())?)?;
        if cors_origin.is_none() {
            answer.error = Some("origin_not_allowed");
        }
        add_cors(&mut answer.response, cors_origin)?;
        return Ok(answer);
    }
    let mut answer = if path == "/webhooks/consent-revoked" {
        consent::consent_revoked(&mut req, env, &config).await?
    } else if method == Method::Post {
        match refuse_post(&req, &config, path, origin.as_deref())? {
            Some(refused) => refused,
            None => post_route(&mut req, env, &config, path).await?,
        }
    } else {
        match path {
            "/api/config" => Answer::ok(public_config(&config)?)?,
            "/login" => authorize::login(&req, env, &config).await?,
            "/callback" => callback::callback(&req, env, &config).await?,
            "/api/_memory" => Answer::ok(memory_report()?)?,
            "/phone-callback" => phone_callback::callback(&req, env, &config).await?,
            p if p.starts_with(phone_login::STATUS_PREFIX) => {
                match phone_login::refuse_unauthorized(&req, &config)? {
                    Some(refused) => refused,
                    None => {
                        let id = &p[phone_login::STATUS_PREFIX.len()..];
                        phone_login::status(id, env, &config).await?
                    }
                }
            }
            _ => session::session(&req, &config)?,
        }
    };
    if api {
        add_cors(&mut answer.response, cors_origin)?;
    }
    Ok(answer)
}

/// `GET /api/_memory` (only with `VIPPS_DEBUG_ROUTES=true`, for `bench/` and tests): the
/// size of this isolate's wasm linear memory, and how often it has read its settings
/// (once). Nothing about any login.
fn memory_report() -> worker::Result<Response> {
    use wasm_bindgen::JsCast;
    let bytes = wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| m.buffer())
        .ok()
        .and_then(|b| b.dyn_into::<js_sys::ArrayBuffer>().ok())
        .map(|b| b.byte_length())
        .unwrap_or(0);
    let config_loads = CONFIG_LOADS.with(std::cell::Cell::get);
    json_response(
        200,
        &json!({ "wasmMemoryBytes": bytes, "configLoads": config_loads }),
    )
}

async fn post_route(
    req: &mut Request,
    env: &Env,
    config: &Config,
    path: &str,
) -> worker::Result<Answer> {
    if path == "/api/logout" {
        return session::logout(config);
    }
    if path == "/api/phone-login" {
        if let Some(refused) = phone_login::refuse_unauthorized(req, config)? {
            return Ok(refused);
        }
    }
    let body = match read_body(req).await? {
        Ok(body) => body,
        Err(answer) => return Ok(answer),
    };
    match path {
        "/api/login" => authorize::api_login(req, &body, env, config).await,
        "/api/callback" => callback::api_callback(req, &body, env, config).await,
        "/api/confirm" => callback::api_confirm(req, &body, env, config).await,
        "/api/phone-login" => phone_login::start(&body, env, config).await,
        "/webhooks/vipps" => phone_login::ping(req, &body, env, config).await,
        _ => callback::confirm_form(req, &body, env, config).await,
    }
}

/// CSRF defence for every `POST`. `/api/*`: the body must be JSON, which a cross-site
/// form cannot send and which makes browsers ask first (a CORS preflight) on other
/// origins; an `Origin` that is neither this Worker's nor an allowed one is refused.
/// `POST /callback` (the confirmation page's form): a form body, and an `Origin` that is
/// this Worker's own, always (browsers send it with every form POST).
fn refuse_post(
    req: &Request,
    config: &Config,
    path: &str,
    origin: Option<&str>,
) -> worker::Result<Option<Answer>> {
    let content_type = req.headers().get("content-type")?.unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    let form = path == "/callback";
    let (wanted, what) = if form {
        (
            "application/x-www-form-urlencoded",
            "POST /callback takes the confirmation form: Content-Type: application/x-www-form-urlencoded",
        )
    } else {
        (
            "application/json",
            "POST /api/* takes a JSON body: send Content-Type: application/json",
        )
    };
    if !media_type.eq_ignore_ascii_case(wanted) {
        let body = json!({ "error": "unsupported_media_type", "message": what });
        return Ok(Some(Answer::failed(
            error_json(415, body)?,
            "unsupported_media_type",
        )?));
    }
    let url = req.inner().url();
    let own = origin_of(&url);
    // A browser's own word that the form is this site's (a header no page can set),
    // for browsers that send `Origin: null` under a strict referrer policy.
    let same_origin_fetch = req.headers().get("sec-fetch-site")?.as_deref() == Some("same-origin");
    let allowed = match origin {
        Some("null") if form => same_origin_fetch,
        Some(origin) if form => own == Some(origin),
        Some(origin) => own == Some(origin) || config.allowed_origins.iter().any(|a| a == origin),
        None => !form,
    };
    if !allowed && form {
        // A page, as the confirmation is one: the customer sees words, not JSON.
        let e = crate::error::Error::new(
            crate::error::ErrorCode::ConfirmationRequired,
            "the confirmation must come from this site's own page",
        );
        let mut answer = respond::error_page(&e, config, None)?;
        answer.response = answer.response.with_status(403);
        answer.error = Some("origin_not_allowed");
        return Ok(Some(answer));
    }
    if !allowed {
        let body = json!({
            "error": "origin_not_allowed",
            "message": if form { "the confirmation must come from this site's own page" } else { "this origin is not in ALLOWED_ORIGINS" },
        });
        return Ok(Some(Answer::failed(
            error_json(403, body)?,
            "origin_not_allowed",
        )?));
    }
    Ok(None)
}

/// `scheme://host[:port]` of a serialized URL, read without building a `url::Url`.
fn origin_of(url: &str) -> Option<&str> {
    let scheme_end = url.find("://")? + 3;
    let rest = &url[scheme_end..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&url[..scheme_end + end])
}

/// The body of a POST, at most [`MAX_BODY_BYTES`]: a larger declared length is 413
/// unread, a longer chunked body 413 as soon as it passes the limit.
async fn read_body(req: &mut Request) -> worker::Result<Result<String, Answer>> {
    let refuse = |status: u16,
                  error: &'static str,
                  message: &str|
     -> worker::Result<Result<String, Answer>> {
        let body = json!({ "error": error, "message": message });
        Ok(Err(Answer::failed(error_json(status, body)?, error)?))
    };
    let too_large = format!("the body is larger than {MAX_BODY_BYTES} bytes");
    let length = req.headers().get("content-length")?;
    match body::declared(length.as_deref(), MAX_BODY_BYTES) {
        Declared::TooLarge => return refuse(413, "payload_too_large", &too_large),
        Declared::Invalid => return refuse(400, "bad_request", "Content-Length is not a number"),
        Declared::Within(0) => return Ok(Ok(String::new())),
        Declared::Within(_) | Declared::Unknown => {}
    }
    let Some(bytes) = body::read_limited(req.stream()?, MAX_BODY_BYTES).await? else {
        return refuse(413, "payload_too_large", &too_large);
    };
    match String::from_utf8(bytes) {
        Ok(body) => Ok(Ok(body)),
        Err(_) => refuse(400, "bad_request", "the body is not UTF-8"),
    }
}

thread_local! {
    /// The settings, read and checked once per isolate: the bindings do not change
    /// while it lives (a new deployment or `.dev.vars` is a new isolate).
    static CONFIG: std::cell::RefCell<Option<Result<Rc<Config>, ConfigError>>> =
        const { std::cell::RefCell::new(None) };
    /// How often this isolate read its settings.
    static CONFIG_LOADS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Every setting, from the bindings (`[vars]`, secrets, `.dev.vars`), once per isolate.
fn load_config(env: &Env) -> Result<Rc<Config>, ConfigError> {
    CONFIG.with_borrow_mut(|cached| {
        cached
            .get_or_insert_with(|| {
                CONFIG_LOADS.with(|n| n.set(n.get().saturating_add(1)));
                // A binding that is not a string (a number or table in [vars]) counts as
                // not set.
                Config::from_lookup(|name| env.var(name).ok().map(|v| v.to_string())).map(Rc::new)
            })
            .clone()
    })
}

/// `GET /api/config`: what a front-end needs, nothing secret.
fn public_config(config: &Config) -> worker::Result<Response> {
    json_response(
        200,
        &json!({
            "issuer": config.issuer.as_str(),
            "clientId": config.client_id,
            "redirectUri": config.redirect_uri,
            // Where POST /api/login's logins come back (VIPPS_APP_REDIRECT_URI, else the
            // same as redirectUri).
            "appRedirectUri": config.app_redirect_uri(),
            "scopes": config.scopes.as_slice(),
            "environment": config.environment_name(),
            // The per-login options the settings allow.
            "options": {
                "markets": config.policy.markets.iter().map(|m| m.as_str()).collect::<Vec<_>>(),
                "requestedFlows": config.policy.flows,
                "finalRedirectIsApp": config.policy.final_redirect_is_app,
                "acrValues": config.policy.acr_values,
            },
            // Whether login from phone number is on (PHONE_LOGIN_API_KEY set; the key
            // itself is never here) and allows the redirect variant.
            "phoneLogin": {
                "enabled": config.phone.enabled(),
                "webpage": config.phone.redirects(),
            },
        }),
    )
}

/// 204 for an allowed origin's preflight, 403 for any other.
fn preflight_response(allowed: bool) -> worker::Result<Response> {
    if !allowed {
        return error_json(403, json!({ "error": "origin_not_allowed" }));
    }
    let headers = Headers::new();
    headers.set("access-control-allow-methods", "GET, POST")?;
    headers.set("access-control-allow-headers", "content-type")?;
    headers.set("access-control-max-age", PREFLIGHT_MAX_AGE_SECS)?;
    Ok(Response::empty()?.with_status(204).with_headers(headers))
}

/// CORS headers for an allowed origin (exact match); `Vary: Origin` on every API answer,
/// as it depends on the origin.
fn add_cors(response: &mut Response, origin: Option<&str>) -> worker::Result<()> {
    let headers = response.headers_mut();
    headers.append("vary", "Origin")?;
    if let Some(origin) = origin {
        headers.set("access-control-allow-origin", origin)?;
        headers.set("access-control-allow-credentials", "true")?;
    }
    Ok(())
}

/// One line per request: method, path (never the query: it holds codes and states),
/// status, duration and, on failure, the error code and its hint (for developers:
/// customers only see words meant for them).
fn log_request(method: &Method, path: &str, answer: &Answer, started: f64) {
    let ms = (js_sys::Date::now() - started).max(0.0) as u64;
    // Paths are caller-chosen: bounded, and JSON-escaped by serde_json. A phone
    // login's id (it names Vipps' auth_req_id) is not logged.
    let path: String = match path.find(phone_login::STATUS_PREFIX) {
        Some(i) => format!("{}{}{{id}}", &path[..i], phone_login::STATUS_PREFIX),
        None => path.chars().take(200).collect(),
    };
    let status = answer.response.status_code();
    let mut line = json!({ "method": method.as_ref(), "path": path, "status": status, "ms": ms });
    if let Some(error) = answer.error {
        line["error"] = json!(error);
    }
    if let Some(message) = &answer.message {
        line["message"] = json!(message);
    }
    if let Some(hint) = &answer.hint {
        line["hint"] = json!(hint);
    }
    console_log!("{}", line);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_of_request_urls() {
        assert_eq!(
            origin_of("https://shop.example/api/login?x=1"),
            Some("https://shop.example")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8787/api/login"),
            Some("http://127.0.0.1:8787")
        );
        assert_eq!(origin_of("http://[::1]:1"), Some("http://[::1]:1"));
        assert_eq!(origin_of("not a url"), None);
    }

    fn config(extra: &[(&str, &str)]) -> Config {
        let mut vars = std::collections::HashMap::from([
            (
                config::VIPPS_ISSUER,
                "http://127.0.0.1:7000/access-management-1.0/access/",
            ),
            (config::VIPPS_CLIENT_ID, "demo-client"),
            (config::VIPPS_REDIRECT_URI, "http://127.0.0.1:8787/callback"),
            (config::VIPPS_CLIENT_SECRET, "demo-secret"),
            (config::SESSION_SECRET, "0123456789abcdef0123456789abcdef"),
        ]);
        vars.extend(extra.iter().copied());
        match Config::from_lookup(|name| vars.get(name).map(|v| v.to_string())) {
            Ok(config) => config,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn every_route_has_its_methods() {
        let c = config(&[]);
        assert_eq!(methods_of("/callback", &c).map(<[Method]>::len), Some(2));
        assert!(methods_of("/api/confirm", &c).is_some_and(|m| m == [Method::Post]));
        assert!(methods_of("/nope", &c).is_none());
        // The debug route exists only when a setting says so.
        assert!(methods_of("/api/_memory", &c).is_none());
        let debug = config(&[(config::VIPPS_DEBUG_ROUTES, "true")]);
        assert!(methods_of("/api/_memory", &debug).is_some());
        // Login from phone number: only with its API key; ping and callback when set up.
        for route in [
            "/api/phone-login",
            "/api/phone-login/x",
            "/webhooks/vipps",
            "/phone-callback",
        ] {
            assert!(methods_of(route, &c).is_none(), "{route}");
        }
        let key = (
            "PHONE_LOGIN_API_KEY",
            "phone-login-api-key-0123456789abcdef",
        );
        let phone = config(&[key]);
        assert!(methods_of("/api/phone-login", &phone).is_some_and(|m| m == [Method::Post]));
        assert!(methods_of("/api/phone-login/x", &phone).is_some_and(|m| m == [Method::Get]));
        assert!(methods_of("/webhooks/vipps", &phone).is_none());
        assert!(methods_of("/phone-callback", &phone).is_none());
        let all = config(&[
            key,
            ("VIPPS_CIBA_MODE", "ping"),
            ("VIPPS_WEBHOOK_SECRET", "whsec"),
            (
                "VIPPS_PHONE_REDIRECT_URI",
                "http://127.0.0.1:8787/phone-callback",
            ),
        ]);
        assert!(methods_of("/webhooks/vipps", &all).is_some_and(|m| m == [Method::Post]));
        assert!(methods_of("/phone-callback", &all).is_some_and(|m| m == [Method::Get]));
    }

    #[test]
    fn routes_live_under_the_base_path() {
        assert_eq!(route_path("", "/login"), Some("/login"));
        assert_eq!(route_path("/auth", "/auth/login"), Some("/login"));
        assert_eq!(route_path("/auth", "/login"), None);
        assert_eq!(route_path("/auth", "/authx/login"), None);
        assert_eq!(route_path("/auth", "/auth"), None);
    }

    #[test]
    fn a_loopback_issuer_is_refused_on_a_public_host_only() {
        let c = config(&[]);
        assert!(loopback_issuer_on_public_host(&c, "http://127.0.0.1:8787/login").is_none());
        assert!(loopback_issuer_on_public_host(&c, "http://localhost:8787/login").is_none());
        let e = loopback_issuer_on_public_host(&c, "https://shop.example/login").unwrap();
        assert_eq!(e.setting, config::VIPPS_ISSUER);
    }
}

// Talc instead of the default dlmalloc, as in the browser build: smaller (-2.4 KB gzip),
// and a Worker isolate is single-threaded wasm. (The browser module sets it when both
// features are on.)
#[cfg(all(
    not(target_feature = "atomics"),
    target_family = "wasm",
    not(feature = "browser")
))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
