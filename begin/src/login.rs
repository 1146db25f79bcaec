//! Begin a login: options in, the authorization URL (OIDC Core 3.1.2.1 with Vipps'
//! parameters) and the values to keep (state, nonce, code_verifier) out.
//!
//! The checks are the ones that decide whether a URL can be built and sent: Vipps'
//! limits on state, nonce and the URL, its scope names, flows and markets, and the
//! redirect URI's shape (absolute, no fragment, plain http only on loopback, no
//! script schemes) and, when the registered URIs are given, exact equality. The main
//! package (`vipps-login`) adds Vipps' remaining redirect URI rules (percent-encoding,
//! case, trailing slashes), hints and suggestions.

use crate::query::Query;
use crate::random::{self, s256_challenge};
use crate::rules::*;
use alloc::string::String;
use alloc::vec::Vec;

/// Why a login could not begin: a stable code (the same as the main package's) and a
/// message naming the option.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub code: &'static str,
    pub message: String,
}

/// `template` with its `{}` replaced by `value` (no `format!`: core::fmt would be
/// most of a small module, and one call per message keeps each call site small).
#[inline(never)]
fn fault(code: &'static str, template: &str, value: &str) -> Fault {
    // A byte search: a `&str` pattern brings panic paths with core::fmt (see rules::host).
    let at = template.as_bytes().windows(2).position(|w| w == b"{}");
    let mut message = String::with_capacity(template.len() + value.len());
    match at.and_then(|i| Some((template.get(..i)?, template.get(i + 2..)?))) {
        Some((before, after)) => {
            message.push_str(before);
            message.push_str(value);
            message.push_str(after);
        }
        None => message.push_str(template),
    }
    Fault { code, message }
}

/// The discovery document's fields a login needs (for issuers not laid out like
/// Vipps').
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Discovery<'a> {
    pub issuer: &'a str,
    pub authorization_endpoint: &'a str,
}

/// Options, in the npm package's camelCase names.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Options<'a> {
    pub client_id: Option<&'a str>,
    pub msn: Option<&'a str>,
    pub redirect_uri: &'a str,
    pub registered_redirect_uris: Option<Vec<&'a str>>,
    /// Scope names, already split (an empty name is invalid).
    pub scope: Vec<&'a str>,
    pub allow_non_vipps_scopes: bool,
    pub environment: Option<&'a str>,
    pub issuer: Option<&'a str>,
    pub discovery: Option<Discovery<'a>>,
    pub state: Option<&'a str>,
    pub nonce: Option<&'a str>,
    /// PKCE with S256; the adapter defaults it to true.
    pub pkce: bool,
    pub code_verifier: Option<&'a str>,
    pub requested_flow: Option<&'a str>,
    pub app_callback_uri: Option<&'a str>,
    pub final_redirect_is_app: Option<bool>,
    pub market: Option<&'a str>,
    pub acr_values: Option<&'a str>,
}

/// A begun login: send the browser to `url`; keep the rest for the callback and the
/// token request. `code_verifier` is secret until then.
#[derive(Clone, PartialEq, Eq)]
pub struct Login {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub code_verifier: Option<String>,
    pub code_challenge: Option<String>,
    pub issuer: String,
}

fn concat(a: &str, b: &str) -> String {
    let mut s = String::with_capacity(a.len() + b.len());
    s.push_str(a);
    s.push_str(b);
    s
}

