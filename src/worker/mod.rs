//! The Cloudflare Worker (feature `worker`), built into `build/` by worker-build.
//!
//! It finishes Vipps logins where the client secret lives: the browser never sees the
//! secret or Vipps' tokens and never calls Vipps' APIs (they have no CORS). The
//! protocol is the core's; this module only routes, moves bytes ([`upstream`]), reads
//! settings ([`config`]) and keeps the login transactions in Durable Objects
//! ([`transactions`]); [`complete`] sequences the callback's steps.
//!
//! Rules of the house: no `unwrap()`/`expect()` on anything from outside (a panic is
//! `RuntimeError: unreachable` and fails every request in flight in the isolate); no
//! API that builds a `url::Url` (`req.url()`, `Response::redirect`: the `url` crate's
//! IDNA tables cost ~70 KB gzip); one JSON log line per request, without query strings,
//! codes, states, tokens, cookies or secrets.

pub mod complete;
pub mod config;
pub mod transactions;
pub mod upstream;

use crate::error::{Error, ErrorCode};
use crate::login::{create_login, LoginOptions, ScopeInput};
use crate::session::{clear_cookie, open, read_cookie, set_cookie};
use crate::transaction::{CompletedLogin, FrontEndLogin, LoginTransaction};
use config::{Config, ConfigError};
use serde::Deserialize;
use serde_json::json;
use transactions::{now_secs, PutOutcome, TransactionStore};
use worker::{console_log, event, Context, Env, Headers, Method, Request, Response};

pub use transactions::LoginTransactions;

/// Largest JSON body accepted on `POST /api/*`.
const MAX_BODY_BYTES: usize = 16 * 1024;
/// How long a browser may cache a CORS preflight.
const PREFLIGHT_MAX_AGE_SECS: &str = "600";

/// A response and, for the log line, the error code it carries.
struct Answer {
    response: Response,
    error: Option<&'static str>,
}

impl Answer {
    fn ok(response: Response) -> worker::Result<Answer> {
        Ok(Answer {
            response,
            error: None,
        })
    }

    fn failed(response: Response, code: &'static str) -> worker::Result<Answer> {
        Ok(Answer {
            response,
            error: Some(code),
        })
    }
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let started = js_sys::Date::now();
    let method = req.method();
    let path = req.path();
    let answer = match route(req, &env, &path).await {
        Ok(answer) => answer,
        Err(e) => Answer {
            response: internal_error(&e),
            error: Some("internal_error"),
        },
    };
    log_request(
        &method,
        &path,
        answer.response.status_code(),
        answer.error,
        started,
    );
    Ok(answer.response)
}

/// The routes of issue 4.
async fn route(mut req: Request, env: &Env, path: &str) -> worker::Result<Answer> {
    let method = req.method();
    let allowed = match path {
        "/api/config" | "/login" | "/callback" | "/api/session" => Method::Get,
        "/api/login" | "/api/callback" | "/api/logout" => Method::Post,
        _ => {
            return Answer::failed(
                error_json(404, json!({ "error": "not_found" }))?,
                "not_found",
            )
        }
    };
    let api = path.starts_with("/api/");
    let preflight = api && method == Method::Options;
    if method != allowed && !preflight {
        let mut response = error_json(405, json!({ "error": "method_not_allowed" }))?;
        response.headers_mut().set("allow", allowed.as_ref())?;
        return Answer::failed(response, "method_not_allowed");
    }
    let config = match load_config(env) {
        Ok(config) => config,
        Err(e) => return Answer::failed(config_invalid(&e)?, "config_invalid"),
    };
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
    let mut answer = if method == Method::Post {
        match refuse_post(&req, &config, origin.as_deref())? {
            Some(refused) => refused,
            None => post_route(&mut req, env, &config, path).await?,
        }
    } else {
        match path {
            "/api/config" => Answer::ok(public_config(&config)?)?,
            "/login" => login(&req, env, &config).await?,
            "/callback" => callback(&req, env, &config).await?,
            _ => session(&req, &config)?,
        }
    };
    if api {
        add_cors(&mut answer.response, cors_origin)?;
    }
    Ok(answer)
}

