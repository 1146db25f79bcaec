//! Shared helpers for the emulator's HTTP integration tests: start a server, build
//! authorize URLs, follow the browserless shortcut, call the token endpoint, decode and
//! verify JWTs against the JWKS, and submit the landing page's HTML form like a browser.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, LOCATION};
use reqwest::{Client, Response, StatusCode};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::signature::Verifier;
use rsa::{BigUint, RsaPublicKey};
use serde_json::Value;
use sha2::{Digest, Sha256};
use vipps_login_emulator::{start, Config, Running};

pub const ISSUER_PATH: &str = "/access-management-1.0/access/";
pub const DISCOVERY_PATH: &str = "/access-management-1.0/access/.well-known/openid-configuration";
pub const JWKS_PATH: &str = "/access-management-1.0/access/.well-known/jwks.json";
pub const AUTH_PATH: &str = "/access-management-1.0/access/oauth2/auth";
pub const DECISION_PATH: &str = "/access-management-1.0/access/oauth2/auth/decision";
pub const TOKEN_PATH: &str = "/access-management-1.0/access/oauth2/token";
pub const USERINFO_PATH: &str = "/vipps-userinfo-api/userinfo";
pub const CIBA_PATH: &str = "/vipps-login-ciba/api/backchannel/authentication";

pub const MISMATCH_TEXT: &str = "does not match any of your preregistered URIs";

/// Every fault switch of the README's table.
pub const BOOL_FAULTS: &[&str] = &[
    "unknown_kid",
    "bad_signature",
    "alg_none",
    "wrong_iss",
    "wrong_aud",
    "extra_aud",
    "expired",
    "iat_future",
    "wrong_nonce",
    "missing_nonce",
    "missing_sub",
    "wrong_acr",
    "missing_acr",
    "wrong_msn",
    "fractional_times",
    "userinfo_sub_mismatch",
    "token_500",
    "token_malformed_json",
    "token_huge",
    "token_reset",
    "jwks_unavailable",
    "userinfo_missing_sub",
    "userinfo_not_json",
    "userinfo_huge",
    "ciba_old_app",
    "ciba_rate_limited",
    "ciba_auth_req_id_snake",
    "ciba_wrong_auth_req_id",
    "ping_bad_signature",
];

/// Every delay (milliseconds) of the README's fault table.
pub const DELAY_FAULTS: &[&str] = &["token_delay_ms", "userinfo_delay_ms", "jwks_delay_ms"];

/// The most any `*_delay_ms` fault accepts.
pub const MAX_DELAY_MS: u64 = 600_000;

/// The `padding` of `token_huge` and `userinfo_huge`: 40 MiB.
pub const HUGE_PADDING_BYTES: usize = 40 * 1024 * 1024;

// ---------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------

/// The shipped `config/default.toml`, read from disk so the tests use its real secrets.
pub fn shipped_toml_text() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/default.toml");
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// A sales unit as the tests need it, read from a config's TOML text.
#[derive(Debug, Clone)]
pub struct Unit {
    pub name: String,
    pub client_id: String,
    pub client_secret: String,
    pub method: String,
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
    pub msn: Option<String>,
}

impl Unit {
    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uris[0]
    }
    pub fn auth(&self) -> Auth {
        match self.method.as_str() {
            "client_secret_basic" => {
                Auth::Basic(self.client_id.clone(), self.client_secret.clone())
            }
            "client_secret_post" => Auth::Post(self.client_id.clone(), self.client_secret.clone()),
            other => panic!("unexpected token_auth_method {other}"),
        }
    }
    /// The method this unit does not accept.
    pub fn wrong_auth(&self) -> Auth {
        match self.method.as_str() {
            "client_secret_basic" => Auth::Post(self.client_id.clone(), self.client_secret.clone()),
            _ => Auth::Basic(self.client_id.clone(), self.client_secret.clone()),
        }
    }
}

fn toml_str(t: &toml::Table, key: &str) -> String {
    t.get(key)
        .and_then(|v| v.as_str())
        .unwrap_or_else(|| panic!("config: missing string {key} in {t:?}"))
        .to_string()
}

fn toml_strs(t: &toml::Table, key: &str) -> Vec<String> {
    t.get(key)
        .and_then(|v| v.as_array())
        .unwrap_or_else(|| panic!("config: missing array {key}"))
        .iter()
        .map(|v| v.as_str().expect("string").to_string())
        .collect()
}

pub fn parse_toml(text: &str) -> toml::Table {
    text.parse::<toml::Table>().expect("config TOML parses")
}

