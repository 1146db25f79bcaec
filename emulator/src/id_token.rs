//! The id_token: claims, RS256 signature, and the faults that spoil them.

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::faults::Faults;
use crate::random;
use crate::state::{App, CodeGrant};
use crate::sub;

const OTHER_ISSUER: &str = "https://evil.example/access-management-1.0/access/";
const OTHER_AUDIENCE: &str = "someone-else";
const WRONG_NONCE: &str = "emulator-wrong-nonce";
const OTHER_ACR: &str = "urn:vipps:acr:other";
const OTHER_MSN: &str = "999999";

/// at_hash: base64url of the left half of SHA-256(access_token) (OIDC Core 3.1.3.6).
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    Base64UrlUnpadded::encode_string(&digest[..16])
}

/// A signed id_token for a redeemed code.
pub fn issue(app: &App, grant: &CodeGrant, access_token: &str, faults: &Faults) -> String {
    let claims = claims(app, grant, access_token, faults);
    let payload = Base64UrlUnpadded::encode_string(claims.to_string().as_bytes());

    if faults.alg_none {
        let header = Base64UrlUnpadded::encode_string(br#"{"alg":"none"}"#);
        return format!("{header}.{payload}.");
    }

    let key = app.keys().current();
    let kid = if faults.unknown_kid {
        format!("public:{}", random::uuid())
    } else {
        key.kid.clone()
    };
    signed("RS256", kid, &payload, |input| key.sign(input), faults)
}

/// `header.payload.signature` (JWS compact) with `payload` already base64url-encoded;
/// the `bad_signature` fault changes the signature's first bytes (RS256's, or ES256's
/// r).
pub fn signed(
    alg: &str,
    kid: String,
    payload: &str,
    sign: impl FnOnce(&[u8]) -> Vec<u8>,
    faults: &Faults,
) -> String {
    let header = format!(
        r#"{{"alg":"{alg}","typ":"JWT","kid":{}}}"#,
        Value::String(kid)
    );
    let signing_input = format!(
        "{}.{payload}",
        Base64UrlUnpadded::encode_string(header.as_bytes())
    );
    let mut signature = sign(signing_input.as_bytes());
    if faults.bad_signature {
        for byte in signature.iter_mut().take(8) {
            *byte ^= 0x5a;
        }
    }
    format!(
        "{signing_input}.{}",
        Base64UrlUnpadded::encode_string(&signature)
    )
}

fn claims(app: &App, grant: &CodeGrant, access_token: &str, faults: &Faults) -> Value {
    let settings = &app.config.settings;
    let client_id = &grant.auth.client_id;
    let now = app.clock.now();
    let ttl = crate::authorize::ttl(settings.id_token_ttl_secs);

    let mut iat = now;
    let mut exp = now.saturating_add(ttl);
    if faults.expired {
        iat = now - 7200;
        exp = now - 3600;
    }
    if faults.iat_future {
        iat = now + 3600;
        if !faults.expired {
            exp = iat.saturating_add(ttl);
        }
    }

    let mut c = Map::new();
    c.insert(
        "iss".into(),
        json!(if faults.wrong_iss {
            OTHER_ISSUER
        } else {
            app.issuer.as_str()
        }),
    );
    let aud = if faults.wrong_aud {
        json!([OTHER_AUDIENCE])
    } else if faults.extra_aud {
        json!([client_id, OTHER_AUDIENCE])
    } else {
        json!([client_id])
    };
    c.insert("aud".into(), aud);
    if !faults.missing_sub {
        c.insert(
            "sub".into(),
            json!(sub::pairwise(
                &settings.sub_secret,
                client_id,
                &grant.user_id
            )),
        );
    }
    if faults.fractional_times {
        // RFC 7519 2: a NumericDate may be non-integer.
        c.insert("exp".into(), json!(exp as f64 + 0.5));
        c.insert("iat".into(), json!(iat as f64 + 0.25));
    } else {
        c.insert("exp".into(), json!(exp));
        c.insert("iat".into(), json!(iat));
    }
    // An expired token was issued two hours ago: so was the login.
    let auth_time = if faults.expired {
        grant.auth_time.min(iat)
    } else {
        grant.auth_time
    };
    c.insert("auth_time".into(), json!(auth_time));
    if !faults.missing_nonce {
        let nonce = if faults.wrong_nonce {
            WRONG_NONCE
        } else {
            grant.auth.nonce.as_deref().unwrap_or("")
        };
        c.insert("nonce".into(), json!(nonce));
    }
    c.insert("at_hash".into(), json!(at_hash(access_token)));
    c.insert("jti".into(), json!(random::uuid()));
    c.insert("rat".into(), json!(grant.auth.requested_at));
    c.insert("sid".into(), json!(grant.sid));
    if let Some(acr) = &grant.auth.acr {
        if !faults.missing_acr {
            c.insert(
                "acr".into(),
                json!(if faults.wrong_acr { OTHER_ACR } else { acr }),
            );
        }
    }
    // Partners' tokens name the merchant (vipps-login-api.md: partners should check it).
    if let Some(msn) = app
        .config
        .sales_unit_by_client_id(client_id)
        .and_then(|unit| unit.msn.as_deref())
    {
        c.insert(
            "msn".into(),
            json!(if faults.wrong_msn { OTHER_MSN } else { msn }),
        );
    }
    Value::Object(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_hash_matches_the_oidc_example() {
        // OIDC Core A.3/A.4 example access token and at_hash.
        assert_eq!(
            at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
