//! Scopes. Vipps' names are its own and case sensitive (`phoneNumber`, `birthDate`);
//! there is no `profile` or `phone` scope. An unknown scope gives `invalid_scope` at
//! Vipps (older docs) or is silently dropped (newer docs): either way the merchant does
//! not get what they asked for, so unknown names are refused here, with a suggestion.

use crate::error::{Error, ErrorCode, Result};

/// Every scope Vipps documents (the one copy is the begin crate's).
pub use vipps_login_begin::rules::VIPPS_SCOPES;

/// [`VIPPS_SCOPES`] as one string for messages (a constant: `join` would add its own
/// copy of the join code to the wasm module; a test keeps the two equal).
const VIPPS_SCOPE_LIST: &str = "openid, name, email, phoneNumber, address, birthDate, nin, gender, delegatedConsents, customFlow, paymentSourceReferences";

/// Standard OIDC names people carry over from other providers, and the Vipps scopes
/// that give those claims.
const STANDARD_NAMES: &[(&str, &str)] = &[
    ("profile", "name (and birthDate, gender if you need them)"),
    ("phone", "phoneNumber"),
    ("phone_number", "phoneNumber"),
    ("birthdate", "birthDate"),
    ("birth_date", "birthDate"),
    ("national_id", "nin"),
    ("offline_access", "nothing: Vipps has no refresh tokens"),
];

/// An ordered, de-duplicated list of scopes that always starts with `openid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scopes(Vec<String>);

impl Scopes {
    /// Parses scope names (already split) and checks them against Vipps' names unless
    /// `allow_non_vipps` is set (for other OpenID providers). `openid` is added when
    /// missing: Vipps requires it, and no login works without it.
    pub fn new<S: AsRef<str>>(names: &[S], allow_non_vipps: bool) -> Result<Self> {
        let names: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
        Scopes::from_names(&names, allow_non_vipps)
    }

    // One non-generic body, so the wasm module holds one copy.
    fn from_names(names: &[&str], allow_non_vipps: bool) -> Result<Self> {
        let mut scopes = vec!["openid".to_string()];
        for &name in names {
            if name.is_empty() || !name.bytes().all(is_scope_token_byte) {
                return Err(Error::new(
                    ErrorCode::ScopeInvalid,
                    format!("\"{name}\" is not a valid scope name (RFC 6749 3.3)"),
                )
                .with_detail("scope", name));
            }
            if !allow_non_vipps && !VIPPS_SCOPES.contains(&name) {
                return Err(unknown_scope(name));
            }
            if !scopes.iter().any(|s| s == name) {
                scopes.push(name.to_string());
            }
        }
        Ok(Scopes(scopes))
    }

    /// Splits a space-separated scope string, tolerating repeated spaces.
    pub fn parse(scope: &str, allow_non_vipps: bool) -> Result<Self> {
        let names: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
        Scopes::from_names(&names, allow_non_vipps)
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    /// Space separated, as sent in the `scope` parameter.
    pub fn to_scope_string(&self) -> String {
        self.0.join(" ")
    }
}

/// RFC 6749 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
fn is_scope_token_byte(b: u8) -> bool {
    b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b)
}

fn unknown_scope(name: &str) -> Error {
    let suggestion = STANDARD_NAMES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, s)| s.to_string())
        .or_else(|| {
            VIPPS_SCOPES
                .iter()
                .map(|s| {
                    (
                        strsim::levenshtein(&s.to_ascii_lowercase(), &name.to_ascii_lowercase()),
                        s,
                    )
                })
                .filter(|(d, s)| *d <= 2.max(s.len() / 4))
                .min_by_key(|(d, _)| *d)
                .map(|(_, s)| s.to_string())
        });
    let mut e = Error::new(
        ErrorCode::ScopeUnknown,
        format!("\"{name}\" is not a Vipps scope"),
    )
    .with_detail("scope", name);
    if let Some(s) = suggestion {
        let hint = format!(
            "Did you mean {s}? Vipps scopes are case sensitive: {}.",
            VIPPS_SCOPE_LIST
        );
        e = e.with_hint(hint).with_detail("suggestion", s);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code_of(r: Result<Scopes>) -> ErrorCode {
        r.unwrap_err().code()
    }

    #[test]
    fn openid_added_first_and_duplicates_dropped() {
        let s = Scopes::parse("name  email name", false).unwrap();
        assert_eq!(s.to_scope_string(), "openid name email");
        let s = Scopes::new(&["email", "openid"], false).unwrap();
        assert_eq!(s.to_scope_string(), "openid email");
    }

    #[test]
    fn scope_list_for_messages_matches() {
        assert_eq!(VIPPS_SCOPE_LIST, VIPPS_SCOPES.join(", "));
    }

    #[test]
    fn every_vipps_scope_accepted() {
        let s = Scopes::new(VIPPS_SCOPES, false).unwrap();
        assert_eq!(s.as_slice().len(), VIPPS_SCOPES.len());
    }

    #[test]
    fn vipps_quirk_no_profile_scope_did_you_mean() {
        let e = Scopes::parse("openid profile", false).unwrap_err();
        assert_eq!(e.code(), ErrorCode::ScopeUnknown);
        assert!(e.hint().unwrap().starts_with("Did you mean name"));
    }

    #[test]
    fn vipps_quirk_no_phone_scope_did_you_mean_phone_number() {
        for name in ["phone", "phone_number"] {
            let e = Scopes::parse(name, false).unwrap_err();
            assert_eq!(e.detail("suggestion"), Some("phoneNumber"), "{name}");
        }
    }

    #[test]
    fn vipps_quirk_scopes_case_sensitive_birthdate() {
        let e = Scopes::parse("birthdate", false).unwrap_err();
        assert_eq!(e.code(), ErrorCode::ScopeUnknown);
        assert_eq!(e.detail("suggestion"), Some("birthDate"));
        let e = Scopes::parse("phonenumber", false).unwrap_err();
        assert_eq!(e.detail("suggestion"), Some("phoneNumber"));
        let e = Scopes::parse("emial", false).unwrap_err();
        assert_eq!(e.detail("suggestion"), Some("email"));
    }

    #[test]
    fn unrelated_unknown_scope_has_no_suggestion_but_keeps_default_hint() {
        let e = Scopes::parse("wallet", false).unwrap_err();
        assert_eq!(e.detail("suggestion"), None);
        assert!(e.hint().unwrap().contains("case sensitive"));
    }

    #[test]
    fn other_providers_may_use_standard_scopes() {
        let s = Scopes::parse("profile phone", true).unwrap();
        assert_eq!(s.to_scope_string(), "openid profile phone");
    }

    #[test]
    fn malformed_scope_tokens_refused() {
        assert_eq!(
            code_of(Scopes::new(&["na\"me"], true)),
            ErrorCode::ScopeInvalid
        );
        assert_eq!(code_of(Scopes::new(&[""], false)), ErrorCode::ScopeInvalid);
        assert_eq!(
            code_of(Scopes::new(&["a b"], false)),
            ErrorCode::ScopeInvalid
        );
    }
}
