//! The authorization request (OIDC Core 3.1.2.1) with every Vipps parameter, refused
//! before anything is sent when Vipps would fail on it.

use crate::error::{Error, ErrorCode, Result};
use crate::redirect_uri::{check_redirect_uri, check_redirect_uri_rules};
use crate::scope::Scopes;
use vipps_login_begin::query::encode_into;

/// Vipps' limits on state, nonce and the URL (the one copy is the begin crate's).
pub use vipps_login_begin::rules::{MAX_STATE_LEN, MAX_URL_LEN, MIN_STATE_LEN};

/// Who the login is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Client {
    /// The sales unit's `client_id`.
    ClientId(String),
    /// Partners log in with partner keys and send `msn` (merchant serial number)
    /// instead of `client_id`.
    Msn(String),
}

impl Client {
    /// Exactly one of `client_id` and `msn`, not empty.
    pub fn from_parts(client_id: Option<&str>, msn: Option<&str>) -> Result<Self> {
        fn non_empty(s: Option<&str>) -> Option<&str> {
            s.filter(|s| !s.trim().is_empty())
        }
        match (non_empty(client_id), non_empty(msn)) {
            (Some(id), None) => Ok(Client::ClientId(id.to_string())),
            (None, Some(msn)) => Ok(Client::Msn(msn.to_string())),
            (Some(_), Some(_)) => Err(Error::new(
                ErrorCode::ClientIdMissing,
                "give either client_id or msn, not both",
            )),
            (None, None) => Err(Error::new(
                ErrorCode::ClientIdMissing,
                "client_id (or msn, for partners) is required",
            )),
        }
    }
}

/// Vipps' `requested_flow`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestedFlow {
    /// The user may come back in another browser than the one that started.
    AutomaticReturnFromVippsApp,
    /// Legacy app-to-app; the phone switches back through `app_callback_uri`, which must
    /// be registered like a redirect URI.
    AppToApp { app_callback_uri: String },
    /// Simple app flow; requires PKCE.
    AppToAppV2,
}

impl RequestedFlow {
    pub fn as_str(&self) -> &'static str {
        match self {
            RequestedFlow::AutomaticReturnFromVippsApp => "automatic_return_from_vipps_app",
            RequestedFlow::AppToApp { .. } => "app_to_app",
            RequestedFlow::AppToAppV2 => "app_to_app_v2",
        }
    }

    /// Builds the flow from its name and the optional `app_callback_uri`.
    pub fn from_parts(name: &str, app_callback_uri: Option<&str>) -> Result<Self> {
        let flow = match name {
            "automatic_return_from_vipps_app" => RequestedFlow::AutomaticReturnFromVippsApp,
            "app_to_app_v2" => RequestedFlow::AppToAppV2,
            "app_to_app" => {
                return match app_callback_uri {
                    Some(uri) if !uri.is_empty() => Ok(RequestedFlow::AppToApp {
                        app_callback_uri: uri.to_string(),
                    }),
                    _ => Err(Error::new(
                        ErrorCode::AppCallbackUriMissing,
                        "requested_flow=app_to_app needs app_callback_uri",
                    )),
                }
            }
            other => {
                return Err(Error::new(
                    ErrorCode::RequestedFlowUnknown,
                    format!("requested_flow \"{other}\" is not one Vipps knows"),
                ))
            }
        };
        if app_callback_uri.is_some() {
            return Err(Error::new(
                ErrorCode::AppCallbackUriUnexpected,
                format!("app_callback_uri was given with requested_flow={name}"),
            ));
        }
        Ok(flow)
    }
}

/// Vipps' `market`: picks the Vipps or MobilePay look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Market {
    No,
    Se,
    Dk,
    Fi,
}

