use super::*;
use crate::issuer::Issuer;
use crate::jwks::JwksCache;
use crate::machine::{Purpose, SignatureCheck};
use crate::token::TokenAuthMethod;
use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::json;

const ISS: &str = "https://api.vipps.no/access-management-1.0/access/";
const NOW: u64 = 1_800_000_000;

fn issuer() -> Issuer {
    Issuer::new(ISS).unwrap()
}

fn client() -> ClientCredentials {
    ClientCredentials {
        client_id: "client-1".into(),
        client_secret: Secret::new("s3cret"),
        method: TokenAuthMethod::ClientSecretBasic,
        partner: None,
    }
}

fn endpoints() -> Endpoints {
    Endpoints::vipps_layout(&issuer()).unwrap()
}

fn response(status: u16, body: &str) -> HttpResponse {
    HttpResponse {
        status,
        body: body.as_bytes().to_vec(),
    }
}

fn params<'a>() -> StartParams<'a> {
    StartParams {
        scope: "openid name",
        login_hint: "urn:msisdn:4712345678",
        binding_message: Some("ABC-123"),
        state: "state-0123456789",
        nonce: "nonce-0123456789",
        requested_expiry: 300,
        redirect_uri: None,
    }
}

fn form(body: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

#[test]
fn start_request_carries_every_parameter_and_client_auth() {
    let r = start_request(
        &endpoints(),
        &client(),
        &params(),
        &SystemHeaders::default(),
    )
    .unwrap();
    assert_eq!(r.method, "POST");
    assert_eq!(
        r.url,
        "https://api.vipps.no/vipps-login-ciba/api/backchannel/authentication"
    );
    assert!(r.header("Authorization").unwrap().starts_with("Basic "));
    assert_eq!(
        form(&r.body),
        [
            ("scope", "openid name"),
            ("login_hint", "urn:msisdn:4712345678"),
            ("binding_message", "ABC-123"),
            ("state", "state-0123456789"),
            ("nonce", "nonce-0123456789"),
            ("requested_expiry", "300"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
    );
    // The redirect variant; client_secret_post.
    let post = ClientCredentials {
        method: TokenAuthMethod::ClientSecretPost,
        ..client()
    };
    let p = StartParams {
        binding_message: None,
        redirect_uri: Some("https://shop.example/phone-callback"),
        ..params()
    };
    let r = start_request(&endpoints(), &post, &p, &SystemHeaders::default()).unwrap();
    let f = form(&r.body);
    assert!(f.contains(&("requested_flow".into(), "login_to_webpage".into())));
    assert!(f.contains(&(
        "redirect_uri".into(),
        "https://shop.example/phone-callback".into()
    )));
    assert!(f.contains(&("client_secret".into(), "s3cret".into())));
    assert!(!f.iter().any(|(k, _)| k == "binding_message"));
    assert_eq!(r.header("Authorization"), None);
}

#[test]
fn start_request_refuses_bad_inputs() {
    let bad_expiry = StartParams {
        requested_expiry: 59,
        ..params()
    };
    assert!(start_request(
        &endpoints(),
        &client(),
        &bad_expiry,
        &SystemHeaders::default()
    )
    .is_err());
    let bad_message = StartParams {
        binding_message: Some("abc"),
        ..params()
    };
    assert_eq!(
        start_request(
            &endpoints(),
            &client(),
            &bad_message,
            &SystemHeaders::default()
        )
        .unwrap_err()
        .code(),
        ErrorCode::BindingMessageInvalid
    );
    let mut no_ciba = endpoints();
    no_ciba.backchannel_authentication_endpoint = None;
    assert_eq!(
        start_request(&no_ciba, &client(), &params(), &SystemHeaders::default())
            .unwrap_err()
            .code(),
        ErrorCode::EndpointsUnknown
    );
}

#[test]
fn start_response_and_vipps_errors() {
    let ok = process_start_response(
        &response(
            200,
            r#"{"auth_req_id":"a-1","expires_in":600,"interval":5}"#,
        ),
        None,
        NOW,
    )
    .unwrap();
    assert_eq!(
        ok,
        Started {
            auth_req_id: "a-1".into(),
            expires_in: 600,
            interval: 5
        }
    );
    // No interval: CIBA Core's default 5.
    let ok = process_start_response(
        &response(200, r#"{"auth_req_id":"a","expires_in":"120"}"#),
        None,
        NOW,
    )
    .unwrap();
    assert_eq!((ok.expires_in, ok.interval), (120, DEFAULT_INTERVAL_SECS));
    for body in [
        "",
        "[]",
        r#"{"expires_in":600}"#,
        r#"{"auth_req_id":"a b","expires_in":600}"#,
        r#"{"auth_req_id":"a"}"#,
    ] {
        assert_eq!(
            process_start_response(&response(200, body), None, NOW)
                .unwrap_err()
                .code(),
            ErrorCode::TokenResponseInvalid,
            "{body}"
        );
    }
    let code = |status, body: &str| {
        process_start_response(&response(status, body), None, NOW).unwrap_err()
    };
    let e = code(
        400,
        r#"{"error":"invalid_user","error_description":"no such user"}"#,
    );
    assert_eq!(e.code(), ErrorCode::VippsInvalidUser);
    assert!(e.hint().unwrap().contains("under 15"));
    assert_eq!(
        code(400, r#"{"error":"old_app"}"#).code(),
        ErrorCode::VippsOldApp
    );
    assert!(code(400, r#"{"error":"old_app"}"#)
        .hint()
        .unwrap()
        .contains("update"));
    assert_eq!(
        code(401, r#"{"error":"invalid_client"}"#).code(),
        ErrorCode::TokenInvalidClient
    );
    assert_eq!(
        code(400, r#"{"error":"invalid_request"}"#).code(),
        ErrorCode::TokenInvalidRequest
    );
    assert_eq!(code(502, "").code(), ErrorCode::TokenServerError);
    let limited = process_start_response(
        &response(429, r#"{"error":"too_many_requests"}"#),
        Some("2"),
        NOW,
    )
    .unwrap_err();
    assert_eq!(limited.code(), ErrorCode::VippsRateLimited);
    assert_eq!(limited.detail("retryAfter"), Some("2"));
}

#[test]
fn retry_after_seconds_or_date_bounded() {
    assert_eq!(retry_after_secs(Some("2"), NOW), 2);
    assert_eq!(retry_after_secs(Some(" 30 "), NOW), 30);
    assert_eq!(retry_after_secs(Some("0"), NOW), 1);
    assert_eq!(retry_after_secs(Some("999999"), NOW), MAX_WAIT_SECS);
    assert_eq!(retry_after_secs(None, NOW), DEFAULT_RETRY_AFTER_SECS);
    assert_eq!(
        retry_after_secs(Some("soon"), NOW),
        DEFAULT_RETRY_AFTER_SECS
    );
    // An HTTP-date 10 s after now.
    assert_eq!(
        retry_after_secs(Some("Thu, 30 Mar 2023 08:38:42 GMT"), 1_680_165_512),
        10
    );
}

#[test]
fn poll_and_redirect_token_requests() {
    let r = poll_request(&endpoints(), &client(), "a-1", &SystemHeaders::default()).unwrap();
    assert_eq!(
        r.url,
        "https://api.vipps.no/access-management-1.0/access/oauth2/token"
    );
    assert_eq!(
        form(&r.body),
        [("grant_type", GRANT_CIBA), ("auth_req_id", "a-1")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
    );
    let r = redirect_token_request(&endpoints(), &client(), "code-1", &SystemHeaders::default())
        .unwrap();
    assert_eq!(
        form(&r.body),
        [("grant_type", GRANT_CIBA_REDIRECT), ("code", "code-1")]
            .map(|(k, v)| (k.to_string(), v.to_string()))
    );
    assert!(!r.body.contains("redirect_uri"));
}

#[test]
fn poll_answers_ciba_core_11() {
    let answer = |status, body: &str, retry: Option<&str>| {
        process_poll_response(&response(status, body), retry, NOW)
    };
    assert_eq!(
        answer(400, r#"{"error":"authorization_pending"}"#, None).unwrap(),
        PollAnswer::Pending
    );
    assert_eq!(
        answer(400, r#"{"error":"slow_down"}"#, None).unwrap(),
        PollAnswer::SlowDown
    );
    assert_eq!(
        answer(400, r#"{"error":"expired_token"}"#, None).unwrap(),
        PollAnswer::Expired
    );
    assert_eq!(
        answer(400, r#"{"error":"access_denied"}"#, None).unwrap(),
        PollAnswer::Denied
    );
    assert_eq!(
        answer(429, r#"{"error":"too_many_requests"}"#, Some("2")).unwrap(),
        PollAnswer::RateLimited(2)
    );
    assert_eq!(
        answer(429, "", None).unwrap(),
        PollAnswer::RateLimited(DEFAULT_RETRY_AFTER_SECS)
    );
    assert!(matches!(
        answer(200, r#"{"access_token":"at","id_token":"a.b.c","token_type":"Bearer"}"#, None).unwrap(),
        PollAnswer::Tokens(t) if t.id_token == "a.b.c"
    ));
    assert_eq!(
        answer(400, r#"{"error":"invalid_grant"}"#, None)
            .unwrap_err()
            .code(),
        ErrorCode::TokenInvalidGrant
    );
    assert_eq!(
        answer(500, "", None).unwrap_err().code(),
        ErrorCode::TokenServerError
    );
}

// The machine, with a pretend verifier (the signature itself is WebCrypto's, tested in
// workerd against the emulator).

fn b64(v: &Value) -> String {
    Base64UrlUnpadded::encode_string(v.to_string().as_bytes())
}

fn token(alg: &str, kid: &str, claims: Value, sig_len: usize) -> String {
    format!(
        "{}.{}.{}",
        b64(&json!({"alg": alg, "kid": kid})),
        b64(&claims),
        Base64UrlUnpadded::encode_string(&vec![1u8; sig_len])
    )
}

const JWKS: &str = r#"{"keys":[
    {"kty":"RSA","kid":"rsa-1","alg":"RS256","n":"sXch","e":"AQAB"},
    {"kty":"EC","kid":"ec-1","alg":"ES256","crv":"P-256","x":"xx","y":"yy"}]}"#;

fn cache() -> ProviderCache {
    ProviderCache {
        jwks: JwksCache::default(),
        ..ProviderCache::default()
    }
}

fn tokens(id_token: String) -> TokenResponse {
    process_token_response(&response(
        200,
        &json!({"access_token":"at-1","id_token":id_token,"token_type":"Bearer","scope":"openid name"}).to_string(),
    ))
    .unwrap()
}

fn run(
    id_token: String,
    expect: Expect,
    valid: bool,
    userinfo_sub: &str,
) -> Result<(VerifiedPhoneLogin, SignatureCheck)> {
    let iss = issuer();
    let creds = client();
    let system = SystemHeaders::default();
    let client = TokenClient {
        issuer: &iss,
        credentials: &creds,
        system_headers: &system,
        leeway_secs: 60,
    };
    let (mut m, step) = PhoneTokens::start(tokens(id_token), client, expect, cache(), NOW)?;
    // Nothing cached: the JWKS first.
    let Step::Send(out) = step else {
        panic!("expected the JWKS request")
    };
    assert_eq!(out.purpose, Purpose::Jwks);
    let Step::Verify(check) = m.receive(response(200, JWKS), NOW)? else {
        panic!("expected a signature check")
    };
    let Step::Send(out) = m.verified(valid, NOW)? else {
        panic!("expected userinfo")
    };
    assert_eq!(out.purpose, Purpose::Userinfo);
    assert_eq!(out.request.header("Authorization"), Some("Bearer at-1"));
    let body = json!({"sub": userinfo_sub, "name": "Ola Nordmann"}).to_string();
    match m.receive(response(200, &body), NOW)? {
        Step::Done(login) => Ok((login, check)),
        _ => panic!("expected done"),
    }
}

fn ciba_claims() -> Value {
    json!({"iss": ISS, "aud": ["client-1"], "sub": "sub-1", "exp": NOW + 3600, "iat": NOW, "nonce": "nonce-1"})
}

fn redirect_claims() -> Value {
    json!({"iss": ISS, "aud": "client-1", "sub": "sub-1", "exp": NOW + 3600, "iat": NOW, "authReqId": "req-1"})
}

#[test]
fn poll_tokens_verified_like_the_browser_flow() {
    let expect = || Expect::Ciba {
        nonce: "nonce-1".into(),
    };
    let (login, check) = run(
        token("RS256", "rsa-1", ciba_claims(), 256),
        expect(),
        true,
        "sub-1",
    )
    .unwrap();
    assert_eq!(login.sub(), "sub-1");
    assert_eq!(login.userinfo()["name"], "Ola Nordmann");
    assert_eq!(login.scope(), Some("openid name"));
    assert_eq!(
        (check.alg, check.key.kid.as_deref()),
        ("RS256", Some("rsa-1"))
    );
    // Signature, nonce, userinfo sub, alg.
    let code = |r: Result<(VerifiedPhoneLogin, SignatureCheck)>| r.unwrap_err().code();
    assert_eq!(
        code(run(
            token("RS256", "rsa-1", ciba_claims(), 256),
            expect(),
            false,
            "sub-1"
        )),
        ErrorCode::IdTokenSignatureInvalid
    );
    let mut wrong_nonce = ciba_claims();
    wrong_nonce["nonce"] = json!("");
    assert_eq!(
        code(run(
            token("RS256", "rsa-1", wrong_nonce, 256),
            expect(),
            true,
            "sub-1"
        )),
        ErrorCode::IdTokenNonceMismatch
    );
    assert_eq!(
        code(run(
            token("RS256", "rsa-1", ciba_claims(), 256),
            expect(),
            true,
            "sub-2"
        )),
        ErrorCode::UserinfoSubMismatch
    );
    assert_eq!(
        code(run(
            token("ES256", "ec-1", ciba_claims(), 64),
            expect(),
            true,
            "sub-1"
        )),
        ErrorCode::IdTokenAlgNotAllowed
    );
}

#[test]
fn redirect_tokens_es256_string_aud_auth_req_id() {
    let expect = || Expect::Redirect {
        auth_req_id: "req-1".into(),
    };
    let (login, check) = run(
        token("ES256", "ec-1", redirect_claims(), 64),
        expect(),
        true,
        "sub-1",
    )
    .unwrap();
    assert_eq!(login.sub(), "sub-1");
    assert_eq!(check.alg, "ES256");
    assert_eq!(
        (check.key.kty.as_str(), check.key.crv.as_str()),
        ("EC", "P-256")
    );
    assert_eq!(check.signature.len(), 64);
    let code = |r: Result<(VerifiedPhoneLogin, SignatureCheck)>| r.unwrap_err().code();
    let mut other = redirect_claims();
    other["authReqId"] = json!("req-2");
    assert_eq!(
        code(run(
            token("ES256", "ec-1", other, 64),
            expect(),
            true,
            "sub-1"
        )),
        ErrorCode::CibaAuthReqIdMismatch
    );
    // RS256 where ES256 is expected; an RS256 kid for an ES256 token finds no key.
    assert_eq!(
        code(run(
            token("RS256", "rsa-1", redirect_claims(), 256),
            expect(),
            true,
            "sub-1"
        )),
        ErrorCode::IdTokenAlgNotAllowed
    );
    assert_eq!(
        code(run(
            token("ES256", "ec-1", redirect_claims(), 64),
            expect(),
            false,
            "sub-1"
        )),
        ErrorCode::IdTokenSignatureInvalid
    );
}

#[test]
fn an_unknown_kid_is_refused_after_one_fetch() {
    let iss = issuer();
    let creds = client();
    let system = SystemHeaders::default();
    let client = TokenClient {
        issuer: &iss,
        credentials: &creds,
        system_headers: &system,
        leeway_secs: 60,
    };
    let (mut m, step) = PhoneTokens::start(
        tokens(token("ES256", "ec-9", redirect_claims(), 64)),
        client,
        Expect::Redirect {
            auth_req_id: "req-1".into(),
        },
        cache(),
        NOW,
    )
    .unwrap();
    assert!(matches!(step, Step::Send(_)));
    assert_eq!(
        m.receive(response(200, JWKS), NOW).unwrap_err().code(),
        ErrorCode::IdTokenKidUnknown
    );
    assert!(!format!("{m:?}").contains("at-1"));
}
