//! The login transaction: what the server keeps between the authorization request and
//! the callback, keyed by `state`, single use, expiring within 15 minutes.
//!
//! Vipps may return the user in another browser than the one that started
//! (`automatic_return_from_vipps_app`), so the transaction lives server-side and `state`
//! is the key, not a cookie. A duplicate callback (reload, double click, prefetch) must
//! not redeem the code twice: the first callback moves the transaction to `Redeeming`,
//! and once done to `Completed`, which answers repeats with the same result for a short
//! while. These are the pure transitions; the Worker's Durable Object stores the value
//! and applies them one request at a time, which is what makes them atomic.

use crate::error::{Error, ErrorCode, Result};
use crate::random::PkceCodeVerifier;
use crate::return_to::safe_return_to;
use serde::{Deserialize, Serialize};

/// A pending login lives at most this long (Vipps' codes live "a couple of minutes";
/// the user may take longer in the app).
pub const TRANSACTION_TTL_SECS: u64 = 15 * 60;
/// How long a completed login answers duplicate callbacks with the same result.
pub const DUPLICATE_WINDOW_SECS: u64 = 120;
/// How long a redemption may take before another callback may retry it.
pub const REDEEM_TIMEOUT_SECS: u64 = 30;
/// Front-end-made state and nonce must carry at least 128 bits: 22 base64url characters.
pub const MIN_FRONT_END_RANDOM_LEN: usize = 22;

/// What is stored for a started login. `Debug` hides the nonce and the verifier.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginTransaction {
    pub state: String,
    pub nonce: String,
    /// The PKCE verifier: a secret until the token request.
    pub code_verifier: Option<String>,
    /// The redirect URI sent to authorize: the token request must repeat it exactly.
    pub redirect_uri: String,
    /// Where to send the user afterwards: a same-origin path.
    pub return_to: String,
    pub created_at: u64,
    pub expires_at: u64,
}

impl std::fmt::Debug for LoginTransaction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginTransaction")
            .field("state", &self.state)
            .field("nonce", &"[redacted]")
            .field(
                "code_verifier",
                &self.code_verifier.as_ref().map(|_| "[redacted]"),
            )
            .field("redirect_uri", &self.redirect_uri)
            .field("return_to", &self.return_to)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

impl LoginTransaction {
    pub fn new(
        state: String,
        nonce: String,
        code_verifier: Option<String>,
        redirect_uri: String,
        return_to: Option<&str>,
        now: u64,
    ) -> Self {
        LoginTransaction {
            state,
            nonce,
            code_verifier,
            redirect_uri,
            return_to: safe_return_to(return_to).to_string(),
            created_at: now,
            expires_at: now + TRANSACTION_TTL_SECS,
        }
    }

    /// The verifier, checked again on the way out of storage.
    pub fn pkce_verifier(&self) -> Result<Option<PkceCodeVerifier>> {
        self.code_verifier
            .as_deref()
            .map(PkceCodeVerifier::new)
            .transpose()
    }
}

/// What the front-end sends to register its own login (`POST /api/login`): the values
/// it made with the npm package. The Worker adds client_id, redirect URI and scopes from
/// its configuration, so the browser cannot change where the login goes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FrontEndLogin {
    pub state: String,
    pub nonce: String,
    pub code_verifier: String,
    #[serde(default)]
    pub return_to: Option<String>,
}

impl FrontEndLogin {
    /// Refuses values too weak to bind a login: state and nonce need 128 bits
    /// (`randomState()` / `randomNonce()` give 256), the verifier RFC 7636's shape.
    pub fn validate(&self) -> Result<()> {
        for (name, value) in [("state", &self.state), ("nonce", &self.nonce)] {
            let ok = value.len() >= MIN_FRONT_END_RANDOM_LEN
                && value.len() <= crate::authorize::MAX_STATE_LEN
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'));
            if !ok {
                return Err(Error::new(
                    ErrorCode::InvalidOptions,
                    format!("{name} must be {MIN_FRONT_END_RANDOM_LEN} to 256 URL-safe characters"),
                )
                .with_hint(format!(
                    "Use random{}() from the vipps-login package.",
                    if name == "state" { "State" } else { "Nonce" }
                )));
            }
        }
        PkceCodeVerifier::new(&self.code_verifier).map(|_| ())
    }
}

/// A finished login, kept to answer duplicate callbacks alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompletedLogin {
    /// The sealed session cookie value.
    pub session: String,
    /// The user as the front-end sees it (`{ user }`).
    pub user: serde_json::Value,
    pub return_to: String,
}

/// What the Durable Object stores under a state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Stored {
    Pending(LoginTransaction),
    /// A callback is exchanging the code now.
    Redeeming {
        transaction: LoginTransaction,
        until: u64,
    },
    /// Done: repeats get the same result until `until`.
    Completed {
        result: CompletedLogin,
        until: u64,
    },
}

/// What a callback may do with the stored value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// Go ahead and redeem the code; store `Stored::Redeeming` meanwhile.
    Redeem(LoginTransaction),
    /// Another callback is redeeming it: wait briefly and ask again.
    InProgress,
    /// A duplicate of a finished login: answer with the same result.
    Completed(CompletedLogin),
}

