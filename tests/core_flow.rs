//! The core's whole login flow over real HTTP on loopback, against the local Vipps
//! emulator, driven by the core's own machines as the Worker drives them: `Begin`
//! (the authorization URL and the transaction) → authorize (the emulator's test-only
//! approve shortcut) → `Completion` (callback, token, JWKS, id_token signature verified
//! natively here as WebCrypto does in the Worker, claims, userinfo) → a `VerifiedLogin`.
//! And every emulator fault switch, rejected by the core with its own error code.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{query_param, unix_now, Adapter};
use serde_json::{json, Value};
use std::net::SocketAddr;
use vipps_login::begin::{Begin, BeginSettings, OptionPolicy, PerLogin, Started};
use vipps_login::completion::{Completion, TokenClient, VerifiedLogin};
use vipps_login::id_token::DEFAULT_LEEWAY_SECS;
use vipps_login::machine::{ProviderCache, Purpose};
use vipps_login::token::{ClientCredentials, Secret, SystemHeaders, TokenAuthMethod};
use vipps_login::transaction::LoginTransaction;
use vipps_login::{Error, ErrorCode, Issuer, Market, Scopes};
use vipps_login_emulator::{start, Config, Running};

const REDIRECT: &str = "http://127.0.0.1:8787/callback";
const SCOPES: &str = "name email phoneNumber address";
const APP_AUTH: &str = "urn:vipps:acr:app_auth";
const AUTOMATIC_RETURN: &str = "automatic_return_from_vipps_app";

struct Harness {
    emulator: Running,
    adapter: Adapter,
    issuer: Issuer,
    scopes: Scopes,
    policy: OptionPolicy,
    config: Config,
    system_headers: SystemHeaders,
}

/// A login started by `Begin` and authorized at the emulator.
struct Flow {
    url: String,
    transaction: LoginTransaction,
    callback: String,
}

impl Harness {
    async fn new() -> Self {
        let bind: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let emulator = start(Config::shipped_default(), bind, None).await.unwrap();
        let issuer = Issuer::new(&emulator.issuer).unwrap();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Harness {
            emulator,
            adapter: Adapter::new(http),
            issuer,
            scopes: Scopes::parse(SCOPES, false).unwrap(),
            // What a Worker allowing every per-login option is configured with.
            policy: OptionPolicy {
                markets: vec![Market::No, Market::Dk],
                flows: vec![AUTOMATIC_RETURN.into()],
                final_redirect_is_app: true,
                acr_values: vec![APP_AUTH.into()],
                app_callback_uris: Vec::new(),
            },
            config: Config::shipped_default(),
            system_headers: SystemHeaders::this_library(
                Some("core-flow-test".into()),
                Some("1".into()),
            ),
        }
    }

    async fn control(&self, path: &str, body: Value) {
        let url = format!("{}/_emulator/{path}", self.emulator.base_url);
        let r = self
            .adapter
            .http
            .post(url)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
    }

