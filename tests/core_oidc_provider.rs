//! The core against **oidc-provider** (npm), a certified OpenID Provider nobody here
//! wrote, configured as a standard provider (client_secret_basic, PKCE S256, RS256,
//! RFC 9207 `iss`): discovery, authorization URL, callback, token, id_token, userinfo.
//! Proves the core speaks standard OIDC and is not tuned to our own emulator.
//! Needs Node and `npm ci` (make test does both).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{get, send, unix_now, verify_rs256};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use vipps_login::discovery::{discovery_request, process_discovery_response};
use vipps_login::id_token::{validate_id_token_claims, IdTokenExpectations, DEFAULT_LEEWAY_SECS};
use vipps_login::jose::UnverifiedJwt;
use vipps_login::jwks::parse_jwks;
use vipps_login::login::{create_login, LoginOptions, ScopeInput};
use vipps_login::token::{
    process_token_response, token_request, ClientCredentials, Secret, SystemHeaders,
    TokenAuthMethod,
};
use vipps_login::userinfo::{process_userinfo_response, userinfo_request};
use vipps_login::{parse_callback, ErrorCode, Issuer};

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

/// The token request for this client (client_secret_basic) with `secret`.
fn exchange(
    token_endpoint: &str,
    secret: &str,
    code: &str,
    verifier: Option<&vipps_login::PkceCodeVerifier>,
) -> vipps_login::http::HttpRequest {
    let client = ClientCredentials {
        client_id: CLIENT_ID.into(),
        client_secret: Secret::new(secret),
        method: TokenAuthMethod::ClientSecretBasic,
    };
    token_request(
        token_endpoint,
        &client,
        code,
        REDIRECT,
        verifier,
        &SystemHeaders::default(),
    )
    .unwrap()
}

#[tokio::test]
async fn standard_code_flow_with_pkce_against_oidc_provider() {
    let provider = Provider::start();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let issuer = Issuer::new(&provider.issuer).unwrap();

    // Discovery: the document's issuer must equal ours byte for byte.
    let doc = send(&http, &get(&discovery_request(&issuer))).await;
    let metadata = process_discovery_response(&doc.body, &issuer).unwrap();
    assert_eq!(
        metadata.authorization_response_iss_parameter_supported,
        Some(true)
    );
    let endpoints = metadata.endpoints(&issuer).unwrap();

    let login = create_login(&LoginOptions {
        issuer: Some(provider.issuer.clone()),
        discovery: Some(metadata.clone()),
        client_id: Some(CLIENT_ID.into()),
        redirect_uri: REDIRECT.into(),
        scope: ScopeInput::Joined("openid profile email".into()),
        allow_non_vipps_scopes: true,
        pkce: true,
        ..Default::default()
    })
    .unwrap();
    let callback = authorize(&http, &login.url, false).await;

    // RFC 9207: oidc-provider sends iss, and it is checked.
    let cb = parse_callback(&callback, &login.state, Some(&provider.issuer)).unwrap();
    assert_eq!(cb.iss.as_deref(), Some(provider.issuer.as_str()));

    let request = exchange(
        &endpoints.token_endpoint,
        CLIENT_SECRET,
        &cb.code,
        login.code_verifier.as_ref(),
    );
    let tokens = process_token_response(&send(&http, &request).await).unwrap();

    let jwt = UnverifiedJwt::parse(&tokens.id_token).unwrap();
    let keys = parse_jwks(&send(&http, &get(&endpoints.jwks_uri)).await.body).unwrap();
    let key = keys
        .iter()
        .find(|k| k.kid == jwt.header.kid)
        .expect("the token's kid is in the JWKS");
    assert!(verify_rs256(key, &jwt));
    // oidc-provider sends aud as a string, Vipps as an array: both pass.
    assert!(jwt.claims["aud"].is_string());
    let claims = validate_id_token_claims(
        &jwt,
        &IdTokenExpectations {
            issuer: &provider.issuer,
            client_id: CLIENT_ID,
            nonce: &login.nonce,
            acr: None,
            leeway_secs: DEFAULT_LEEWAY_SECS,
        },
        unix_now(),
    )
    .unwrap();
    assert_eq!(claims.sub, "oidc-user-1");

    let userinfo_url = endpoints
        .userinfo_endpoint
        .clone()
        .expect("userinfo in discovery");
    let info = send(
        &http,
        &userinfo_request(&userinfo_url, &tokens.access_token),
    )
    .await;
    let info = process_userinfo_response(&info, &claims.sub).unwrap();
    assert_eq!(info["name"], "Ada Lovelace");
    assert_eq!(info["email"], "ada@example.org");

    // The same code again: invalid_grant, mapped with advice.
    let again = process_token_response(&send(&http, &request).await).unwrap_err();
    assert_eq!(again.code(), ErrorCode::TokenInvalidGrant);
}

#[tokio::test]
async fn cancel_and_wrong_secret_against_oidc_provider() {
    let provider = Provider::start();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let issuer = Issuer::new(&provider.issuer).unwrap();
    let metadata = process_discovery_response(
        &send(&http, &get(&discovery_request(&issuer))).await.body,
        &issuer,
    )
    .unwrap();
    let options = LoginOptions {
        issuer: Some(provider.issuer.clone()),
        discovery: Some(metadata.clone()),
        client_id: Some(CLIENT_ID.into()),
        redirect_uri: REDIRECT.into(),
        scope: ScopeInput::Joined("openid".into()),
        allow_non_vipps_scopes: true,
        pkce: true,
        ..Default::default()
    };

    let login = create_login(&options).unwrap();
    let callback = authorize(&http, &login.url, true).await;
    let e = parse_callback(&callback, &login.state, Some(&provider.issuer)).unwrap_err();
    assert_eq!(e.code(), ErrorCode::VippsAccessDenied);

    let login = create_login(&options).unwrap();
    let cb = parse_callback(
        &authorize(&http, &login.url, false).await,
        &login.state,
        Some(&provider.issuer),
    )
    .unwrap();
    let endpoints = metadata.endpoints(&issuer).unwrap();
    let request = exchange(
        &endpoints.token_endpoint,
        "wrong",
        &cb.code,
        login.code_verifier.as_ref(),
    );
    let e = process_token_response(&send(&http, &request).await).unwrap_err();
    assert_eq!(e.code(), ErrorCode::TokenInvalidClient);
}
