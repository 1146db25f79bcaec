//! ID Token validation, OIDC Core 3.1.3.7, as numbered steps. The signature (steps 6-8)
//! is checked by the adapter with the key [`crate::jwks`] selects — WebCrypto in the
//! Worker — after [`UnverifiedJwt::parse`] has refused every algorithm but RS256; these
//! are the claim checks that follow. Time comes in as `now`, so tests pin it.

use crate::error::{Error, ErrorCode, Result};
use crate::jose::UnverifiedJwt;
use serde_json::Value;
use subtle::ConstantTimeEq;

/// Default clock skew allowed for `exp` and `iat`.
pub const DEFAULT_LEEWAY_SECS: u64 = 60;

/// What the id_token must say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdTokenExpectations<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The nonce sent with the authorization request.
    pub nonce: &'a str,
    /// The `acr_values` requested, when any (Vipps: `urn:vipps:acr:app_auth`): space
    /// separated, the id_token's `acr` must be one of them.
    pub acr: Option<&'a str>,
    /// A partner's merchant serial number sent to authorize: the id_token's `msn` must
    /// equal it (Vipps: "partners should check it").
    pub msn: Option<&'a str>,
    pub leeway_secs: u64,
}

/// The claims of a validated id_token. Vipps puts no profile data here: call userinfo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdTokenClaims {
    pub sub: String,
    pub iss: String,
    pub exp: u64,
    pub iat: u64,
    pub auth_time: Option<u64>,
    pub sid: Option<String>,
    pub acr: Option<String>,
    /// Partners: the merchant serial number.
    pub msn: Option<String>,
}

fn fail(code: ErrorCode, message: String) -> Error {
    Error::new(code, message)
}

fn str_claim<'a>(claims: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
}

/// A NumericDate (RFC 7519 2): seconds since the epoch, "possibly non-integer", so
/// `1800000000.5` is read as its whole seconds. Negative, non-finite or absurd values
/// are no date.
fn numeric_date(value: &Value) -> Option<u64> {
    if let Some(secs) = value.as_u64() {
        return Some(secs);
    }
    let secs = value.as_f64()?;
    // Up to the year 9999: anything later is not a token's date.
    (secs.is_finite() && (0.0..=253_402_300_799.0).contains(&secs)).then(|| secs.floor() as u64)
}

fn time_claim(claims: &serde_json::Map<String, Value>, name: &str) -> Result<u64> {
    claims.get(name).and_then(numeric_date).ok_or_else(|| {
        fail(
            ErrorCode::IdTokenMalformed,
            format!("the id_token has no numeric {name}"),
        )
    })
}

/// Checks the claims of an id_token whose signature the caller has verified.
pub fn validate_id_token_claims(
    jwt: &UnverifiedJwt,
    expected: &IdTokenExpectations<'_>,
    now: u64,
) -> Result<IdTokenClaims> {
    validate_claims(jwt, expected, true, now)
}

/// The CIBA redirect variant's id_token (Vipps, `login_to_webpage`): the same checks
/// but step 11, as Vipps sends no `nonce` there (`expected.nonce` is not read), and
/// instead the claim `authReqId` (Vipps' real tokens; the prose says `auth_req_id`:
/// either is accepted) must equal the `auth_req_id` the start answered, compared in
/// constant time.
pub fn validate_ciba_redirect_claims(
    jwt: &UnverifiedJwt,
    expected: &IdTokenExpectations<'_>,
    auth_req_id: &str,
    now: u64,
) -> Result<IdTokenClaims> {
    let claims = validate_claims(jwt, expected, false, now)?;
    let named = str_claim(&jwt.claims, "authReqId")
        .or_else(|| str_claim(&jwt.claims, "auth_req_id"))
        .unwrap_or("");
    if auth_req_id.is_empty() || !bool::from(named.as_bytes().ct_eq(auth_req_id.as_bytes())) {
        return Err(fail(
            ErrorCode::CibaAuthReqIdMismatch,
            "the id_token's authReqId is not the auth_req_id of this phone login".into(),
        ));
    }
    Ok(claims)
}

