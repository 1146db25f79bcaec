//! Starting a login server-side (the Worker's `GET /login` and `POST /api/login`): the
//! per-login options a setting allows, the authorization URL, and the transaction that
//! carries every expectation to the callback. A machine ([`crate::machine`]): an
//! issuer not laid out like Vipps' first needs its discovery document, which also says
//! whether callbacks must carry RFC 9207 `iss`.

use crate::authorize::Market;
use crate::error::{Error, ErrorCode, Result};
use crate::http::HttpResponse;
use crate::issuer::Issuer;
use crate::login::{create_login, LoginOptions, ScopeInput};
use crate::machine::{Machine, ProviderCache, Step};
use crate::return_to::safe_return_to;
use crate::scope::Scopes;
use crate::transaction::{FrontEndLogin, LoginTransaction, TRANSACTION_TTL_SECS};

/// Which per-login options the server accepts (each one a setting; nothing by default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionPolicy {
    /// `market` values allowed (`VIPPS_ALLOWED_MARKETS`).
    pub markets: Vec<Market>,
    /// `requested_flow` values allowed (`VIPPS_ALLOWED_FLOWS`).
    pub flows: Vec<String>,
    /// Whether `final_redirect_is_app` may be sent (`VIPPS_ALLOW_FINAL_REDIRECT_IS_APP`).
    pub final_redirect_is_app: bool,
    /// `acr_values` allowed (`VIPPS_ALLOWED_ACR_VALUES`).
    pub acr_values: Vec<String>,
    /// `app_callback_uri` values allowed for the legacy `app_to_app` flow
    /// (`VIPPS_APP_CALLBACK_URIS`), byte for byte.
    pub app_callback_uris: Vec<String>,
}

/// The options one login asks for (query of `GET /login`, JSON of `POST /api/login`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerLogin {
    pub return_to: Option<String>,
    pub market: Option<String>,
    pub requested_flow: Option<String>,
    pub final_redirect_is_app: Option<bool>,
    pub acr_values: Option<String>,
    /// A subset of the configured scopes, space separated (`openid` is always there).
    pub scope: Option<String>,
    /// Legacy `requested_flow=app_to_app`: the URI that switches the phone back to the
    /// merchant's app.
    pub app_callback_uri: Option<String>,
}

impl PerLogin {
    /// The options of a front-end's registration.
    pub fn from_front_end(f: &FrontEndLogin) -> Self {
        PerLogin {
            return_to: f.return_to.clone(),
            market: f.market.clone(),
            requested_flow: f.requested_flow.clone(),
            final_redirect_is_app: f.final_redirect_is_app,
            acr_values: f.acr_values.clone(),
            scope: f.scope.clone(),
            app_callback_uri: f.app_callback_uri.clone(),
        }
    }
}

/// What the server is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeginSettings<'a> {
    pub issuer: &'a Issuer,
    pub client_id: &'a str,
    /// A partner's merchant serial number: sent instead of `client_id`, and the
    /// id_token's `msn` is then checked.
    pub msn: Option<&'a str>,
    pub redirect_uri: &'a str,
    pub scopes: &'a Scopes,
    pub allow_non_vipps_scopes: bool,
    pub policy: &'a OptionPolicy,
}

fn not_allowed(option: &str, value: &str, setting: &'static str) -> Error {
    Error::new(
        ErrorCode::OptionNotAllowed,
        format!("{option} \"{value}\" is not allowed here (see {setting})"),
    )
    .with_detail("option", option.to_string())
    .with_detail("setting", setting)
}

