//! OpenID Connect Discovery 1.0: the provider metadata document.
//!
//! Sans-IO: [`discovery_request`] says what to fetch, [`process_discovery_response`]
//! reads the bytes. Vipps' document advertises features that do not work (refresh
//! tokens, implicit, `end_session_endpoint`, ...); only the endpoints are taken from it.

use crate::error::{Error, ErrorCode, Result};
use crate::issuer::{Endpoints, Issuer};
use crate::uri::is_secure_http_url;
use serde::{Deserialize, Serialize};

/// The fields of the discovery document this library uses.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
pub struct ProviderMetadata {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
    #[serde(default)]
    pub backchannel_authentication_endpoint: Option<String>,
    #[serde(default)]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    /// RFC 9207 2.3: when true, callbacks must carry `iss`.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: Option<bool>,
}

/// The URL to GET for an issuer's discovery document.
pub fn discovery_request(issuer: &Issuer) -> String {
    issuer.discovery_url()
}

/// Parses a discovery document and checks it against the expected issuer.
pub fn process_discovery_response(body: &[u8], expected: &Issuer) -> Result<ProviderMetadata> {
    let metadata: ProviderMetadata = serde_json::from_slice(body).map_err(|e| {
        Error::new(
            ErrorCode::DiscoveryInvalid,
            format!("the discovery document is not valid: {e}"),
        )
    })?;
    metadata.validate(expected)?;
    Ok(metadata)
}

impl ProviderMetadata {
    /// OIDC Discovery 4.3: `issuer` must equal the issuer the document was fetched
    /// for, byte for byte (Vipps' ends in `/`). Every endpoint must be https (http only
    /// on loopback).
    pub fn validate(&self, expected: &Issuer) -> Result<()> {
        if self.issuer.as_bytes() != expected.as_str().as_bytes() {
            return Err(Error::new(
                ErrorCode::DiscoveryIssuerMismatch,
                format!(
                    "the discovery document's issuer is \"{}\", expected \"{}\"",
                    self.issuer,
                    expected.as_str()
                ),
            )
            .with_detail("expected", expected.as_str())
            .with_detail("actual", self.issuer.clone()));
        }
        let required = [
            ("authorization_endpoint", Some(&self.authorization_endpoint)),
            ("token_endpoint", Some(&self.token_endpoint)),
            ("jwks_uri", Some(&self.jwks_uri)),
            ("userinfo_endpoint", self.userinfo_endpoint.as_ref()),
            (
                "backchannel_authentication_endpoint",
                self.backchannel_authentication_endpoint.as_ref(),
            ),
        ];
        for (name, value) in required {
            if let Some(url) = value {
                if !is_secure_http_url(url) {
                    return Err(Error::new(
                        ErrorCode::DiscoveryInvalid,
                        format!("{name} \"{url}\" is not an https URL (http only on loopback)"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The endpoints this document names, after [`ProviderMetadata::validate`].
    pub fn endpoints(&self, expected: &Issuer) -> Result<Endpoints> {
        self.validate(expected)?;
        Ok(Endpoints {
            issuer: expected.clone(),
            authorization_endpoint: self.authorization_endpoint.clone(),
            token_endpoint: self.token_endpoint.clone(),
            jwks_uri: self.jwks_uri.clone(),
            userinfo_endpoint: self.userinfo_endpoint.clone(),
            backchannel_authentication_endpoint: self.backchannel_authentication_endpoint.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::issuer::Environment;

    // Shaped like Vipps' real document, including what it advertises but does not do.
    const VIPPS_TEST_DISCOVERY: &str = r#"{
        "issuer": "https://apitest.vipps.no/access-management-1.0/access/",
        "authorization_endpoint": "https://apitest.vipps.no/access-management-1.0/access/oauth2/auth",
        "token_endpoint": "https://apitest.vipps.no/access-management-1.0/access/oauth2/token",
        "jwks_uri": "https://apitest.vipps.no/access-management-1.0/access/.well-known/jwks.json",
        "userinfo_endpoint": "https://apitest.vipps.no/vipps-userinfo-api/userinfo",
        "end_session_endpoint": "https://apitest.vipps.no/access-management-1.0/access/oauth2/sessions/logout",
        "grant_types_supported": ["authorization_code", "implicit", "client_credentials", "refresh_token"],
        "response_types_supported": ["code", "code id_token", "id_token", "token id_token", "token", "token id_token code"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic", "private_key_jwt", "none"],
        "code_challenge_methods_supported": ["S256"]
    }"#;

    #[test]
    fn vipps_discovery_document_gives_documented_endpoints() {
        let issuer = Environment::Test.issuer();
        let m = process_discovery_response(VIPPS_TEST_DISCOVERY.as_bytes(), &issuer).unwrap();
        let from_doc = m.endpoints(&issuer).unwrap();
        let from_layout = Endpoints::vipps_layout(&issuer).unwrap();
        assert_eq!(
            from_doc.authorization_endpoint,
            from_layout.authorization_endpoint
        );
        assert_eq!(from_doc.token_endpoint, from_layout.token_endpoint);
        assert_eq!(from_doc.jwks_uri, from_layout.jwks_uri);
        assert_eq!(from_doc.userinfo_endpoint, from_layout.userinfo_endpoint);
    }

    #[test]
    fn vipps_quirk_issuer_trailing_slash_compared_byte_for_byte() {
        let issuer = Environment::Test.issuer();
        let doc = VIPPS_TEST_DISCOVERY.replace(
            "\"issuer\": \"https://apitest.vipps.no/access-management-1.0/access/\"",
            "\"issuer\": \"https://apitest.vipps.no/access-management-1.0/access\"",
        );
        let e = process_discovery_response(doc.as_bytes(), &issuer).unwrap_err();
        assert_eq!(e.code(), ErrorCode::DiscoveryIssuerMismatch);
        assert_eq!(
            e.detail("actual"),
            Some("https://apitest.vipps.no/access-management-1.0/access")
        );
    }

    #[test]
    fn malformed_documents_are_typed_errors() {
        let issuer = Environment::Test.issuer();
        for body in ["", "{", "[]", "{\"issuer\": 5}", "{\"issuer\": \"x\"}"] {
            let e = process_discovery_response(body.as_bytes(), &issuer).unwrap_err();
            assert_eq!(e.code(), ErrorCode::DiscoveryInvalid, "{body}");
        }
    }

    #[test]
    fn insecure_endpoint_in_document_is_refused() {
        let issuer = Environment::Test.issuer();
        let doc = VIPPS_TEST_DISCOVERY.replace(
            "https://apitest.vipps.no/access-management-1.0/access/oauth2/token",
            "http://evil.example/token",
        );
        let e = process_discovery_response(doc.as_bytes(), &issuer).unwrap_err();
        assert_eq!(e.code(), ErrorCode::DiscoveryInvalid);
        assert!(e.message().contains("token_endpoint"));
    }
}