/// The issuer and its authorization endpoint.
#[inline(never)]
fn endpoint(o: &Options) -> Result<(String, String), Fault> {
    let issuer = match (o.issuer, o.environment) {
        (Some(issuer), _) => {
            check_issuer(issuer)?;
            String::from(issuer)
        }
        (None, Some("production")) => concat(PRODUCTION_BASE, VIPPS_ISSUER_PATH),
        (None, None | Some("test")) => concat(TEST_BASE, VIPPS_ISSUER_PATH),
        (None, Some(env)) => {
            return Err(fault(
                "issuer_invalid",
                "environment must be \"test\" or \"production\", not \"{}\"",
                env,
            ))
        }
    };
    if let Some(d) = o.discovery {
        // OIDC Discovery 4.3: the document's issuer equals the issuer, byte for byte.
        if d.issuer != issuer {
            return Err(fault(
                "discovery_issuer_mismatch",
                "the discovery document's issuer \"{}\" is not the issuer given",
                d.issuer,
            ));
        }
        let e = d.authorization_endpoint;
        if !is_secure_http(e) || e.bytes().any(|b| b == b'#') {
            return Err(fault(
                "discovery_invalid",
                "authorization_endpoint \"{}\" is not an https URL (http only on loopback)",
                e,
            ));
        }
        return Ok((issuer, String::from(e)));
    }
    match issuer.strip_suffix(VIPPS_ISSUER_PATH) {
        Some(base) if !base.is_empty() => {
            let endpoint = concat(&issuer, VIPPS_AUTHORIZE_PATH);
            Ok((issuer, endpoint))
        }
        _ => Err(fault(
            "endpoints_unknown",
            "issuer \"{}\" is not laid out like Vipps' (…/access-management-1.0/access/): give its discovery document",
            &issuer,
        )),
    }
}

/// An absolute http(s) URL with a host, https unless the host is loopback.
fn is_secure_http(url: &str) -> bool {
    match scheme(url) {
        Some(s) if s.eq_ignore_ascii_case("https") => !host(url).is_empty(),
        Some(s) if s.eq_ignore_ascii_case("http") => is_loopback_host(host(url)),
        _ => false,
    }
}

fn check_issuer(issuer: &str) -> Result<(), Fault> {
    let why = match scheme(issuer) {
        None => "issuer \"{}\" is not an absolute URL",
        Some(_) if host(issuer).is_empty() => "issuer \"{}\" has no host",
        Some(_) if issuer.bytes().any(|b| b == b'?' || b == b'#') => {
            "issuer \"{}\" has a query or fragment (OIDC Discovery 3)"
        }
        Some(s) if s.eq_ignore_ascii_case("https") => return Ok(()),
        Some(s) if s.eq_ignore_ascii_case("http") => {
            if is_loopback_host(host(issuer)) {
                return Ok(());
            }
            return Err(fault(
                "issuer_insecure",
                "issuer \"{}\" uses plain http on a host that is not loopback",
                issuer,
            ));
        }
        Some(_) => "issuer \"{}\" is not an https URL",
    };
    Err(fault("issuer_invalid", why, issuer))
}

/// The redirect URI's shape (Vipps FAQ and RFC 6749 3.1.2). `what` names the option.
fn check_redirect(uri: &str, what: &str) -> Result<(), Fault> {
    let named = || {
        let mut s = concat(what, " \"");
        s.push_str(uri);
        s.push('"');
        s
    };
    let bytes = uri.bytes();
    let (code, template) = if uri.is_empty() {
        ("redirect_uri_empty", "{} is empty")
    } else if bytes.clone().any(|b| b == b'#') {
        // Vipps FAQ: "The redirect URI cannot contain #."
        ("redirect_uri_has_fragment", "{} contains '#'")
    } else if !bytes.clone().all(|b| b.is_ascii_graphic()) {
        (
            "redirect_uri_invalid",
            "{} holds a space, a control or a non-ASCII character (percent-encode it)",
        )
    } else {
        match scheme(uri) {
            None => (
                "redirect_uri_not_absolute",
                "{} is relative; Vipps needs an absolute URI with a scheme",
            ),
            Some(s) if s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https") => {
                let h = host(uri);
                if h.is_empty() {
                    ("redirect_uri_missing_host", "{} has no host")
                } else if s.eq_ignore_ascii_case("http") && !is_loopback_host(h) {
                    (
                        "redirect_uri_http_not_localhost",
                        "{} uses plain http on a host that is not localhost",
                    )
                } else {
                    return Ok(());
                }
            }
            Some(s)
                if ["javascript", "data", "vbscript", "file"]
                    .iter()
                    .any(|n| s.eq_ignore_ascii_case(n)) =>
            {
                (
                    "redirect_uri_scheme_forbidden",
                    "{} has a scheme that cannot be a redirect URI",
                )
            }
            Some(_) => return Ok(()),
        }
    };
    Err(fault(code, template, &named()))
}