impl OptionPolicy {
    /// Refuses what no setting allows, before anything is built. The values themselves
    /// are checked by [`create_login`], as the npm package checks them.
    pub fn check(&self, request: &PerLogin, configured: &Scopes) -> Result<()> {
        if let Some(market) = &request.market {
            let parsed = Market::parse(market)?;
            if !self.markets.contains(&parsed) {
                return Err(not_allowed("market", market, "VIPPS_ALLOWED_MARKETS"));
            }
        }
        if let Some(flow) = &request.requested_flow {
            if !self.flows.iter().any(|f| f == flow) {
                return Err(not_allowed("requestedFlow", flow, "VIPPS_ALLOWED_FLOWS"));
            }
        }
        if let Some(is_app) = request.final_redirect_is_app {
            if !self.final_redirect_is_app {
                let value = if is_app { "true" } else { "false" };
                return Err(not_allowed(
                    "finalRedirectIsApp",
                    value,
                    "VIPPS_ALLOW_FINAL_REDIRECT_IS_APP",
                ));
            }
        }
        if let Some(acr) = &request.acr_values {
            let all_allowed = acr
                .split(' ')
                .all(|v| !v.is_empty() && self.acr_values.iter().any(|a| a == v));
            if !all_allowed {
                return Err(not_allowed("acrValues", acr, "VIPPS_ALLOWED_ACR_VALUES"));
            }
        }
        if let Some(uri) = &request.app_callback_uri {
            // Vipps wants it registered like a redirect URI; the setting lists the ones
            // registered, so a page cannot send the phone back to another app.
            if !self.app_callback_uris.iter().any(|a| a == uri) {
                return Err(not_allowed(
                    "appCallbackUri",
                    uri,
                    "VIPPS_APP_CALLBACK_URIS",
                ));
            }
        }
        if let Some(scope) = &request.scope {
            for name in scope.split(' ').filter(|s| !s.is_empty()) {
                if !configured.as_slice().iter().any(|c| c == name) {
                    return Err(not_allowed("scope", name, "VIPPS_SCOPES"));
                }
            }
        }
        Ok(())
    }
}

/// A started login: send the browser to `url`; store `transaction` under its state.
/// `Debug` hides the URL, which holds the nonce.
#[derive(Clone, PartialEq, Eq)]
pub struct Started {
    pub url: String,
    pub transaction: LoginTransaction,
}

debug_redacted!(Started { transaction; url });

/// The machine for starting a login. `Debug` hides the front-end's values.
pub struct Begin<'a> {
    settings: BeginSettings<'a>,
    request: PerLogin,
    /// The state: minted by the adapter ([`crate::state::StateKey::mint`]).
    state: String,
    /// Nonce and verifier from a front-end (`POST /api/login`); fresh otherwise.
    front_end: Option<(String, String)>,
    binding_sha256: String,
    cache: ProviderCache,
}

impl std::fmt::Debug for Begin<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Begin")
            .field("settings", &self.settings)
            .field("request", &self.request)
            .field("front_end", &self.front_end.as_ref().map(|_| "[redacted]"))
            .field("binding_sha256", &"[redacted]")
            .finish()
    }
}