/// The transition a callback makes. `None` (nothing stored) and everything expired is
/// `transaction_not_found`; the caller deletes expired values.
pub fn claim(stored: Option<Stored>, now: u64) -> Result<(Claim, Option<Stored>)> {
    let not_found = || {
        Error::new(
            ErrorCode::TransactionNotFound,
            "no login is waiting for this state",
        )
    };
    match stored {
        Some(Stored::Pending(t)) if now < t.expires_at => {
            let next = Stored::Redeeming {
                transaction: t.clone(),
                until: now + REDEEM_TIMEOUT_SECS,
            };
            Ok((Claim::Redeem(t), Some(next)))
        }
        Some(Stored::Redeeming { transaction, until }) if now < until => Ok((
            Claim::InProgress,
            Some(Stored::Redeeming { transaction, until }),
        )),
        // A redemption that never finished (the isolate died): the code is most likely
        // spent, so the login cannot be completed any more.
        Some(Stored::Redeeming { .. }) => Err(not_found()),
        Some(Stored::Completed { result, until }) if now < until => Ok((
            Claim::Completed(result.clone()),
            Some(Stored::Completed { result, until }),
        )),
        _ => Err(not_found()),
    }
}

/// After a successful redemption.
pub fn complete(result: CompletedLogin, now: u64) -> Stored {
    Stored::Completed {
        result,
        until: now + DUPLICATE_WINDOW_SECS,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txn(now: u64) -> LoginTransaction {
        LoginTransaction::new(
            "s".repeat(43),
            "n".repeat(43),
            Some("v".repeat(43)),
            "https://shop.example/callback".into(),
            Some("//evil.example"),
            now,
        )
    }

    fn done() -> CompletedLogin {
        CompletedLogin {
            session: "sealed".into(),
            user: serde_json::json!({"sub":"x"}),
            return_to: "/".into(),
        }
    }

    #[test]
    fn debug_hides_nonce_and_verifier() {
        let dbg = format!("{:?}", txn(0));
        assert!(
            !dbg.contains(&"n".repeat(43)) && !dbg.contains(&"v".repeat(43)),
            "{dbg}"
        );
    }

    #[test]
    fn return_to_is_made_safe_on_the_way_in() {
        assert_eq!(txn(0).return_to, "/");
        assert_eq!(txn(0).expires_at, TRANSACTION_TTL_SECS);
    }

    #[test]
    fn single_use_then_duplicates_get_the_same_result() {
        let (c, next) = claim(Some(Stored::Pending(txn(100))), 101).unwrap();
        assert!(matches!(c, Claim::Redeem(_)));
        // A second callback while the first redeems: in progress, nothing redeemed twice.
        let (c, next) = claim(next, 102).unwrap();
        assert_eq!(c, Claim::InProgress);
        assert!(matches!(next, Some(Stored::Redeeming { .. })));
        // Done: repeats within the window get the same result.
        let stored = complete(done(), 103);
        let (c, _) = claim(Some(stored.clone()), 103 + DUPLICATE_WINDOW_SECS - 1).unwrap();
        assert_eq!(c, Claim::Completed(done()));
        assert_eq!(
            claim(Some(stored), 103 + DUPLICATE_WINDOW_SECS)
                .unwrap_err()
                .code(),
            ErrorCode::TransactionNotFound
        );
    }

    #[test]
    fn expired_unknown_and_abandoned_transactions_are_not_found() {
        assert_eq!(
            claim(None, 0).unwrap_err().code(),
            ErrorCode::TransactionNotFound
        );
        assert_eq!(
            claim(Some(Stored::Pending(txn(0))), TRANSACTION_TTL_SECS)
                .unwrap_err()
                .code(),
            ErrorCode::TransactionNotFound
        );
        let abandoned = Stored::Redeeming {
            transaction: txn(0),
            until: 30,
        };
        assert_eq!(
            claim(Some(abandoned), 30).unwrap_err().code(),
            ErrorCode::TransactionNotFound
        );
    }

    #[test]
    fn stored_values_round_trip_as_json() {
        for s in [Stored::Pending(txn(1)), complete(done(), 5)] {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(serde_json::from_str::<Stored>(&json).unwrap(), s);
        }
    }

    #[test]
    fn front_end_values_need_128_bits() {
        let good = FrontEndLogin {
            state: "s".repeat(43),
            nonce: "n".repeat(43),
            code_verifier: "v".repeat(43),
            return_to: None,
        };
        assert!(good.validate().is_ok());
        let weak = FrontEndLogin {
            state: "12345678".into(),
            ..good.clone()
        };
        assert_eq!(
            weak.validate().unwrap_err().code(),
            ErrorCode::InvalidOptions
        );
        let odd = FrontEndLogin {
            nonce: format!("{}\"<", "n".repeat(30)),
            ..good.clone()
        };
        assert!(odd.validate().is_err());
        let bad_verifier = FrontEndLogin {
            code_verifier: "short".into(),
            ..good
        };
        assert_eq!(
            bad_verifier.validate().unwrap_err().code(),
            ErrorCode::CodeVerifierInvalid
        );
        assert!(serde_json::from_str::<FrontEndLogin>(
            r#"{"state":"a","nonce":"b","codeVerifier":"c","clientId":"x"}"#
        )
        .is_err());
    }
}