pub fn units_of(text: &str) -> Vec<Unit> {
    let t = parse_toml(text);
    t.get("sales_units")
        .and_then(|v| v.as_array())
        .expect("sales_units")
        .iter()
        .map(|u| {
            let u = u.as_table().expect("sales unit table");
            Unit {
                name: toml_str(u, "name"),
                client_id: toml_str(u, "client_id"),
                client_secret: toml_str(u, "client_secret"),
                method: toml_str(u, "token_auth_method"),
                redirect_uris: toml_strs(u, "redirect_uris"),
                scopes: toml_strs(u, "scopes"),
                msn: u.get("msn").and_then(|v| v.as_str()).map(str::to_string),
            }
        })
        .collect()
}

/// The users of a config as TOML tables.
pub fn users_of(text: &str) -> Vec<toml::Table> {
    let t = parse_toml(text);
    t.get("users")
        .and_then(|v| v.as_array())
        .expect("users")
        .iter()
        .map(|u| u.as_table().expect("user table").clone())
        .collect()
}

pub fn user_of(text: &str, id: &str) -> toml::Table {
    users_of(text)
        .into_iter()
        .find(|u| u.get("id").and_then(|v| v.as_str()) == Some(id))
        .unwrap_or_else(|| panic!("no user {id} in config"))
}

/// A config written for the tests: a client id and secret that need urlencoding in
/// Basic, a redirect URI holding `%20`, every scope including `nin`, short TTLs.
pub const TEST_TOML: &str = r#"
[settings]
sub_secret = "integration-test-sub-secret"
code_ttl_secs = 30
access_token_ttl_secs = 60
id_token_ttl_secs = 1800

[[sales_units]]
name = "Weird Test Shop"
client_id = "weird:client id%"
client_secret = "p%41ss: word+&="
token_auth_method = "client_secret_basic"
redirect_uris = ["http://127.0.0.1:8787/callback", "http://127.0.0.1:8787/my%20callback", "myapp://callback"]
scopes = ["openid", "name", "email", "phoneNumber", "address", "birthDate", "nin"]

[[sales_units]]
name = "Plain Post Shop"
client_id = "plain-post"
client_secret = "plain-post-secret"
token_auth_method = "client_secret_post"
redirect_uris = ["http://localhost:3000/auth/vipps/callback"]
scopes = ["openid", "name", "nin"]

[[users]]
id = "tester"
name = "Test Testesen"
given_name = "Test"
family_name = "Testesen"
email = "tester@example.no"
phone_number = "4799999999"
birthdate = "1970-01-31"
nin = "31017012345"
[users.address]
street_address = "Testveien 1\nH0101"
postal_code = "0101"
region = "Oslo"
country = "NO"
address_type = "home"

[[users]]
id = "homeless"
name = "Uten Adresse"
given_name = "Uten"
family_name = "Adresse"
email = "uten@example.no"
phone_number = "4798888888"
birthdate = "1990-06-15"
nin = "15069012345"
"#;

// ---------------------------------------------------------------------------------------
// Small utilities
// ---------------------------------------------------------------------------------------

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh random-looking string of `[0-9a-f]`, 32 characters.
pub fn rand_str() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let digest = Sha256::digest(format!("{n}-{t}-{}", std::process::id()).as_bytes());
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// Percent-encode everything but RFC 3986 unreserved characters (space is `%20`).
pub fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// application/x-www-form-urlencoded, as RFC 6749 2.3.1 asks for Basic credentials.
pub fn form_enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

pub fn form_body(pairs: &[(String, String)]) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(k, v);
    }
    ser.finish()
}

pub fn b64url(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

pub fn s256(verifier: &str) -> String {
    b64url(&Sha256::digest(verifier.as_bytes()))
}

pub fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

pub fn p(k: &str, v: &str) -> (String, String) {
    (k.to_string(), v.to_string())
}

/// Set (replace or add) a parameter.
pub fn set(params: &mut Vec<(String, String)>, k: &str, v: &str) {
    params.retain(|(n, _)| n != k);
    params.push(p(k, v));
}

pub fn remove(params: &mut Vec<(String, String)>, k: &str) {
    params.retain(|(n, _)| n != k);
}

pub fn get_param<'a>(params: &'a [(String, String)], k: &str) -> Option<&'a str> {
    params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

/// Split a redirect `Location` into (the part before `?`, decoded query pairs).
pub fn split_location(location: &str) -> (String, Vec<(String, String)>) {
    match location.split_once('?') {
        Some((base, query)) => (
            base.to_string(),
            form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        ),
        None => (location.to_string(), Vec::new()),
    }
}

pub fn location(resp: &Response) -> Option<String> {
    resp.headers()
        .get(LOCATION)
        .map(|v| v.to_str().expect("ascii Location").to_string())
}

/// A redirect answer: its raw Location, the part before `?`, and its decoded query.
#[derive(Debug, Clone)]
pub struct Redirect {
    pub raw: String,
    pub base: String,
    pub query: Vec<(String, String)>,
}