impl<'a> Begin<'a> {
    /// Checks the options against the policy, then asks for discovery when the issuer
    /// needs it, else finishes at once. `state` is the one the adapter minted (so it can
    /// authenticate the callback before touching storage); `binding_sha256` the
    /// starting browser's binding ([`crate::binding`]).
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        settings: BeginSettings<'a>,
        request: PerLogin,
        state: String,
        front_end: Option<&FrontEndLogin>,
        binding_sha256: String,
        cache: ProviderCache,
        now: u64,
    ) -> Result<(Self, Step<Started>)> {
        if let Some(f) = front_end {
            f.validate()?;
        }
        settings.policy.check(&request, settings.scopes)?;
        let begin = Begin {
            settings,
            request,
            state,
            front_end: front_end.map(|f| (f.nonce.clone(), f.code_verifier.clone())),
            binding_sha256,
            cache,
        };
        let step = match begin.cache.discovery_needed(begin.settings.issuer, now) {
            Some(outbound) => Step::Send(outbound),
            None => Step::Done(begin.finish(now)?),
        };
        Ok((begin, step))
    }

    /// The cache, with what this run fetched.
    pub fn cache(&self) -> &ProviderCache {
        &self.cache
    }

    fn finish(&self, now: u64) -> Result<Started> {
        let s = &self.settings;
        let discovery = self.cache.fresh_discovery(now).cloned();
        // Refused before the user is sent anywhere: without userinfo there is no user.
        if let Some(metadata) = &discovery {
            if metadata.userinfo_endpoint.is_none() {
                return Err(Error::new(
                    ErrorCode::DiscoveryInvalid,
                    "the provider's discovery document has no userinfo_endpoint",
                ));
            }
        }
        let scope = match &self.request.scope {
            Some(subset) => ScopeInput::Joined(subset.clone()),
            None => ScopeInput::List(s.scopes.as_slice().to_vec()),
        };
        let (nonce, code_verifier) = match &self.front_end {
            Some((n, v)) => (Some(n.clone()), Some(v.clone())),
            None => (None, None),
        };
        let state = Some(self.state.clone());
        let (client_id, msn) = match s.msn {
            Some(msn) => (None, Some(msn.to_string())),
            None => (Some(s.client_id.to_string()), None),
        };
        let options = LoginOptions {
            issuer: Some(s.issuer.as_str().to_string()),
            discovery,
            client_id,
            msn,
            redirect_uri: s.redirect_uri.to_string(),
            scope,
            allow_non_vipps_scopes: s.allow_non_vipps_scopes,
            state,
            nonce,
            pkce: true,
            code_verifier,
            requested_flow: self.request.requested_flow.clone(),
            final_redirect_is_app: self.request.final_redirect_is_app,
            market: self.request.market.clone(),
            acr_values: self.request.acr_values.clone(),
            app_callback_uri: self.request.app_callback_uri.clone(),
            ..Default::default()
        };
        let login = create_login(&options)?;
        let scope = match &self.request.scope {
            Some(subset) => Scopes::parse(subset, s.allow_non_vipps_scopes)?,
            None => s.scopes.clone(),
        };
        let transaction = LoginTransaction {
            state: login.state,
            nonce: login.nonce,
            code_verifier: login.code_verifier.map(|v| v.secret().to_string()),
            redirect_uri: s.redirect_uri.to_string(),
            return_to: safe_return_to(self.request.return_to.as_deref()).to_string(),
            created_at: now,
            expires_at: now + TRANSACTION_TTL_SECS,
            issuer: login.issuer.as_str().to_string(),
            client_id: s.client_id.to_string(),
            scope: scope.to_scope_string(),
            acr_values: self.request.acr_values.clone(),
            msn: s.msn.map(str::to_string),
            iss_required: self.cache.iss_required(now),
            requested_flow: self.request.requested_flow.clone(),
            binding_sha256: self.binding_sha256.clone(),
        };
        Ok(Started {
            url: login.url,
            transaction,
        })
    }
}

