//! Discovery and JWKS (README: Endpoints; control `rotate-key`).
mod common;

use common::*;
use reqwest::header::CACHE_CONTROL;
use reqwest::StatusCode;
use serde_json::Value;
use vipps_login_emulator::Config;

fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {v}"))
        .iter()
        .map(|s| s.as_str().expect("string").to_string())
        .collect()
}

#[tokio::test]
async fn issuer_is_public_url_plus_vipps_path_with_trailing_slash() {
    let emu = Emu::shipped().await;
    assert_eq!(emu.running().base_url, emu.base);
    assert_eq!(emu.issuer, format!("{}{ISSUER_PATH}", emu.base));
    assert!(emu.issuer.ends_with("/access/"));
}

#[tokio::test]
async fn discovery_has_issuer_and_endpoints_in_vipps_layout() {
    let emu = Emu::shipped().await;
    let d = emu.get_json(DISCOVERY_PATH).await;
    assert_eq!(d["issuer"], emu.issuer.as_str());
    assert_eq!(d["authorization_endpoint"], emu.url(AUTH_PATH).as_str());
    assert_eq!(d["token_endpoint"], emu.url(TOKEN_PATH).as_str());
    assert_eq!(d["jwks_uri"], emu.url(JWKS_PATH).as_str());
    // Userinfo is outside the issuer path, as at Vipps.
    assert_eq!(d["userinfo_endpoint"], emu.url(USERINFO_PATH).as_str());
    assert!(strs(&d["code_challenge_methods_supported"]).contains(&"S256".to_string()));
    assert!(strs(&d["response_types_supported"]).contains(&"code".to_string()));
    let auth_methods = strs(&d["token_endpoint_auth_methods_supported"]);
    assert!(auth_methods.contains(&"client_secret_basic".to_string()));
    assert!(auth_methods.contains(&"client_secret_post".to_string()));
    let grants = strs(&d["grant_types_supported"]);
    assert!(grants.contains(&"authorization_code".to_string()));
    // Shaped like Vipps', including what Vipps advertises but does not do.
    assert!(grants.contains(&"refresh_token".to_string()), "{grants:?}");
    assert!(
        !grants.iter().any(|g| g.contains("ciba")),
        "Vipps leaves the CIBA grants out: {grants:?}"
    );
}

#[tokio::test]
async fn discovery_sends_cache_control_max_age_3600() {
    let emu = Emu::shipped().await;
    let resp = emu.get(DISCOVERY_PATH).await;
    assert_eq!(resp.status(), StatusCode::OK);
    let cc = resp
        .headers()
        .get(CACHE_CONTROL)
        .expect("Cache-Control")
        .to_str()
        .unwrap()
        .to_string();
    assert!(cc.contains("max-age=3600"), "Cache-Control: {cc}");
}

#[tokio::test]
async fn public_url_builds_issuer_endpoints_and_iss() {
    let public = "http://login.emulator.test:8443".to_string();
    let emu = Emu::start_with(
        Config::shipped_default(),
        shipped_toml_text(),
        Some(public.clone()),
    )
    .await;
    let issuer = format!("{public}{ISSUER_PATH}");
    assert_eq!(emu.running().issuer, issuer);
    let d = emu.get_json(DISCOVERY_PATH).await;
    assert_eq!(d["issuer"], issuer.as_str());
    assert_eq!(
        d["token_endpoint"],
        format!("{public}{TOKEN_PATH}").as_str()
    );
    assert_eq!(
        d["userinfo_endpoint"],
        format!("{public}{USERINFO_PATH}").as_str()
    );
    let (_, tokens) = emu.full_login("ola", "demo-client", "openid").await;
    assert_eq!(tokens.jwt().claims["iss"], issuer.as_str());
}

fn assert_public_kid(kid: &str) {
    let uuid = kid
        .strip_prefix("public:")
        .unwrap_or_else(|| panic!("kid {kid} starts with public:"));
    assert!(is_uuid(uuid), "kid is public:<uuid>: {kid}");
}

#[tokio::test]
async fn jwks_lists_rsa_keys_with_public_uuid_kids() {
    let emu = Emu::shipped().await;
    let jwks = emu.jwks().await;
    let keys = jwks_keys(&jwks);
    assert!(!keys.is_empty(), "JWKS has a key");
    assert_eq!(keys[0]["kty"], "RSA", "the RSA signing key comes first");
    // The CIBA redirect variant's ES256 key is the last one (tests/ciba.rs checks it).
    let ec: Vec<&Value> = keys.iter().filter(|k| k["kty"] == "EC").collect();
    assert_eq!(ec.len(), 1, "one EC key: {jwks}");
    assert_eq!(ec[0]["crv"], "P-256");
    assert_eq!(ec[0]["alg"], "ES256");
    assert_public_kid(ec[0]["kid"].as_str().expect("kid"));
    assert!(ec[0].get("d").is_none(), "no private part in the JWKS");
    for k in keys.iter().filter(|k| k["kty"] != "EC") {
        assert_eq!(k["kty"], "RSA");
        assert!(k["n"].as_str().is_some_and(|n| n.len() > 300), "n: {k}");
        assert!(k["e"].as_str().is_some_and(|e| !e.is_empty()), "e: {k}");
        assert_public_kid(k["kid"].as_str().expect("kid"));
        // A usable RSA public key.
        rsa_key(k);
        assert!(k.get("d").is_none(), "no private part in the JWKS");
    }
}

#[tokio::test]
async fn id_token_verifies_with_the_jwks_key_by_kid() {
    let emu = Emu::shipped().await;
    let jwks = emu.jwks().await;
    let (_, tokens) = emu.full_login("ola", "demo-client", "openid").await;
    let jwt = tokens.jwt();
    verify_by_kid(&jwks, &jwt).expect("id_token verifies");
    assert_eq!(jwt.header["kid"].as_str().unwrap(), jwks_kids(&jwks)[0]);
}

#[tokio::test]
async fn rotate_key_adds_a_new_first_key_and_keeps_the_old() {
    let emu = Emu::shipped().await;
    let before = emu.jwks().await;
    let old_kids = jwks_kids(&before);
    let (_, old_tokens) = emu.full_login("ola", "demo-client", "openid").await;
    let old_jwt = old_tokens.jwt();

    emu.control("/_emulator/rotate-key", serde_json::json!({}))
        .await;

    let after = emu.jwks().await;
    let kids = jwks_kids(&after);
    assert_eq!(kids.len(), old_kids.len() + 1, "one key more: {kids:?}");
    let new_kid = kids[0].clone();
    assert!(!old_kids.contains(&new_kid), "the first key is new");
    assert_public_kid(&new_kid);
    for k in &old_kids {
        assert!(kids.contains(k), "old key {k} kept");
    }
    // Old tokens still verify (old key kept).
    verify_by_kid(&after, &old_jwt).expect("pre-rotation token verifies");

    // New tokens carry the new kid and verify with the new key only.
    let (_, tokens) = emu.full_login("ola", "demo-client", "openid").await;
    let jwt = tokens.jwt();
    assert_eq!(jwt.header["kid"], new_kid.as_str());
    verify_with(&jwks_keys(&after)[0], &jwt).expect("verifies with the new key");
    let old_key = jwks_keys(&after)
        .into_iter()
        .find(|k| k["kid"] == old_kids[0].as_str())
        .unwrap();
    assert!(
        verify_with(&old_key, &jwt).is_err(),
        "not signed by the old key"
    );
}