impl Redirect {
    pub fn get(&self, k: &str) -> Option<&str> {
        get_param(&self.query, k)
    }
    pub fn has(&self, k: &str) -> bool {
        self.get(k).is_some()
    }
}

/// Assert a 302 and parse its Location.
pub fn expect_redirect(resp: &Response) -> Redirect {
    assert_eq!(
        resp.status(),
        StatusCode::FOUND,
        "expected 302, got {} (Location {:?})",
        resp.status(),
        location(resp)
    );
    let raw = location(resp).expect("302 without Location");
    let (base, query) = split_location(&raw);
    Redirect { raw, base, query }
}

/// Assert an error redirect with the given `error` code, `error_description` present.
pub fn expect_error_redirect(resp: &Response, redirect_uri: &str, error: &str) -> Redirect {
    let r = expect_redirect(resp);
    assert_eq!(
        r.base, redirect_uri,
        "redirect goes to redirect_uri: {}",
        r.raw
    );
    assert_eq!(r.get("error"), Some(error), "error in {}", r.raw);
    assert!(
        r.get("error_description").is_some_and(|d| !d.is_empty()),
        "error_description in {}",
        r.raw
    );
    assert!(
        !r.has("code"),
        "an error redirect carries no code: {}",
        r.raw
    );
    r
}

// ---------------------------------------------------------------------------------------
// JWT and JWKS
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct Jwt {
    pub raw: String,
    pub header: Value,
    pub claims: Value,
    pub signing_input: String,
    pub signature_b64: String,
}

pub fn decode_jwt(token: &str) -> Jwt {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(
        parts.len(),
        3,
        "a JWS compact serialization has 3 parts: {token}"
    );
    let decode = |s: &str| -> Value {
        let bytes = Base64UrlUnpadded::decode_vec(s)
            .unwrap_or_else(|e| panic!("base64url segment {s:?}: {e}"));
        serde_json::from_slice(&bytes).expect("segment is JSON")
    };
    Jwt {
        raw: token.to_string(),
        header: decode(parts[0]),
        claims: decode(parts[1]),
        signing_input: format!("{}.{}", parts[0], parts[1]),
        signature_b64: parts[2].to_string(),
    }
}

pub fn rsa_key(jwk: &Value) -> RsaPublicKey {
    assert_eq!(jwk["kty"], "RSA", "RSA key: {jwk}");
    let n = Base64UrlUnpadded::decode_vec(jwk["n"].as_str().expect("n")).expect("n b64url");
    let e = Base64UrlUnpadded::decode_vec(jwk["e"].as_str().expect("e")).expect("e b64url");
    RsaPublicKey::new(BigUint::from_bytes_be(&n), BigUint::from_bytes_be(&e))
        .expect("valid RSA key")
}

/// RS256 verification of `jwt` with one JWK.
pub fn verify_with(jwk: &Value, jwt: &Jwt) -> Result<(), String> {
    let key = VerifyingKey::<Sha256>::new(rsa_key(jwk));
    let sig = Base64UrlUnpadded::decode_vec(&jwt.signature_b64).map_err(|e| e.to_string())?;
    let sig = Signature::try_from(sig.as_slice()).map_err(|e| e.to_string())?;
    key.verify(jwt.signing_input.as_bytes(), &sig)
        .map_err(|e| e.to_string())
}

pub fn jwks_keys(jwks: &Value) -> Vec<Value> {
    jwks["keys"].as_array().expect("JWKS has keys").clone()
}

pub fn jwks_kids(jwks: &Value) -> Vec<String> {
    jwks_keys(jwks)
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_string())
        .collect()
}

/// Verify `jwt` the way a relying party does: RS256, key looked up by `kid`.
pub fn verify_by_kid(jwks: &Value, jwt: &Jwt) -> Result<(), String> {
    if jwt.header["alg"] != "RS256" {
        return Err(format!("alg is {}", jwt.header["alg"]));
    }
    let kid = jwt.header["kid"].as_str().ok_or("no kid")?;
    let key = jwks_keys(jwks)
        .into_iter()
        .find(|k| k["kid"] == kid)
        .ok_or_else(|| format!("kid {kid} not in JWKS"))?;
    verify_with(&key, jwt)
}

/// `at_hash`: base64url of the left half of SHA-256 of the access token.
pub fn at_hash(access_token: &str) -> String {
    b64url(&Sha256::digest(access_token.as_bytes())[..16])
}

// ---------------------------------------------------------------------------------------
// The emulator under test
// ---------------------------------------------------------------------------------------

pub enum Auth {
    /// `client_secret_basic`, with RFC 6749 2.3.1 form-urlencoding.
    Basic(String, String),
    /// `client_secret_post`.
    Post(String, String),
    /// A ready `Authorization` header value.
    Header(String),
    None,
}

