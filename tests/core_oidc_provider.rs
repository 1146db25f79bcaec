//! The core against **oidc-provider** (npm), a certified OpenID Provider nobody here
//! wrote, configured as a standard provider (client_secret_basic, PKCE S256, RS256,
//! RFC 9207 `iss`), driven by the core's machines as the Worker drives them: `Begin`
//! (discovery, the authorization URL, the transaction) → the provider's automatic
//! interactions → `Completion` (callback with `iss`, token, JWKS, id_token, userinfo).
//! Proves the core speaks standard OIDC and is not tuned to our own emulator.
//! Needs Node and `npm ci` (make test does both).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{unix_now, with_param, without_param, Adapter};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use vipps_login::begin::{Begin, BeginSettings, OptionPolicy, PerLogin, Started};
use vipps_login::completion::{Completion, TokenClient, VerifiedLogin};
use vipps_login::id_token::DEFAULT_LEEWAY_SECS;
use vipps_login::jose::UnverifiedJwt;
use vipps_login::machine::{ProviderCache, Purpose};
use vipps_login::token::{ClientCredentials, Secret, SystemHeaders, TokenAuthMethod};
use vipps_login::transaction::LoginTransaction;
use vipps_login::{Error, ErrorCode, Issuer, Scopes};

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const CLIENT_ID: &str = "oidc-client";
const CLIENT_SECRET: &str = "oidc-secret-0123456789";

struct Provider {
    child: Child,
    issuer: String,
}