impl Market {
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "NO" => Ok(Market::No),
            "SE" => Ok(Market::Se),
            "DK" => Ok(Market::Dk),
            "FI" => Ok(Market::Fi),
            other => Err(Error::new(
                ErrorCode::MarketInvalid,
                format!("market \"{other}\" is not NO, SE, DK or FI"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Market::No => "NO",
            Market::Se => "SE",
            Market::Dk => "DK",
            Market::Fi => "FI",
        }
    }
}

/// An authorization request. [`AuthorizationRequest::to_url`] validates and encodes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    pub authorization_endpoint: String,
    pub client: Client,
    pub redirect_uri: String,
    /// When given, `redirect_uri` must equal one of these byte for byte.
    pub registered_redirect_uris: Option<Vec<String>>,
    pub scopes: Scopes,
    pub state: String,
    pub nonce: Option<String>,
    /// The S256 code_challenge (RFC 7636 4.2). `code_challenge_method=S256` is always
    /// sent with it: Vipps assumes `plain` when the method is left out.
    pub code_challenge: Option<String>,
    pub requested_flow: Option<RequestedFlow>,
    pub final_redirect_is_app: Option<bool>,
    pub market: Option<Market>,
    pub acr_values: Option<String>,
}

impl AuthorizationRequest {
    /// Checks every rule and returns the URL to send the browser to.
    pub fn to_url(&self) -> Result<String> {
        self.validate()?;
        let mut params: Vec<(&str, &str)> = Vec::with_capacity(14);
        match &self.client {
            Client::ClientId(id) => params.push(("client_id", id)),
            Client::Msn(msn) => params.push(("msn", msn)),
        }
        let scope = self.scopes.to_scope_string();
        params.push(("response_type", "code"));
        params.push(("scope", &scope));
        params.push(("state", &self.state));
        if let Some(nonce) = &self.nonce {
            params.push(("nonce", nonce));
        }
        params.push(("redirect_uri", &self.redirect_uri));
        if let Some(challenge) = &self.code_challenge {
            params.push(("code_challenge", challenge));
            params.push(("code_challenge_method", "S256"));
        }
        if let Some(flow) = &self.requested_flow {
            params.push(("requested_flow", flow.as_str()));
            if let RequestedFlow::AppToApp { app_callback_uri } = flow {
                params.push(("app_callback_uri", app_callback_uri));
            }
        }
        if let Some(is_app) = self.final_redirect_is_app {
            params.push((
                "final_redirect_is_app",
                if is_app { "true" } else { "false" },
            ));
        }
        if let Some(market) = self.market {
            params.push(("market", market.as_str()));
        }
        if let Some(acr) = &self.acr_values {
            params.push(("acr_values", acr));
        }

        let mut url = self.authorization_endpoint.clone();
        let mut sep = if url.contains('?') { '&' } else { '?' };
        for (name, value) in params {
            url.push(sep);
            url.push_str(name);
            url.push('=');
            // RFC 3986: all but the unreserved characters, so a space is %20, never +.
            encode_into(&mut url, value);
            sep = '&';
        }
        let len = url.chars().count();
        if len > MAX_URL_LEN {
            return Err(Error::new(
                ErrorCode::AuthorizationUrlTooLong,
                format!(
                    "the authorization URL is {len} characters; Vipps fails above {MAX_URL_LEN}"
                ),
            )
            .with_detail("length", len.to_string()));
        }
        Ok(url)
    }

