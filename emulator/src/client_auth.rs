//! Client authentication at the token endpoint (and the CIBA start): the sales unit's
//! one method only, or a partner's access token (`Authorization: Bearer` plus
//! `Merchant-Serial-Number`) for a sales unit holding one of the partner's msns.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use base64ct::{Base64, Base64Unpadded, Encoding};
use percent_encoding::percent_decode_str;
use subtle::ConstantTimeEq;

use crate::config::{SalesUnit, TokenAuthMethod};
use crate::http::{bad_request, no_store, oauth_error};
use crate::params::Params;
use crate::state::App;

const FAILED: &str = "Client authentication failed (e.g., unknown client, no client \
authentication included, or unsupported authentication method).";

/// The sales unit that authenticated, or why not (answer with [`unauthorized`]).
pub fn authenticate<'a>(
    app: &'a App,
    headers: &HeaderMap,
    params: &Params,
) -> Result<&'a SalesUnit, String> {
    if let Some(token) = bearer(headers) {
        return partner(app, headers, params, &token);
    }
    let basic = match headers.get(header::AUTHORIZATION) {
        None => None,
        Some(value) => Some(parse_basic(value).ok_or_else(|| {
            format!(
                "{FAILED} The Authorization header is not valid HTTP Basic credentials \
(base64 of urlencoded client_id ':' urlencoded client_secret)."
            )
        })?),
    };
    let body_secret = params.get("client_secret");
    let body_id = params.get("client_id");

    let (method, client_id, secret) = match (basic, body_secret) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "{FAILED} Use one client authentication method: both HTTP Basic and client_secret in the body were sent."
            ))
        }
        (Some((id, secret)), None) => {
            if body_id.is_some_and(|b| b != id) {
                return Err(format!(
                    "{FAILED} The client_id in the body differs from the one in the Authorization header."
                ));
            }
            (TokenAuthMethod::ClientSecretBasic, id, secret)
        }
        (None, Some(secret)) => match body_id {
            Some(id) => (TokenAuthMethod::ClientSecretPost, id.to_string(), secret.to_string()),
            None => {
                return Err(format!(
                    "{FAILED} client_secret was sent without client_id."
                ))
            }
        },
        (None, None) => {
            return Err(format!(
                "{FAILED} No client authentication was included."
            ))
        }
    };

    let Some(unit) = app.config.sales_unit_by_client_id(&client_id) else {
        return Err(format!(
            "{FAILED} The requested OAuth 2.0 Client does not exist."
        ));
    };
    let expected = unit.auth_method();
    if method != expected {
        return Err(format!(
            "{FAILED} The OAuth 2.0 Client supports client authentication method '{}', but method '{}' was requested.",
            expected.as_str(),
            method.as_str()
        ));
    }
    let matches: bool = secret
        .as_bytes()
        .ct_eq(unit.client_secret.as_bytes())
        .into();
    if !matches {
        return Err(format!(
            "{FAILED} The provided client secret did not match."
        ));
    }
    Ok(unit)
}

/// The token of `Authorization: Bearer <token>`, if that is the scheme.
fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// Vipps' partner keys: the partner's access token (from `POST /accesstoken/get`) and
/// `Merchant-Serial-Number` naming a sales unit the partner acts for.
fn partner<'a>(
    app: &'a App,
    headers: &HeaderMap,
    params: &Params,
    token: &str,
) -> Result<&'a SalesUnit, String> {
    if params.get("client_secret").is_some() {
        return Err(format!(
            "{FAILED} Use one client authentication method: both a partner Bearer token and client_secret in the body were sent."
        ));
    }
    let now = app.clock.now();
    let partner_id = {
        let store = app.store();
        let grant = store
            .partner_tokens
            .iter()
            .find(|(t, _)| bool::from(t.as_bytes().ct_eq(token.as_bytes())))
            .map(|(_, g)| (g.partner.clone(), g.expires_at));
        match grant {
            None => return Err(format!("{FAILED} The partner access token is unknown.")),
            Some((_, expires_at)) if now >= expires_at => {
                return Err(format!("{FAILED} The partner access token has expired."))
            }
            Some((partner, _)) => partner,
        }
    };
    let msn = headers
        .get("merchant-serial-number")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| {
            format!("{FAILED} A partner token needs the Merchant-Serial-Number header.")
        })?;
    let acts_for = app
        .config
        .partners
        .iter()
        .find(|p| p.client_id == partner_id)
        .is_some_and(|p| p.msns.iter().any(|m| m == msn));
    let unit = app.config.sales_unit_by_msn(msn).filter(|_| acts_for);
    let Some(unit) = unit else {
        return Err(format!(
            "{FAILED} The partner does not act for merchant serial number {msn:?}."
        ));
    };
    if params
        .get("client_id")
        .is_some_and(|id| id != unit.client_id)
    {
        return Err(format!(
            "{FAILED} The client_id in the body is not the sales unit of the Merchant-Serial-Number."
        ));
    }
    Ok(unit)
}

/// `Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 2.3.1).
fn parse_basic(value: &HeaderValue) -> Option<(String, String)> {
    let value = value.to_str().ok()?.trim();
    let (scheme, credentials) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let credentials = credentials.trim();
    let decoded = Base64::decode_vec(credentials)
        .or_else(|_| Base64Unpadded::decode_vec(credentials))
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decode(id)?, form_decode(secret)?))
}

fn form_decode(s: &str) -> Option<String> {
    let plus_as_space = s.replace('+', " ");
    percent_decode_str(&plus_as_space)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// How every client-authenticated form POST starts (the token endpoint, the CIBA
/// start): an `application/x-www-form-urlencoded` body, none of `single` sent twice,
/// then the client's authentication. `Err` is the answer to send (boxed: it is large).
pub fn authenticated_form<'a>(
    app: &'a App,
    headers: &HeaderMap,
    body: &[u8],
    single: &[&str],
) -> Result<(Params, &'a SalesUnit), Box<Response>> {
    if !is_form(headers) {
        return Err(Box::new(bad_request(
            "invalid_request",
            "The request must be application/x-www-form-urlencoded.",
        )));
    }
    let params = Params::parse(body);
    if let Some(name) = params.first_repeated(single) {
        return Err(Box::new(bad_request(
            "invalid_request",
            &format!("The parameter '{name}' was sent more than once."),
        )));
    }
    match authenticate(app, headers, &params) {
        Ok(unit) => Ok((params, unit)),
        Err(description) => Err(Box::new(no_store(unauthorized(&description)))),
    }
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// 401 `invalid_client`.
pub fn unauthorized(description: &str) -> Response {
    let mut response = oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", description);
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"vipps-login-emulator\""),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_urldecoded_halves() {
        let raw = Base64::encode_string(b"my%3Aclient:p%40ss+w%3Ard%25");
        let value = HeaderValue::from_str(&format!("Basic {raw}")).ok();
        let parsed = value.as_ref().and_then(parse_basic);
        assert_eq!(
            parsed,
            Some(("my:client".to_string(), "p@ss w:rd%".to_string()))
        );
        let value = HeaderValue::from_static("Bearer abc");
        assert_eq!(parse_basic(&value), None);
    }
}
