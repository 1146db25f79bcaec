//! Reads `createLogin` options from a JavaScript object.
//!
//! Written by hand instead of through serde-wasm-bindgen: that deserializer brought
//! float formatting and parsing into the module (serde's error messages), which cost
//! more than everything else in it, and its messages name Rust types. This one names
//! the option and suggests the right spelling for a misspelt one. The readers are kept
//! out of line (`inline(never)`): inlined into each of 18 fields they doubled the
//! size of `createLogin`.

use crate::discovery::ProviderMetadata;
use crate::error::{Error, ErrorCode};
use crate::login::{LoginOptions, ScopeInput};
use crate::options as names;
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;

const KNOWN: &[&str] = &[
    names::CLIENT_ID,
    names::MSN,
    names::REDIRECT_URI,
    names::SCOPE,
    names::ENVIRONMENT,
    names::ISSUER,
    names::DISCOVERY,
    names::REGISTERED_REDIRECT_URIS,
    names::ALLOW_NON_VIPPS_SCOPES,
    names::STATE,
    names::NONCE,
    names::PKCE,
    names::CODE_VERIFIER,
    names::REQUESTED_FLOW,
    names::APP_CALLBACK_URI,
    names::FINAL_REDIRECT_IS_APP,
    names::MARKET,
    names::ACR_VALUES,
];

fn invalid(message: String) -> Error {
    Error::new(ErrorCode::InvalidOptions, message)
}

#[inline(never)]
fn get(obj: &JsValue, key: &str) -> Option<JsValue> {
    Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .filter(|v| !v.is_undefined() && !v.is_null())
}

#[inline(never)]
fn opt_string(obj: &JsValue, key: &str) -> Result<Option<String>, Error> {
    get(obj, key)
        .map(|v| {
            v.as_string()
                .ok_or_else(|| invalid(format!("{key} must be a string")))
        })
        .transpose()
}

#[inline(never)]
fn opt_bool(obj: &JsValue, key: &str) -> Result<Option<bool>, Error> {
    get(obj, key)
        .map(|v| {
            v.as_bool()
                .ok_or_else(|| invalid(format!("{key} must be true or false")))
        })
        .transpose()
}

#[inline(never)]
fn string_list(value: &JsValue, key: &str) -> Result<Vec<String>, Error> {
    if !Array::is_array(value) {
        return Err(invalid(format!("{key} must be an array of strings")));
    }
    Array::from(value)
        .iter()
        .map(|v| {
            v.as_string()
                .ok_or_else(|| invalid(format!("{key} must hold only strings")))
        })
        .collect()
}

/// A misspelt `redirectURI` must not silently fall back to a default: name the closest
/// known option.
fn unknown_option(key: &str) -> Error {
    let lower = key.to_ascii_lowercase();
    let closest = KNOWN
        .iter()
        .min_by_key(|k| strsim::levenshtein(&k.to_ascii_lowercase(), &lower))
        .copied()
        .unwrap_or("clientId");
    invalid(format!("unknown option \"{key}\"")).with_hint(format!(
        "Did you mean \"{closest}\"? Options: {}.",
        KNOWN.join(", ")
    ))
}

fn discovery(value: &JsValue) -> Result<ProviderMetadata, Error> {
    if !value.is_object() {
        return Err(invalid(
            "discovery must be the discovery document as an object".into(),
        ));
    }
    let required = |key: &str| {
        opt_string(value, key)?.ok_or_else(|| {
            Error::new(
                ErrorCode::DiscoveryInvalid,
                format!("discovery.{key} is missing"),
            )
        })
    };
    Ok(ProviderMetadata {
        issuer: required("issuer")?,
        authorization_endpoint: required("authorization_endpoint")?,
        token_endpoint: required("token_endpoint")?,
        jwks_uri: required("jwks_uri")?,
        userinfo_endpoint: opt_string(value, "userinfo_endpoint")?,
        backchannel_authentication_endpoint: opt_string(
            value,
            "backchannel_authentication_endpoint",
        )?,
        code_challenge_methods_supported: get(value, "code_challenge_methods_supported")
            .map(|v| string_list(&v, "discovery.code_challenge_methods_supported"))
            .transpose()?,
        authorization_response_iss_parameter_supported: opt_bool(
            value,
            "authorization_response_iss_parameter_supported",
        )?,
    })
}

/// Reads and type-checks every option, in one pass over the object's own entries.
pub fn login_options(obj: &JsValue) -> Result<LoginOptions, Error> {
    if !obj.is_object() || Array::is_array(obj) {
        return Err(invalid("createLogin takes an options object".into()));
    }
    let mut o = LoginOptions {
        pkce: true,
        ..Default::default()
    };
    for entry in Object::entries(&Object::from(obj.clone())).iter() {
        let entry = Array::from(&entry);
        let key = entry.get(0).as_string().unwrap_or_default();
        let value = entry.get(1);
        if value.is_undefined() || value.is_null() {
            continue;
        }
        let text = || {
            value
                .as_string()
                .ok_or_else(|| invalid(format!("{key} must be a string")))
        };
        let flag = || {
            value
                .as_bool()
                .ok_or_else(|| invalid(format!("{key} must be true or false")))
        };
        match key.as_str() {
            names::ENVIRONMENT => o.environment = Some(text()?),
            names::ISSUER => o.issuer = Some(text()?),
            names::CLIENT_ID => o.client_id = Some(text()?),
            names::MSN => o.msn = Some(text()?),
            names::REDIRECT_URI => o.redirect_uri = text()?,
            names::STATE => o.state = Some(text()?),
            names::NONCE => o.nonce = Some(text()?),
            names::CODE_VERIFIER => o.code_verifier = Some(text()?),
            names::REQUESTED_FLOW => o.requested_flow = Some(text()?),
            names::APP_CALLBACK_URI => o.app_callback_uri = Some(text()?),
            names::MARKET => o.market = Some(text()?),
            names::ACR_VALUES => o.acr_values = Some(text()?),
            names::PKCE => o.pkce = flag()?,
            names::ALLOW_NON_VIPPS_SCOPES => o.allow_non_vipps_scopes = flag()?,
            names::FINAL_REDIRECT_IS_APP => o.final_redirect_is_app = Some(flag()?),
            names::REGISTERED_REDIRECT_URIS => {
                o.registered_redirect_uris = Some(string_list(&value, "registeredRedirectUris")?)
            }
            names::DISCOVERY => o.discovery = Some(discovery(&value)?),
            names::SCOPE => {
                o.scope = match value.as_string() {
                    Some(s) => ScopeInput::Joined(s),
                    None => ScopeInput::List(string_list(&value, "scope").map_err(|_| {
                        invalid(
                            "scope must be a space-separated string or an array of strings".into(),
                        )
                    })?),
                }
            }
            _ => return Err(unknown_option(&key)),
        }
    }
    Ok(o)
}
