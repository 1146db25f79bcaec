//! ES256 (ECDSA on P-256 with SHA-256, RFC 7518 3.4) through WebCrypto, for the CIBA
//! redirect variant's id_tokens (Vipps signs those with ES256, not RS256). The JWS
//! signature is raw `r || s`, the form WebCrypto's ECDSA `verify` takes, so it goes in
//! unchanged; the core has already refused any other length.

use crate::machine::SignatureCheck;
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

fn set(object: &Object, name: &str, value: &JsValue) -> Result<(), JsValue> {
    Reflect::set(object, &JsValue::from_str(name), value).map(|_| ())
}

fn method(subtle: &JsValue, name: &str) -> Result<Function, JsValue> {
    Reflect::get(subtle, &JsValue::from_str(name))?.dyn_into::<Function>()
}

async fn call(subtle: &JsValue, name: &str, args: &Array) -> Result<JsValue, JsValue> {
    let promise = method(subtle, name)?.apply(subtle, args)?;
    js_sys::futures::JsFuture::from(promise.dyn_into::<Promise>()?).await
}

/// Whether `check` (alg ES256, an EC P-256 JWK) verifies. Any failure is `false`.
pub async fn verify_es256(check: &SignatureCheck) -> bool {
    let fits = check.alg == "ES256" && check.key.fits("ES256") && check.signature.len() == 64;
    fits && webcrypto(check).await.unwrap_or(false)
}

async fn webcrypto(check: &SignatureCheck) -> Result<bool, JsValue> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))?;
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle"))?;
    let jwk = Object::new();
    set(&jwk, "kty", &JsValue::from_str("EC"))?;
    set(&jwk, "crv", &JsValue::from_str("P-256"))?;
    set(&jwk, "x", &JsValue::from_str(&check.key.x))?;
    set(&jwk, "y", &JsValue::from_str(&check.key.y))?;
    set(&jwk, "ext", &JsValue::TRUE)?;
    let import = Object::new();
    set(&import, "name", &JsValue::from_str("ECDSA"))?;
    set(&import, "namedCurve", &JsValue::from_str("P-256"))?;
    let key = call(
        &subtle,
        "importKey",
        &Array::of5(
            &JsValue::from_str("jwk"),
            &jwk,
            &import,
            &JsValue::FALSE,
            &Array::of1(&JsValue::from_str("verify")),
        ),
    )
    .await?;
    let algorithm = Object::new();
    set(&algorithm, "name", &JsValue::from_str("ECDSA"))?;
    set(&algorithm, "hash", &JsValue::from_str("SHA-256"))?;
    let verified = call(
        &subtle,
        "verify",
        &Array::of4(
            &algorithm,
            &key,
            &Uint8Array::new_from_slice(&check.signature),
            &Uint8Array::new_from_slice(check.signing_input.as_bytes()),
        ),
    )
    .await?;
    Ok(verified.as_bool() == Some(true))
}