impl Provider {
    fn start() -> Self {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oidc/serve-provider.mjs");
        let mut child = Command::new("node")
            .args([
                script,
                "--redirect-uri",
                REDIRECT,
                "--client-id",
                CLIENT_ID,
                "--client-secret",
                CLIENT_SECRET,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("node runs tests/oidc/serve-provider.mjs (npm ci first)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the provider's ready line");
        let issuer = line
            .trim()
            .split_once("issuer=")
            .map(|(_, i)| i.to_string())
            .unwrap_or_else(|| panic!("unexpected ready line {line:?}"));
        Provider { child, issuer }
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Follows the provider's redirects (login and consent are automatic in the harness)
/// with a cookie store, until it redirects to our redirect URI.
async fn authorize(http: &reqwest::Client, url: &str, cancel: bool) -> String {
    let mut url = url.to_string();
    for _ in 0..10 {
        if cancel && url.contains("/interaction/") {
            url.push_str(if url.contains('?') {
                "&cancel=1"
            } else {
                "?cancel=1"
            });
        }
        let response = http.get(&url).send().await.expect("provider answers");
        assert!(
            response.status().is_redirection(),
            "{url}: {}",
            response.status()
        );
        let location = response.headers()["location"]
            .to_str()
            .expect("ascii")
            .to_string();
        if location.starts_with(REDIRECT) {
            return location;
        }
        url = if location.starts_with('/') {
            let origin = url.split('/').take(3).collect::<Vec<_>>().join("/");
            format!("{origin}{location}")
        } else {
            location
        };
    }
    panic!("too many redirects");
}

/// The relying party: the core's machines with a native adapter, and a browser (a
/// cookie store of its own) for the provider's interactions.
struct Rp {
    provider: Provider,
    adapter: Adapter,
    browser: reqwest::Client,
    issuer: Issuer,
    scopes: Scopes,
    policy: OptionPolicy,
    system_headers: SystemHeaders,
}

/// A login started by `Begin` and taken through the provider.
struct Flow {
    url: String,
    transaction: LoginTransaction,
    callback: String,
}

fn no_redirects() -> reqwest::ClientBuilder {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none())
}

impl Rp {
    fn start() -> Self {
        let provider = Provider::start();
        let issuer = Issuer::new(&provider.issuer).unwrap();
        Rp {
            provider,
            adapter: Adapter::new(no_redirects().build().unwrap()),
            browser: no_redirects().cookie_store(true).build().unwrap(),
            issuer,
            scopes: Scopes::parse("profile email", true).unwrap(),
            policy: OptionPolicy::default(),
            system_headers: SystemHeaders::default(),
        }
    }

    /// The client as registered (client_secret_basic), with `secret`.
    fn credentials(secret: &str) -> ClientCredentials {
        ClientCredentials {
            client_id: CLIENT_ID.into(),
            client_secret: Secret::new(secret),
            method: TokenAuthMethod::ClientSecretBasic,
            partner: None,
        }
    }

    /// `Begin` with `cache`, driven to its end; the cache as it left it.
    async fn begin(&self, cache: ProviderCache) -> (Started, ProviderCache) {
        let settings = BeginSettings {
            issuer: &self.issuer,
            client_id: CLIENT_ID,
            msn: None,
            redirect_uri: REDIRECT,
            scopes: &self.scopes,
            allow_non_vipps_scopes: true,
            policy: &self.policy,
        };
        let (mut begin, first) = Begin::start(
            settings,
            PerLogin::default(),
            vipps_login::random_state().expect("a state"),
            None,
            "browser-binding-hash".into(),
            cache,
            unix_now(),
        )
        .unwrap();
        let started = self
            .adapter
            .drive(&mut begin, first, unix_now)
            .await
            .unwrap();
        (started, begin.cache().clone())
    }

    /// Starts a login and takes it through the provider (`cancel`: the user declines).
    async fn login(&self, cache: ProviderCache, cancel: bool) -> (Flow, ProviderCache) {
        let (started, cache) = self.begin(cache).await;
        let callback = authorize(&self.browser, &started.url, cancel).await;
        let flow = Flow {
            url: started.url,
            transaction: started.transaction,
            callback,
        };
        (flow, cache)
    }

    /// `Completion` of `callback` with `secret` and `cache`, driven to its end; the
    /// cache as it left it.
    async fn complete(
        &self,
        flow: &Flow,
        callback: &str,
        secret: &str,
        cache: ProviderCache,
    ) -> (Result<VerifiedLogin, Error>, ProviderCache) {
        let credentials = Rp::credentials(secret);
        let client = TokenClient {
            issuer: &self.issuer,
            credentials: &credentials,
            system_headers: &self.system_headers,
            leeway_secs: DEFAULT_LEEWAY_SECS,
        };
        let started = Completion::start(
            flow.transaction.clone(),
            callback,
            client,
            cache.clone(),
            unix_now(),
        );
        let (mut completion, first) = match started {
            Ok(started) => started,
            Err(e) => return (Err(e), cache),
        };
        let result = self.adapter.drive(&mut completion, first, unix_now).await;
        (result, completion.cache().clone())
    }
}

#[tokio::test]
async fn standard_code_flow_with_pkce_against_oidc_provider() {
    let rp = Rp::start();

    // Discovery (its issuer must equal ours byte for byte) decides the endpoints and
    // that callbacks must carry iss (authorization_response_iss_parameter_supported).
    let (flow, cache) = rp.login(ProviderCache::default(), false).await;
    let log = rp.adapter.take_log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].purpose, Purpose::Discovery);
    assert_eq!(
        log[0].url,
        format!("{}/.well-known/openid-configuration", rp.provider.issuer)
    );
    let metadata = cache.discovery.clone().expect("discovery cached");
    assert_eq!(
        metadata.authorization_response_iss_parameter_supported,
        Some(true)
    );
    assert!(
        flow.url.starts_with(&metadata.authorization_endpoint),
        "{}",
        flow.url
    );
    assert!(flow.transaction.iss_required);
    assert_eq!(flow.transaction.issuer, rp.provider.issuer);
    assert_eq!(flow.transaction.scope, "openid profile email");

    // RFC 9207: oidc-provider sends iss, and it is checked.
    assert_eq!(
        common::query_param(&flow.callback, "iss").as_deref(),
        Some(rp.provider.issuer.as_str())
    );

    // Begin's cache holds the discovery document: the completion does not fetch it again.
    let (result, _) = rp
        .complete(&flow, &flow.callback, CLIENT_SECRET, cache.clone())
        .await;
    let login = result.unwrap();
    let log = rp.adapter.take_log();
    let purposes: Vec<Purpose> = log.iter().map(|x| x.purpose).collect();
    assert_eq!(purposes, [Purpose::Token, Purpose::Jwks, Purpose::Userinfo]);
    assert_eq!(log[0].url, metadata.token_endpoint);
    assert_eq!(log[1].url, metadata.jwks_uri);

    // oidc-provider sends aud as a string, Vipps as an array: both pass.
    let tokens: serde_json::Value = serde_json::from_slice(&log[0].response.body).unwrap();
    let jwt = UnverifiedJwt::parse(tokens["id_token"].as_str().unwrap()).unwrap();
    assert!(jwt.claims["aud"].is_string());

    assert_eq!(login.sub(), "oidc-user-1");
    assert_eq!(login.claims().iss, rp.provider.issuer);
    assert_eq!(login.userinfo()["name"], "Ada Lovelace");
    assert_eq!(login.userinfo()["email"], "ada@example.org");
    assert_eq!(login.display_name(), "Ada Lovelace");

    // The same code again: invalid_grant, mapped with advice.
    let (again, _) = rp
        .complete(&flow, &flow.callback, CLIENT_SECRET, cache)
        .await;
    let e = again.unwrap_err();
    assert_eq!(e.code(), ErrorCode::TokenInvalidGrant);
    assert!(e.hint().is_some());
}

#[tokio::test]
async fn cancel_and_wrong_secret_against_oidc_provider() {
    let rp = Rp::start();

    let (flow, cache) = rp.login(ProviderCache::default(), true).await;
    let (result, cache) = rp
        .complete(&flow, &flow.callback, CLIENT_SECRET, cache)
        .await;
    assert_eq!(result.unwrap_err().code(), ErrorCode::VippsAccessDenied);

    let (flow, cache) = rp.login(cache, false).await;
    let (result, _) = rp.complete(&flow, &flow.callback, "wrong", cache).await;
    assert_eq!(result.unwrap_err().code(), ErrorCode::TokenInvalidClient);
}

#[tokio::test]
async fn a_callback_without_or_with_another_iss_is_refused() {
    let rp = Rp::start();
    let (flow, cache) = rp.login(ProviderCache::default(), false).await;
    assert!(flow.transaction.iss_required);
    rp.adapter.take_log();

    // The provider advertises that it always sends iss (RFC 9207 2.4): without it the
    // callback may come from a mix-up, and is refused before the code is used.
    let stripped = without_param(&flow.callback, "iss");
    assert!(!stripped.contains("iss="), "{stripped}");
    let (result, _) = rp
        .complete(&flow, &stripped, CLIENT_SECRET, cache.clone())
        .await;
    assert_eq!(result.unwrap_err().code(), ErrorCode::IssuerMissing);

    let other = with_param(&flow.callback, "iss", "http://127.0.0.1:1");
    let (result, _) = rp
        .complete(&flow, &other, CLIENT_SECRET, cache.clone())
        .await;
    assert_eq!(result.unwrap_err().code(), ErrorCode::IssuerMismatch);
    assert!(
        rp.adapter.take_log().is_empty(),
        "nothing sent for a refused callback"
    );

    // Nothing was spent: the callback as the provider sent it completes.
    let (result, _) = rp
        .complete(&flow, &flow.callback, CLIENT_SECRET, cache)
        .await;
    assert_eq!(result.unwrap().sub(), "oidc-user-1");
}

#[tokio::test]
async fn a_kept_provider_cache_skips_discovery_and_jwks_on_the_next_login() {
    let rp = Rp::start();

    // Nothing cached, not even Begin's: the completion discovers for itself.
    let (flow, _) = rp.login(ProviderCache::default(), false).await;
    assert_eq!(rp.adapter.take_purposes(), [Purpose::Discovery]);
    let (result, cache) = rp
        .complete(
            &flow,
            &flow.callback,
            CLIENT_SECRET,
            ProviderCache::default(),
        )
        .await;
    result.unwrap();
    assert_eq!(
        rp.adapter.take_purposes(),
        [
            Purpose::Discovery,
            Purpose::Token,
            Purpose::Jwks,
            Purpose::Userinfo
        ]
    );
    assert!(cache.discovery.is_some() && !cache.jwks.keys.is_empty());

    // Kept as the Worker keeps it (serialized), the next login fetches neither.
    let kept: ProviderCache =
        serde_json::from_str(&serde_json::to_string(&cache).unwrap()).unwrap();
    assert_eq!(kept, cache);
    let (flow, cache) = rp.login(kept, false).await;
    assert_eq!(rp.adapter.take_purposes(), []);
    assert!(
        flow.transaction.iss_required,
        "iss_required from the cached document"
    );
    let (result, _) = rp
        .complete(&flow, &flow.callback, CLIENT_SECRET, cache)
        .await;
    assert_eq!(result.unwrap().sub(), "oidc-user-1");
    assert_eq!(
        rp.adapter.take_purposes(),
        [Purpose::Token, Purpose::Userinfo]
    );
}
