//! The core's whole login flow over real HTTP on loopback, against the local Vipps
//! emulator: create_login → authorize (the emulator's test-only approve shortcut) →
//! parse_callback → token request → id_token (RS256 verified natively here; WebCrypto in
//! the Worker) → userinfo → session. And every emulator fault switch, rejected by the
//! core with its own error code.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{unix_now, verify_rs256};
use serde_json::{json, Value};
use std::net::SocketAddr;
use vipps_login::http::{HttpRequest, HttpResponse};
use vipps_login::id_token::{validate_id_token_claims, IdTokenExpectations, DEFAULT_LEEWAY_SECS};
use vipps_login::jose::UnverifiedJwt;
use vipps_login::jwks::{parse_jwks, JwksCache, KeyLookup};
use vipps_login::login::{create_login, LoginOptions, ScopeInput};
use vipps_login::token::{
    process_token_response, token_request, ClientCredentials, Secret, SystemHeaders,
    TokenAuthMethod,
};
use vipps_login::userinfo::{process_userinfo_response, userinfo_request};
use vipps_login::{parse_callback, Endpoints, Environment, ErrorCode, Issuer, PkceCodeVerifier};
use vipps_login_emulator::{start, Config, Running};

const REDIRECT: &str = "http://127.0.0.1:8787/callback";

struct Harness {
    emulator: Running,
    http: reqwest::Client,
    endpoints: Endpoints,
}

impl Harness {
    async fn new() -> Self {
        let bind: SocketAddr = "127.0.0.1:0".parse().unwrap();
        let emulator = start(Config::shipped_default(), bind, None).await.unwrap();
        let issuer = Issuer::new(&emulator.issuer).unwrap();
        let endpoints = Endpoints::for_environment(&Environment::Custom(issuer)).unwrap();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Harness {
            emulator,
            http,
            endpoints,
        }
    }

    async fn send(&self, request: &HttpRequest) -> HttpResponse {
        common::send(&self.http, request).await
    }

    async fn control(&self, path: &str, body: Value) {
        let url = format!("{}/_emulator/{path}", self.emulator.base_url);
        let r = self.http.post(url).json(&body).send().await.unwrap();
        assert!(r.status().is_success(), "{path}: {}", r.status());
    }

    /// Runs the flow up to the token response; returns what the rest needs.
    async fn login(&self, client_id: &str, user: &str) -> Flow {
        let login = create_login(&LoginOptions {
            issuer: Some(self.emulator.issuer.clone()),
            client_id: Some(client_id.into()),
            redirect_uri: REDIRECT.into(),
            scope: ScopeInput::Joined("name email phoneNumber address".into()),
            pkce: true,
            ..Default::default()
        })
        .unwrap();
        let url = format!("{}&_emulator_user={user}", login.url);
        let response = self.http.get(url).send().await.unwrap();
        assert_eq!(response.status(), 302);
        let location = response.headers()["location"].to_str().unwrap().to_string();
        assert!(location.starts_with(REDIRECT), "{location}");
        Flow {
            callback: location,
            state: login.state,
            nonce: login.nonce,
            verifier: login.code_verifier.unwrap(),
            issuer: login.issuer.as_str().to_string(),
        }
    }

    fn credentials(&self, client_id: &str) -> ClientCredentials {
        let config = Config::shipped_default();
        let unit = config
            .sales_units
            .iter()
            .find(|u| u.client_id == client_id)
            .unwrap();
        ClientCredentials {
            client_id: unit.client_id.clone(),
            client_secret: Secret::new(unit.client_secret.clone()),
            method: TokenAuthMethod::parse(&unit.token_auth_method).unwrap(),
        }
    }

