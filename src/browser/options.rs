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
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;

const KNOWN: &[&str] = &[
    "clientId",
    "msn",
    "redirectUri",
    "scope",
    "environment",
    "issuer",
    "discovery",
    "registeredRedirectUris",
    "allowNonVippsScopes",
    "state",
    "nonce",
    "pkce",
    "codeVerifier",
    "requestedFlow",
    "appCallbackUri",
    "finalRedirectIsApp",
    "market",
    "acrValues",
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

/// Refuses options this function does not know, suggesting the closest known name:
/// a misspelt `redirectURI` must not silently fall back to a default.
fn check_keys(obj: &JsValue) -> Result<(), Error> {
    for key in Object::keys(&Object::from(obj.clone())).iter() {
        let key = key.as_string().unwrap_or_default();
        if !KNOWN.contains(&key.as_str()) {
            let lower = key.to_ascii_lowercase();
            let closest = KNOWN
                .iter()
                .min_by_key(|k| strsim::levenshtein(&k.to_ascii_lowercase(), &lower))
                .copied()
                .unwrap_or("clientId");
            return Err(
                invalid(format!("unknown option \"{key}\"")).with_hint(format!(
                    "Did you mean \"{closest}\"? Options: {}.",
                    KNOWN.join(", ")
                )),
            );
        }
    }
    Ok(())
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

/// Reads and type-checks every option.
pub fn login_options(obj: &JsValue) -> Result<LoginOptions, Error> {
    if !obj.is_object() || Array::is_array(obj) {
        return Err(invalid("createLogin takes an options object".into()));
    }
    check_keys(obj)?;
    let scope = match get(obj, "scope") {
        None => ScopeInput::default(),
        Some(v) => match v.as_string() {
            Some(s) => ScopeInput::Joined(s),
            None => ScopeInput::List(string_list(&v, "scope").map_err(|_| {
                invalid("scope must be a space-separated string or an array of strings".into())
            })?),
        },
    };
    Ok(LoginOptions {
        environment: opt_string(obj, "environment")?,
        issuer: opt_string(obj, "issuer")?,
        discovery: get(obj, "discovery").map(|v| discovery(&v)).transpose()?,
        client_id: opt_string(obj, "clientId")?,
        msn: opt_string(obj, "msn")?,
        redirect_uri: opt_string(obj, "redirectUri")?.unwrap_or_default(),
        registered_redirect_uris: get(obj, "registeredRedirectUris")
            .map(|v| string_list(&v, "registeredRedirectUris"))
            .transpose()?
            .unwrap_or_default(),
        scope,
        allow_non_vipps_scopes: opt_bool(obj, "allowNonVippsScopes")?.unwrap_or(false),
        state: opt_string(obj, "state")?,
        nonce: opt_string(obj, "nonce")?,
        pkce: opt_bool(obj, "pkce")?.unwrap_or(true),
        code_verifier: opt_string(obj, "codeVerifier")?,
        requested_flow: opt_string(obj, "requestedFlow")?,
        app_callback_uri: opt_string(obj, "appCallbackUri")?,
        final_redirect_is_app: opt_bool(obj, "finalRedirectIsApp")?,
        market: opt_string(obj, "market")?,
        acr_values: opt_string(obj, "acrValues")?,
    })
}