/// A given state or nonce (`name`): at least `min` characters (Vipps' 8 for state, 1
/// for nonce) and at most our cap of [`MAX_STATE_LEN`]. `codes`: too short, too long.
fn check_length(
    value: &str,
    name: &str,
    min: usize,
    codes: [&'static str; 2],
    too_short: &str,
) -> Result<(), Fault> {
    let n = char_count(value);
    if n < min {
        Err(fault(codes[0], too_short, name))
    } else if n > MAX_STATE_LEN {
        Err(fault(codes[1], "{} is longer than 256 characters", name))
    } else {
        Ok(())
    }
}

/// The scope string: `openid` first, each name once, Vipps' names unless
/// `allow_non_vipps_scopes`.
#[inline(never)]
fn scope_string(o: &Options) -> Result<String, Fault> {
    let mut scope = String::from("openid");
    for &name in &o.scope {
        if name.is_empty() || !name.bytes().all(is_scope_token_byte) {
            return Err(fault(
                "scope_invalid",
                "\"{}\" is not a valid scope name (RFC 6749 3.3)",
                name,
            ));
        }
        if !o.allow_non_vipps_scopes && !VIPPS_SCOPES.contains(&name) {
            return Err(fault(
                "scope_unknown",
                "\"{}\" is not a Vipps scope (allowNonVippsScopes: true for other providers)",
                name,
            ));
        }
        if !split(&scope, b' ').any(|s| s == name) {
            scope.push(' ');
            scope.push_str(name);
        }
    }
    Ok(scope)
}

/// The flow and its app_callback_uri.
#[inline(never)]
fn check_flow(o: &Options) -> Result<(), Fault> {
    let (code, template, value) = match (o.requested_flow, o.app_callback_uri) {
        (Some(APP_TO_APP), Some(uri)) => return check_redirect(uri, "appCallbackUri"),
        (Some(APP_TO_APP_V2), _) if !o.pkce => (
            "pkce_required",
            "requestedFlow app_to_app_v2 requires PKCE",
            "",
        ),
        (Some(AUTOMATIC_RETURN | APP_TO_APP_V2) | None, None) => return Ok(()),
        (Some(APP_TO_APP), None) => (
            "app_callback_uri_missing",
            "requestedFlow app_to_app needs appCallbackUri",
            "",
        ),
        (Some(AUTOMATIC_RETURN | APP_TO_APP_V2) | None, Some(_)) => (
            "app_callback_uri_unexpected",
            "appCallbackUri was given without requestedFlow app_to_app",
            "",
        ),
        (Some(other), _) => (
            "requested_flow_unknown",
            "requestedFlow \"{}\" is not one Vipps knows",
            other,
        ),
    };
    Err(fault(code, template, value))
}

/// Every check on the options, before anything is generated.
#[inline(never)]
fn check<'a>(o: &Options<'a>) -> Result<(&'static str, &'a str), Fault> {
    let blank = |s: Option<&str>| s.is_none_or(|s| s.chars().all(char::is_whitespace));
    let client = match (o.client_id, o.msn) {
        (Some(id), msn) if !blank(Some(id)) && blank(msn) => ("client_id", id),
        (id, Some(msn)) if blank(id) && !blank(Some(msn)) => ("msn", msn),
        (id, msn) => {
            let template = if blank(id) && blank(msn) {
                "clientId (or msn, for partners) is required"
            } else {
                "give either clientId or msn, not both"
            };
            return Err(fault("client_id_missing", template, ""));
        }
    };
    check_redirect(o.redirect_uri, "redirectUri")?;
    if let Some(registered) = &o.registered_redirect_uris {
        // Vipps compares the redirect URI with the registered ones byte for byte.
        if !registered.contains(&o.redirect_uri) {
            return Err(fault(
                "redirect_uri_not_registered",
                "\"{}\" is not one of the registered redirect URIs (compared byte for byte)",
                o.redirect_uri,
            ));
        }
    }
    check_flow(o)?;
    if let Some(m) = o.market.filter(|m| !MARKETS.contains(m)) {
        return Err(fault(
            "market_invalid",
            "market \"{}\" is not NO, SE, DK or FI",
            m,
        ));
    }
    if o.acr_values.is_some_and(|a| !is_acr_values(a)) {
        return Err(fault(
            "acr_values_invalid",
            "acrValues is empty or holds characters that cannot be sent",
            "",
        ));
    }
    if let Some(state) = o.state {
        check_length(
            state,
            "state",
            MIN_STATE_LEN,
            ["state_too_short", "state_too_long"],
            "{} is shorter than 8 characters, which Vipps requires",
        )?;
    }
    if let Some(nonce) = o.nonce {
        check_length(
            nonce,
            "nonce",
            1,
            ["nonce_empty", "nonce_too_long"],
            "{} is empty",
        )?;
    }
    match (o.code_verifier, o.pkce) {
        (Some(v), true) if !is_code_verifier(v) => Err(fault(
            "code_verifier_invalid",
            "codeVerifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 4.1)",
            "",
        )),
        (Some(_), false) => Err(fault(
            "invalid_options",
            "codeVerifier was given with pkce: false",
            "",
        )),
        _ => Ok(client),
    }
}

