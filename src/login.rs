//! Starting a login: options in, a checked authorization URL plus the secrets to keep
//! (state, nonce, PKCE verifier) out. Shared by the npm package and the Worker.

use crate::authorize::{AuthorizationRequest, Client, Market, RequestedFlow};
use crate::discovery::ProviderMetadata;
use crate::error::{Error, ErrorCode, Result};
use crate::issuer::{Endpoints, Environment, Issuer};
use crate::random::{random_nonce, random_state, PkceCodeVerifier};
use crate::scope::Scopes;
use serde::Deserialize;

/// `scope` as one space-separated string or a list of names.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ScopeInput {
    Joined(String),
    List(Vec<String>),
}

impl Default for ScopeInput {
    fn default() -> Self {
        ScopeInput::List(Vec::new())
    }
}

fn yes() -> bool {
    true
}

/// Options for [`create_login`], in the camelCase shape the npm package takes.
#[derive(Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LoginOptions {
    /// `"test"` or `"production"`; ignored when `issuer` is given.
    #[serde(default)]
    pub environment: Option<String>,
    /// Any other issuer: the emulator, another OpenID provider.
    #[serde(default)]
    pub issuer: Option<String>,
    /// The issuer's discovery document, for issuers not laid out like Vipps'.
    #[serde(default)]
    pub discovery: Option<ProviderMetadata>,
    #[serde(default)]
    pub client_id: Option<String>,
    /// Partners: the merchant serial number, sent instead of client_id.
    #[serde(default)]
    pub msn: Option<String>,
    #[serde(default)]
    pub redirect_uri: String,
    /// When given, redirect_uri must equal one of these exactly.
    #[serde(default)]
    pub registered_redirect_uris: Option<Vec<String>>,
    #[serde(default)]
    pub scope: ScopeInput,
    /// Accept scope names Vipps does not have, for other OpenID providers.
    #[serde(default)]
    pub allow_non_vipps_scopes: bool,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub nonce: Option<String>,
    /// PKCE with S256, on unless set to false.
    #[serde(default = "yes")]
    pub pkce: bool,
    #[serde(default)]
    pub code_verifier: Option<String>,
    #[serde(default)]
    pub requested_flow: Option<String>,
    #[serde(default)]
    pub app_callback_uri: Option<String>,
    #[serde(default)]
    pub final_redirect_is_app: Option<bool>,
    #[serde(default)]
    pub market: Option<String>,
    #[serde(default)]
    pub acr_values: Option<String>,
}

/// A started login: send the browser to `url`; keep `state`, `nonce` and
/// `code_verifier` for the callback and the token request. `Debug` hides the nonce and
/// the verifier (and the URL, which holds the nonce).
#[derive(Clone, PartialEq, Eq)]
pub struct Login {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub code_verifier: Option<PkceCodeVerifier>,
    pub code_challenge: Option<String>,
    /// The issuer the callback and id_token must come from.
    pub issuer: Issuer,
}

debug_redacted!(LoginOptions { environment, issuer, client_id, msn, redirect_uri, scope, requested_flow, market, acr_values, pkce; state, nonce, code_verifier });
debug_redacted!(Login { state, code_challenge, issuer; url, nonce, code_verifier });

impl LoginOptions {
    /// The environment these options name: `issuer` wins over `environment`; the
    /// default is `test`, so nothing reaches production by accident.
    pub fn resolve_environment(&self) -> Result<Environment> {
        match (&self.issuer, &self.environment) {
            (Some(issuer), _) => Ok(Environment::Custom(Issuer::new(issuer)?)),
            (None, Some(name)) => Environment::from_name(name),
            (None, None) => Ok(Environment::Test),
        }
    }

    /// The provider's endpoints: from the discovery document when given, else Vipps'
    /// layout.
    pub fn resolve_endpoints(&self) -> Result<Endpoints> {
        let env = self.resolve_environment()?;
        match &self.discovery {
            Some(metadata) => metadata.endpoints(&env.issuer()),
            None => Endpoints::for_environment(&env),
        }
    }
}

