//! The authorization response (RFC 6749 4.1.2, RFC 9207): what Vipps sends to the
//! redirect URI.
//!
//! Vipps quirk: the documented examples join parameters with `?` instead of `&`
//! (`...?error=access_denied&error_description=...?state=...`). A `?` followed by a
//! known parameter name and `=` is therefore read as a separator.

use crate::error::{Error, ErrorCode, Result};
use subtle::ConstantTimeEq;

const PARAMS: &[&str] = &[
    "code",
    "state",
    "scope",
    "iss",
    "error",
    "error_description",
    "error_uri",
];

/// A successful callback. `Debug` hides the code.
#[derive(Clone, PartialEq, Eq)]
pub struct Callback {
    pub code: String,
    pub state: String,
    /// The scopes the user consented to, space separated, when Vipps echoes them.
    pub scope: Option<String>,
    /// RFC 9207 issuer identifier, when sent.
    pub iss: Option<String>,
}

/// The raw parameters of a callback, before any check. `Debug` hides the code.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub scope: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

debug_redacted!(Callback { state, scope, iss; code });
debug_redacted!(CallbackParams { state, scope, iss, error, error_description; code });

/// Reads the parameters from a full callback URL, a query string (with or without the
/// leading `?`) or a path with a query. A fragment is ignored.
pub fn read_callback_params(input: &str) -> Result<CallbackParams> {
    let input = input.trim();
    let input = input.split('#').next().unwrap_or("");
    // A URL or path has no `=` before its first `?`; a bare query string does (Vipps'
    // `?`-joined parameters put the `?` after a value).
    let query = match input.split_once('?') {
        Some((before, after)) if !before.contains('=') => after,
        _ => input,
    };
    let query = normalize_question_marks(query);
    let mut params = CallbackParams::default();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let slot = match name.as_ref() {
            "code" => &mut params.code,
            "state" => &mut params.state,
            "scope" => &mut params.scope,
            "iss" => &mut params.iss,
            "error" => &mut params.error,
            "error_description" => &mut params.error_description,
            _ => continue,
        };
        if slot.is_some() {
            // RFC 6749 3.1: parameters MUST NOT be included more than once.
            return Err(Error::new(
                ErrorCode::CallbackParameterRepeated,
                format!("the callback holds {name} more than once"),
            )
            .with_detail("parameter", name.into_owned()));
        }
        *slot = Some(value.into_owned()).filter(|v| !v.is_empty());
    }
    if params.code.is_none() && params.error.is_none() {
        return Err(Error::new(
            ErrorCode::CallbackInvalid,
            "the callback has neither code nor error",
        ));
    }
    Ok(params)
}

