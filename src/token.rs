//! The token request (RFC 6749 4.1.3, OIDC Core 3.1.3.1) and its response (RFC 6749
//! 5.1, 5.2), with Vipps' client authentication and `Vipps-System-*` headers.

use crate::error::{Error, ErrorCode, Result};
use crate::http::{HttpRequest, HttpResponse};
use crate::random::PkceCodeVerifier;
use base64ct::{Base64, Encoding};
use serde::Deserialize;
use std::fmt;

/// How the client authenticates at the token endpoint. Vipps allows one per sales unit,
/// chosen in the portal; the other fails with `invalid_client`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenAuthMethod {
    /// `Authorization: Basic` (Vipps' default).
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body.
    ClientSecretPost,
}

impl TokenAuthMethod {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "client_secret_basic" => Some(TokenAuthMethod::ClientSecretBasic),
            "client_secret_post" => Some(TokenAuthMethod::ClientSecretPost),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TokenAuthMethod::ClientSecretBasic => "client_secret_basic",
            TokenAuthMethod::ClientSecretPost => "client_secret_post",
        }
    }
}

/// A secret: `Debug` prints `[redacted]`, and there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(secret: impl Into<String>) -> Self {
        Secret(secret.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The sales unit's credentials.
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: Secret,
    pub method: TokenAuthMethod,
    /// The other way in: a partner's access token for the merchant serial number
    /// ([`crate::partner`]). When set, it replaces the client secret (and `method`).
    pub partner: Option<PartnerCredential>,
}

/// Vipps' partner keys at the token endpoint (and the CIBA start): `Authorization:
/// Bearer {partner token}` plus `Merchant-Serial-Number: {msn}` instead of the sales
/// unit's client_id and secret. `Debug` hides the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerCredential {
    pub access_token: Secret,
    pub msn: String,
}

/// Vipps' optional `Vipps-System-*` headers (mandatory for platforms and partners), at
/// most 30 characters each.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemHeaders {
    pub system_name: Option<String>,
    pub system_version: Option<String>,
    pub plugin_name: Option<String>,
    pub plugin_version: Option<String>,
}

impl SystemHeaders {
    /// This library's own name and version as the plugin.
    pub fn this_library(system_name: Option<String>, system_version: Option<String>) -> Self {
        SystemHeaders {
            system_name,
            system_version,
            plugin_name: Some("vipps-login".into()),
            plugin_version: Some(env!("CARGO_PKG_VERSION").into()),
        }
    }

    /// Checks Vipps' limits: 1 to 30 visible ASCII characters each.
    pub fn validate(&self) -> Result<()> {
        self.pairs().map(|_| ())
    }

    fn pairs(&self) -> Result<Vec<(&'static str, String)>> {
        let all = [
            ("Vipps-System-Name", &self.system_name),
            ("Vipps-System-Version", &self.system_version),
            ("Vipps-System-Plugin-Name", &self.plugin_name),
            ("Vipps-System-Plugin-Version", &self.plugin_version),
        ];
        let mut out = Vec::new();
        for (name, value) in all {
            let Some(value) = value else { continue };
            let ok = !value.is_empty()
                && value.len() <= 30
                && value.bytes().all(|b| b.is_ascii_graphic() || b == b' ');
            if !ok {
                return Err(Error::new(
                    ErrorCode::SystemHeaderInvalid,
                    format!("{name} must be 1 to 30 visible ASCII characters"),
                ));
            }
            out.push((name, value.clone()));
        }
        Ok(out)
    }
}

