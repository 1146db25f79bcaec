//! The CIBA redirect variant's id_token. Vipps' differs from the browser flow's
//! (vipps-login-api.md, "ID token"): ES256, `aud` a string, no `nonce`, and the claim
//! `authReqId` (camelCase in real tokens, although the prose says `auth_req_id`).

use base64ct::{Base64UrlUnpadded, Encoding};
use serde_json::{json, Map, Value};

use super::CibaRequest;
use crate::es256::EcKey;
use crate::faults::Faults;
use crate::id_token::{at_hash, signed};
use crate::random;
use crate::state::App;
use crate::sub;

/// What `ciba_wrong_auth_req_id` puts in the claim.
const OTHER_AUTH_REQ_ID: &str = "00000000-0000-4000-8000-000000000000";

/// Who approved, when, in which session.
pub struct Login<'a> {
    pub user_id: &'a str,
    pub auth_time: i64,
    pub sid: &'a str,
}

/// A signed ES256 id_token for an approved request.
pub fn issue(
    app: &App,
    key: &EcKey,
    request: &CibaRequest,
    login: &Login<'_>,
    access_token: &str,
    faults: &Faults,
) -> String {
    let settings = &app.config.settings;
    let now = app.clock.now();
    let client_id = &request.client_id;
    let mut c = Map::new();
    c.insert("iss".into(), json!(app.issuer));
    c.insert("aud".into(), json!(client_id));
    c.insert(
        "sub".into(),
        json!(sub::pairwise(
            &settings.sub_secret,
            client_id,
            login.user_id
        )),
    );
    c.insert(
        "exp".into(),
        json!(now.saturating_add(crate::authorize::ttl(settings.id_token_ttl_secs))),
    );
    c.insert("iat".into(), json!(now));
    c.insert("auth_time".into(), json!(login.auth_time));
    let name = if faults.ciba_auth_req_id_snake {
        "auth_req_id"
    } else {
        "authReqId"
    };
    let value = if faults.ciba_wrong_auth_req_id {
        OTHER_AUTH_REQ_ID
    } else {
        request.auth_req_id.as_str()
    };
    c.insert(name.into(), json!(value));
    c.insert("at_hash".into(), json!(at_hash(access_token)));
    c.insert("jti".into(), json!(random::uuid()));
    c.insert("rat".into(), json!(request.requested_at));
    c.insert("sid".into(), json!(login.sid));
    if let Some(msn) = app
        .config
        .sales_unit_by_client_id(client_id)
        .and_then(|unit| unit.msn.as_deref())
    {
        c.insert("msn".into(), json!(msn));
    }

    let payload = Base64UrlUnpadded::encode_string(Value::Object(c).to_string().as_bytes());
    signed(
        "ES256",
        key.kid.clone(),
        &payload,
        |input| key.sign(input),
        faults,
    )
}