    /// The emulator's clock runs ahead of ours by this much (`/_emulator/clock`).
    async fn clock_offset(&self) -> u64 {
        let health: Value = self
            .adapter
            .http
            .get(format!("{}/_emulator/health", self.emulator.base_url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        health["clock_offset_secs"].as_u64().unwrap_or(0)
    }

    /// A clock in step with the emulator's.
    async fn clock(&self) -> impl Fn() -> u64 {
        let offset = self.clock_offset().await;
        move || unix_now() + offset
    }

    /// The shipped sales unit whose client_id this is.
    fn unit(&self, client_id: &str) -> &vipps_login_emulator::config::SalesUnit {
        self.config
            .sales_units
            .iter()
            .find(|u| u.client_id == client_id)
            .unwrap()
    }

    /// The shipped partner unit (the one with an `msn`).
    fn partner(&self) -> &vipps_login_emulator::config::SalesUnit {
        self.config
            .sales_units
            .iter()
            .find(|u| u.msn.is_some())
            .expect("a shipped partner unit with msn")
    }

    fn credentials(&self, client_id: &str) -> ClientCredentials {
        let unit = self.unit(client_id);
        ClientCredentials {
            client_id: unit.client_id.clone(),
            client_secret: Secret::new(unit.client_secret.clone()),
            method: TokenAuthMethod::parse(&unit.token_auth_method).unwrap(),
            partner: None,
        }
    }

    /// `Begin` for `client_id` (as a partner with `msn`), driven to its end.
    async fn begin(
        &self,
        client_id: &str,
        msn: Option<&str>,
        request: PerLogin,
    ) -> Result<Started, Error> {
        let settings = BeginSettings {
            issuer: &self.issuer,
            client_id,
            msn,
            redirect_uri: REDIRECT,
            scopes: &self.scopes,
            allow_non_vipps_scopes: false,
            policy: &self.policy,
        };
        let now = self.clock().await;
        let sent = self.adapter.sent();
        let (mut begin, first) = Begin::start(
            settings,
            request,
            vipps_login::random_state().expect("a state"),
            None,
            "browser-binding-hash".into(),
            ProviderCache::default(),
            now(),
        )?;
        let started = self.adapter.drive(&mut begin, first, now).await;
        // Vipps' layout: the endpoints are known, nothing is fetched to start a login.
        assert_eq!(self.adapter.sent(), sent);
        started
    }

    /// The authorization URL through the emulator's shortcut: the callback URL.
    async fn authorize(&self, url: &str, user: &str) -> String {
        let url = format!("{url}&_emulator_user={user}");
        let response = self.adapter.http.get(url).send().await.unwrap();
        assert_eq!(response.status(), 302);
        let location = response.headers()["location"].to_str().unwrap().to_string();
        assert!(location.starts_with(REDIRECT), "{location}");
        location
    }

    async fn login_with(
        &self,
        client_id: &str,
        msn: Option<&str>,
        request: PerLogin,
        user: &str,
    ) -> Flow {
        let started = self.begin(client_id, msn, request).await.unwrap();
        let callback = self.authorize(&started.url, user).await;
        Flow {
            url: started.url,
            transaction: started.transaction,
            callback,
        }
    }

    async fn login(&self, client_id: &str, user: &str) -> Flow {
        self.login_with(client_id, None, PerLogin::default(), user)
            .await
    }

    /// `Completion` with these credentials and cache, driven to its end; the cache as
    /// the run left it.
    async fn complete(
        &self,
        flow: &Flow,
        credentials: &ClientCredentials,
        cache: ProviderCache,
    ) -> (Result<VerifiedLogin, Error>, ProviderCache) {
        let client = TokenClient {
            issuer: &self.issuer,
            credentials,
            system_headers: &self.system_headers,
            leeway_secs: DEFAULT_LEEWAY_SECS,
        };
        let now = self.clock().await;
        let started = Completion::start(
            flow.transaction.clone(),
            &flow.callback,
            client,
            cache.clone(),
            now(),
        );
        let (mut completion, first) = match started {
            Ok(started) => started,
            Err(e) => return (Err(e), cache),
        };
        let result = self.adapter.drive(&mut completion, first, now).await;
        (result, completion.cache().clone())
    }

    /// The completion with the unit's own credentials and nothing cached.
    async fn finish(&self, flow: &Flow, client_id: &str) -> Result<VerifiedLogin, ErrorCode> {
        let credentials = self.credentials(client_id);
        let (result, _) = self
            .complete(flow, &credentials, ProviderCache::default())
            .await;
        result.map_err(|e| e.code())
    }
}

#[tokio::test]
async fn full_login_with_client_secret_basic_and_post() {
    let h = Harness::new().await;
    for client in ["demo-client", "post-client"] {
        let flow = h.login(client, "ola").await;
        let login = h.finish(&flow, client).await.unwrap();
        // Token, JWKS, (signature), userinfo: nothing else.
        assert_eq!(
            h.adapter.take_purposes(),
            [Purpose::Token, Purpose::Jwks, Purpose::Userinfo]
        );
        let info = login.userinfo();
        assert_eq!(info["sub"], login.sub());
        assert_eq!(info["name"], "Ola Nordmann");
        assert_eq!(info["phone_number"], "4712345678");
        assert!(info["address"].is_object() && info["other_addresses"].is_array());
        assert_eq!(login.claims().iss, h.emulator.issuer);
        assert_eq!(login.claims().acr, None);
        assert_eq!(login.claims().msn, None);
        assert_eq!(login.scope(), "openid name email phoneNumber address");
        assert_eq!(login.return_to(), "/");
        assert_eq!(login.display_name(), "Ola Nordmann");
    }
}

#[tokio::test]
async fn pairwise_sub_differs_between_sales_units() {
    let h = Harness::new().await;
    let a = h
        .finish(&h.login("demo-client", "ola").await, "demo-client")
        .await
        .unwrap();
    let b = h
        .finish(&h.login("other-client", "ola").await, "other-client")
        .await
        .unwrap();
    assert_ne!(a.sub(), b.sub());
}

#[tokio::test]
async fn a_code_is_redeemed_once() {
    let h = Harness::new().await;
    let flow = h.login("demo-client", "kari").await;
    assert!(h.finish(&flow, "demo-client").await.is_ok());
    assert_eq!(
        h.finish(&flow, "demo-client").await.unwrap_err(),
        ErrorCode::TokenInvalidGrant
    );
}

#[tokio::test]
async fn wrong_auth_method_is_invalid_client() {
    let h = Harness::new().await;
    let flow = h.login("post-client", "ola").await;
    let mut credentials = h.credentials("post-client");
    credentials.method = TokenAuthMethod::ClientSecretBasic;
    let (result, _) = h
        .complete(&flow, &credentials, ProviderCache::default())
        .await;
    let e = result.unwrap_err();
    assert_eq!(e.code(), ErrorCode::TokenInvalidClient);
    assert!(e.hint().unwrap().contains("client_secret_post"), "{e:?}");
}

#[tokio::test]
async fn expired_code_is_invalid_grant() {
    let h = Harness::new().await;
    let flow = h.login("demo-client", "ola").await;
    h.control("clock", json!({"advance_secs": 121})).await;
    assert_eq!(
        h.finish(&flow, "demo-client").await.unwrap_err(),
        ErrorCode::TokenInvalidGrant
    );
}

#[tokio::test]
async fn every_emulator_fault_is_rejected_with_its_code() {
    let cases = [
        (json!({"unknown_kid": true}), ErrorCode::IdTokenKidUnknown),
        (
            json!({"bad_signature": true}),
            ErrorCode::IdTokenSignatureInvalid,
        ),
        (json!({"alg_none": true}), ErrorCode::IdTokenAlgNotAllowed),
        (json!({"wrong_iss": true}), ErrorCode::IdTokenIssuerMismatch),
        (
            json!({"wrong_aud": true}),
            ErrorCode::IdTokenAudienceMismatch,
        ),
        (json!({"extra_aud": true}), ErrorCode::IdTokenAzpMismatch),
        (json!({"expired": true}), ErrorCode::IdTokenExpired),
        (
            json!({"iat_future": true}),
            ErrorCode::IdTokenIssuedInFuture,
        ),
        (
            json!({"wrong_nonce": true}),
            ErrorCode::IdTokenNonceMismatch,
        ),
        (
            json!({"missing_nonce": true}),
            ErrorCode::IdTokenNonceMismatch,
        ),
        (json!({"missing_sub": true}), ErrorCode::IdTokenSubMissing),
        (
            json!({"userinfo_sub_mismatch": true}),
            ErrorCode::UserinfoSubMismatch,
        ),
        (json!({"token_500": true}), ErrorCode::TokenServerError),
        (
            json!({"token_malformed_json": true}),
            ErrorCode::TokenResponseInvalid,
        ),
        (
            json!({"jwks_unavailable": true}),
            ErrorCode::JwksUnavailable,
        ),
    ];
    let h = Harness::new().await;
    for (fault, code) in cases {
        h.control("reset", json!({})).await;
        h.control("faults", fault.clone()).await;
        let flow = h.login("demo-client", "ola").await;
        assert_eq!(
            h.finish(&flow, "demo-client").await.unwrap_err(),
            code,
            "{fault}"
        );
    }
}

#[tokio::test]
async fn key_rotation_is_followed_by_kid() {
    let h = Harness::new().await;
    h.control("rotate-key", json!({})).await;
    let flow = h.login("demo-client", "ola").await;
    assert!(h.finish(&flow, "demo-client").await.is_ok());
}

#[tokio::test]
async fn a_key_rotated_after_caching_is_fetched_once_by_its_new_kid() {
    let h = Harness::new().await;
    let credentials = h.credentials("demo-client");
    let flow = h.login("demo-client", "ola").await;
    let (result, cache) = h
        .complete(&flow, &credentials, ProviderCache::default())
        .await;
    result.unwrap();
    // The RS256 keys (the JWKS also holds the CIBA redirect variant's ES256 key).
    let rsa = |cache: &ProviderCache| cache.jwks.keys.iter().filter(|k| k.kty == "RSA").count();
    assert_eq!(rsa(&cache), 1);
    h.adapter.take_purposes();

    // The cached JWKS serves the next login without a fetch.
    let flow = h.login("demo-client", "kari").await;
    let (result, cache) = h.complete(&flow, &credentials, cache).await;
    result.unwrap();
    assert_eq!(
        h.adapter.take_purposes(),
        [Purpose::Token, Purpose::Userinfo]
    );

    // A new key: its kid is unknown to the cache, so the JWKS is fetched once.
    h.control("rotate-key", json!({})).await;
    let flow = h.login("demo-client", "ola").await;
    let (result, cache) = h.complete(&flow, &credentials, cache).await;
    result.unwrap();
    assert_eq!(
        h.adapter.take_purposes(),
        [Purpose::Token, Purpose::Jwks, Purpose::Userinfo]
    );
    assert_eq!(rsa(&cache), 2);
}

#[tokio::test]
async fn cancel_and_under_15_come_back_as_access_denied() {
    let h = Harness::new().await;
    // Under 15 (the shipped user emil).
    let flow = h.login("demo-client", "emil").await;
    assert_eq!(
        h.finish(&flow, "demo-client").await.unwrap_err(),
        ErrorCode::VippsAccessDenied
    );
    // Cancel (the emulator's cancel shortcut).
    let started = h
        .begin("demo-client", None, PerLogin::default())
        .await
        .unwrap();
    let response = h
        .adapter
        .http
        .get(format!("{}&_emulator_cancel=1", started.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 302);
    let flow = Flow {
        url: started.url,
        transaction: started.transaction,
        callback: response.headers()["location"].to_str().unwrap().to_string(),
    };
    assert_eq!(
        h.finish(&flow, "demo-client").await.unwrap_err(),
        ErrorCode::VippsAccessDenied
    );
    // Refused at the callback: nothing was sent.
    assert_eq!(h.adapter.take_purposes(), []);
}

#[tokio::test]
async fn every_per_login_option_reaches_the_authorization_url_and_vipps_accepts_it() {
    let h = Harness::new().await;
    let request = PerLogin {
        return_to: Some("/account?tab=1".into()),
        market: Some("DK".into()),
        requested_flow: Some(AUTOMATIC_RETURN.into()),
        final_redirect_is_app: Some(false),
        acr_values: Some(APP_AUTH.into()),
        scope: Some("name email".into()),
        app_callback_uri: None,
    };
    let flow = h.login_with("demo-client", None, request, "ola").await;
    for (name, value) in [
        ("market", "DK"),
        ("requested_flow", AUTOMATIC_RETURN),
        ("final_redirect_is_app", "false"),
        ("acr_values", APP_AUTH),
        ("scope", "openid name email"),
        ("client_id", "demo-client"),
        ("redirect_uri", REDIRECT),
        ("code_challenge_method", "S256"),
    ] {
        assert_eq!(
            query_param(&flow.url, name).as_deref(),
            Some(value),
            "{name} in {}",
            flow.url
        );
    }
    let t = &flow.transaction;
    assert_eq!(t.acr_values.as_deref(), Some(APP_AUTH));
    assert_eq!(t.requested_flow.as_deref(), Some(AUTOMATIC_RETURN));
    assert!(t.allows_other_browser());

    let login = h.finish(&flow, "demo-client").await.unwrap();
    assert_eq!(login.claims().acr.as_deref(), Some(APP_AUTH));
    assert_eq!(login.scope(), "openid name email");
    assert_eq!(login.return_to(), "/account?tab=1");
    assert_eq!(login.requested_flow(), Some(AUTOMATIC_RETURN));
    // Only the subset was consented to.
    assert_eq!(login.userinfo()["email"], "ola@example.no");
    assert!(login.userinfo().get("phone_number").is_none());

    // final_redirect_is_app=true is accepted as well.
    let request = PerLogin {
        final_redirect_is_app: Some(true),
        market: Some("NO".into()),
        ..Default::default()
    };
    let flow = h.login_with("demo-client", None, request, "ola").await;
    assert_eq!(
        query_param(&flow.url, "final_redirect_is_app").as_deref(),
        Some("true")
    );
    assert!(h.finish(&flow, "demo-client").await.is_ok());
}

#[tokio::test]
async fn acr_values_requested_is_confirmed_by_the_id_token() {
    let h = Harness::new().await;
    let request = || PerLogin {
        acr_values: Some(APP_AUTH.into()),
        ..Default::default()
    };
    let flow = h.login_with("demo-client", None, request(), "ola").await;
    let login = h.finish(&flow, "demo-client").await.unwrap();
    assert_eq!(login.claims().acr.as_deref(), Some(APP_AUTH));

    for fault in ["wrong_acr", "missing_acr"] {
        h.control("reset", json!({})).await;
        h.control("faults", json!({ fault: true })).await;
        let flow = h.login_with("demo-client", None, request(), "ola").await;
        assert_eq!(
            h.finish(&flow, "demo-client").await.unwrap_err(),
            ErrorCode::IdTokenAcrMismatch,
            "{fault}"
        );
    }

    // Without acr_values in the login, the acr faults change nothing.
    let flow = h.login("demo-client", "ola").await;
    assert!(h.finish(&flow, "demo-client").await.is_ok());
}

#[tokio::test]
async fn acr_values_no_setting_allows_is_refused_before_anything_is_built() {
    let mut h = Harness::new().await;
    h.policy.acr_values.clear();
    let request = PerLogin {
        acr_values: Some(APP_AUTH.into()),
        ..Default::default()
    };
    let e = h.begin("demo-client", None, request).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::OptionNotAllowed);
    assert_eq!(e.detail("setting"), Some("VIPPS_ALLOWED_ACR_VALUES"));
}

#[tokio::test]
async fn a_partner_logs_in_by_msn_and_the_id_token_names_it() {
    let h = Harness::new().await;
    let partner = h.partner();
    let msn = partner.msn.as_deref().unwrap();
    let client_id = partner.client_id.as_str();

    let flow = h
        .login_with(client_id, Some(msn), PerLogin::default(), "ola")
        .await;
    assert_eq!(query_param(&flow.url, "msn").as_deref(), Some(msn));
    assert_eq!(query_param(&flow.url, "client_id"), None);
    assert_eq!(flow.transaction.msn.as_deref(), Some(msn));
    assert_eq!(flow.transaction.client_id, client_id);
    // The token request authenticates with the unit's own client_id and secret.
    let login = h.finish(&flow, client_id).await.unwrap();
    assert_eq!(login.claims().msn.as_deref(), Some(msn));
    assert_eq!(login.userinfo()["name"], "Ola Nordmann");

    h.control("faults", json!({"wrong_msn": true})).await;
    let flow = h
        .login_with(client_id, Some(msn), PerLogin::default(), "ola")
        .await;
    assert_eq!(
        h.finish(&flow, client_id).await.unwrap_err(),
        ErrorCode::IdTokenMsnMismatch
    );
}

#[tokio::test]
async fn a_callback_for_another_client_than_configured_now_is_refused() {
    let h = Harness::new().await;
    let flow = h.login("demo-client", "ola").await;
    let (result, _) = h
        .complete(
            &flow,
            &h.credentials("other-client"),
            ProviderCache::default(),
        )
        .await;
    assert_eq!(result.unwrap_err().code(), ErrorCode::ConfigInvalid);
    assert_eq!(h.adapter.take_purposes(), []);
    // The code was not spent: the right configuration still completes.
    assert!(h.finish(&flow, "demo-client").await.is_ok());
}
