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
    pub fractional_times: bool,
    pub userinfo_sub_mismatch: bool,
    pub token_500: bool,
    pub token_delay_ms: u64,
    pub token_malformed_json: bool,
    pub token_huge: bool,
    pub token_reset: bool,
    pub jwks_unavailable: bool,
    pub jwks_delay_ms: u64,
    pub userinfo_missing_sub: bool,
    pub userinfo_not_json: bool,
    pub userinfo_delay_ms: u64,
    pub userinfo_huge: bool,
    pub ciba_old_app: bool,
    pub ciba_rate_limited: bool,
    pub ciba_auth_req_id_snake: bool,
    pub ciba_wrong_auth_req_id: bool,
    pub ping_bad_signature: bool,
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
    fractional_times: Option<bool>,
    userinfo_sub_mismatch: Option<bool>,
    token_500: Option<bool>,
    token_delay_ms: Option<u64>,
    token_malformed_json: Option<bool>,
    token_huge: Option<bool>,
    token_reset: Option<bool>,
    jwks_unavailable: Option<bool>,
    jwks_delay_ms: Option<u64>,
    userinfo_missing_sub: Option<bool>,
    userinfo_not_json: Option<bool>,
    userinfo_delay_ms: Option<u64>,
    userinfo_huge: Option<bool>,
    ciba_old_app: Option<bool>,
    ciba_rate_limited: Option<bool>,
    ciba_auth_req_id_snake: Option<bool>,
    ciba_wrong_auth_req_id: Option<bool>,
    ping_bad_signature: Option<bool>,
}

/// The longest delay accepted for any `*_delay_ms` field (ten minutes).
pub const MAX_TOKEN_DELAY_MS: u64 = 600_000;

impl Faults {
    /// Applies `patch`; a delay over [`MAX_TOKEN_DELAY_MS`] rejects the whole patch
    /// (nothing changes).
    pub fn apply(&mut self, patch: FaultsPatch) -> Result<(), String> {
        for (name, ms) in [
            ("token_delay_ms", patch.token_delay_ms),
            ("userinfo_delay_ms", patch.userinfo_delay_ms),
            ("jwks_delay_ms", patch.jwks_delay_ms),
        ] {
            if let Some(ms) = ms.filter(|&ms| ms > MAX_TOKEN_DELAY_MS) {
                return Err(format!("{name}: {ms} is more than {MAX_TOKEN_DELAY_MS}"));
            }
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
            fractional_times,
            userinfo_sub_mismatch,
            token_500,
            token_delay_ms,
            token_malformed_json,
            token_huge,
            token_reset,
            jwks_unavailable,
            jwks_delay_ms,
            userinfo_missing_sub,
            userinfo_not_json,
            userinfo_delay_ms,
            userinfo_huge,
            ciba_old_app,
            ciba_rate_limited,
            ciba_auth_req_id_snake,
            ciba_wrong_auth_req_id,
            ping_bad_signature
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(json: &str) -> FaultsPatch {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn a_delay_over_the_maximum_rejects_the_whole_patch() {
        for name in ["token_delay_ms", "userinfo_delay_ms", "jwks_delay_ms"] {
            let mut faults = Faults::default();
            let over = MAX_TOKEN_DELAY_MS + 1;
            let err = faults
                .apply(patch(&format!(
                    r#"{{"token_huge": true, "{name}": {over}}}"#
                )))
                .expect_err(name);
            assert!(err.starts_with(name), "{err}");
            assert!(!faults.token_huge, "{name}: nothing applied");
            let max = MAX_TOKEN_DELAY_MS;
            faults
                .apply(patch(&format!(r#"{{"{name}": {max}}}"#)))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