async fn post_route(
    req: &mut Request,
    env: &Env,
    config: &Config,
    path: &str,
) -> worker::Result<Answer> {
    if path == "/api/logout" {
        return logout(config);
    }
    let body = match read_body(req).await? {
        Ok(body) => body,
        Err(answer) => return Ok(answer),
    };
    match path {
        "/api/login" => api_login(&body, env, config).await,
        _ => api_callback(&body, env, config).await,
    }
}

/// CSRF defence for `POST /api/*`: the body must be JSON, which a cross-site form cannot
/// send and which makes browsers ask first (a CORS preflight) on other origins; and an
/// `Origin` that is neither this Worker's nor an allowed one is refused outright.
fn refuse_post(
    req: &Request,
    config: &Config,
    origin: Option<&str>,
) -> worker::Result<Option<Answer>> {
    let content_type = req.headers().get("content-type")?.unwrap_or_default();
    let media_type = content_type.split(';').next().unwrap_or("").trim();
    if !media_type.eq_ignore_ascii_case("application/json") {
        let body = json!({
            "error": "unsupported_media_type",
            "message": "POST /api/* takes a JSON body: send Content-Type: application/json",
        });
        return Ok(Some(Answer {
            response: error_json(415, body)?,
            error: Some("unsupported_media_type"),
        }));
    }
    if let Some(origin) = origin {
        let url = req.inner().url();
        let own = origin_of(&url);
        let allowed = config.allowed_origins.iter().any(|a| a == origin);
        if !allowed && own != Some(origin) {
            let body = json!({
                "error": "origin_not_allowed",
                "message": "this origin is not in ALLOWED_ORIGINS",
            });
            return Ok(Some(Answer {
                response: error_json(403, body)?,
                error: Some("origin_not_allowed"),
            }));
        }
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

/// The JSON body of a POST, at most [`MAX_BODY_BYTES`].
async fn read_body(req: &mut Request) -> worker::Result<Result<String, Answer>> {
    let too_large = || -> worker::Result<Result<String, Answer>> {
        let body = json!({ "error": "payload_too_large", "message": "the body is too large" });
        Ok(Err(Answer {
            response: error_json(413, body)?,
            error: Some("payload_too_large"),
        }))
    };
    let declared = req
        .headers()
        .get("content-length")?
        .and_then(|n| n.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY_BYTES) {
        return too_large();
    }
    let body = req.text().await?;
    if body.len() > MAX_BODY_BYTES {
        return too_large();
    }
    Ok(Ok(body))
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
            // Where POST /api/login's logins come back (VIPPS_APP_REDIRECT_URI, else the
            // same as redirectUri).
            "appRedirectUri": config.app_redirect_uri(),
            "scopes": config.scopes.as_slice(),
            "environment": config.environment_name(),
        }),
    )
}

/// The authorization request's options from the configuration: the Worker, not the
/// browser, decides the client, the redirect URI, the scopes and the issuer.
async fn login_options(config: &Config, redirect_uri: &str) -> Result<LoginOptions, Error> {
    let discovery = upstream::discovery(&config.issuer, now_secs(), config.http_timeout_ms).await?;
    Ok(LoginOptions {
        issuer: Some(config.issuer.as_str().to_string()),
        discovery,
        client_id: Some(config.client_id.clone()),
        redirect_uri: redirect_uri.to_string(),
        scope: ScopeInput::List(config.scopes.as_slice().to_vec()),
        allow_non_vipps_scopes: config.allow_non_vipps_scopes,
        pkce: true,
        ..Default::default()
    })
}