/// `x-www-form-urlencoded` encoding, as RFC 6749 2.3.1 asks for the Basic credentials.
fn form_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Client authentication on a request to the token endpoint (every grant) or the CIBA
/// start: `client_secret_basic` puts it in `Authorization`, `client_secret_post` in the
/// form. Vipps accepts only the one chosen for the sales unit in the portal. With
/// partner keys, the partner's token and the merchant serial number instead (Vipps:
/// "Partners: `Authorization: Bearer {partner token}` plus `Merchant-Serial-Number`").
pub fn authenticate(
    client: &ClientCredentials,
    headers: &mut Vec<(&'static str, String)>,
    form: &mut form_urlencoded::Serializer<'_, String>,
) {
    if let Some(partner) = &client.partner {
        headers.push((
            "Authorization",
            format!("Bearer {}", partner.access_token.expose()),
        ));
        headers.push(("Merchant-Serial-Number", partner.msn.clone()));
        return;
    }
    match client.method {
        TokenAuthMethod::ClientSecretBasic => {
            // RFC 6749 2.3.1: form-urlencode id and secret, then base64 "id:secret".
            let pair = format!(
                "{}:{}",
                form_encode(&client.client_id),
                form_encode(client.client_secret.expose())
            );
            headers.push((
                "Authorization",
                format!("Basic {}", Base64::encode_string(pair.as_bytes())),
            ));
        }
        TokenAuthMethod::ClientSecretPost => {
            form.append_pair("client_id", &client.client_id)
                .append_pair("client_secret", client.client_secret.expose());
        }
    }
}

/// Builds the authorization_code token request. `redirect_uri` must be the one sent to
/// authorize (Vipps requires it and compares it exactly).
pub fn token_request(
    token_endpoint: &str,
    client: &ClientCredentials,
    code: &str,
    redirect_uri: &str,
    code_verifier: Option<&PkceCodeVerifier>,
    system: &SystemHeaders,
) -> Result<HttpRequest> {
    form_request(token_endpoint, client, system, |form| {
        form.append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", redirect_uri);
        if let Some(verifier) = code_verifier {
            form.append_pair("code_verifier", verifier.secret());
        }
    })
}

/// A form POST to the token endpoint or the CIBA start: `fill` writes the grant's
/// fields, then the client authentication ([`authenticate`]) and the system headers.
pub(crate) fn form_request(
    endpoint: &str,
    client: &ClientCredentials,
    system: &SystemHeaders,
    fill: impl FnOnce(&mut form_urlencoded::Serializer<'_, String>),
) -> Result<HttpRequest> {
    let mut headers = vec![
        (
            "Content-Type",
            "application/x-www-form-urlencoded".to_string(),
        ),
        ("Accept", "application/json".to_string()),
    ];
    let mut form = form_urlencoded::Serializer::new(String::new());
    fill(&mut form);
    authenticate(client, &mut headers, &mut form);
    headers.extend(system.pairs()?);
    Ok(HttpRequest {
        method: "POST",
        url: endpoint.to_string(),
        headers,
        body: form.finish(),
    })
}

/// Reads a JSON answer (the token response, the CIBA start's; `what` names it): the
/// body, and how to say what else is wrong with it (`TokenResponseInvalid`).
pub(crate) fn read_json<'w, T: serde::de::DeserializeOwned>(
    response: &HttpResponse,
    what: &'w str,
) -> Result<(T, impl Fn(&str) -> Error + 'w)> {
    let invalid =
        move |why: &str| Error::new(ErrorCode::TokenResponseInvalid, format!("{what} {why}"));
    let raw =
        serde_json::from_slice(&response.body).map_err(|_| invalid("is not a JSON object"))?;
    Ok((raw, invalid))
}

/// A successful token response. The access token is for userinfo only and is never
/// shown: `Debug` redacts it.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenResponse {
    pub access_token: Secret,
    pub id_token: String,
    pub expires_in: Option<u64>,
    pub scope: Option<String>,
}

debug_redacted!(TokenResponse { expires_in, scope; access_token, id_token });

#[derive(Deserialize)]
struct RawTokenResponse {
    access_token: Option<String>,
    id_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<serde_json::Value>,
    scope: Option<String>,
}

#[derive(Deserialize)]
struct RawError {
    error: Option<String>,
    error_description: Option<String>,
    // Some Vipps responses carry these instead of error_description.
    error_debug: Option<String>,
    error_code: Option<serde_json::Value>,
}

/// Reads the token endpoint's answer.
pub fn process_token_response(response: &HttpResponse) -> Result<TokenResponse> {
    if !(200..300).contains(&response.status) {
        return Err(token_error(response));
    }
    let (raw, invalid) = read_json::<RawTokenResponse>(response, "the token response")?;
    let access_token = raw
        .access_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid("has no access_token"))?;
    let id_token = raw
        .id_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid("has no id_token (was openid in the scope?)"))?;
    // Vipps answers `bearer`; RFC 6749 7.1 says the type is case insensitive.
    if !raw
        .token_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("bearer"))
    {
        return Err(invalid("has a token_type other than Bearer"));
    }
    let expires_in = raw.expires_in.and_then(|v| v.as_u64());
    Ok(TokenResponse {
        access_token: Secret(access_token),
        id_token,
        expires_in,
        scope: raw.scope,
    })
}

