//! The Cloudflare Worker (feature `worker`), built into `build/` by worker-build.
//!
//! It finishes Vipps logins where the client secret lives: the browser never sees the
//! secret or Vipps' tokens and never calls Vipps' APIs (they have no CORS). The
//! protocol is the core's; this module only moves bytes, reads settings and keeps the
//! login transactions in Durable Objects ([`transactions`]).
//!
//! Rules of the house: no `unwrap()`/`expect()` on anything from outside (a panic is
//! `RuntimeError: unreachable` and fails every request in flight in the isolate); no
//! API that builds a `url::Url` (`req.url()`, `Response::redirect`: the `url` crate's
//! IDNA tables cost ~70 KB gzip); one JSON log line per request, without query strings.

pub mod config;
pub mod transactions;

use crate::login::{create_login, LoginOptions, ScopeInput};
use crate::transaction::LoginTransaction;
use config::{Config, ConfigError};
use serde_json::json;
use transactions::{now_secs, PutOutcome, TransactionStore};
use worker::{console_log, event, Context, Env, Headers, Method, Request, Response};

pub use transactions::LoginTransactions;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let started = js_sys::Date::now();
    let method = req.method();
    let path = req.path();
    let response = match route(&req, &env, &path).await {
        Ok(response) => response,
        Err(e) => internal_error(&e),
    };
    log_request(&method, &path, response.status_code(), started);
    Ok(response)
}

/// The routes of issue 4. Those not written yet answer 501.
async fn route(req: &Request, env: &Env, path: &str) -> worker::Result<Response> {
    let method = req.method();
    let allowed = match path {
        "/api/config" | "/login" | "/callback" | "/api/session" => Method::Get,
        "/api/login" | "/api/callback" | "/api/logout" => Method::Post,
        _ => return error_json(404, json!({ "error": "not_found" })),
    };
    if method != allowed {
        let mut response = error_json(405, json!({ "error": "method_not_allowed" }))?;
        response.headers_mut().set("allow", allowed.as_ref())?;
        return Ok(response);
    }
    let config = match load_config(env) {
        Ok(config) => config,
        Err(e) => return config_invalid(&e),
    };
    match path {
        "/api/config" => public_config(&config),
        "/login" => login(req, env, &config).await,
        _ => error_json(501, json!({ "error": "not_implemented" })),
    }
}

/// Every setting, from the bindings (`[vars]`, secrets, `.dev.vars`).
fn load_config(env: &Env) -> Result<Config, ConfigError> {
    // A binding that is not a string (a number or table in [vars]) counts as not set.
    Config::from_lookup(|name| env.var(name).ok().map(|v| v.to_string()))
}

/// `GET /api/config`: what a front-end needs, nothing secret.
fn public_config(config: &Config) -> worker::Result<Response> {
    json_response(
        200,
        &json!({
            "issuer": config.issuer.as_str(),
            "clientId": config.client_id,
            "redirectUri": config.redirect_uri,
            "scopes": config.scopes.as_slice(),
            "environment": config.environment_name(),
        }),
    )
}