impl Machine for Begin<'_> {
    type Output = Started;

    fn receive(&mut self, response: HttpResponse, now: u64) -> Result<Step<Started>> {
        self.cache
            .receive_discovery(&response, self.settings.issuer, now)?;
        Ok(Step::Done(self.finish(now)?))
    }

    fn verified(&mut self, _valid: bool, _now: u64) -> Result<Step<Started>> {
        Err(Error::new(
            ErrorCode::InvalidOptions,
            "starting a login verifies no signature",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::discovery::ProviderMetadata;
    use crate::http::HttpResponse;

    const EMULATOR: &str = "http://127.0.0.1:7000/access-management-1.0/access/";

    fn policy() -> OptionPolicy {
        OptionPolicy {
            markets: vec![Market::No, Market::Dk],
            flows: vec!["automatic_return_from_vipps_app".into()],
            final_redirect_is_app: true,
            acr_values: vec!["urn:vipps:acr:app_auth".into()],
            app_callback_uris: vec!["myapp://vipps/back".into()],
        }
    }

    fn run(
        issuer: &Issuer,
        request: PerLogin,
        msn: Option<&str>,
        policy: &OptionPolicy,
        cache: ProviderCache,
    ) -> Result<(Step<Started>, ProviderCache)> {
        let scopes = Scopes::parse(
            "openid name email",
            !issuer.as_str().contains("access-management"),
        )
        .unwrap();
        let settings = BeginSettings {
            issuer,
            client_id: "client-1",
            msn,
            redirect_uri: "http://127.0.0.1:8787/callback",
            scopes: &scopes,
            allow_non_vipps_scopes: false,
            policy,
        };
        let (begin, step) = Begin::start(
            settings,
            request,
            "state-0123456789".into(),
            None,
            "bind".into(),
            cache,
            1000,
        )?;
        Ok((step, begin.cache().clone()))
    }

    fn done(step: Step<Started>) -> Started {
        match step {
            Step::Done(s) => s,
            other => panic!("expected done, got {other:?}"),
        }
    }

    #[test]
    fn every_allowed_option_reaches_the_url_and_the_transaction() {
        let issuer = Issuer::new(EMULATOR).unwrap();
        let request = PerLogin {
            return_to: Some("/account".into()),
            market: Some("DK".into()),
            requested_flow: Some("automatic_return_from_vipps_app".into()),
            final_redirect_is_app: Some(false),
            acr_values: Some("urn:vipps:acr:app_auth".into()),
            scope: Some("email".into()),
            app_callback_uri: None,
        };
        let (step, _) = run(&issuer, request, None, &policy(), ProviderCache::default()).unwrap();
        let started = done(step);
        for part in [
            "market=DK",
            "requested_flow=automatic_return_from_vipps_app",
            "final_redirect_is_app=false",
            "acr_values=urn%3Avipps%3Aacr%3Aapp_auth",
            "scope=openid%20email&",
            "client_id=client-1",
        ] {
            assert!(started.url.contains(part), "{part} in {}", started.url);
        }
        let t = started.transaction;
        assert_eq!(t.acr_values.as_deref(), Some("urn:vipps:acr:app_auth"));
        assert_eq!(
            t.requested_flow.as_deref(),
            Some("automatic_return_from_vipps_app")
        );
        assert_eq!(t.scope, "openid email");
        assert_eq!(t.return_to, "/account");
        assert_eq!(t.binding_sha256, "bind");
        assert_eq!(t.issuer, EMULATOR);
        assert!(
            !t.iss_required,
            "Vipps' layout: no discovery, iss checked when sent"
        );
    }

    #[test]
    fn options_no_setting_allows_are_refused_with_the_setting() {
        let issuer = Issuer::new(EMULATOR).unwrap();
        let closed = OptionPolicy::default();
        for (request, setting) in [
            (
                PerLogin {
                    market: Some("NO".into()),
                    ..Default::default()
                },
                "VIPPS_ALLOWED_MARKETS",
            ),
            (
                PerLogin {
                    requested_flow: Some("automatic_return_from_vipps_app".into()),
                    ..Default::default()
                },
                "VIPPS_ALLOWED_FLOWS",
            ),
            (
                PerLogin {
                    final_redirect_is_app: Some(true),
                    ..Default::default()
                },
                "VIPPS_ALLOW_FINAL_REDIRECT_IS_APP",
            ),
            (
                PerLogin {
                    acr_values: Some("urn:vipps:acr:app_auth".into()),
                    ..Default::default()
                },
                "VIPPS_ALLOWED_ACR_VALUES",
            ),
            (
                PerLogin {
                    scope: Some("name nin".into()),
                    ..Default::default()
                },
                "VIPPS_SCOPES",
            ),
        ] {
            let e = run(&issuer, request, None, &closed, ProviderCache::default()).unwrap_err();
            assert_eq!(e.code(), ErrorCode::OptionNotAllowed);
            assert_eq!(e.detail("setting"), Some(setting));
        }
        // An allowed list does not let other values through, and bad values keep the
        // core's own codes.
        let e = run(
            &issuer,
            PerLogin {
                market: Some("SE".into()),
                ..Default::default()
            },
            None,
            &policy(),
            ProviderCache::default(),
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::OptionNotAllowed);
        let e = run(
            &issuer,
            PerLogin {
                market: Some("XX".into()),
                ..Default::default()
            },
            None,
            &policy(),
            ProviderCache::default(),
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::MarketInvalid);
    }

    #[test]
    fn vipps_quirk_app_to_app_callback_uri_only_when_a_setting_lists_it() {
        let issuer = Issuer::new(EMULATOR).unwrap();
        let mut policy = policy();
        policy.flows.push("app_to_app".into());
        let request = |uri: &str| PerLogin {
            requested_flow: Some("app_to_app".into()),
            app_callback_uri: Some(uri.into()),
            ..Default::default()
        };
        let (step, _) = run(
            &issuer,
            request("myapp://vipps/back"),
            None,
            &policy,
            ProviderCache::default(),
        )
        .unwrap();
        let started = done(step);
        assert!(started
            .url
            .contains("&requested_flow=app_to_app&app_callback_uri=myapp%3A%2F%2Fvipps%2Fback"));
        assert_eq!(
            started.transaction.requested_flow.as_deref(),
            Some("app_to_app")
        );
        let e = run(
            &issuer,
            request("myapp://vipps/other"),
            None,
            &policy,
            ProviderCache::default(),
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::OptionNotAllowed);
        assert_eq!(e.detail("setting"), Some("VIPPS_APP_CALLBACK_URIS"));
    }

    #[test]
    fn a_partner_sends_msn_and_the_transaction_expects_it() {
        let issuer = Issuer::new(EMULATOR).unwrap();
        let (step, _) = run(
            &issuer,
            PerLogin::default(),
            Some("123456"),
            &policy(),
            ProviderCache::default(),
        )
        .unwrap();
        let started = done(step);
        assert!(started.url.contains("?msn=123456&"), "{}", started.url);
        assert!(!started.url.contains("client_id="));
        assert_eq!(started.transaction.msn.as_deref(), Some("123456"));
        assert_eq!(started.transaction.client_id, "client-1");
    }

    #[test]
    fn other_issuers_need_discovery_which_decides_iss_required() {
        let issuer = Issuer::new("http://localhost:3000").unwrap();
        let scopes = Scopes::parse("openid", true).unwrap();
        let policy = OptionPolicy::default();
        let settings = BeginSettings {
            issuer: &issuer,
            client_id: "client-1",
            msn: None,
            redirect_uri: "http://127.0.0.1:8787/callback",
            scopes: &scopes,
            allow_non_vipps_scopes: true,
            policy: &policy,
        };
        let (mut begin, step) = Begin::start(
            settings,
            PerLogin::default(),
            "state-0123456789".into(),
            None,
            "b".into(),
            ProviderCache::default(),
            5,
        )
        .unwrap();
        let Step::Send(outbound) = step else {
            panic!("expected discovery")
        };
        assert_eq!(
            outbound.request.url,
            "http://localhost:3000/.well-known/openid-configuration"
        );
        let metadata = ProviderMetadata {
            issuer: "http://localhost:3000".into(),
            authorization_endpoint: "http://localhost:3000/auth".into(),
            token_endpoint: "http://localhost:3000/token".into(),
            jwks_uri: "http://localhost:3000/jwks".into(),
            userinfo_endpoint: Some("http://localhost:3000/me".into()),
            backchannel_authentication_endpoint: None,
            code_challenge_methods_supported: None,
            authorization_response_iss_parameter_supported: Some(true),
        };
        let body = serde_json::to_vec(&metadata).unwrap();
        let started = done(
            begin
                .receive(HttpResponse { status: 200, body }, 6)
                .unwrap(),
        );
        assert!(started.url.starts_with("http://localhost:3000/auth?"));
        assert!(started.transaction.iss_required);
        // Cached: the next login needs no fetch.
        assert!(begin.cache().discovery_needed(&issuer, 7).is_none());

        // A provider without userinfo is refused before anyone is sent to it.
        let mut without = metadata;
        without.userinfo_endpoint = None;
        let cache = ProviderCache {
            discovery: Some(without),
            discovered_at: Some(5),
            ..Default::default()
        };
        let e = Begin::start(
            settings_for(&issuer, &scopes, &policy),
            PerLogin::default(),
            "state-0123456789".into(),
            None,
            "b".into(),
            cache,
            6,
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::DiscoveryInvalid);
    }

    fn settings_for<'a>(
        issuer: &'a Issuer,
        scopes: &'a Scopes,
        policy: &'a OptionPolicy,
    ) -> BeginSettings<'a> {
        BeginSettings {
            issuer,
            client_id: "client-1",
            msn: None,
            redirect_uri: "http://127.0.0.1:8787/callback",
            scopes,
            allow_non_vipps_scopes: true,
            policy,
        }
    }
}
