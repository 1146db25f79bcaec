//! Environments, issuers and endpoints.
//!
//! Vipps' issuer is `{base}/access-management-1.0/access/`, with the trailing slash, and
//! is compared byte for byte. Userinfo lies outside the issuer path
//! (`{base}/vipps-userinfo-api/userinfo`), so Vipps' endpoints cannot all be derived by
//! appending to the issuer the way most providers' can.

use crate::error::{Error, ErrorCode, Result};
use crate::uri::{is_loopback_host, UriRef};
use std::fmt;

/// Vipps' issuer path below the base URL.
pub use vipps_login_begin::rules::VIPPS_ISSUER_PATH;

/// Where logins go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Environment {
    /// `https://apitest.vipps.no` (the "MT" environment; needs the Vipps test app).
    Test,
    /// `https://api.vipps.no`.
    Production,
    /// Any other issuer: the local emulator or another OpenID provider.
    Custom(Issuer),
}

impl Environment {
    /// Parses `test` or `production`.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "test" => Ok(Environment::Test),
            "production" => Ok(Environment::Production),
            other => Err(Error::new(
                ErrorCode::IssuerInvalid,
                format!("environment must be \"test\" or \"production\", not \"{other}\""),
            )),
        }
    }

    /// The issuer of this environment.
    pub fn issuer(&self) -> Issuer {
        match self {
            Environment::Test => Issuer(format!("https://apitest.vipps.no{VIPPS_ISSUER_PATH}")),
            Environment::Production => Issuer(format!("https://api.vipps.no{VIPPS_ISSUER_PATH}")),
            Environment::Custom(issuer) => issuer.clone(),
        }
    }
}

/// A validated issuer identifier (OIDC Discovery 3: https, no query or fragment). Kept
/// exactly as given: `iss` claims and discovery documents are compared byte for byte.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Issuer(String);

impl Issuer {
    /// Validates an issuer URL. Plain `http` only for 127.0.0.1 / localhost / [::1].
    pub fn new(issuer: &str) -> Result<Self> {
        let invalid = |why: &str| {
            Error::new(
                ErrorCode::IssuerInvalid,
                format!("issuer \"{issuer}\" is not valid: {why}"),
            )
        };
        let uri = UriRef::parse(issuer).map_err(|_| invalid("not a valid URL"))?;
        let scheme = uri.scheme.ok_or_else(|| invalid("not an absolute URL"))?;
        let host = uri.host();
        if host.is_empty() {
            return Err(invalid("it has no host"));
        }
        if uri.query.is_some() || uri.fragment.is_some() {
            return Err(invalid(
                "an issuer has no query or fragment (OIDC Discovery 3)",
            ));
        }
        if uri.has_userinfo() {
            return Err(invalid("an issuer has no user information"));
        }
        if scheme.eq_ignore_ascii_case("https") {
            Ok(Issuer(issuer.to_string()))
        } else if scheme.eq_ignore_ascii_case("http") {
            if is_loopback_host(host) {
                Ok(Issuer(issuer.to_string()))
            } else {
                Err(Error::new(
                    ErrorCode::IssuerInsecure,
                    format!("issuer \"{issuer}\" uses plain http on a host that is not loopback"),
                ))
            }
        } else {
            Err(invalid("the scheme must be https"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `{issuer}/.well-known/openid-configuration`, stripping exactly one trailing `/`
    /// first (OIDC Discovery 4).
    pub fn discovery_url(&self) -> String {
        let base = self.0.strip_suffix('/').unwrap_or(&self.0);
        format!("{base}/.well-known/openid-configuration")
    }

    /// The base URL when the issuer follows Vipps' layout, e.g. `https://api.vipps.no`.
    pub fn vipps_base(&self) -> Option<&str> {
        self.0
            .strip_suffix(VIPPS_ISSUER_PATH)
            .filter(|base| !base.is_empty())
    }
}

impl fmt::Debug for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Issuer({:?})", self.0)
    }
}

impl fmt::Display for Issuer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The endpoints of one provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub issuer: Issuer,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub userinfo_endpoint: Option<String>,
    /// CIBA ("login from phone number"), when the provider has it.
    pub backchannel_authentication_endpoint: Option<String>,
}

impl Endpoints {
    /// Vipps' documented layout below `{base}`; `None` when the issuer does not end in
    /// `/access-management-1.0/access/`.
    pub fn vipps_layout(issuer: &Issuer) -> Option<Self> {
        let base = issuer.vipps_base()?;
        let access = format!("{base}{VIPPS_ISSUER_PATH}");
        Some(Endpoints {
            authorization_endpoint: format!("{access}oauth2/auth"),
            token_endpoint: format!("{access}oauth2/token"),
            jwks_uri: format!("{access}.well-known/jwks.json"),
            // Vipps quirk: userinfo is outside the issuer path.
            userinfo_endpoint: Some(format!("{base}/vipps-userinfo-api/userinfo")),
            backchannel_authentication_endpoint: Some(format!(
                "{base}/vipps-login-ciba/api/backchannel/authentication"
            )),
            issuer: issuer.clone(),
        })
    }

