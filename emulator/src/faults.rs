//! Switches that break the emulator on purpose (`/_emulator/faults`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize)]
pub struct Faults {
    pub unknown_kid: bool,
    pub bad_signature: bool,
    pub alg_none: bool,
    pub wrong_iss: bool,
    pub wrong_aud: bool,
    pub extra_aud: bool,
    pub expired: bool,
    pub iat_future: bool,
    pub wrong_nonce: bool,
    pub missing_nonce: bool,
    pub missing_sub: bool,
    pub wrong_acr: bool,
    pub missing_acr: bool,
    pub wrong_msn: bool,
    pub userinfo_sub_mismatch: bool,
    pub token_500: bool,
    pub token_delay_ms: u64,
    pub token_malformed_json: bool,
    pub jwks_unavailable: bool,
}

/// A `POST /_emulator/faults` body: only the fields given change.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultsPatch {
    unknown_kid: Option<bool>,
    bad_signature: Option<bool>,
    alg_none: Option<bool>,
    wrong_iss: Option<bool>,
    wrong_aud: Option<bool>,
    extra_aud: Option<bool>,
    expired: Option<bool>,
    iat_future: Option<bool>,
    wrong_nonce: Option<bool>,
    missing_nonce: Option<bool>,
    missing_sub: Option<bool>,
    wrong_acr: Option<bool>,
    missing_acr: Option<bool>,
    wrong_msn: Option<bool>,
    userinfo_sub_mismatch: Option<bool>,
    token_500: Option<bool>,
    token_delay_ms: Option<u64>,
    token_malformed_json: Option<bool>,
    jwks_unavailable: Option<bool>,
}

/// The longest `token_delay_ms` accepted (ten minutes).
pub const MAX_TOKEN_DELAY_MS: u64 = 600_000;

impl Faults {
    pub fn apply(&mut self, patch: FaultsPatch) -> Result<(), String> {
        if let Some(ms) = patch.token_delay_ms {
            if ms > MAX_TOKEN_DELAY_MS {
                return Err(format!(
                    "token_delay_ms: {ms} is more than {MAX_TOKEN_DELAY_MS}"
                ));
            }
            self.token_delay_ms = ms;
        }
        macro_rules! set {
            ($($field:ident),*) => {
                $( if let Some(v) = patch.$field { self.$field = v; } )*
            };
        }
        set!(
            unknown_kid,
            bad_signature,
            alg_none,
            wrong_iss,
            wrong_aud,
            extra_aud,
            expired,
            iat_future,
            wrong_nonce,
            missing_nonce,
            missing_sub,
            wrong_acr,
            missing_acr,
            wrong_msn,
            userinfo_sub_mismatch,
            token_500,
            token_malformed_json,
            jwks_unavailable
        );
        Ok(())
    }
}