/// Builds the authorization URL, generating state, nonce and the PKCE verifier that
/// are not given.
#[inline(never)]
pub fn create_login(o: &Options) -> Result<Login, Fault> {
    let (issuer, endpoint) = endpoint(o)?;
    let (client_param, client) = check(o)?;
    let scope = scope_string(o)?;
    let [fresh_state, fresh_nonce, fresh_verifier] = random::three().map_err(|_| {
        fault(
            "random_unavailable",
            "the random number generator failed",
            "",
        )
    })?;
    let state = o.state.map_or(fresh_state, String::from);
    let nonce = o.nonce.map_or(fresh_nonce, String::from);
    let code_verifier = o
        .pkce
        .then(|| o.code_verifier.map_or(fresh_verifier, String::from));
    let code_challenge = code_verifier.as_deref().map(s256_challenge);

    let mut q = Query::new(&endpoint);
    q.push(client_param, client);
    q.push("response_type", "code");
    q.push("scope", &scope);
    q.push("state", &state);
    q.push("nonce", &nonce);
    q.push("redirect_uri", o.redirect_uri);
    if let Some(challenge) = &code_challenge {
        q.push("code_challenge", challenge);
        // Vipps assumes `plain` when the method is left out.
        q.push("code_challenge_method", "S256");
    }
    if let Some(flow) = o.requested_flow {
        q.push("requested_flow", flow);
        if let Some(uri) = o.app_callback_uri {
            q.push("app_callback_uri", uri);
        }
    }
    if let Some(is_app) = o.final_redirect_is_app {
        q.push(
            "final_redirect_is_app",
            if is_app { "true" } else { "false" },
        );
    }
    if let Some(m) = o.market {
        q.push("market", m);
    }
    if let Some(acr) = o.acr_values {
        q.push("acr_values", acr);
    }
    let url = q.finish();
    if char_count(&url) > MAX_URL_LEN {
        return Err(fault(
            "authorization_url_too_long",
            "the authorization URL is longer than 2000 characters, where Vipps fails",
            "",
        ));
    }
    Ok(Login {
        url,
        state,
        nonce,
        code_verifier,
        code_challenge,
        issuer,
    })
}