pub fn basic_header(id: &str, secret: &str) -> String {
    let raw = format!("{}:{}", form_enc(id), form_enc(secret));
    format!("Basic {}", Base64::encode_string(raw.as_bytes()))
}

/// The answer of a successful token request.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub json: Value,
    pub access_token: String,
    pub id_token: String,
}

impl Tokens {
    pub fn jwt(&self) -> Jwt {
        decode_jwt(&self.id_token)
    }
}

/// What the shortcut authorize gave back, with what was sent.
#[derive(Debug, Clone)]
pub struct Login {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: String,
    pub nonce: Option<String>,
    pub code: String,
    pub redirect: Redirect,
}

pub struct Emu {
    running: Option<Running>,
    pub addr: SocketAddr,
    pub base: String,
    pub issuer: String,
    pub http: Client,
    /// TOML text of the config the server runs with.
    pub toml: String,
    pub units: Vec<Unit>,
}

pub fn http_client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("reqwest client")
}

impl Emu {
    /// The shipped default config.
    pub async fn shipped() -> Emu {
        Emu::start_with(Config::shipped_default(), shipped_toml_text(), None).await
    }

    pub async fn with_toml(text: &str) -> Emu {
        let config = Config::from_toml_str(text).expect("test config is valid");
        Emu::start_with(config, text.to_string(), None).await
    }

    pub async fn start_with(config: Config, toml: String, public_url: Option<String>) -> Emu {
        let bind: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let running = start(config, bind, public_url)
            .await
            .expect("emulator starts");
        let addr = running.addr;
        assert!(addr.ip().is_loopback(), "bound to loopback: {addr}");
        assert_ne!(addr.port(), 0, "a real port was picked");
        let issuer = running.issuer.clone();
        let units = units_of(&toml);
        Emu {
            running: Some(running),
            addr,
            base: format!("http://{addr}"),
            issuer,
            http: http_client(),
            toml,
            units,
        }
    }

    /// Drive a server started elsewhere (the CLI binary) at `addr`.
    pub fn attach(addr: SocketAddr, issuer: String, toml: String) -> Emu {
        let units = units_of(&toml);
        Emu {
            running: None,
            addr,
            base: format!("http://{addr}"),
            issuer,
            http: http_client(),
            toml,
            units,
        }
    }

    pub fn running(&self) -> &Running {
        self.running.as_ref().expect("running")
    }

