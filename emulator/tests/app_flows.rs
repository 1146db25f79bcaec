//! `requested_flow=app_to_app`: `app_callback_uri` checked against the sales unit's
//! registered `app_callback_uris` (README: Authorize).
mod common;

use common::*;

fn app_to_app(emu: &Emu, app_callback_uri: Option<&str>) -> Vec<(String, String)> {
    let mut params = emu.auth_params("demo-client");
    set(&mut params, "requested_flow", "app_to_app");
    if let Some(uri) = app_callback_uri {
        set(&mut params, "app_callback_uri", uri);
    }
    set(&mut params, "_emulator_user", "ola");
    params
}

#[tokio::test]
async fn a_registered_app_callback_uri_gets_a_code() {
    let emu = Emu::shipped().await;
    for uri in [
        "https://shop.example/app/vipps-return",
        "myshop://vipps/return",
    ] {
        let resp = emu.authorize(&app_to_app(&emu, Some(uri))).await;
        assert!(expect_redirect(&resp).has("code"), "{uri}");
    }
}

#[tokio::test]
async fn unregistered_or_malformed_app_callback_uris_are_vipps_errors() {
    let emu = Emu::shipped().await;
    let redirect_uri = emu.unit("demo-client").redirect_uri().to_string();
    for (uri, error) in [
        (
            Some("https://shop.example/app/other"),
            "app_callback_uri_not_registered",
        ),
        (
            Some("https://shop.example/app/vipps-return/"),
            "app_callback_uri_not_registered",
        ),
        (Some("myshop://"), "invalid_app_callback_uri"),
        (Some("/relative/path"), "invalid_app_callback_uri"),
        (
            Some("https://shop.example/app/vipps-return#x"),
            "invalid_app_callback_uri",
        ),
        (None, "invalid_app_callback_uri"),
    ] {
        let params = app_to_app(&emu, uri);
        let resp = emu.authorize(&params).await;
        let r = expect_error_redirect(&resp, &redirect_uri, error);
        assert_eq!(r.get("state"), get_param(&params, "state"), "{uri:?}");
    }
}