    /// Callback, token exchange, id_token verification and claims, userinfo.
    async fn finish(
        &self,
        flow: &Flow,
        client_id: &str,
    ) -> Result<(String, serde_json::Map<String, Value>), ErrorCode> {
        let cb = parse_callback(&flow.callback, &flow.state, Some(&flow.issuer))
            .map_err(|e| e.code())?;
        let request = token_request(
            &self.endpoints.token_endpoint,
            &self.credentials(client_id),
            &cb.code,
            REDIRECT,
            Some(&flow.verifier),
            &SystemHeaders::this_library(Some("core-flow-test".into()), Some("1".into())),
        )
        .unwrap();
        let tokens = process_token_response(&self.send(&request).await).map_err(|e| e.code())?;
        let jwt = UnverifiedJwt::parse(&tokens.id_token).map_err(|e| e.code())?;

        let mut cache = JwksCache::default();
        let now = unix_now() + self.clock_offset().await;
        let mut fetched = false;
        let key = loop {
            match cache.lookup(jwt.header.kid.as_deref(), now) {
                KeyLookup::Found(k) => break k.clone(),
                KeyLookup::Fetch if !fetched => {
                    let jwks = self
                        .send(&HttpRequest {
                            method: "GET",
                            url: self.endpoints.jwks_uri.clone(),
                            headers: vec![],
                            body: String::new(),
                        })
                        .await;
                    if jwks.status != 200 {
                        return Err(ErrorCode::JwksUnavailable);
                    }
                    cache.replace(parse_jwks(&jwks.body).map_err(|e| e.code())?, now);
                    fetched = true;
                }
                _ => return Err(ErrorCode::IdTokenKidUnknown),
            }
        };
        if !verify_rs256(&key, &jwt) {
            return Err(ErrorCode::IdTokenSignatureInvalid);
        }
        let claims = validate_id_token_claims(
            &jwt,
            &IdTokenExpectations {
                issuer: &flow.issuer,
                client_id,
                nonce: &flow.nonce,
                acr: None,
                leeway_secs: DEFAULT_LEEWAY_SECS,
            },
            now,
        )
        .map_err(|e| e.code())?;
        let userinfo_url = self.endpoints.userinfo_endpoint.clone().unwrap();
        let info = self
            .send(&userinfo_request(&userinfo_url, &tokens.access_token))
            .await;
        let info = process_userinfo_response(&info, &claims.sub).map_err(|e| e.code())?;
        Ok((claims.sub, info))
    }

    async fn clock_offset(&self) -> u64 {
        let health: Value = self
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
}

struct Flow {
    callback: String,
    state: String,
    nonce: String,
    verifier: PkceCodeVerifier,
    issuer: String,
}

#[tokio::test]
async fn full_login_with_client_secret_basic_and_post() {
    let h = Harness::new().await;
    for client in ["demo-client", "post-client"] {
        let flow = h.login(client, "ola").await;
        let (sub, info) = h.finish(&flow, client).await.unwrap();
        assert_eq!(info["sub"], sub.as_str());
        assert_eq!(info["name"], "Ola Nordmann");
        assert_eq!(info["phone_number"], "4712345678");
        assert!(info["address"].is_object() && info["other_addresses"].is_array());
    }
}

#[tokio::test]
async fn pairwise_sub_differs_between_sales_units() {
    let h = Harness::new().await;
    let (a, _) = h
        .finish(&h.login("demo-client", "ola").await, "demo-client")
        .await
        .unwrap();
    let (b, _) = h
        .finish(&h.login("other-client", "ola").await, "other-client")
        .await
        .unwrap();
    assert_ne!(a, b);
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
    let cb = parse_callback(&flow.callback, &flow.state, None).unwrap();
    let mut creds = h.credentials("post-client");
    creds.method = TokenAuthMethod::ClientSecretBasic;
    let request = token_request(
        &h.endpoints.token_endpoint,
        &creds,
        &cb.code,
        REDIRECT,
        Some(&flow.verifier),
        &SystemHeaders::default(),
    )
    .unwrap();
    let e = process_token_response(&h.send(&request).await).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TokenInvalidClient);
    assert!(e.hint().unwrap().contains("client_secret_post"));
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
async fn cancel_and_under_15_come_back_as_access_denied() {
    let h = Harness::new().await;
    let flow = h.login("demo-client", "emil").await;
    assert_eq!(
        h.finish(&flow, "demo-client").await.unwrap_err(),
        ErrorCode::VippsAccessDenied
    );
}