/// Rewrites `?name=` to `&name=` for the callback's parameter names.
fn normalize_question_marks(query: &str) -> String {
    let mut out = String::with_capacity(query.len());
    let mut rest = query;
    while let Some((before, after)) = rest.split_once('?') {
        out.push_str(before);
        let is_param = PARAMS.iter().any(|p| {
            after
                .strip_prefix(p)
                .is_some_and(|tail| tail.starts_with('='))
        });
        out.push(if is_param { '&' } else { '?' });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// [`parse_callback`], and with `iss_required` a callback without `iss` is refused
/// (RFC 9207 2.4: the provider advertises `authorization_response_iss_parameter_supported`).
/// Server-side only: kept apart so the browser build carries none of it.
pub fn check_callback(
    input: &str,
    expected_state: &str,
    expected_issuer: Option<&str>,
    iss_required: bool,
) -> Result<Callback> {
    if iss_required && read_callback_params(input)?.iss.is_none() {
        return Err(Error::new(
            ErrorCode::IssuerMissing,
            "the callback has no iss, and the provider says it always sends one (RFC 9207)",
        ));
    }
    parse_callback(input, expected_state, expected_issuer)
}

/// Reads and checks a callback: RFC 9207 `iss` (when present and an issuer is
/// expected), then `state` in constant time, then Vipps' error, then `code`.
pub fn parse_callback(
    input: &str,
    expected_state: &str,
    expected_issuer: Option<&str>,
) -> Result<Callback> {
    let params = read_callback_params(input)?;
    if let (Some(iss), Some(expected)) = (&params.iss, expected_issuer) {
        if iss.as_bytes() != expected.as_bytes() {
            return Err(Error::new(
                ErrorCode::IssuerMismatch,
                format!("the callback's iss is \"{iss}\", expected \"{expected}\""),
            ));
        }
    }
    match &params.state {
        Some(state) => {
            if !bool::from(state.as_bytes().ct_eq(expected_state.as_bytes())) {
                return Err(Error::new(
                    ErrorCode::StateMismatch,
                    "the callback's state is not the one this login started with",
                ));
            }
        }
        // An error callback without state still says what went wrong at Vipps; it
        // grants nothing, so there is nothing to protect.
        None if params.error.is_some() => {}
        None => {
            return Err(Error::new(
                ErrorCode::CallbackMissingState,
                "the callback has no state",
            ))
        }
    }
    if let Some(error) = &params.error {
        return Err(vipps_error(error, params.error_description.as_deref()));
    }
    match (params.code, params.state) {
        (Some(code), Some(state)) => Ok(Callback {
            code,
            state,
            scope: params.scope,
            iss: params.iss,
        }),
        _ => Err(Error::new(
            ErrorCode::CallbackMissingCode,
            "the callback has no code",
        )),
    }
}

/// Maps an `error` sent to the redirect URI to a typed error. Unknown errors keep
/// their text in the `error` detail.
pub fn vipps_error(error: &str, description: Option<&str>) -> Error {
    let code = match error {
        "access_denied" => ErrorCode::VippsAccessDenied,
        "server_error" => ErrorCode::VippsServerError,
        "login_required" => ErrorCode::VippsLoginRequired,
        "invalid_app_callback_uri" => ErrorCode::VippsInvalidAppCallbackUri,
        "app_callback_uri_not_registered" => ErrorCode::VippsAppCallbackUriNotRegistered,
        "outdated_app_version" => ErrorCode::VippsOutdatedAppVersion,
        "wrong_challenge" => ErrorCode::VippsWrongChallenge,
        "unknown_reject_reason" => ErrorCode::VippsUnknownRejectReason,
        "invalid_request" => ErrorCode::VippsInvalidRequest,
        "invalid_scope" => ErrorCode::VippsInvalidScope,
        "unauthorized_client" | "invalid_client" => ErrorCode::VippsUnauthorizedClient,
        "unsupported_response_type" => ErrorCode::VippsUnsupportedResponseType,
        "temporarily_unavailable" => ErrorCode::VippsTemporarilyUnavailable,
        _ => ErrorCode::VippsUnrecognizedError,
    };
    let message = match description {
        Some(d) => format!("Vipps answered {error}: {d}"),
        None => format!("Vipps answered {error}"),
    };
    let mut e = Error::new(code, message).with_detail("error", error);
    if let Some(d) = description {
        e = e.with_detail("errorDescription", d);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATE: &str = "state-123456";

    #[test]
    fn full_url_query_string_and_path_all_read() {
        for input in [
            "https://shop.example/callback?code=abc&state=state-123456&scope=openid%20name",
            "?code=abc&state=state-123456&scope=openid+name",
            "code=abc&state=state-123456&scope=openid%20name",
            "/callback?code=abc&state=state-123456&scope=openid%20name#frag",
        ] {
            let cb = parse_callback(input, STATE, None).unwrap();
            assert_eq!(cb.code, "abc", "{input}");
            assert_eq!(cb.state, STATE);
            assert_eq!(cb.scope.as_deref(), Some("openid name"), "{input}");
            assert_eq!(cb.iss, None);
        }
    }

    #[test]
    fn vipps_quirk_question_mark_joined_error_parameters() {
        // As in Vipps' documentation.
        let input = "https://example.com/callback?error=access_denied&error_description=User%20cancelled%20the%20login?state=state-123456";
        let e = parse_callback(input, STATE, None).unwrap_err();
        assert_eq!(e.code(), ErrorCode::VippsAccessDenied);
        assert_eq!(
            e.detail("errorDescription"),
            Some("User cancelled the login")
        );
        // ...and the state after the stray `?` is still checked.
        let input = "https://example.com/callback?error=access_denied?state=forged-state";
        assert_eq!(
            parse_callback(input, STATE, None).unwrap_err().code(),
            ErrorCode::StateMismatch
        );
        let input = "https://example.com/callback?code=abc?state=state-123456";
        assert_eq!(parse_callback(input, STATE, None).unwrap().code, "abc");
    }

    #[test]
    fn question_mark_inside_a_value_is_kept() {
        let p = read_callback_params("error=x&error_description=why?%20because").unwrap();
        assert_eq!(p.error_description.as_deref(), Some("why? because"));
    }

    #[test]
    fn state_mismatch_and_missing_state() {
        let e = parse_callback("code=abc&state=state-654321", STATE, None).unwrap_err();
        assert_eq!(e.code(), ErrorCode::StateMismatch);
        let e = parse_callback("code=abc", STATE, None).unwrap_err();
        assert_eq!(e.code(), ErrorCode::CallbackMissingState);
        let e = parse_callback("code=abc&state=", STATE, None).unwrap_err();
        assert_eq!(e.code(), ErrorCode::CallbackMissingState);
        let e = parse_callback("code=abc&state=state-12345", STATE, None).unwrap_err();
        assert_eq!(e.code(), ErrorCode::StateMismatch);
    }

    #[test]
    fn rfc9207_iss_checked_when_present() {
        let iss = "https://api.vipps.no/access-management-1.0/access/";
        let ok = format!(
            "code=abc&state={STATE}&iss={}",
            iss.replace('/', "%2F").replace(':', "%3A")
        );
        assert_eq!(
            parse_callback(&ok, STATE, Some(iss))
                .unwrap()
                .iss
                .as_deref(),
            Some(iss)
        );
        let bad = format!("code=abc&state={STATE}&iss=https%3A%2F%2Fapitest.vipps.no%2Faccess-management-1.0%2Faccess%2F");
        assert_eq!(
            parse_callback(&bad, STATE, Some(iss)).unwrap_err().code(),
            ErrorCode::IssuerMismatch
        );
        // Absent iss is accepted: Vipps does not send it today.
        assert!(parse_callback(&format!("code=abc&state={STATE}"), STATE, Some(iss)).is_ok());
        // ... unless the provider advertises that it always sends it (RFC 9207 2.4),
        // error callbacks included.
        for absent in [
            format!("code=abc&state={STATE}"),
            format!("error=access_denied&state={STATE}"),
        ] {
            assert_eq!(
                check_callback(&absent, STATE, Some(iss), true)
                    .unwrap_err()
                    .code(),
                ErrorCode::IssuerMissing
            );
        }
        assert!(check_callback(&ok, STATE, Some(iss), true).is_ok());
    }

    #[test]
    fn repeated_parameters_refused_rfc6749_3_1() {
        let e = parse_callback("code=a&code=b&state=state-123456", STATE, None).unwrap_err();
        assert_eq!(e.code(), ErrorCode::CallbackParameterRepeated);
        assert_eq!(e.detail("parameter"), Some("code"));
    }

    #[test]
    fn neither_code_nor_error() {
        for input in [
            "",
            "https://shop.example/callback",
            "state=state-123456",
            "?",
            "https://x/cb#code=a&state=b",
        ] {
            assert_eq!(
                parse_callback(input, STATE, None).unwrap_err().code(),
                ErrorCode::CallbackInvalid,
                "{input}"
            );
        }
    }

    #[test]
    fn every_documented_vipps_error_is_typed() {
        let cases = [
            ("access_denied", ErrorCode::VippsAccessDenied),
            ("server_error", ErrorCode::VippsServerError),
            ("login_required", ErrorCode::VippsLoginRequired),
            (
                "invalid_app_callback_uri",
                ErrorCode::VippsInvalidAppCallbackUri,
            ),
            (
                "app_callback_uri_not_registered",
                ErrorCode::VippsAppCallbackUriNotRegistered,
            ),
            ("outdated_app_version", ErrorCode::VippsOutdatedAppVersion),
            ("wrong_challenge", ErrorCode::VippsWrongChallenge),
            ("unknown_reject_reason", ErrorCode::VippsUnknownRejectReason),
            ("invalid_request", ErrorCode::VippsInvalidRequest),
            ("invalid_scope", ErrorCode::VippsInvalidScope),
            ("unauthorized_client", ErrorCode::VippsUnauthorizedClient),
            (
                "unsupported_response_type",
                ErrorCode::VippsUnsupportedResponseType,
            ),
            (
                "temporarily_unavailable",
                ErrorCode::VippsTemporarilyUnavailable,
            ),
        ];
        for (error, code) in cases {
            let e =
                parse_callback(&format!("error={error}&state={STATE}"), STATE, None).unwrap_err();
            assert_eq!(e.code(), code, "{error}");
            assert!(e.hint().is_some(), "{error} has no hint");
            assert_eq!(e.detail("error"), Some(error));
        }
    }

    #[test]
    fn undocumented_vipps_error_kept_verbatim() {
        let e = parse_callback(
            "error=brand_new_thing&error_description=x&state=state-123456",
            STATE,
            None,
        )
        .unwrap_err();
        assert_eq!(e.code(), ErrorCode::VippsUnrecognizedError);
        assert_eq!(e.detail("error"), Some("brand_new_thing"));
    }

    #[test]
    fn error_without_state_still_reports_vipps_error() {
        let e = parse_callback("error=server_error", STATE, None).unwrap_err();
        assert_eq!(e.code(), ErrorCode::VippsServerError);
    }
}