fn token_error(response: &HttpResponse) -> Error {
    let raw: Option<RawError> = serde_json::from_slice(&response.body).ok();
    let (error, description) = match &raw {
        Some(r) => (
            r.error.clone(),
            r.error_description
                .clone()
                .or_else(|| r.error_debug.clone())
                .or_else(|| r.error_code.as_ref().map(|c| c.to_string())),
        ),
        None => (None, None),
    };
    let code = match (error.as_deref(), response.status) {
        (Some("invalid_client"), _) | (None, 401) => ErrorCode::TokenInvalidClient,
        (Some("invalid_grant"), _) => ErrorCode::TokenInvalidGrant,
        (Some("invalid_request"), _) => ErrorCode::TokenInvalidRequest,
        (_, 500..=599) => ErrorCode::TokenServerError,
        (Some(_), _) => ErrorCode::TokenRejected,
        (None, _) => ErrorCode::TokenResponseInvalid,
    };
    let message = format!(
        "the token endpoint answered HTTP {}{}{}",
        response.status,
        error
            .as_deref()
            .map(|e| format!(" {e}"))
            .unwrap_or_default(),
        description
            .as_deref()
            .map(|d| format!(": {d}"))
            .unwrap_or_default()
    );
    let mut e = Error::new(code, message).with_detail("status", response.status.to_string());
    if let Some(error) = error {
        e = e.with_detail("error", error);
    }
    if let Some(d) = description {
        e = e.with_detail("errorDescription", d);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(method: TokenAuthMethod) -> ClientCredentials {
        ClientCredentials {
            client_id: "client:1".into(),
            client_secret: Secret::new("s3cr%t +x"),
            method,
            partner: None,
        }
    }

    fn ok(body: &str) -> HttpResponse {
        HttpResponse {
            status: 200,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn basic_auth_form_encodes_before_base64_rfc6749_2_3_1() {
        let verifier = PkceCodeVerifier::new(&"v".repeat(43)).unwrap();
        let r = token_request(
            "https://api.vipps.no/access-management-1.0/access/oauth2/token",
            &client(TokenAuthMethod::ClientSecretBasic),
            "the code",
            "https://shop.example/cb",
            Some(&verifier),
            &SystemHeaders::default(),
        )
        .unwrap();
        assert_eq!(r.method, "POST");
        let expected = Base64::encode_string(b"client%3A1:s3cr%25t+%2Bx");
        assert_eq!(
            r.header("authorization"),
            Some(format!("Basic {expected}").as_str())
        );
        assert_eq!(
            r.body,
            format!("grant_type=authorization_code&code=the+code&redirect_uri=https%3A%2F%2Fshop.example%2Fcb&code_verifier={}", "v".repeat(43))
        );
        assert!(!r.body.contains("client_secret"));
    }

    #[test]
    fn post_auth_puts_credentials_in_the_body_only() {
        let r = token_request(
            "https://x/token",
            &client(TokenAuthMethod::ClientSecretPost),
            "c",
            "https://shop.example/cb",
            None,
            &SystemHeaders::default(),
        )
        .unwrap();
        assert_eq!(r.header("authorization"), None);
        assert!(r
            .body
            .ends_with("&client_id=client%3A1&client_secret=s3cr%25t+%2Bx"));
        assert!(!r.body.contains("code_verifier"));
    }

    #[test]
    fn vipps_system_headers_at_most_30_characters() {
        let mut system = SystemHeaders::this_library(Some("acme-shop".into()), Some("2.1".into()));
        let r = token_request(
            "https://x/t",
            &client(TokenAuthMethod::ClientSecretBasic),
            "c",
            "https://s/cb",
            None,
            &system,
        )
        .unwrap();
        assert_eq!(r.header("Vipps-System-Name"), Some("acme-shop"));
        assert_eq!(r.header("Vipps-System-Plugin-Name"), Some("vipps-login"));
        system.system_name = Some("x".repeat(31));
        let e = token_request(
            "https://x/t",
            &client(TokenAuthMethod::ClientSecretBasic),
            "c",
            "https://s/cb",
            None,
            &system,
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::SystemHeaderInvalid);
    }

    #[test]
    fn secrets_are_redacted_in_debug() {
        let c = client(TokenAuthMethod::ClientSecretBasic);
        assert!(!format!("{c:?}").contains("s3cr"));
        let r = token_request(
            "https://x/t",
            &c,
            "code-123",
            "https://s/cb",
            None,
            &SystemHeaders::default(),
        )
        .unwrap();
        let dbg = format!("{r:?}");
        assert!(
            !dbg.contains("code-123") && !dbg.contains("Basic "),
            "{dbg}"
        );
        let t = process_token_response(&ok(
            r#"{"access_token":"at-1","id_token":"a.b.c","token_type":"bearer"}"#,
        ))
        .unwrap();
        assert!(!format!("{t:?}").contains("at-1"));
    }

    #[test]
    fn vipps_token_response_with_lowercase_bearer() {
        let t = process_token_response(&ok(
            r#"{"access_token":"at","id_token":"a.b.c","expires_in":3599,"scope":"openid name","token_type":"bearer"}"#,
        ))
        .unwrap();
        assert_eq!(t.access_token.expose(), "at");
        assert_eq!(t.expires_in, Some(3599));
        assert_eq!(t.scope.as_deref(), Some("openid name"));
        assert!(process_token_response(&ok(
            r#"{"access_token":"at","id_token":"x","token_type":"Bearer"}"#
        ))
        .is_ok());
    }

    #[test]
    fn malformed_token_responses_are_typed() {
        for body in [
            "",
            "not json",
            "[]",
            r#"{"id_token":"x","token_type":"bearer"}"#,
            r#"{"access_token":"a","token_type":"bearer"}"#,
            r#"{"access_token":"a","id_token":"x","token_type":"mac"}"#,
        ] {
            assert_eq!(
                process_token_response(&ok(body)).unwrap_err().code(),
                ErrorCode::TokenResponseInvalid,
                "{body}"
            );
        }
    }

    #[test]
    fn vipps_faq_token_errors_mapped_with_advice() {
        let cases = [
            (
                401,
                r#"{"error":"invalid_client","error_description":"Client authentication failed"}"#,
                ErrorCode::TokenInvalidClient,
            ),
            (401, "", ErrorCode::TokenInvalidClient),
            (
                400,
                r#"{"error":"invalid_grant","error_description":"expired"}"#,
                ErrorCode::TokenInvalidGrant,
            ),
            (
                400,
                r#"{"error":"invalid_request","error_debug":"redirect_uri mismatch"}"#,
                ErrorCode::TokenInvalidRequest,
            ),
            (
                400,
                r#"{"error":"unsupported_grant_type"}"#,
                ErrorCode::TokenRejected,
            ),
            (
                500,
                r#"{"error":"server_error"}"#,
                ErrorCode::TokenServerError,
            ),
            (502, "<html>Bad Gateway</html>", ErrorCode::TokenServerError),
            (400, "garbage", ErrorCode::TokenResponseInvalid),
        ];
        for (status, body, code) in cases {
            let e = process_token_response(&HttpResponse {
                status,
                body: body.as_bytes().to_vec(),
            })
            .unwrap_err();
            assert_eq!(e.code(), code, "{status} {body}");
        }
        let e = process_token_response(&HttpResponse {
            status: 400,
            body: br#"{"error":"invalid_request","error_debug":"redirect_uri mismatch"}"#.to_vec(),
        })
        .unwrap_err();
        assert_eq!(e.detail("errorDescription"), Some("redirect_uri mismatch"));
        let e = process_token_response(&HttpResponse {
            status: 401,
            body: br#"{"error":"invalid_client"}"#.to_vec(),
        })
        .unwrap_err();
        let hint = e.hint().unwrap();
        assert!(
            hint.contains("client_secret_basic or client_secret_post")
                && hint.contains("environment")
        );
    }

    #[test]
    fn vipps_partner_keys_send_bearer_and_merchant_serial_number() {
        let mut c = client(TokenAuthMethod::ClientSecretPost);
        c.partner = Some(PartnerCredential {
            access_token: Secret::new("partner-token-1"),
            msn: "123456".into(),
        });
        let r = token_request(
            "https://x/t",
            &c,
            "c",
            "https://s/cb",
            None,
            &SystemHeaders::default(),
        )
        .unwrap();
        assert_eq!(r.header("authorization"), Some("Bearer partner-token-1"));
        assert_eq!(r.header("merchant-serial-number"), Some("123456"));
        assert!(!r.body.contains("client_secret") && !r.body.contains("client_id"));
        assert!(!format!("{c:?}").contains("partner-token-1"));
    }

    #[test]
    fn auth_method_names() {
        assert_eq!(
            TokenAuthMethod::parse("client_secret_post"),
            Some(TokenAuthMethod::ClientSecretPost)
        );
        assert_eq!(TokenAuthMethod::parse("private_key_jwt"), None);
        assert_eq!(
            TokenAuthMethod::ClientSecretBasic.as_str(),
            "client_secret_basic"
        );
    }
}