/// `GET /login?returnTo=/path`: a fresh transaction (state, nonce and PKCE from the
/// core), stored under its state, and a 302 to the authorization endpoint.
async fn login(req: &Request, env: &Env, config: &Config) -> worker::Result<Answer> {
    let url = req.inner().url();
    let return_to = query_param(&url, "returnTo");
    let login = match login_options(config, &config.redirect_uri)
        .await
        .and_then(|o| create_login(&o))
    {
        Ok(login) => login,
        Err(e) => return error_page(&e),
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
            return Answer::failed(
                error_json(500, json!({ "error": "state_collision" }))?,
                "state_collision",
            );
        }
    }
    Answer::ok(redirect(&login.url)?)
}

/// `POST /api/login` (the front-end-driven flow): the page made state, nonce and the
/// PKCE verifier with the npm package and registers them here; the answer is the
/// authorization URL to navigate to.
///
/// Why this is safe: the verifier travels only from the page to its own Worker (same
/// origin or an `ALLOWED_ORIGINS` origin, over TLS) and is then kept server-side; it
/// never goes to Vipps' authorize endpoint (only its S256 challenge does) and never
/// comes back to a browser. State and nonce must carry at least 128 bits
/// ([`FrontEndLogin::validate`]) and a state can be registered once (put-if-absent), so
/// a page cannot hijack or replay another login's transaction. And the Worker builds the
/// URL itself from its own client_id, redirect URI, scopes and issuer: the browser only
/// contributes random values and a same-origin return path, so it cannot send the code
/// anywhere else or ask for other data.
async fn api_login(body: &str, env: &Env, config: &Config) -> worker::Result<Answer> {
    let front_end: FrontEndLogin = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(_) => {
            return error_answer(&Error::new(
                ErrorCode::InvalidOptions,
                "the body must be JSON {state, nonce, codeVerifier, returnTo?}",
            ))
        }
    };
    if let Err(e) = front_end.validate() {
        return error_answer(&e);
    }
    // The front-end flow comes back to its own page (VIPPS_APP_REDIRECT_URI) when one is
    // set; the transaction keeps that URI for the token request.
    let redirect_uri = config.app_redirect_uri();
    let options = match login_options(config, redirect_uri).await {
        Ok(options) => LoginOptions {
            state: Some(front_end.state.clone()),
            nonce: Some(front_end.nonce.clone()),
            code_verifier: Some(front_end.code_verifier.clone()),
            ..options
        },
        Err(e) => return error_answer(&e),
    };
    let login = match create_login(&options) {
        Ok(login) => login,
        Err(e) => return error_answer(&e),
    };
    let transaction = LoginTransaction::new(
        login.state,
        login.nonce,
        Some(front_end.code_verifier),
        redirect_uri.to_string(),
        front_end.return_to.as_deref(),
        now_secs(),
    );
    let store = TransactionStore::from_env(env)?;
    match store.put(&transaction).await? {
        PutOutcome::Stored => Answer::ok(json_response(200, &json!({ "url": login.url }))?),
        PutOutcome::StateTaken => error_answer_with_status(
            &Error::new(
                ErrorCode::InvalidOptions,
                "this state is already registered: make a new one for every login",
            )
            .with_hint("Use randomState() from the vipps-login package for every login."),
            409,
        ),
    }
}

/// `GET /callback?code&state[&iss]`: completes the login, sets the session cookie and
/// sends the user to the transaction's `returnTo`; on failure a small page with the
/// error code, message and hint.
async fn callback(req: &Request, env: &Env, config: &Config) -> worker::Result<Answer> {
    let url = req.inner().url();
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    let store = TransactionStore::from_env(env)?;
    match complete::complete_login(&store, config, query).await? {
        Ok(done) => {
            let mut response = redirect(&done.return_to)?;
            response.headers_mut().append(
                "set-cookie",
                &set_cookie(&done.session, config.secure_cookies()),
            )?;
            Answer::ok(response)
        }
        Err(e) => error_page(&e),
    }
}

