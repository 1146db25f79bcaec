//! createLogin for `vipps-login/begin`. The options come packed by `begin.js`, which
//! has type-checked them: the [`FIELD_COUNT`] fields in order, separated by NUL; list
//! items (registered redirect URIs, scope names given as an array) each followed by US
//! (0x1F), so that `[]` and `[""]` differ; the discovery document's issuer and
//! authorization_endpoint separated by US. `begin.js` refuses strings that hold either
//! character. `flags` says which fields are present and carries the booleans.

use super::packed;
use crate::login::{create_login, Discovery, Fault, Options};
use crate::rules::split;
use alloc::string::String;
use alloc::vec::Vec;
use wasm_bindgen::prelude::*;

/// The packed fields, in this order (`FIELDS` in `begin.js`): clientId, msn,
/// redirectUri, registeredRedirectUris, scope, environment, issuer, discovery, state,
/// nonce, codeVerifier, requestedFlow, appCallbackUri, market, acrValues. Bit `i` of
/// `flags` says field `i` was given.
const FIELD_COUNT: usize = 15;

/// Bits of `flags` above the presence bits of the fields: each boolean has a presence
/// bit and a value bit.
const PKCE_GIVEN: u32 = 1 << 16;
const PKCE: u32 = 1 << 17;
const ALLOW_NON_VIPPS_GIVEN: u32 = 1 << 18;
const ALLOW_NON_VIPPS: u32 = 1 << 19;
const FINAL_REDIRECT_IS_APP_GIVEN: u32 = 1 << 20;
const FINAL_REDIRECT_IS_APP: u32 = 1 << 21;
/// `scope` was an array (items separated by US) rather than a space-separated string.
const SCOPE_IS_LIST: u32 = 1 << 22;

const US: u8 = 0x1f;

/// List items, each followed by US (so `[]` is "" and `[""]` is "\x1f").
fn items(list: &str) -> Vec<&str> {
    let mut v: Vec<&str> = split(list, US).collect();
    // The last item is what follows the last terminator: nothing.
    v.pop();
    v
}

#[inline(never)]
fn unpack(packed: &str, flags: u32) -> Options<'_> {
    let mut fields: [Option<&str>; FIELD_COUNT] = [None; FIELD_COUNT];
    for (i, (slot, value)) in fields.iter_mut().zip(split(packed, 0)).enumerate() {
        if flags & (1 << i) != 0 {
            *slot = Some(value);
        }
    }
    let [client_id, msn, redirect_uri, registered, scope, environment, issuer, discovery, state, nonce, code_verifier, requested_flow, app_callback_uri, market, acr_values] =
        fields;
    let scope = scope.unwrap_or("");
    let flag = |given: u32, value: u32| (flags & given != 0).then_some(flags & value != 0);
    Options {
        client_id,
        msn,
        redirect_uri: redirect_uri.unwrap_or(""),
        registered_redirect_uris: registered.map(items),
        // A scope string may have repeated spaces; in an array every name counts.
        scope: if flags & SCOPE_IS_LIST != 0 {
            items(scope)
        } else {
            split(scope, b' ').filter(|s| !s.is_empty()).collect()
        },
        allow_non_vipps_scopes: flag(ALLOW_NON_VIPPS_GIVEN, ALLOW_NON_VIPPS) == Some(true),
        environment,
        issuer,
        discovery: discovery.map(|d| {
            let mut parts = split(d, US);
            let issuer = parts.next().unwrap_or("");
            let authorization_endpoint = parts.next().unwrap_or("");
            Discovery {
                issuer,
                authorization_endpoint,
            }
        }),
        state,
        nonce,
        pkce: flag(PKCE_GIVEN, PKCE) != Some(false),
        code_verifier,
        requested_flow,
        app_callback_uri,
        final_redirect_is_app: flag(FINAL_REDIRECT_IS_APP_GIVEN, FINAL_REDIRECT_IS_APP),
        market,
        acr_values,
    }
}

fn failed(f: &Fault) -> String {
    packed(&[f.code, &f.message])
}

/// createLogin: `"\0url\0state\0nonce\0codeVerifier\0codeChallenge\0issuer"` (the
/// verifier and challenge empty without PKCE), or `"code\0message"`.
#[wasm_bindgen]
pub fn begin_login(options: &str, flags: u32) -> String {
    match create_login(&unpack(options, flags)) {
        Ok(l) => packed(&[
            "",
            &l.url,
            &l.state,
            &l.nonce,
            l.code_verifier.as_deref().unwrap_or(""),
            l.code_challenge.as_deref().unwrap_or(""),
            &l.issuer,
        ]),
        Err(f) => failed(&f),
    }
}