fn validate_claims(
    jwt: &UnverifiedJwt,
    expected: &IdTokenExpectations<'_>,
    check_nonce: bool,
    now: u64,
) -> Result<IdTokenClaims> {
    let c = &jwt.claims;

    // Step 2: iss MUST exactly match the issuer (Vipps' ends in `/`).
    let iss = str_claim(c, "iss").unwrap_or("");
    if iss.as_bytes() != expected.issuer.as_bytes() {
        return Err(fail(
            ErrorCode::IdTokenIssuerMismatch,
            format!(
                "the id_token's iss is \"{iss}\", expected \"{}\"",
                expected.issuer
            ),
        ));
    }

    // Step 3: aud MUST contain the client_id; it may be a string or an array (Vipps
    // sends an array).
    let audiences: Vec<&str> = match c.get("aud") {
        Some(Value::String(a)) => vec![a.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    if !audiences.contains(&expected.client_id) {
        return Err(fail(
            ErrorCode::IdTokenAudienceMismatch,
            format!(
                "the id_token's aud does not contain \"{}\"",
                expected.client_id
            ),
        ));
    }

    // Steps 4 and 5: with several audiences azp is required; when present it MUST be
    // the client_id.
    match str_claim(c, "azp") {
        Some(azp) if azp != expected.client_id => {
            return Err(fail(
                ErrorCode::IdTokenAzpMismatch,
                format!("the id_token's azp is \"{azp}\", not this client"),
            ))
        }
        None if audiences.len() > 1 => {
            return Err(fail(
                ErrorCode::IdTokenAzpMismatch,
                "the id_token has several audiences and no azp".into(),
            ))
        }
        _ => {}
    }

    // Step 9: the current time MUST be before exp (with leeway for clock skew).
    let exp = time_claim(c, "exp")?;
    if now >= exp.saturating_add(expected.leeway_secs) {
        return Err(fail(
            ErrorCode::IdTokenExpired,
            format!("the id_token expired at {exp}; now is {now}"),
        ));
    }

    // Step 10: iat may not lie in the future (beyond the leeway).
    let iat = time_claim(c, "iat")?;
    if iat > now.saturating_add(expected.leeway_secs) {
        return Err(fail(
            ErrorCode::IdTokenIssuedInFuture,
            format!("the id_token's iat {iat} is after now ({now})"),
        ));
    }

    // Step 11: nonce MUST equal the one sent, compared in constant time. Vipps sends
    // `""` when no nonce was sent; we always send one, so "" never matches.
    let nonce = str_claim(c, "nonce").unwrap_or("");
    let nonce_ok =
        !expected.nonce.is_empty() && bool::from(nonce.as_bytes().ct_eq(expected.nonce.as_bytes()));
    if check_nonce && !nonce_ok {
        return Err(fail(
            ErrorCode::IdTokenNonceMismatch,
            "the id_token's nonce is not the one this login sent".into(),
        ));
    }

    // Step 12: acr, when it was requested: one of the values asked for.
    let acr = str_claim(c, "acr").map(str::to_string);
    if let Some(wanted) = expected.acr {
        let granted = acr
            .as_deref()
            .is_some_and(|a| wanted.split(' ').any(|w| !w.is_empty() && w == a));
        if !granted {
            return Err(fail(
                ErrorCode::IdTokenAcrMismatch,
                format!("acr \"{wanted}\" was requested; the id_token has {acr:?}"),
            ));
        }
    }

    // Vipps partners: the id_token names the merchant serial number it was issued for.
    let msn = str_claim(c, "msn").map(str::to_string);
    if let Some(wanted) = expected.msn {
        if msn.as_deref() != Some(wanted) {
            return Err(fail(
                ErrorCode::IdTokenMsnMismatch,
                format!("msn \"{wanted}\" was sent to authorize; the id_token has {msn:?}"),
            ));
        }
    }

    // OIDC Core 2: sub is REQUIRED.
    let sub = str_claim(c, "sub")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            fail(
                ErrorCode::IdTokenSubMissing,
                "the id_token has no sub".into(),
            )
        })?;

    Ok(IdTokenClaims {
        sub: sub.to_string(),
        iss: iss.to_string(),
        exp,
        iat,
        auth_time: c.get("auth_time").and_then(numeric_date),
        sid: str_claim(c, "sid").map(str::to_string),
        acr,
        msn,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64ct::{Base64UrlUnpadded, Encoding};
    use serde_json::json;

    const ISS: &str = "https://api.vipps.no/access-management-1.0/access/";
    const NOW: u64 = 1_800_000_000;

    fn jwt(claims: Value) -> UnverifiedJwt {
        let b = |v: &Value| Base64UrlUnpadded::encode_string(v.to_string().as_bytes());
        let token = format!(
            "{}.{}.{}",
            b(&json!({"alg":"RS256","kid":"public:1"})),
            b(&claims),
            "c2ln"
        );
        UnverifiedJwt::parse(&token).unwrap()
    }

    fn vipps_claims() -> Value {
        json!({
            "iss": ISS, "aud": ["client-1"], "sub": "c06c4afe-d9e1-4c5d-939a-177d752a0944",
            "exp": NOW + 3600, "iat": NOW - 5, "auth_time": NOW - 10, "nonce": "nonce-1",
            "sid": "sid-1", "at_hash": "x", "jti": "j", "rat": NOW - 20
        })
    }

    fn expect() -> IdTokenExpectations<'static> {
        IdTokenExpectations {
            issuer: ISS,
            client_id: "client-1",
            nonce: "nonce-1",
            acr: None,
            msn: None,
            leeway_secs: DEFAULT_LEEWAY_SECS,
        }
    }

    fn code_for(edit: impl FnOnce(&mut Value)) -> ErrorCode {
        let mut c = vipps_claims();
        edit(&mut c);
        validate_id_token_claims(&jwt(c), &expect(), NOW)
            .unwrap_err()
            .code()
    }

    #[test]
    fn ciba_redirect_variant_string_aud_no_nonce_and_auth_req_id() {
        let redirect = |edit: &dyn Fn(&mut Value)| {
            let mut c = vipps_claims();
            c["aud"] = json!("client-1");
            c.as_object_mut().unwrap().remove("nonce");
            c["authReqId"] = json!("req-1");
            edit(&mut c);
            validate_ciba_redirect_claims(&jwt(c), &expect(), "req-1", NOW)
        };
        assert_eq!(
            redirect(&|_| {}).unwrap().sub,
            "c06c4afe-d9e1-4c5d-939a-177d752a0944"
        );
        // The prose's name for the claim is accepted too.
        redirect(&|c| {
            let o = c.as_object_mut().unwrap();
            o.remove("authReqId");
            o.insert("auth_req_id".into(), json!("req-1"));
        })
        .unwrap();
        let code = |edit: &dyn Fn(&mut Value)| redirect(edit).unwrap_err().code();
        assert_eq!(
            code(&|c| c["authReqId"] = json!("req-2")),
            ErrorCode::CibaAuthReqIdMismatch
        );
        assert_eq!(
            code(&|c| {
                c.as_object_mut().unwrap().remove("authReqId");
            }),
            ErrorCode::CibaAuthReqIdMismatch
        );
        // Every other check still holds.
        assert_eq!(
            code(&|c| c["aud"] = json!("other")),
            ErrorCode::IdTokenAudienceMismatch
        );
        assert_eq!(
            code(&|c| c["iss"] = json!("https://evil.example/")),
            ErrorCode::IdTokenIssuerMismatch
        );
        assert_eq!(
            code(&|c| c["exp"] = json!(NOW - 3600)),
            ErrorCode::IdTokenExpired
        );
        assert_eq!(
            code(&|c| c["iat"] = json!(NOW + 3600)),
            ErrorCode::IdTokenIssuedInFuture
        );
        // The browser flow's validator still wants the nonce.
        let mut c = vipps_claims();
        c.as_object_mut().unwrap().remove("nonce");
        assert_eq!(
            validate_id_token_claims(&jwt(c), &expect(), NOW)
                .unwrap_err()
                .code(),
            ErrorCode::IdTokenNonceMismatch
        );
    }

    #[test]
    fn vipps_id_token_accepted_with_array_aud() {
        let claims = validate_id_token_claims(&jwt(vipps_claims()), &expect(), NOW).unwrap();
        assert_eq!(claims.sub, "c06c4afe-d9e1-4c5d-939a-177d752a0944");
        assert_eq!(claims.sid.as_deref(), Some("sid-1"));
        assert_eq!(claims.auth_time, Some(NOW - 10));
    }

    #[test]
    fn string_aud_accepted() {
        assert!(code_for(|c| c["aud"] = json!("other")) == ErrorCode::IdTokenAudienceMismatch);
        let mut c = vipps_claims();
        c["aud"] = json!("client-1");
        assert!(validate_id_token_claims(&jwt(c), &expect(), NOW).is_ok());
    }

    #[test]
    fn step2_issuer_byte_exact_vipps_trailing_slash() {
        assert_eq!(
            code_for(|c| c["iss"] = json!(ISS.trim_end_matches('/'))),
            ErrorCode::IdTokenIssuerMismatch
        );
        assert_eq!(
            code_for(|c| c["iss"] = json!("https://evil.example/access-management-1.0/access/")),
            ErrorCode::IdTokenIssuerMismatch
        );
        assert_eq!(
            code_for(|c| {
                c.as_object_mut().unwrap().remove("iss");
            }),
            ErrorCode::IdTokenIssuerMismatch
        );
    }

    #[test]
    fn step3_to_5_audience_and_azp() {
        assert_eq!(
            code_for(|c| c["aud"] = json!(["someone-else"])),
            ErrorCode::IdTokenAudienceMismatch
        );
        assert_eq!(
            code_for(|c| c["aud"] = json!(["client-1", "someone-else"])),
            ErrorCode::IdTokenAzpMismatch
        );
        assert_eq!(
            code_for(|c| c["azp"] = json!("someone-else")),
            ErrorCode::IdTokenAzpMismatch
        );
        let mut c = vipps_claims();
        c["aud"] = json!(["client-1", "someone-else"]);
        c["azp"] = json!("client-1");
        assert!(validate_id_token_claims(&jwt(c), &expect(), NOW).is_ok());
    }

    #[test]
    fn step9_and_10_exp_and_iat_with_leeway() {
        assert_eq!(
            code_for(|c| c["exp"] = json!(NOW - 3600)),
            ErrorCode::IdTokenExpired
        );
        assert_eq!(
            code_for(|c| c["iat"] = json!(NOW + 3600)),
            ErrorCode::IdTokenIssuedInFuture
        );
        assert_eq!(
            code_for(|c| c["exp"] = json!("soon")),
            ErrorCode::IdTokenMalformed
        );
        // Within the leeway.
        let mut c = vipps_claims();
        c["exp"] = json!(NOW - 30);
        c["iat"] = json!(NOW + 30);
        assert!(validate_id_token_claims(&jwt(c), &expect(), NOW).is_ok());
    }

    #[test]
    fn step11_nonce_vipps_empty_nonce_never_matches() {
        assert_eq!(
            code_for(|c| c["nonce"] = json!("other")),
            ErrorCode::IdTokenNonceMismatch
        );
        assert_eq!(
            code_for(|c| c["nonce"] = json!("")),
            ErrorCode::IdTokenNonceMismatch
        );
        assert_eq!(
            code_for(|c| {
                c.as_object_mut().unwrap().remove("nonce");
            }),
            ErrorCode::IdTokenNonceMismatch
        );
        let e = IdTokenExpectations {
            nonce: "",
            ..expect()
        };
        let mut c = vipps_claims();
        c["nonce"] = json!("");
        assert_eq!(
            validate_id_token_claims(&jwt(c), &e, NOW)
                .unwrap_err()
                .code(),
            ErrorCode::IdTokenNonceMismatch
        );
    }

    #[test]
    fn sub_required_and_acr_checked_when_requested() {
        assert_eq!(
            code_for(|c| {
                c.as_object_mut().unwrap().remove("sub");
            }),
            ErrorCode::IdTokenSubMissing
        );
        let e = IdTokenExpectations {
            acr: Some("urn:vipps:acr:app_auth"),
            ..expect()
        };
        assert_eq!(
            validate_id_token_claims(&jwt(vipps_claims()), &e, NOW)
                .unwrap_err()
                .code(),
            ErrorCode::IdTokenAcrMismatch
        );
        let mut c = vipps_claims();
        c["acr"] = json!("urn:vipps:acr:app_auth");
        assert_eq!(
            validate_id_token_claims(&jwt(c), &e, NOW)
                .unwrap()
                .acr
                .as_deref(),
            Some("urn:vipps:acr:app_auth")
        );
    }

    #[test]
    fn msn_checked_for_partners() {
        let e = IdTokenExpectations {
            msn: Some("123456"),
            ..expect()
        };
        let mut c = vipps_claims();
        assert_eq!(
            validate_id_token_claims(&jwt(c.clone()), &e, NOW)
                .unwrap_err()
                .code(),
            ErrorCode::IdTokenMsnMismatch
        );
        c["msn"] = json!("654321");
        assert_eq!(
            validate_id_token_claims(&jwt(c.clone()), &e, NOW)
                .unwrap_err()
                .code(),
            ErrorCode::IdTokenMsnMismatch
        );
        c["msn"] = json!("123456");
        let claims = validate_id_token_claims(&jwt(c.clone()), &e, NOW).unwrap();
        assert_eq!(claims.msn.as_deref(), Some("123456"));
        // Without an expectation the claim is reported, not checked.
        assert!(validate_id_token_claims(&jwt(c), &expect(), NOW).is_ok());
    }

    #[test]
    fn acr_may_be_any_of_the_requested_values() {
        let e = IdTokenExpectations {
            acr: Some("urn:a urn:vipps:acr:app_auth"),
            ..expect()
        };
        let mut c = vipps_claims();
        c["acr"] = json!("urn:vipps:acr:app_auth");
        assert!(validate_id_token_claims(&jwt(c.clone()), &e, NOW).is_ok());
        c["acr"] = json!("urn:vipps:acr:app");
        assert!(validate_id_token_claims(&jwt(c), &e, NOW).is_err());
    }

    #[test]
    fn numeric_dates_may_be_non_integer() {
        let mut c = vipps_claims();
        c["exp"] = json!((NOW + 3600) as f64 + 0.25);
        c["iat"] = json!((NOW - 5) as f64 + 0.75);
        c["auth_time"] = json!((NOW - 10) as f64 + 0.5);
        let claims = validate_id_token_claims(&jwt(c), &expect(), NOW).unwrap();
        assert_eq!(
            (claims.exp, claims.iat, claims.auth_time),
            (NOW + 3600, NOW - 5, Some(NOW - 10))
        );
        for bad in [json!(-1.5), json!("1800000000"), json!(1e300), json!(null)] {
            let mut c = vipps_claims();
            c["exp"] = bad.clone();
            assert_eq!(
                validate_id_token_claims(&jwt(c), &expect(), NOW)
                    .unwrap_err()
                    .code(),
                ErrorCode::IdTokenMalformed,
                "{bad}"
            );
        }
        // An expired fractional exp is still expired.
        let mut c = vipps_claims();
        c["exp"] = json!((NOW - 61) as f64 + 0.9);
        assert_eq!(
            validate_id_token_claims(&jwt(c), &expect(), NOW)
                .unwrap_err()
                .code(),
            ErrorCode::IdTokenExpired
        );
    }
}