/// The body of `POST /api/callback`: the parameters, or the callback's raw query.
#[derive(Deserialize)]
#[serde(untagged)]
enum CallbackBody {
    Query {
        query: String,
    },
    Params {
        code: String,
        state: String,
        #[serde(default)]
        iss: Option<String>,
    },
}

/// `POST /api/callback`: as `GET /callback`, answering `{ user }` with the cookie.
async fn api_callback(body: &str, env: &Env, config: &Config) -> worker::Result<Answer> {
    let query = match serde_json::from_str::<CallbackBody>(body) {
        Ok(CallbackBody::Query { query }) => query,
        Ok(CallbackBody::Params { code, state, iss }) => {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("code", &code).append_pair("state", &state);
            if let Some(iss) = &iss {
                form.append_pair("iss", iss);
            }
            form.finish()
        }
        Err(_) => {
            return error_answer(&Error::new(
                ErrorCode::CallbackInvalid,
                "the body must be JSON {code, state, iss?} or {query}",
            ))
        }
    };
    let store = TransactionStore::from_env(env)?;
    match complete::complete_login(&store, config, &query).await? {
        Ok(done) => {
            let mut response = json_response(200, &json!({ "user": done.user }))?;
            add_session_cookie(&mut response, &done, config)?;
            Answer::ok(response)
        }
        Err(e) => error_answer(&e),
    }
}

fn add_session_cookie(
    response: &mut Response,
    done: &CompletedLogin,
    config: &Config,
) -> worker::Result<()> {
    response.headers_mut().append(
        "set-cookie",
        &set_cookie(&done.session, config.secure_cookies()),
    )
}

/// `GET /api/session`: the user in the session cookie, or 401.
fn session(req: &Request, config: &Config) -> worker::Result<Answer> {
    let cookies = req.headers().get("cookie")?.unwrap_or_default();
    let opened = read_cookie(&cookies, config.secure_cookies())
        .ok_or_else(|| Error::new(ErrorCode::SessionInvalid, "there is no session cookie"))
        .and_then(|value| open(value, config.session_secret.expose().as_bytes(), now_secs()));
    match opened {
        Ok(s) => {
            // sub, and name, given_name and email when the session has them.
            let mut user = json!(s);
            if let Some(fields) = user.as_object_mut() {
                fields.remove("iat");
                fields.remove("exp");
            }
            Answer::ok(json_response(200, &json!({ "user": user }))?)
        }
        Err(e) => error_answer_with_status(&e, 401),
    }
}

/// `POST /api/logout`: clears the session cookie. Vipps has no merchant-initiated
/// logout: this ends the shop's own session only.
fn logout(config: &Config) -> worker::Result<Answer> {
    let mut response = json_response(200, &json!({ "ok": true }))?;
    response
        .headers_mut()
        .append("set-cookie", &clear_cookie(config.secure_cookies()))?;
    Answer::ok(response)
}

/// The status for a failed login: 502 when the provider failed (unreachable, too slow,
/// 5xx, an answer that is not what the protocol says), 500 for our own configuration,
/// 400 for everything about this login (state, code, id_token claims, the user's
/// choice).
fn status_of(code: ErrorCode) -> u16 {
    match code {
        ErrorCode::ProviderTimeout
        | ErrorCode::ProviderUnreachable
        | ErrorCode::TokenServerError
        | ErrorCode::TokenResponseInvalid
        | ErrorCode::JwksUnavailable
        | ErrorCode::JwksInvalid
        | ErrorCode::UserinfoFailed
        | ErrorCode::UserinfoInvalid
        | ErrorCode::DiscoveryInvalid
        | ErrorCode::DiscoveryIssuerMismatch
        | ErrorCode::VippsServerError
        | ErrorCode::VippsTemporarilyUnavailable => 502,
        ErrorCode::ConfigInvalid | ErrorCode::EndpointsUnknown => 500,
        _ => 400,
    }
}

