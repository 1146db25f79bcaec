//! wasm-bindgen exports for front-ends (feature `browser`), built into `pkg/`.
//!
//! Thin: JS values in, core call, JS values out. Every argument is taken as a
//! `JsValue` and checked here, so a wrong type from JavaScript becomes a typed
//! `invalid_options` error instead of a wasm-bindgen panic or a silent coercion.
//! Errors are thrown as `Error` objects named `VippsLoginError` with `.code`, `.hint`
//! and any details as fields.

use crate::callback::parse_callback as core_parse_callback;
use crate::error::{Error, ErrorCode};
use crate::login::create_login as core_create_login;
use crate::random::{
    random_nonce as core_random_nonce, random_state as core_random_state, PkceCodeVerifier,
};
use crate::redirect_uri::{
    check_redirect_uri as core_check_redirect_uri, check_redirect_uri_rules,
};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

mod options;

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

// Typed handles for optional trailing arguments: wasm-bindgen declares a trailing
// `Option<T>` as `name?: T`, and these give T its TypeScript name. They are checked at
// run time here like every other argument.
#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(typescript_type = "string")]
    pub type OptionalString;
    #[wasm_bindgen(typescript_type = "string[]")]
    pub type OptionalStringList;
}

/// Details whose values are numbers in JavaScript.
const NUMERIC_DETAILS: &[&str] = &["position", "length"];

fn set(target: &Object, key: &str, value: &JsValue) {
    // Reflect.set on a plain object or Error we created cannot fail.
    let _ = Reflect::set(target, &JsValue::from_str(key), value);
}

fn set_str(target: &Object, key: &str, value: &str) {
    set(target, key, &JsValue::from_str(value));
}

fn set_opt(target: &Object, key: &str, value: Option<&str>) {
    if let Some(v) = value {
        set_str(target, key, v);
    }
}

/// Copies code, hint and details onto a JS object.
fn describe(target: &Object, e: &Error) {
    set_str(target, "code", e.code().as_str());
    set_opt(target, "hint", e.hint());
    for (name, value) in e.details() {
        match value.parse::<u32>() {
            Ok(n) if NUMERIC_DETAILS.contains(name) => {
                set(target, name, &JsValue::from_f64(f64::from(n)))
            }
            _ => set_str(target, name, value),
        }
    }
}

fn to_js_error(e: Error) -> JsValue {
    let err = js_sys::Error::new(e.message());
    err.set_name("VippsLoginError");
    describe(&err, &e);
    err.into()
}

fn problem(e: &Error) -> JsValue {
    let obj = Object::new();
    describe(&obj, e);
    set_str(&obj, "message", e.message());
    obj.into()
}

fn invalid(message: String) -> JsValue {
    to_js_error(Error::new(ErrorCode::InvalidOptions, message))
}

fn string_arg(value: &JsValue, name: &str) -> Result<String, JsValue> {
    value
        .as_string()
        .ok_or_else(|| invalid(format!("{name} must be a string")))
}

/// Builds a Vipps authorization URL with fresh state, nonce and PKCE (S256), checking
/// every Vipps rule before anything is sent.
#[wasm_bindgen(js_name = createLogin, unchecked_return_type = "Login")]
pub fn create_login(
    #[wasm_bindgen(unchecked_param_type = "LoginOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let options = options::login_options(&options).map_err(to_js_error)?;
    let login = core_create_login(&options).map_err(to_js_error)?;
    let obj = Object::new();
    set_str(&obj, "url", &login.url);
    set_str(&obj, "state", &login.state);
    set_str(&obj, "nonce", &login.nonce);
    set_opt(
        &obj,
        "codeVerifier",
        login.code_verifier.as_ref().map(|v| v.secret()),
    );
    set_opt(&obj, "codeChallenge", login.code_challenge.as_deref());
    set_str(&obj, "issuer", login.issuer.as_str());
    Ok(obj.into())
}

