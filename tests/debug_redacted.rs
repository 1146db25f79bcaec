//! `Debug` of every value that holds a code, a PKCE verifier, a nonce, a token, a secret,
//! a binding or a sealed session prints none of them: a `{:?}` in a log line must never
//! leak a login.
#![cfg(not(target_arch = "wasm32"))]

use vipps_login::begin::{Begin, BeginSettings, OptionPolicy, PerLogin};
use vipps_login::binding::BrowserBinding;
use vipps_login::callback::{parse_callback, read_callback_params};
use vipps_login::completion::{Completion, TokenClient};
use vipps_login::handoff::HandOffTarget;
use vipps_login::http::HttpResponse;
use vipps_login::login::{create_login, LoginOptions};
use vipps_login::machine::ProviderCache;
use vipps_login::scope::Scopes;
use vipps_login::state::StateKey;
use vipps_login::token::{
    process_token_response, token_request, ClientCredentials, Secret, SystemHeaders,
    TokenAuthMethod,
};
use vipps_login::transaction::{CompletedLogin, FrontEndLogin};
use vipps_login::Issuer;

const CODE: &str = "the-authorization-code-0123456789";
const NONCE: &str = "the-nonce-0123456789abcdefghijklmnopqrstu";
const VERIFIER: &str = "the-verifier-0123456789abcdefghijklmnopqrstuvwxyz";
const SECRET: &str = "the-client-secret-0123456789";
const ACCESS_TOKEN: &str = "the-access-token-0123456789";
const SEALED: &str = "the-sealed-session.0123456789";
const ISSUER: &str = "http://127.0.0.1:7000/access-management-1.0/access/";

fn assert_hidden(what: &str, shown: String, secrets: &[&str]) {
    for secret in secrets {
        assert!(!shown.contains(secret), "{what} shows {secret}: {shown}");
    }
}

#[test]
fn nothing_secret_in_debug() {
    let callback = format!("?code={CODE}&state=state-0123456789");
    assert_hidden(
        "Callback",
        format!(
            "{:?}",
            parse_callback(&callback, "state-0123456789", None).unwrap()
        ),
        &[CODE],
    );
    assert_hidden(
        "CallbackParams",
        format!("{:?}", read_callback_params(&callback).unwrap()),
        &[CODE],
    );

    let options = LoginOptions {
        client_id: Some("client-1".into()),
        redirect_uri: "https://shop.example/callback".into(),
        nonce: Some(NONCE.into()),
        code_verifier: Some(VERIFIER.into()),
        pkce: true,
        ..Default::default()
    };
    assert_hidden("LoginOptions", format!("{options:?}"), &[NONCE, VERIFIER]);
    let login = create_login(&options).unwrap();
    assert_hidden("Login", format!("{login:?}"), &[NONCE, VERIFIER]);

    let front_end: FrontEndLogin = serde_json::from_str(&format!(
        r#"{{"nonce":"{NONCE}","codeVerifier":"{VERIFIER}"}}"#
    ))
    .unwrap();
    assert_hidden(
        "FrontEndLogin",
        format!("{front_end:?}"),
        &[NONCE, VERIFIER],
    );

    let completed = CompletedLogin {
        session: SEALED.into(),
        user: serde_json::json!({"sub": "s", "nin": "12048512345"}),
        return_to: "/".into(),
        display_name: "Ola Nordmann".into(),
    };
    assert_hidden(
        "CompletedLogin",
        format!("{completed:?}"),
        &[SEALED, "12048512345"],
    );

    let tokens = process_token_response(&HttpResponse {
        status: 200,
        body: format!(
            r#"{{"access_token":"{ACCESS_TOKEN}","id_token":"{NONCE}","token_type":"bearer"}}"#
        )
        .into_bytes(),
    })
    .unwrap();
    assert_hidden(
        "TokenResponse",
        format!("{tokens:?}"),
        &[ACCESS_TOKEN, NONCE],
    );

    let credentials = ClientCredentials {
        client_id: "client-1".into(),
        client_secret: Secret::new(SECRET),
        method: TokenAuthMethod::ClientSecretPost,
        partner: None,
    };
    assert_hidden("ClientCredentials", format!("{credentials:?}"), &[SECRET]);
    let verifier = vipps_login::PkceCodeVerifier::new(VERIFIER).unwrap();
    let request = token_request(
        "https://op.example/token",
        &credentials,
        CODE,
        "https://shop.example/callback",
        Some(&verifier),
        &SystemHeaders::default(),
    )
    .unwrap();
    assert_hidden(
        "HttpRequest",
        format!("{request:?}"),
        &[CODE, VERIFIER, SECRET],
    );

    // The server's machines and what they carry.
    let issuer = Issuer::new(ISSUER).unwrap();
    let scopes = Scopes::parse("openid name", false).unwrap();
    let policy = OptionPolicy::default();
    let settings = BeginSettings {
        issuer: &issuer,
        client_id: "client-1",
        msn: None,
        redirect_uri: "http://127.0.0.1:8787/callback",
        scopes: &scopes,
        allow_non_vipps_scopes: false,
        policy: &policy,
    };
    let binding = BrowserBinding::random().unwrap();
    let front_end: FrontEndLogin = serde_json::from_str(&format!(
        r#"{{"nonce":"{NONCE}","codeVerifier":"{VERIFIER}"}}"#
    ))
    .unwrap();
    let (begin, step) = Begin::start(
        settings,
        PerLogin::default(),
        vipps_login::random_state().expect("a state"),
        Some(&front_end),
        binding.sha256(),
        ProviderCache::default(),
        1000,
    )
    .unwrap();
    assert_hidden(
        "Begin",
        format!("{begin:?}"),
        &[NONCE, VERIFIER, &binding.sha256()],
    );
    assert_hidden("Step<Started>", format!("{step:?}"), &[NONCE, VERIFIER]);
    let vipps_login::machine::Step::Done(started) = step else {
        panic!("no discovery for Vipps' layout")
    };
    assert_hidden(
        "LoginTransaction",
        format!("{:?}", started.transaction),
        &[NONCE, VERIFIER, &binding.sha256()],
    );
    let client = TokenClient {
        issuer: &issuer,
        credentials: &credentials,
        system_headers: &SystemHeaders::default(),
        leeway_secs: 60,
    };
    let query = format!("code={CODE}&state={}", started.transaction.state);
    let (completion, first) = Completion::start(
        started.transaction,
        &query,
        client,
        ProviderCache::default(),
        1001,
    )
    .unwrap();
    assert_hidden(
        "Completion",
        format!("{completion:?}"),
        &[CODE, NONCE, VERIFIER, SECRET],
    );
    assert_hidden(
        "Step<VerifiedLogin>",
        format!("{first:?}"),
        &[CODE, VERIFIER, SECRET],
    );

    let cookie = binding.set_cookie(vipps_login::session::CookieScope {
        secure: false,
        path: "/",
    });
    let value = cookie.split(';').next().unwrap().split('=').nth(1).unwrap();
    assert_hidden("BrowserBinding", format!("{binding:?}"), &[value]);
    let key = StateKey::derive(SECRET.as_bytes()).unwrap();
    assert_hidden("StateKey", format!("{key:?}"), &[SECRET]);
    let target = HandOffTarget {
        url: "https://shop.example/hook".into(),
        secret: Some(Secret::new(SECRET)),
    };
    assert_hidden("HandOffTarget", format!("{target:?}"), &[SECRET]);
}