    pub async fn shutdown(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn unit(&self, client_id: &str) -> Unit {
        self.units
            .iter()
            .find(|u| u.client_id == client_id)
            .unwrap_or_else(|| panic!("no sales unit {client_id} in config"))
            .clone()
    }

    pub fn user(&self, id: &str) -> toml::Table {
        user_of(&self.toml, id)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.http.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_json(&self, path: &str) -> Value {
        let resp = self.get(path).await;
        assert_eq!(resp.status(), StatusCode::OK, "GET {path}");
        resp.json().await.expect("JSON")
    }

    pub async fn post_json(&self, path: &str, body: Value) -> Response {
        self.http
            .post(self.url(path))
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("POST")
    }

    /// POST a control endpoint and require a 2xx.
    pub async fn control(&self, path: &str, body: Value) {
        let resp = self.post_json(path, body).await;
        assert!(resp.status().is_success(), "POST {path}: {}", resp.status());
    }

    pub async fn set_faults(&self, faults: Value) {
        self.control("/_emulator/faults", faults).await;
    }

    pub async fn advance_clock(&self, secs: u64) {
        self.control(
            "/_emulator/clock",
            serde_json::json!({ "advance_secs": secs }),
        )
        .await;
    }

    pub async fn reset(&self) {
        self.control("/_emulator/reset", serde_json::json!({}))
            .await;
    }

    pub async fn jwks(&self) -> Value {
        self.get_json(JWKS_PATH).await
    }

    /// Valid authorize parameters for a sales unit: `openid`, fresh state and nonce.
    pub fn auth_params(&self, client_id: &str) -> Vec<(String, String)> {
        let unit = self.unit(client_id);
        vec![
            p("client_id", client_id),
            p("response_type", "code"),
            p("scope", "openid"),
            p("state", &rand_str()),
            p("redirect_uri", unit.redirect_uri()),
            p("nonce", &rand_str()),
        ]
    }

    pub fn auth_url(&self, params: &[(String, String)]) -> String {
        let query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        format!("{}?{}", self.url(AUTH_PATH), query.join("&"))
    }

    pub async fn authorize(&self, params: &[(String, String)]) -> Response {
        self.http
            .get(self.auth_url(params))
            .send()
            .await
            .expect("GET authorize")
    }

    /// Authorize with `_emulator_user`; require the approve redirect.
    pub async fn login_with(&self, user: &str, mut params: Vec<(String, String)>) -> Login {
        set(&mut params, "_emulator_user", user);
        let resp = self.authorize(&params).await;
        let redirect = expect_redirect(&resp);
        let redirect_uri = get_param(&params, "redirect_uri").unwrap().to_string();
        assert_eq!(redirect.base, redirect_uri, "approve goes to redirect_uri");
        assert!(
            redirect.raw.starts_with(&format!("{redirect_uri}?")),
            "Location is {{redirect_uri}}?...: {}",
            redirect.raw
        );
        assert!(
            !redirect.has("error"),
            "unexpected error redirect: {}",
            redirect.raw
        );
        let code = redirect
            .get("code")
            .unwrap_or_else(|| panic!("no code in {}", redirect.raw))
            .to_string();
        Login {
            client_id: get_param(&params, "client_id")
                .unwrap_or_default()
                .to_string(),
            redirect_uri,
            state: get_param(&params, "state").unwrap_or_default().to_string(),
            nonce: get_param(&params, "nonce").map(str::to_string),
            code,
            redirect,
        }
    }

    /// The shortcut login of `user` at `client_id` with `scope`.
    pub async fn login(&self, user: &str, client_id: &str, scope: &str) -> Login {
        let mut params = self.auth_params(client_id);
        set(&mut params, "scope", scope);
        self.login_with(user, params).await
    }

    /// Raw token request.
    pub async fn token_request(&self, auth: &Auth, form: &[(String, String)]) -> Response {
        self.form_post(TOKEN_PATH, auth, form).await
    }

    /// A client-authenticated form POST to `path` (the token endpoint, the CIBA start).
    pub async fn form_post(&self, path: &str, auth: &Auth, form: &[(String, String)]) -> Response {
        let mut form = form.to_vec();
        let mut req = self.http.post(self.url(path));
        match auth {
            Auth::Basic(id, secret) => req = req.header(AUTHORIZATION, basic_header(id, secret)),
            Auth::Post(id, secret) => {
                form.push(p("client_id", id));
                form.push(p("client_secret", secret));
            }
            Auth::Header(h) => req = req.header(AUTHORIZATION, h.as_str()),
            Auth::None => {}
        }
        req.header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form_body(&form))
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// The standard code-exchange form for a login.
    pub fn code_form(login: &Login) -> Vec<(String, String)> {
        vec![
            p("grant_type", "authorization_code"),
            p("code", &login.code),
            p("redirect_uri", &login.redirect_uri),
        ]
    }

    /// Exchange a login's code with the unit's own method; require 200.
    pub async fn exchange(&self, login: &Login) -> Tokens {
        self.exchange_with(login, &[]).await
    }

    pub async fn exchange_with(&self, login: &Login, extra: &[(String, String)]) -> Tokens {
        let mut form = Emu::code_form(login);
        form.extend_from_slice(extra);
        let resp = self
            .token_request(&self.unit(&login.client_id).auth(), &form)
            .await;
        tokens_ok(resp).await
    }

    /// Shortcut login plus code exchange.
    pub async fn full_login(&self, user: &str, client_id: &str, scope: &str) -> (Login, Tokens) {
        let login = self.login(user, client_id, scope).await;
        let tokens = self.exchange(&login).await;
        (login, tokens)
    }

    pub async fn userinfo(&self, access_token: &str) -> Response {
        self.http
            .get(self.url(USERINFO_PATH))
            .header(AUTHORIZATION, format!("Bearer {access_token}"))
            .send()
            .await
            .expect("GET userinfo")
    }

    pub async fn userinfo_ok(&self, access_token: &str) -> Value {
        let resp = self.userinfo(access_token).await;
        assert_eq!(resp.status(), StatusCode::OK, "userinfo");
        resp.json().await.expect("userinfo JSON")
    }
}

/// Require a 200 token response and pull out the tokens.
pub async fn tokens_ok(resp: Response) -> Tokens {
    let status = resp.status();
    let text = resp.text().await.expect("body");
    assert_eq!(status, StatusCode::OK, "token response: {text}");
    let json: Value = serde_json::from_str(&text).expect("token response is JSON");
    Tokens {
        access_token: json["access_token"]
            .as_str()
            .expect("access_token")
            .to_string(),
        id_token: json["id_token"].as_str().expect("id_token").to_string(),
        json,
    }
}

/// Require an OAuth error JSON with the given status and `error`.
pub async fn expect_oauth_error(resp: Response, status: u16, error: &str) -> Value {
    let got = resp.status();
    let text = resp.text().await.expect("body");
    assert_eq!(got.as_u16(), status, "status; body {text}");
    let json: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("error body is JSON ({e}): {text}"));
    assert_eq!(json["error"], error, "error code in {json}");
    json
}

// ---------------------------------------------------------------------------------------
// A small HTML form reader, so the landing page is driven like a browser would.
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub enum Control {
    /// hidden, text and other single-value inputs.
    Value { name: String, value: String },
    Radio {
        name: String,
        value: String,
        checked: bool,
    },
    Select {
        name: String,
        options: Vec<(String, bool)>,
    },
    Submit {
        name: Option<String>,
        value: String,
        text: String,
        formaction: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Form {
    pub action: String,
    pub method: String,
    pub controls: Vec<Control>,
}

#[derive(Debug)]
enum Tok {
    Open(String, Vec<(String, String)>),
    Close(String),
    Text(String),
}

pub fn decode_entities(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let ent = &rest[1..end];
        let ch = match ent {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ if ent.starts_with("#x") || ent.starts_with("#X") => {
                u32::from_str_radix(&ent[2..], 16)
                    .ok()
                    .and_then(char::from_u32)
            }
            _ if ent.starts_with('#') => ent[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn parse_attrs(s: &str) -> Vec<(String, String)> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut attrs = Vec::new();
    while i < b.len() {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'/' {
            i += 1;
        }
        if start == i {
            break;
        }
        let name = s[start..i].to_ascii_lowercase();
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut value = String::new();
        if i < b.len() && b[i] == b'=' {
            i += 1;
            while i < b.len() && b[i].is_ascii_whitespace() {
                i += 1;
            }
            if i < b.len() && (b[i] == b'"' || b[i] == b'\'') {
                let q = b[i];
                i += 1;
                let vs = i;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
                value = decode_entities(&s[vs..i]);
                i += 1;
            } else {
                let vs = i;
                while i < b.len() && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                value = decode_entities(&s[vs..i]);
            }
        }
        attrs.push((name, value));
    }
    attrs
}

fn tokenize(html: &str) -> Vec<Tok> {
    let mut toks = Vec::new();
    let mut rest = html;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            toks.push(Tok::Text(decode_entities(rest)));
            break;
        };
        if lt > 0 {
            toks.push(Tok::Text(decode_entities(&rest[..lt])));
        }
        rest = &rest[lt..];
        if let Some(r) = rest.strip_prefix("<!--") {
            rest = r.find("-->").map_or("", |e| &r[e + 3..]);
            continue;
        }
        // Find the closing '>' outside quotes.
        let b = rest.as_bytes();
        let mut i = 1;
        let mut quote = None;
        while i < b.len() {
            match (quote, b[i]) {
                (None, b'"') | (None, b'\'') => quote = Some(b[i]),
                (Some(q), c) if c == q => quote = None,
                (None, b'>') => break,
                _ => {}
            }
            i += 1;
        }
        let inner = &rest[1..i.min(rest.len())];
        rest = if i < rest.len() { &rest[i + 1..] } else { "" };
        if let Some(name) = inner.strip_prefix('/') {
            toks.push(Tok::Close(name.trim().to_ascii_lowercase()));
        } else if inner.starts_with('!') || inner.starts_with('?') {
            continue;
        } else {
            let name_end = inner
                .find(|c: char| c.is_ascii_whitespace() || c == '/')
                .unwrap_or(inner.len());
            let name = inner[..name_end].to_ascii_lowercase();
            let attrs = parse_attrs(&inner[name_end..]);
            // Raw text elements: skip their content.
            if name == "script" || name == "style" {
                let close = format!("</{name}");
                let lower = rest.to_ascii_lowercase();
                rest = lower
                    .find(&close)
                    .and_then(|e| rest[e..].find('>').map(|g| &rest[e + g + 1..]))
                    .unwrap_or("");
                continue;
            }
            toks.push(Tok::Open(name, attrs));
        }
    }
    toks
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Every form in the page with its successful-control candidates.
pub fn parse_forms(html: &str) -> Vec<Form> {
    let toks = tokenize(html);
    let mut forms: Vec<Form> = Vec::new();
    let mut in_form = false;
    let mut i = 0;
    // Text until the closing tag `end` (or another tag in `stop`).
    let text_until = |mut j: usize, stop: &[&str]| -> (String, usize) {
        let mut text = String::new();
        while j < toks.len() {
            match &toks[j] {
                Tok::Text(t) => text.push_str(t),
                Tok::Close(n) if stop.contains(&n.as_str()) => break,
                Tok::Open(n, _) if stop.contains(&n.as_str()) => break,
                _ => {}
            }
            j += 1;
        }
        (text.split_whitespace().collect::<Vec<_>>().join(" "), j)
    };
    while i < toks.len() {
        match &toks[i] {
            Tok::Open(n, a) if n == "form" => {
                forms.push(Form {
                    action: attr(a, "action").unwrap_or("").to_string(),
                    method: attr(a, "method").unwrap_or("get").to_ascii_lowercase(),
                    controls: Vec::new(),
                });
                in_form = true;
            }
            Tok::Close(n) if n == "form" => in_form = false,
            Tok::Open(n, a) if in_form && n == "input" => {
                let form = forms.last_mut().unwrap();
                let ty = attr(a, "type").unwrap_or("text").to_ascii_lowercase();
                let name = attr(a, "name").map(str::to_string);
                let disabled = attr(a, "disabled").is_some();
                match ty.as_str() {
                    "submit" | "image" => form.controls.push(Control::Submit {
                        name,
                        value: attr(a, "value").unwrap_or("Submit").to_string(),
                        text: attr(a, "value").unwrap_or("Submit").to_string(),
                        formaction: attr(a, "formaction").map(str::to_string),
                    }),
                    "radio" | "checkbox" => {
                        if let (Some(name), false) = (name, disabled) {
                            form.controls.push(Control::Radio {
                                name,
                                value: attr(a, "value").unwrap_or("on").to_string(),
                                checked: attr(a, "checked").is_some(),
                            })
                        }
                    }
                    "button" | "reset" | "file" => {}
                    _ => {
                        if let (Some(name), false) = (name, disabled) {
                            form.controls.push(Control::Value {
                                name,
                                value: attr(a, "value").unwrap_or("").to_string(),
                            })
                        }
                    }
                }
            }
            Tok::Open(n, a) if in_form && n == "button" => {
                let ty = attr(a, "type").unwrap_or("submit").to_ascii_lowercase();
                let (text, j) = text_until(i + 1, &["button"]);
                if ty == "submit" {
                    forms.last_mut().unwrap().controls.push(Control::Submit {
                        name: attr(a, "name").map(str::to_string),
                        value: attr(a, "value").unwrap_or("").to_string(),
                        text,
                        formaction: attr(a, "formaction").map(str::to_string),
                    });
                }
                i = j;
            }
            Tok::Open(n, a) if in_form && n == "select" => {
                let name = attr(a, "name").unwrap_or("").to_string();
                let mut options = Vec::new();
                let mut j = i + 1;
                while j < toks.len() {
                    match &toks[j] {
                        Tok::Close(c) if c == "select" => break,
                        Tok::Open(o, oa) if o == "option" => {
                            let (text, k) = text_until(j + 1, &["option", "select"]);
                            let value = attr(oa, "value").map(str::to_string).unwrap_or(text);
                            options.push((value, attr(oa, "selected").is_some()));
                            j = k;
                            continue;
                        }
                        _ => {}
                    }
                    j += 1;
                }
                forms
                    .last_mut()
                    .unwrap()
                    .controls
                    .push(Control::Select { name, options });
                i = j;
            }
            Tok::Open(n, a) if in_form && n == "textarea" => {
                let (text, j) = text_until(i + 1, &["textarea"]);
                if let Some(name) = attr(a, "name") {
                    forms.last_mut().unwrap().controls.push(Control::Value {
                        name: name.to_string(),
                        value: text,
                    });
                }
                i = j;
            }
            _ => {}
        }
        i += 1;
    }
    forms
}

impl Form {
    pub fn submits(&self) -> Vec<&Control> {
        self.controls
            .iter()
            .filter(|c| matches!(c, Control::Submit { .. }))
            .collect()
    }

    /// The form data a browser sends when `submitter` is clicked, with `choices`
    /// selecting radio buttons / select options.
    pub fn data(&self, submitter: &Control, choices: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let chosen = |name: &str| choices.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        let mut radio_groups_done: Vec<String> = Vec::new();
        for c in &self.controls {
            match c {
                Control::Value { name, value } => out.push(p(name, value)),
                Control::Radio {
                    name,
                    value,
                    checked,
                } => match chosen(name) {
                    Some(v) => {
                        if v == value && !radio_groups_done.contains(name) {
                            out.push(p(name, value));
                            radio_groups_done.push(name.clone());
                        }
                    }
                    None => {
                        if *checked {
                            out.push(p(name, value));
                        }
                    }
                },
                Control::Select { name, options } => {
                    let v = chosen(name)
                        .map(str::to_string)
                        .or_else(|| options.iter().find(|o| o.1).map(|o| o.0.clone()))
                        .or_else(|| options.first().map(|o| o.0.clone()));
                    if let Some(v) = v {
                        out.push(p(name, &v));
                    }
                }
                Control::Submit { .. } => {}
            }
        }
        if let Control::Submit {
            name: Some(name),
            value,
            ..
        } = submitter
        {
            out.push(p(name, value));
        }
        out
    }

    pub fn has_value(&self, v: &str) -> bool {
        self.controls.iter().any(|c| match c {
            Control::Value { value, .. } | Control::Radio { value, .. } => value == v,
            Control::Select { options, .. } => options.iter().any(|o| o.0 == v),
            Control::Submit { value, .. } => value == v,
        })
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.controls.iter().find_map(|c| match c {
            Control::Value { name: n, value } if n == name => Some(value.as_str()),
            _ => None,
        })
    }
}

fn submit_label(c: &Control) -> String {
    match c {
        Control::Submit {
            name, value, text, ..
        } => format!("{} {} {}", name.as_deref().unwrap_or(""), value, text).to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// Resolve a form action against the authorize URL's path.
fn resolve_action(base: &str, action: &str) -> String {
    if action.starts_with("http://") || action.starts_with("https://") {
        action.to_string()
    } else if action.starts_with('/') {
        format!("{base}{action}")
    } else if action.is_empty() {
        format!("{base}{AUTH_PATH}")
    } else {
        let dir = &AUTH_PATH[..AUTH_PATH.rfind('/').unwrap() + 1];
        format!("{base}{dir}{action}")
    }
}

pub enum Decision<'a> {
    Approve(&'a str),
    Cancel,
}

/// A browser's form submission on the landing page: (absolute URL, form data).
pub fn decision_submission(
    html: &str,
    base: &str,
    decision: Decision,
) -> (String, Vec<(String, String)>) {
    let forms = parse_forms(html);
    let decision_forms: Vec<&Form> = forms.iter().filter(|f| f.method == "post").collect();
    let target = |f: &Form, s: &Control| -> String {
        let action = match s {
            Control::Submit {
                formaction: Some(fa),
                ..
            } => fa.clone(),
            _ => f.action.clone(),
        };
        resolve_action(base, &action)
    };
    let is_decision_url = |u: &str| u.split('?').next().unwrap().ends_with(DECISION_PATH);
    match decision {
        Decision::Approve(user) => {
            for f in &decision_forms {
                let subs = f.submits();
                // One submit button per user.
                if let Some(s) = subs
                    .iter()
                    .find(|s| matches!(s, Control::Submit { value, .. } if value == user))
                {
                    let url = target(f, s);
                    if is_decision_url(&url) {
                        return (url, f.data(s, &[]));
                    }
                }
                let approve = subs
                    .iter()
                    .find(|s| submit_label(s).contains("approve"))
                    .or_else(|| subs.iter().find(|s| !submit_label(s).contains("cancel")));
                let Some(approve) = approve else { continue };
                let url = target(f, approve);
                if !is_decision_url(&url) {
                    continue;
                }
                // A radio group or select holding the user id.
                let group = f.controls.iter().find_map(|c| match c {
                    Control::Radio { name, value, .. } if value == user => Some(name.clone()),
                    Control::Select { name, options } if options.iter().any(|o| o.0 == user) => {
                        Some(name.clone())
                    }
                    _ => None,
                });
                if let Some(group) = group {
                    return (url, f.data(approve, &[(group.as_str(), user)]));
                }
                // One form per user, the user in a hidden field.
                if f.controls
                    .iter()
                    .any(|c| matches!(c, Control::Value { value, .. } if value == user))
                {
                    return (url, f.data(approve, &[]));
                }
            }
            panic!("no way to approve as {user:?} on the landing page:\n{html}");
        }
        Decision::Cancel => {
            for f in &decision_forms {
                if let Some(s) = f
                    .submits()
                    .into_iter()
                    .find(|s| submit_label(s).contains("cancel"))
                {
                    let url = target(f, s);
                    if is_decision_url(&url) {
                        return (url, f.data(s, &[]));
                    }
                }
            }
            panic!("no Cancel button posting to {DECISION_PATH} on the landing page:\n{html}");
        }
    }
}

impl Emu {
    /// Load the landing page (no shortcut) and return its HTML.
    pub async fn landing_page(&self, params: &[(String, String)]) -> String {
        let resp = self.authorize(params).await;
        let status = resp.status();
        let loc = location(&resp);
        let html = resp.text().await.expect("landing page body");
        assert_eq!(
            status,
            StatusCode::OK,
            "landing page (Location {loc:?}): {html}"
        );
        html
    }

    pub async fn post_form(&self, url: &str, data: &[(String, String)]) -> Response {
        self.http
            .post(url)
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form_body(data))
            .send()
            .await
            .expect("POST form")
    }

    /// Submit the landing page's decision like a browser.
    pub async fn decide(&self, html: &str, decision: Decision<'_>) -> Response {
        let (url, data) = decision_submission(html, &self.base, decision);
        self.post_form(&url, &data).await
    }
}

/// The `request_id` the landing page carries.
pub fn request_id(html: &str) -> String {
    parse_forms(html)
        .iter()
        .find_map(|f| f.field("request_id").map(str::to_string))
        .unwrap_or_else(|| panic!("no request_id field in the landing page:\n{html}"))
}