/// Reads the callback (a full URL or a query string), checks `state` in constant time
/// and `iss` (RFC 9207) when an issuer is given, and returns the code, or throws the
/// typed error Vipps sent.
#[wasm_bindgen(js_name = parseCallback, unchecked_return_type = "Callback")]
pub fn parse_callback(
    #[wasm_bindgen(js_name = urlOrQuery, unchecked_param_type = "string")] url_or_query: JsValue,
    #[wasm_bindgen(js_name = expectedState, unchecked_param_type = "string")]
    expected_state: JsValue,
    #[wasm_bindgen(js_name = expectedIssuer)] expected_issuer: Option<OptionalString>,
) -> Result<JsValue, JsValue> {
    let input = string_arg(&url_or_query, "urlOrQuery")?;
    let expected_state = string_arg(&expected_state, "expectedState")?;
    let expected_issuer = match expected_issuer.map(JsValue::from).filter(|v| !v.is_null()) {
        Some(v) => Some(string_arg(&v, "expectedIssuer")?),
        None => None,
    };
    let cb = core_parse_callback(&input, &expected_state, expected_issuer.as_deref())
        .map_err(to_js_error)?;
    let obj = Object::new();
    set_str(&obj, "code", &cb.code);
    set_str(&obj, "state", &cb.state);
    set_opt(&obj, "scope", cb.scope.as_deref());
    set_opt(&obj, "iss", cb.iss.as_deref());
    Ok(obj.into())
}

/// Checks a redirect URI against Vipps' rules and, when `registered` is given, against
/// the registered URIs byte for byte (an empty list registers nothing).
#[wasm_bindgen(js_name = checkRedirectUri, unchecked_return_type = "RedirectUriReport")]
pub fn check_redirect_uri(
    #[wasm_bindgen(unchecked_param_type = "string")] uri: JsValue,
    registered: Option<OptionalStringList>,
) -> Result<JsValue, JsValue> {
    let uri = string_arg(&uri, "uri")?;
    let report = match registered.map(JsValue::from).filter(|r| !r.is_null()) {
        None => check_redirect_uri_rules(&uri),
        Some(list) if Array::is_array(&list) => {
            let registered = Array::from(&list)
                .iter()
                .map(|v| string_arg(&v, "registered[]"))
                .collect::<Result<Vec<String>, _>>()?;
            core_check_redirect_uri(&uri, &registered)
        }
        Some(_) => return Err(invalid("registered must be an array of strings".into())),
    };
    let obj = Object::new();
    set(&obj, "ok", &JsValue::from_bool(report.ok()));
    let list = |v: &[Error]| v.iter().map(problem).collect::<Array>();
    set(&obj, "errors", &list(&report.errors));
    set(&obj, "warnings", &list(&report.warnings));
    Ok(obj.into())
}

/// A fresh `state`: 256 random bits, base64url (43 characters).
#[wasm_bindgen(js_name = randomState)]
pub fn random_state() -> Result<String, JsValue> {
    core_random_state().map_err(to_js_error)
}

/// A fresh `nonce`: 256 random bits, base64url (43 characters).
#[wasm_bindgen(js_name = randomNonce)]
pub fn random_nonce() -> Result<String, JsValue> {
    core_random_nonce().map_err(to_js_error)
}

/// A fresh PKCE pair: a 43-character code_verifier and its S256 code_challenge.
#[wasm_bindgen(js_name = createPkce, unchecked_return_type = "Pkce")]
pub fn create_pkce() -> Result<JsValue, JsValue> {
    let verifier = PkceCodeVerifier::random().map_err(to_js_error)?;
    let obj = Object::new();
    set_str(&obj, "codeVerifier", verifier.secret());
    set_str(&obj, "codeChallenge", &verifier.s256_challenge());
    Ok(obj.into())
}

// Talc instead of the default dlmalloc: the same job in ~3 KB gzip less, which is a
// tenth of the package budget (measured with `make size`). Single-threaded wasm only.
#[cfg(all(not(target_feature = "atomics"), target_family = "wasm"))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
