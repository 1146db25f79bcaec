//! The scope names Vipps knows, and how the landing page words them.

/// Every scope Vipps Login accepts (case sensitive). Written out here, not imported from
/// the vipps-login crate: the emulator stands in for Vipps, so it must not share the
/// library's mistakes.
pub const VIPPS_SCOPES: &[&str] = &[
    "openid",
    "name",
    "email",
    "phoneNumber",
    "address",
    "birthDate",
    "nin",
    "gender",
    "delegatedConsents",
    "customFlow",
    "paymentSourceReferences",
];

pub fn is_vipps_scope(scope: &str) -> bool {
    VIPPS_SCOPES.contains(&scope)
}

/// What the landing page shows for a scope.
pub fn in_words(scope: &str) -> &'static str {
    match scope {
        "openid" => "Your Vipps identity (a user id for this shop)",
        "name" => "Name",
        "email" => "E-mail address",
        "phoneNumber" => "Phone number",
        "address" => "Addresses",
        "birthDate" => "Date of birth",
        "nin" => "National identity number",
        "gender" => "Gender",
        "delegatedConsents" => "Consents (marketing and more)",
        "customFlow" => "Custom flow",
        "paymentSourceReferences" => "Payment source references",
        _ => "Unknown data",
    }
}
