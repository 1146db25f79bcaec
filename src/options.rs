//! The names of the login options, written once: the npm package's `createLogin`
//! ([`crate::browser`]), the Worker's `GET /login` query and `POST /api/login` body
//! (camelCase, as the package), and the Rust structs they fill ([`crate::login`],
//! [`crate::transaction::FrontEndLogin`], checked against these by a test).

pub const CLIENT_ID: &str = "clientId";
pub const MSN: &str = "msn";
pub const REDIRECT_URI: &str = "redirectUri";
pub const SCOPE: &str = "scope";
pub const ENVIRONMENT: &str = "environment";
pub const ISSUER: &str = "issuer";
pub const DISCOVERY: &str = "discovery";
pub const REGISTERED_REDIRECT_URIS: &str = "registeredRedirectUris";
pub const ALLOW_NON_VIPPS_SCOPES: &str = "allowNonVippsScopes";
pub const STATE: &str = "state";
pub const NONCE: &str = "nonce";
pub const PKCE: &str = "pkce";
pub const CODE_VERIFIER: &str = "codeVerifier";
pub const REQUESTED_FLOW: &str = "requestedFlow";
pub const APP_CALLBACK_URI: &str = "appCallbackUri";
pub const FINAL_REDIRECT_IS_APP: &str = "finalRedirectIsApp";
pub const MARKET: &str = "market";
pub const ACR_VALUES: &str = "acrValues";
/// Worker only: where the user goes after the login.
pub const RETURN_TO: &str = "returnTo";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::login::LoginOptions;
    use crate::transaction::FrontEndLogin;

    #[test]
    fn the_structs_take_exactly_these_names() {
        let login = format!(
            r#"{{"{CLIENT_ID}":"c","{MSN}":null,"{REDIRECT_URI}":"r","{SCOPE}":"openid","{ENVIRONMENT}":"test","{ISSUER}":null,"{REGISTERED_REDIRECT_URIS}":["r"],"{ALLOW_NON_VIPPS_SCOPES}":false,"{STATE}":"s","{NONCE}":"n","{PKCE}":true,"{CODE_VERIFIER}":null,"{REQUESTED_FLOW}":null,"{APP_CALLBACK_URI}":null,"{FINAL_REDIRECT_IS_APP}":null,"{MARKET}":null,"{ACR_VALUES}":null}}"#
        );
        let parsed: Result<LoginOptions, _> = serde_json::from_str(&login);
        assert!(parsed.is_ok(), "{login}");
        let front_end = format!(
            r#"{{"{NONCE}":"n","{CODE_VERIFIER}":"v","{RETURN_TO}":"/","{MARKET}":"NO","{REQUESTED_FLOW}":"x","{FINAL_REDIRECT_IS_APP}":true,"{ACR_VALUES}":"a","{SCOPE}":"name"}}"#
        );
        let parsed: Result<FrontEndLogin, _> = serde_json::from_str(&front_end);
        assert!(parsed.is_ok(), "{front_end}");
    }
}