fn error_body(e: &Error) -> serde_json::Value {
    let mut body = json!({ "error": e.code().as_str(), "message": e.message() });
    if let Some(hint) = e.hint() {
        body["hint"] = json!(hint);
    }
    body
}

/// `{error, message, hint}` with the code's status.
fn error_answer(e: &Error) -> worker::Result<Answer> {
    error_answer_with_status(e, status_of(e.code()))
}

fn error_answer_with_status(e: &Error, status: u16) -> worker::Result<Answer> {
    Answer::failed(error_json(status, error_body(e))?, e.code().as_str())
}

/// The page a browser sees when a login fails: code, message and hint, HTML-escaped.
fn error_page(e: &Error) -> worker::Result<Answer> {
    let hint = e
        .hint()
        .map(|h| format!("<p>{}</p>", escape_html(h)))
        .unwrap_or_default();
    let html = format!(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width\"><title>Login failed</title>\
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em}}\
code{{background:#eee;padding:0 .2em}}</style>\
<h1>Login failed</h1><p><code>{}</code></p><p>{}</p>{hint}<p><a href=\"/login\">Log in again</a></p></html>",
        escape_html(e.code().as_str()),
        escape_html(e.message()),
    );
    let headers = Headers::new();
    headers.set("content-type", "text/html; charset=utf-8")?;
    headers.set("cache-control", "no-store")?;
    headers.set("x-content-type-options", "nosniff")?;
    headers.set("referrer-policy", "no-referrer")?;
    headers.set(
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    )?;
    let response = Response::ok(html)?
        .with_status(status_of(e.code()))
        .with_headers(headers);
    Answer::failed(response, e.code().as_str())
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// 302 to `location` (an absolute URL, or a same-origin path from `safe_return_to`).
/// No-store, and no Referer: the URL being left may hold a code.
fn redirect(location: &str) -> worker::Result<Response> {
    let headers = Headers::new();
    headers.set("location", location)?;
    headers.set("cache-control", "no-store")?;
    headers.set("referrer-policy", "no-referrer")?;
    Ok(Response::empty()?.with_status(302).with_headers(headers))
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
/// status, duration and, on failure, the error code.
fn log_request(method: &Method, path: &str, status: u16, error: Option<&str>, started: f64) {
    let ms = (js_sys::Date::now() - started).max(0.0) as u64;
    // Paths are caller-chosen: bounded, and JSON-escaped by serde_json.
    let path: String = path.chars().take(200).collect();
    let mut line = json!({ "method": method.as_ref(), "path": path, "status": status, "ms": ms });
    if let Some(error) = error {
        line["error"] = json!(error);
    }
    console_log!("{}", line);
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

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape_html(r#"<script>"x"&'y'</script>"#),
            "&lt;script&gt;&quot;x&quot;&amp;&#39;y&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn provider_failures_are_502_the_rest_400() {
        assert_eq!(status_of(ErrorCode::ProviderTimeout), 502);
        assert_eq!(status_of(ErrorCode::JwksUnavailable), 502);
        assert_eq!(status_of(ErrorCode::TokenServerError), 502);
        assert_eq!(status_of(ErrorCode::IdTokenSignatureInvalid), 400);
        assert_eq!(status_of(ErrorCode::VippsAccessDenied), 400);
        assert_eq!(status_of(ErrorCode::TransactionNotFound), 400);
    }

    #[test]
    fn callback_bodies() {
        assert!(matches!(
            serde_json::from_str::<CallbackBody>(r#"{"query":"?code=a&state=b"}"#),
            Ok(CallbackBody::Query { .. })
        ));
        assert!(matches!(
            serde_json::from_str::<CallbackBody>(r#"{"code":"a","state":"b","iss":"i"}"#),
            Ok(CallbackBody::Params { iss: Some(_), .. })
        ));
        assert!(serde_json::from_str::<CallbackBody>(r#"{"code":"a"}"#).is_err());
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