/// `GET /login?returnTo=/path`: a fresh transaction (state, nonce and PKCE from the
/// core), stored under its state, and a 302 to the authorization endpoint.
async fn login(req: &Request, env: &Env, config: &Config) -> worker::Result<Response> {
    let url = req.inner().url();
    let return_to = query_param(&url, "returnTo");
    let options = LoginOptions {
        issuer: Some(config.issuer.as_str().to_string()),
        client_id: Some(config.client_id.clone()),
        redirect_uri: config.redirect_uri.clone(),
        scope: ScopeInput::List(config.scopes.as_slice().to_vec()),
        allow_non_vipps_scopes: config.allow_non_vipps_scopes,
        pkce: true,
        ..Default::default()
    };
    let login = match create_login(&options) {
        Ok(login) => login,
        Err(e) => {
            return error_json(
                500,
                json!({ "error": e.code().as_str(), "message": e.message(), "hint": e.hint() }),
            )
        }
    };
    // The core keeps only a same-origin `returnTo` (else `/`): never an open redirect.
    let transaction = LoginTransaction::new(
        login.state,
        login.nonce,
        login.code_verifier.map(|v| v.secret().to_string()),
        config.redirect_uri.clone(),
        return_to.as_deref(),
        now_secs(),
    );
    let store = TransactionStore::from_env(env)?;
    match store.put(&transaction).await? {
        PutOutcome::Stored => {}
        // A fresh random state cannot collide; if it ever does, refuse rather than
        // overwrite someone's login.
        PutOutcome::StateTaken => {
            return error_json(500, json!({ "error": "state_collision" }));
        }
    }
    let headers = Headers::new();
    headers.set("location", &login.url)?;
    headers.set("cache-control", "no-store")?;
    headers.set("referrer-policy", "no-referrer")?;
    Ok(Response::empty()?.with_status(302).with_headers(headers))
}

/// The first value of `name` in the query of a serialized URL (`Request.url`), read
/// without building a `url::Url`.
fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

fn json_response(status: u16, body: &serde_json::Value) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", "application/json; charset=utf-8")?;
    headers.set("cache-control", "no-store")?;
    headers.set("x-content-type-options", "nosniff")?;
    Ok(Response::ok(body.to_string())?
        .with_status(status)
        .with_headers(headers))
}

fn error_json(status: u16, body: serde_json::Value) -> worker::Result<Response> {
    json_response(status, &body)
}

/// `500 {"error":"config_invalid","setting",...}`: names the setting, never its value
/// when it is a secret.
fn config_invalid(e: &ConfigError) -> worker::Result<Response> {
    let mut body = json!({
        "error": "config_invalid",
        "setting": e.setting,
        "message": e.message,
    });
    if let Some(code) = e.code {
        body["code"] = json!(code);
    }
    if let Some(hint) = &e.hint {
        body["hint"] = json!(hint);
    }
    error_json(500, body)
}

/// A failure of the runtime (a binding missing, storage down): logged without
/// details that could hold request data, answered as a bare 500.
fn internal_error(e: &worker::Error) -> Response {
    let kind = match e {
        worker::Error::RustError(_) => "rust",
        worker::Error::JsError(_) => "js",
        worker::Error::Json(_) | worker::Error::SerdeJsonError(_) => "json",
        _ => "other",
    };
    console_log!(
        "{}",
        json!({ "level": "error", "error": "internal", "kind": kind })
    );
    let body = r#"{"error":"internal_error"}"#;
    let response = Response::ok(body).map(|r| r.with_status(500));
    match response {
        Ok(mut r) => {
            let _ = r
                .headers_mut()
                .set("content-type", "application/json; charset=utf-8");
            r
        }
        // Response::ok only fails if the runtime cannot build a Response at all.
        Err(_) => Response::builder().with_status(500).empty(),
    }
}

/// One line per request: method, path (never the query: it holds codes and states),
/// status and duration.
fn log_request(method: &Method, path: &str, status: u16, started: f64) {
    let ms = (js_sys::Date::now() - started).max(0.0) as u64;
    // Paths are caller-chosen: bounded, and JSON-escaped by serde_json.
    let path: String = path.chars().take(200).collect();
    console_log!(
        "{}",
        json!({ "method": method.as_ref(), "path": path, "status": status, "ms": ms })
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_param_reads_the_first_value_and_decodes() {
        let url = "https://w.example/login?a=1&returnTo=%2Faccount%3Fx%3D1&returnTo=/2#frag";
        assert_eq!(
            query_param(url, "returnTo").as_deref(),
            Some("/account?x=1")
        );
        assert_eq!(query_param(url, "b"), None);
        assert_eq!(query_param("https://w.example/login", "a"), None);
        assert_eq!(
            query_param("https://w.example/l?x=a+b#q=1", "x").as_deref(),
            Some("a b")
        );
    }
}