/// Builds the authorization URL, generating state, nonce and the PKCE verifier when
/// they are not given.
pub fn create_login(options: &LoginOptions) -> Result<Login> {
    let endpoints = options.resolve_endpoints()?;
    let client = Client::from_parts(options.client_id.as_deref(), options.msn.as_deref())?;
    let scopes = match &options.scope {
        ScopeInput::Joined(s) => Scopes::parse(s, options.allow_non_vipps_scopes)?,
        ScopeInput::List(v) => Scopes::new(v, options.allow_non_vipps_scopes)?,
    };
    let state = match &options.state {
        Some(s) => s.clone(),
        None => random_state()?,
    };
    let nonce = match &options.nonce {
        Some(n) => n.clone(),
        None => random_nonce()?,
    };
    let code_verifier = match (&options.code_verifier, options.pkce) {
        (Some(v), true) => Some(PkceCodeVerifier::new(v)?),
        (None, true) => Some(PkceCodeVerifier::random()?),
        (Some(_), false) => {
            return Err(Error::new(
                ErrorCode::InvalidOptions,
                "codeVerifier was given with pkce: false",
            ))
        }
        (None, false) => None,
    };
    let code_challenge = code_verifier.as_ref().map(PkceCodeVerifier::s256_challenge);
    let requested_flow = match &options.requested_flow {
        Some(name) => Some(RequestedFlow::from_parts(
            name,
            options.app_callback_uri.as_deref(),
        )?),
        None if options.app_callback_uri.is_some() => {
            return Err(Error::new(
                ErrorCode::AppCallbackUriUnexpected,
                "app_callback_uri was given without requested_flow=app_to_app",
            ))
        }
        None => None,
    };
    let market = options.market.as_deref().map(Market::parse).transpose()?;
    let request = AuthorizationRequest {
        authorization_endpoint: endpoints.authorization_endpoint,
        client,
        redirect_uri: options.redirect_uri.clone(),
        registered_redirect_uris: options.registered_redirect_uris.clone(),
        scopes,
        state,
        nonce: Some(nonce),
        code_challenge,
        requested_flow,
        final_redirect_is_app: options.final_redirect_is_app,
        market,
        acr_values: options.acr_values.clone(),
    };
    let url = request.to_url()?;
    Ok(Login {
        url,
        state: request.state,
        nonce: request.nonce.unwrap_or_default(),
        code_verifier,
        code_challenge: request.code_challenge,
        issuer: endpoints.issuer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> LoginOptions {
        LoginOptions {
            client_id: Some("client-1".into()),
            redirect_uri: "https://shop.example/callback".into(),
            scope: ScopeInput::Joined("name email".into()),
            pkce: true,
            ..Default::default()
        }
    }

    #[test]
    fn defaults_to_test_environment_with_fresh_state_nonce_pkce() {
        let a = create_login(&options()).unwrap();
        let b = create_login(&options()).unwrap();
        assert!(a.url.starts_with(
            "https://apitest.vipps.no/access-management-1.0/access/oauth2/auth?client_id=client-1"
        ));
        assert_ne!(a.state, b.state);
        assert_ne!(a.nonce, b.nonce);
        let verifier = a.code_verifier.as_ref().unwrap();
        assert_eq!(
            a.code_challenge.as_deref(),
            Some(verifier.s256_challenge().as_str())
        );
        assert!(a.url.contains(&format!("&state={}&", a.state)));
        assert!(a.url.contains(&format!("&nonce={}&", a.nonce)));
        assert!(a.url.contains("&scope=openid%20name%20email&"));
        assert_eq!(a.issuer, Environment::Test.issuer());
    }

    #[test]
    fn production_and_custom_issuers() {
        let mut o = options();
        o.environment = Some("production".into());
        assert!(create_login(&o)
            .unwrap()
            .url
            .starts_with("https://api.vipps.no/"));
        o.issuer = Some("http://127.0.0.1:7000/access-management-1.0/access/".into());
        assert!(create_login(&o)
            .unwrap()
            .url
            .starts_with("http://127.0.0.1:7000/access-management-1.0/access/oauth2/auth?"));
        o.issuer = Some("https://op.example".into());
        assert_eq!(
            create_login(&o).unwrap_err().code(),
            ErrorCode::EndpointsUnknown
        );
    }

    #[test]
    fn other_provider_through_discovery() {
        let mut o = options();
        o.issuer = Some("http://localhost:3000".into());
        o.scope = ScopeInput::List(vec!["openid".into(), "profile".into()]);
        o.allow_non_vipps_scopes = true;
        o.discovery = Some(ProviderMetadata {
            issuer: "http://localhost:3000".into(),
            authorization_endpoint: "http://localhost:3000/auth".into(),
            token_endpoint: "http://localhost:3000/token".into(),
            jwks_uri: "http://localhost:3000/jwks".into(),
            userinfo_endpoint: None,
            backchannel_authentication_endpoint: None,
            code_challenge_methods_supported: None,
            authorization_response_iss_parameter_supported: Some(true),
        });
        let login = create_login(&o).unwrap();
        assert!(login
            .url
            .starts_with("http://localhost:3000/auth?client_id=client-1"));
        assert!(login.url.contains("scope=openid%20profile"));
        o.discovery.as_mut().unwrap().issuer = "http://localhost:3000/".into();
        assert_eq!(
            create_login(&o).unwrap_err().code(),
            ErrorCode::DiscoveryIssuerMismatch
        );
    }

    #[test]
    fn given_values_are_used_and_checked() {
        let mut o = options();
        o.state = Some("my-state-1".into());
        o.nonce = Some("my-nonce-1".into());
        o.code_verifier = Some("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".into());
        let login = create_login(&o).unwrap();
        assert_eq!(login.state, "my-state-1");
        assert_eq!(
            login.code_challenge.as_deref(),
            Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        );
        o.state = Some("short".into());
        assert_eq!(
            create_login(&o).unwrap_err().code(),
            ErrorCode::StateTooShort
        );
    }

    #[test]
    fn pkce_off_and_app_to_app_v2() {
        let mut o = options();
        o.pkce = false;
        let login = create_login(&o).unwrap();
        assert!(login.code_verifier.is_none());
        assert!(!login.url.contains("code_challenge"));
        o.requested_flow = Some("app_to_app_v2".into());
        assert_eq!(
            create_login(&o).unwrap_err().code(),
            ErrorCode::PkceRequired
        );
        o.code_verifier = Some("x".repeat(43));
        assert_eq!(
            create_login(&o).unwrap_err().code(),
            ErrorCode::InvalidOptions
        );
    }

    #[test]
    fn app_callback_uri_needs_app_to_app() {
        let mut o = options();
        o.app_callback_uri = Some("https://shop.example/app".into());
        assert_eq!(
            create_login(&o).unwrap_err().code(),
            ErrorCode::AppCallbackUriUnexpected
        );
        o.requested_flow = Some("app_to_app".into());
        assert!(create_login(&o).unwrap().url.contains("app_callback_uri="));
    }
}