    /// Vipps' layout, or `endpoints_unknown` for an issuer laid out otherwise.
    pub fn for_environment(env: &Environment) -> Result<Self> {
        let issuer = env.issuer();
        // Vipps' issuer without its trailing slash: say so instead of asking for discovery.
        if !issuer.as_str().ends_with('/')
            && format!("{}/", issuer.as_str()).ends_with(VIPPS_ISSUER_PATH)
        {
            return Err(Error::new(
                ErrorCode::IssuerInvalid,
                format!("issuer \"{issuer}\" lacks the trailing slash of Vipps' issuer"),
            )
            .with_hint(format!(
                "Use \"{issuer}/\": Vipps' issuer ends in '/', and iss is compared byte for byte."
            )));
        }
        Endpoints::vipps_layout(&issuer).ok_or_else(|| {
            Error::new(
                ErrorCode::EndpointsUnknown,
                format!("issuer {issuer} is not laid out like Vipps'; its endpoints must come from discovery"),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vipps_issuers_keep_their_trailing_slash() {
        assert_eq!(
            Environment::Test.issuer().as_str(),
            "https://apitest.vipps.no/access-management-1.0/access/"
        );
        assert_eq!(
            Environment::Production.issuer().as_str(),
            "https://api.vipps.no/access-management-1.0/access/"
        );
    }

    #[test]
    fn vipps_quirk_userinfo_outside_issuer_path() {
        let e = Endpoints::for_environment(&Environment::Production).unwrap();
        assert_eq!(
            e.authorization_endpoint,
            "https://api.vipps.no/access-management-1.0/access/oauth2/auth"
        );
        assert_eq!(
            e.token_endpoint,
            "https://api.vipps.no/access-management-1.0/access/oauth2/token"
        );
        assert_eq!(
            e.jwks_uri,
            "https://api.vipps.no/access-management-1.0/access/.well-known/jwks.json"
        );
        assert_eq!(
            e.userinfo_endpoint.as_deref(),
            Some("https://api.vipps.no/vipps-userinfo-api/userinfo")
        );
        assert_eq!(
            e.backchannel_authentication_endpoint.as_deref(),
            Some("https://api.vipps.no/vipps-login-ciba/api/backchannel/authentication")
        );
    }

    #[test]
    fn discovery_url_strips_exactly_one_slash() {
        let i = Environment::Test.issuer();
        assert_eq!(
            i.discovery_url(),
            "https://apitest.vipps.no/access-management-1.0/access/.well-known/openid-configuration"
        );
        let i = Issuer::new("https://op.example").unwrap();
        assert_eq!(
            i.discovery_url(),
            "https://op.example/.well-known/openid-configuration"
        );
    }

    #[test]
    fn http_issuer_only_on_loopback() {
        for ok in [
            "http://127.0.0.1:7000/access-management-1.0/access/",
            "http://localhost:3000",
            "http://[::1]:3000/",
        ] {
            assert!(Issuer::new(ok).is_ok(), "{ok}");
        }
        let e = Issuer::new("http://example.com/").unwrap_err();
        assert_eq!(e.code(), ErrorCode::IssuerInsecure);
        let e = Issuer::new("http://127.0.0.1.evil.example/").unwrap_err();
        assert_eq!(e.code(), ErrorCode::IssuerInsecure);
    }

    #[test]
    fn issuer_rejects_query_fragment_relative_and_other_schemes() {
        for bad in [
            "https://op.example/?a=b",
            "https://op.example/#x",
            "/access-management-1.0/access/",
            "ftp://op.example/",
            "https:///path",
            "",
            "https://user@op.example/",
        ] {
            assert_eq!(
                Issuer::new(bad).unwrap_err().code(),
                ErrorCode::IssuerInvalid,
                "{bad}"
            );
        }
    }

    #[test]
    fn custom_issuer_in_vipps_layout_gets_vipps_endpoints() {
        let i = Issuer::new("http://127.0.0.1:7000/access-management-1.0/access/").unwrap();
        let e = Endpoints::for_environment(&Environment::Custom(i)).unwrap();
        assert_eq!(
            e.userinfo_endpoint.as_deref(),
            Some("http://127.0.0.1:7000/vipps-userinfo-api/userinfo")
        );
    }

    #[test]
    fn vipps_issuer_without_trailing_slash_gets_a_hint() {
        let i = Issuer::new("https://api.vipps.no/access-management-1.0/access").unwrap();
        let e = Endpoints::for_environment(&Environment::Custom(i)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::IssuerInvalid);
        assert!(e
            .hint()
            .unwrap()
            .contains("access-management-1.0/access/\""));
    }

    #[test]
    fn other_layout_needs_discovery() {
        let i = Issuer::new("https://op.example").unwrap();
        let e = Endpoints::for_environment(&Environment::Custom(i)).unwrap_err();
        assert_eq!(e.code(), ErrorCode::EndpointsUnknown);
    }

    #[test]
    fn unknown_environment_name() {
        assert_eq!(
            Environment::from_name("prod").unwrap_err().code(),
            ErrorCode::IssuerInvalid
        );
    }
}