    fn validate(&self) -> Result<()> {
        let state_len = self.state.chars().count();
        if state_len < MIN_STATE_LEN {
            return Err(Error::new(
                ErrorCode::StateTooShort,
                format!("state is {state_len} characters; Vipps requires at least {MIN_STATE_LEN}"),
            ));
        }
        if state_len > MAX_STATE_LEN {
            return Err(Error::new(
                ErrorCode::StateTooLong,
                format!("state is {state_len} characters; the limit is {MAX_STATE_LEN}"),
            ));
        }
        if let Some(nonce) = &self.nonce {
            let len = nonce.chars().count();
            if len == 0 {
                return Err(Error::new(ErrorCode::NonceEmpty, "nonce is empty"));
            }
            if len > MAX_STATE_LEN {
                return Err(Error::new(
                    ErrorCode::NonceTooLong,
                    format!("nonce is {len} characters; the limit is {MAX_STATE_LEN}"),
                ));
            }
        }
        match &self.registered_redirect_uris {
            Some(registered) => check_redirect_uri(&self.redirect_uri, registered),
            None => check_redirect_uri_rules(&self.redirect_uri),
        }
        .into_result()?;
        if let Some(challenge) = &self.code_challenge {
            let is_s256 = challenge.len() == 43
                && challenge
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !is_s256 {
                return Err(Error::new(
                    ErrorCode::CodeVerifierInvalid,
                    "code_challenge is not an S256 challenge (43 base64url characters)",
                ));
            }
        }
        match &self.requested_flow {
            Some(RequestedFlow::AppToAppV2) if self.code_challenge.is_none() => {
                return Err(Error::new(
                    ErrorCode::PkceRequired,
                    "requested_flow=app_to_app_v2 requires PKCE",
                ));
            }
            Some(RequestedFlow::AppToApp { app_callback_uri }) => {
                // The app_callback_uri must be registered like a redirect URI, so the same
                // rules apply.
                check_redirect_uri_rules(app_callback_uri)
                    .into_result()
                    .map_err(|e| {
                        let msg = format!("app_callback_uri: {}", e.message());
                        Error::new(e.code(), msg)
                    })?;
            }
            _ => {}
        }
        if let Some(acr) = &self.acr_values {
            let ok =
                !acr.trim().is_empty() && acr.bytes().all(|b| b == b' ' || b.is_ascii_graphic());
            if !ok {
                return Err(Error::new(
                    ErrorCode::AcrValuesInvalid,
                    format!(
                        "acr_values \"{acr}\" is empty or holds characters that cannot be sent"
                    ),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::issuer::{Endpoints, Environment};

    fn request() -> AuthorizationRequest {
        AuthorizationRequest {
            authorization_endpoint: Endpoints::for_environment(&Environment::Test)
                .unwrap()
                .authorization_endpoint,
            client: Client::ClientId("client-1".into()),
            redirect_uri: "https://shop.example/callback".into(),
            registered_redirect_uris: None,
            scopes: Scopes::parse("openid name phoneNumber", false).unwrap(),
            state: "state-123456".into(),
            nonce: Some("nonce-123456".into()),
            code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
            requested_flow: None,
            final_redirect_is_app: None,
            market: None,
            acr_values: None,
        }
    }

    fn code(r: &AuthorizationRequest) -> ErrorCode {
        r.to_url().unwrap_err().code()
    }

    #[test]
    fn builds_every_standard_parameter() {
        assert_eq!(
            request().to_url().unwrap(),
            "https://apitest.vipps.no/access-management-1.0/access/oauth2/auth\
             ?client_id=client-1&response_type=code&scope=openid%20name%20phoneNumber\
             &state=state-123456&nonce=nonce-123456\
             &redirect_uri=https%3A%2F%2Fshop.example%2Fcallback\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
        );
    }

    #[test]
    fn vipps_quirk_scope_space_is_percent_20_not_plus() {
        let url = request().to_url().unwrap();
        assert!(url.contains("scope=openid%20name%20phoneNumber"));
        assert!(!url.contains('+'));
    }

    #[test]
    fn vipps_quirk_challenge_method_always_explicit_s256() {
        // Vipps assumes `plain` when code_challenge_method is missing.
        let url = request().to_url().unwrap();
        assert!(url.contains("&code_challenge_method=S256"));
        let mut r = request();
        r.code_challenge = None;
        assert!(!r.to_url().unwrap().contains("code_challenge"));
    }

    #[test]
    fn vipps_parameters_requested_flow_market_acr_final_redirect() {
        let mut r = request();
        r.requested_flow = Some(RequestedFlow::AutomaticReturnFromVippsApp);
        r.final_redirect_is_app = Some(false);
        r.market = Some(Market::parse("DK").unwrap());
        r.acr_values = Some("urn:vipps:acr:app_auth".into());
        let url = r.to_url().unwrap();
        assert!(url.ends_with(
            "&requested_flow=automatic_return_from_vipps_app&final_redirect_is_app=false\
             &market=DK&acr_values=urn%3Avipps%3Aacr%3Aapp_auth"
        ));
        assert_eq!(
            Market::parse("NOR").unwrap_err().code(),
            ErrorCode::MarketInvalid
        );
    }

    #[test]
    fn partners_send_msn_instead_of_client_id() {
        let mut r = request();
        r.client = Client::from_parts(None, Some("123456")).unwrap();
        let url = r.to_url().unwrap();
        assert!(url.contains("?msn=123456&"));
        assert!(!url.contains("client_id"));
        assert_eq!(
            Client::from_parts(Some("a"), Some("b")).unwrap_err().code(),
            ErrorCode::ClientIdMissing
        );
        assert_eq!(
            Client::from_parts(Some(" "), None).unwrap_err().code(),
            ErrorCode::ClientIdMissing
        );
    }

    #[test]
    fn vipps_faq_state_at_least_8_characters() {
        let mut r = request();
        r.state = "1234567".into();
        assert_eq!(code(&r), ErrorCode::StateTooShort);
        r.state = "12345678".into();
        assert!(r.to_url().is_ok());
    }

    #[test]
    fn vipps_faq_502_state_and_nonce_capped() {
        let mut r = request();
        r.state = "s".repeat(MAX_STATE_LEN);
        assert!(r.to_url().is_ok());
        r.state = "s".repeat(MAX_STATE_LEN + 1);
        assert_eq!(code(&r), ErrorCode::StateTooLong);
        let mut r = request();
        r.nonce = Some("n".repeat(MAX_STATE_LEN + 1));
        assert_eq!(code(&r), ErrorCode::NonceTooLong);
        r.nonce = Some(String::new());
        assert_eq!(code(&r), ErrorCode::NonceEmpty);
    }

    #[test]
    fn vipps_faq_502_url_over_2000_characters_refused() {
        let mut r = request();
        r.redirect_uri = format!("https://shop.example/{}", "a".repeat(1800));
        let e = r.to_url().unwrap_err();
        assert_eq!(e.code(), ErrorCode::AuthorizationUrlTooLong);
        assert!(e.detail("length").unwrap().parse::<usize>().unwrap() > MAX_URL_LEN);
    }

    #[test]
    fn vipps_quirk_app_to_app_v2_requires_pkce() {
        let mut r = request();
        r.requested_flow = Some(RequestedFlow::from_parts("app_to_app_v2", None).unwrap());
        assert!(r.to_url().unwrap().contains("requested_flow=app_to_app_v2"));
        r.code_challenge = None;
        assert_eq!(code(&r), ErrorCode::PkceRequired);
    }

    #[test]
    fn vipps_quirk_app_to_app_requires_app_callback_uri() {
        assert_eq!(
            RequestedFlow::from_parts("app_to_app", None)
                .unwrap_err()
                .code(),
            ErrorCode::AppCallbackUriMissing
        );
        assert_eq!(
            RequestedFlow::from_parts("app_to_app_v2", Some("myapp://x"))
                .unwrap_err()
                .code(),
            ErrorCode::AppCallbackUriUnexpected
        );
        assert_eq!(
            RequestedFlow::from_parts("app2app", None)
                .unwrap_err()
                .code(),
            ErrorCode::RequestedFlowUnknown
        );
        let mut r = request();
        r.requested_flow =
            Some(RequestedFlow::from_parts("app_to_app", Some("myapp://back")).unwrap());
        assert!(r
            .to_url()
            .unwrap()
            .contains("&requested_flow=app_to_app&app_callback_uri=myapp%3A%2F%2Fback"));
        r.requested_flow = Some(RequestedFlow::from_parts("app_to_app", Some("myapp://")).unwrap());
        assert_eq!(code(&r), ErrorCode::RedirectUriCustomSchemeWithoutPath);
    }

    #[test]
    fn redirect_uri_rules_apply_before_sending() {
        let mut r = request();
        r.redirect_uri = "https://shop.example/callback#x".into();
        assert_eq!(code(&r), ErrorCode::RedirectUriHasFragment);
        let mut r = request();
        r.registered_redirect_uris = Some(vec!["https://shop.example/callback/".into()]);
        assert_eq!(code(&r), ErrorCode::RedirectUriNotRegistered);
    }

    #[test]
    fn malformed_challenge_and_acr_refused() {
        let mut r = request();
        r.code_challenge = Some("plain-verifier".into());
        assert_eq!(code(&r), ErrorCode::CodeVerifierInvalid);
        let mut r = request();
        r.acr_values = Some(" ".into());
        assert_eq!(code(&r), ErrorCode::AcrValuesInvalid);
    }

    #[test]
    fn endpoint_with_query_gets_ampersand() {
        let mut r = request();
        r.authorization_endpoint = "https://op.example/auth?tenant=a".into();
        assert!(r
            .to_url()
            .unwrap()
            .starts_with("https://op.example/auth?tenant=a&client_id="));
    }
}
