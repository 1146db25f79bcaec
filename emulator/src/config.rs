//! The emulator's configuration: settings, sales units and test users (TOML).

use serde::Deserialize;

use crate::dates::Date;
use crate::scopes::is_vipps_scope;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub settings: Settings,
    pub sales_units: Vec<SalesUnit>,
    /// Webhooks API registrations (`[[webhooks]]`): where the CIBA ping goes.
    #[serde(default)]
    pub webhooks: Vec<crate::webhooks::Webhook>,
    pub users: Vec<User>,
    /// Partners: their own keys get an access token at `POST /accesstoken/get`, good at
    /// the token endpoint for the sales units holding one of their `msns`.
    #[serde(default)]
    pub partners: Vec<Partner>,
}

/// A partner's keys (Vipps: "partner keys") and the merchants it acts for.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Partner {
    pub client_id: String,
    pub client_secret: String,
    pub subscription_key: String,
    /// Merchant serial numbers of the sales units it may log in for.
    pub msns: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Key of the pairwise `sub`: keep it to keep subs stable.
    pub sub_secret: String,
    #[serde(default = "default_code_ttl")]
    pub code_ttl_secs: u64,
    #[serde(default = "default_access_token_ttl")]
    pub access_token_ttl_secs: u64,
    /// CIBA `interval`: the least time between two polls of one request.
    #[serde(default = "default_ciba_interval")]
    pub ciba_interval_secs: u64,
    /// How long the CIBA redirect variant's `code` can be redeemed (30 s at Vipps).
    #[serde(default = "default_ciba_redirect_code_ttl")]
    pub ciba_redirect_code_ttl_secs: u64,
    #[serde(default = "default_id_token_ttl")]
    pub id_token_ttl_secs: u64,
    /// Lifetime of a partner access token (Vipps answers `expires_in: "86398"`).
    #[serde(default = "default_partner_token_ttl")]
    pub partner_token_ttl_secs: u64,
}

fn default_code_ttl() -> u64 {
    120
}
fn default_access_token_ttl() -> u64 {
    600
}
fn default_ciba_interval() -> u64 {
    5
}
fn default_ciba_redirect_code_ttl() -> u64 {
    30
}
fn default_id_token_ttl() -> u64 {
    3600
}
fn default_partner_token_ttl() -> u64 {
    86398
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            sub_secret: "vipps-login-emulator-default-sub-secret".to_string(),
            code_ttl_secs: default_code_ttl(),
            access_token_ttl_secs: default_access_token_ttl(),
            ciba_interval_secs: default_ciba_interval(),
            ciba_redirect_code_ttl_secs: default_ciba_redirect_code_ttl(),
            id_token_ttl_secs: default_id_token_ttl(),
            partner_token_ttl_secs: default_partner_token_ttl(),
        }
    }
}

/// How a sales unit authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenAuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
}

impl TokenAuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            TokenAuthMethod::ClientSecretBasic => "client_secret_basic",
            TokenAuthMethod::ClientSecretPost => "client_secret_post",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SalesUnit {
    /// Shown on the landing page.
    pub name: String,
    pub client_id: String,
    pub client_secret: String,
    /// `client_secret_basic` or `client_secret_post`.
    #[serde(default = "default_auth_method")]
    pub token_auth_method: String,
    pub redirect_uris: Vec<String>,
    pub scopes: Vec<String>,
    /// Partners send `msn` instead of `client_id` to authorize.
    #[serde(default)]
    pub msn: Option<String>,
    /// `app_callback_uri`s registered for `requested_flow=app_to_app`, compared byte
    /// for byte like redirect URIs.
    #[serde(default)]
    pub app_callback_uris: Vec<String>,
    /// Where `POST /_emulator/consent-revoked` delivers the webhook by default.
    #[serde(default)]
    pub consent_revoked_url: Option<String>,
}

fn default_auth_method() -> String {
    "client_secret_basic".to_string()
}

impl SalesUnit {
    /// The configured method; `Config` validation guarantees it is one of the two.
    pub fn auth_method(&self) -> TokenAuthMethod {
        if self.token_auth_method == "client_secret_post" {
            TokenAuthMethod::ClientSecretPost
        } else {
            TokenAuthMethod::ClientSecretBasic
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub id: String,
    pub name: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    /// Digits with country code, no `+`.
    pub phone_number: String,
    /// `YYYY-MM-DD`.
    pub birthdate: String,
    pub nin: String,
    #[serde(default)]
    pub address: Option<Address>,
    #[serde(default)]
    pub other_addresses: Vec<Address>,
}

impl User {
    /// The parsed birthdate; `Config` validation guarantees it parses.
    pub fn birth_date(&self) -> Option<Date> {
        Date::parse(&self.birthdate)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    pub street_address: String,
    pub postal_code: String,
    pub region: String,
    pub country: String,
    #[serde(default = "default_address_type")]
    pub address_type: String,
}

fn default_address_type() -> String {
    "home".to_string()
}

const SHIPPED_DEFAULT: &str = include_str!("../config/default.toml");

impl Config {
    /// Parses and validates a TOML configuration. The error is one line and names
    /// the bad field.
    pub fn from_toml_str(s: &str) -> Result<Config, String> {
        let config: Config = toml::from_str(s).map_err(|e| describe_toml_error(s, &e))?;
        config.validate()?;
        Ok(config)
    }

    /// The shipped `config/default.toml`.
    pub fn shipped_default() -> Config {
        match Config::from_toml_str(SHIPPED_DEFAULT) {
            Ok(config) => config,
            // The file is compiled in and covered by tests: this is a build defect.
            Err(e) => panic!("the shipped config/default.toml is invalid: {e}"),
        }
    }

    pub fn sales_unit_by_client_id(&self, client_id: &str) -> Option<&SalesUnit> {
        self.sales_units.iter().find(|u| u.client_id == client_id)
    }

    pub fn sales_unit_by_msn(&self, msn: &str) -> Option<&SalesUnit> {
        self.sales_units
            .iter()
            .find(|u| u.msn.as_deref() == Some(msn))
    }

    /// The partner whose keys these are (compared in constant time).
    pub fn partner_by_keys(
        &self,
        client_id: &str,
        client_secret: &str,
        subscription_key: &str,
    ) -> Option<&Partner> {
        use subtle::ConstantTimeEq;
        self.partners.iter().find(|p| {
            let same = p.client_id.as_bytes().ct_eq(client_id.as_bytes())
                & p.client_secret.as_bytes().ct_eq(client_secret.as_bytes())
                & p.subscription_key
                    .as_bytes()
                    .ct_eq(subscription_key.as_bytes());
            bool::from(same)
        })
    }

    pub fn user(&self, id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.id == id)
    }

    fn validate(&self) -> Result<(), String> {
        let s = &self.settings;
        if s.sub_secret.is_empty() {
            return Err("settings.sub_secret: must not be empty".into());
        }
        for (name, value) in [
            ("code_ttl_secs", s.code_ttl_secs),
            ("access_token_ttl_secs", s.access_token_ttl_secs),
            ("ciba_interval_secs", s.ciba_interval_secs),
            ("ciba_redirect_code_ttl_secs", s.ciba_redirect_code_ttl_secs),
            ("id_token_ttl_secs", s.id_token_ttl_secs),
            ("partner_token_ttl_secs", s.partner_token_ttl_secs),
        ] {
            if value == 0 {
                return Err(format!("settings.{name}: must be at least 1"));
            }
            if value > 10 * 365 * 24 * 3600 {
                return Err(format!("settings.{name}: {value} is more than ten years"));
            }
        }

        if self.sales_units.is_empty() {
            return Err("sales_units: at least one [[sales_units]] is needed".into());
        }
        for (i, unit) in self.sales_units.iter().enumerate() {
            let at = |field: &str| format!("sales_units[{i}].{field}");
            non_empty(&at("name"), &unit.name)?;
            non_empty(&at("client_id"), &unit.client_id)?;
            non_empty(&at("client_secret"), &unit.client_secret)?;
            if unit.token_auth_method != "client_secret_basic"
                && unit.token_auth_method != "client_secret_post"
            {
                return Err(format!(
                    "{}: must be \"client_secret_basic\" or \"client_secret_post\", not {:?}",
                    at("token_auth_method"),
                    unit.token_auth_method
                ));
            }
            if unit.redirect_uris.is_empty() {
                return Err(format!(
                    "{}: at least one URI is needed",
                    at("redirect_uris")
                ));
            }
            for uri in &unit.redirect_uris {
                if uri.is_empty() || uri.contains('#') || uri.chars().any(char::is_whitespace) {
                    return Err(format!(
                        "{}: {uri:?} is not a usable redirect URI (empty, whitespace or '#')",
                        at("redirect_uris")
                    ));
                }
            }
            for scope in &unit.scopes {
                if !is_vipps_scope(scope) {
                    return Err(format!(
                        "{}: {scope:?} is not a Vipps scope (openid name email phoneNumber address birthDate nin gender delegatedConsents customFlow paymentSourceReferences)",
                        at("scopes")
                    ));
                }
            }
            for uri in &unit.app_callback_uris {
                if uri.is_empty() || uri.contains('#') || uri.chars().any(char::is_whitespace) {
                    return Err(format!(
                        "{}: {uri:?} is not a usable app callback URI (empty, whitespace or '#')",
                        at("app_callback_uris")
                    ));
                }
            }
            if let Some(url) = &unit.consent_revoked_url {
                if crate::deliver::parse_http_url(url).is_none() {
                    return Err(format!(
                        "{}: {url:?} must be an http://host[:port]/path URL",
                        at("consent_revoked_url")
                    ));
                }
            }
            if let Some(msn) = &unit.msn {
                if msn.is_empty() || !msn.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(format!("{}: {msn:?} must be digits", at("msn")));
                }
            }
            for (j, other) in self.sales_units.iter().enumerate().take(i) {
                if other.client_id == unit.client_id {
                    return Err(format!(
                        "{}: {:?} is also the client_id of sales_units[{j}]",
                        at("client_id"),
                        unit.client_id
                    ));
                }
                if unit.msn.is_some() && other.msn == unit.msn {
                    return Err(format!(
                        "{}: {:?} is also the msn of sales_units[{j}]",
                        at("msn"),
                        unit.msn.as_deref().unwrap_or_default()
                    ));
                }
            }
        }

        for (i, partner) in self.partners.iter().enumerate() {
            let at = |field: &str| format!("partners[{i}].{field}");
            non_empty(&at("client_id"), &partner.client_id)?;
            non_empty(&at("client_secret"), &partner.client_secret)?;
            non_empty(&at("subscription_key"), &partner.subscription_key)?;
            for msn in &partner.msns {
                if self.sales_unit_by_msn(msn).is_none() {
                    return Err(format!("{}: no sales unit has msn {msn:?}", at("msns")));
                }
            }
        }

        if self.users.is_empty() {
            return Err("users: at least one [[users]] is needed".into());
        }
        for (i, user) in self.users.iter().enumerate() {
            let at = |field: &str| format!("users[{i}].{field}");
            non_empty(&at("id"), &user.id)?;
            non_empty(&at("name"), &user.name)?;
            if user.phone_number.is_empty()
                || !user.phone_number.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(format!(
                    "{}: {:?} must be digits only, with country code and no '+' (like 4712345678)",
                    at("phone_number"),
                    user.phone_number
                ));
            }
            if Date::parse(&user.birthdate).is_none() {
                return Err(format!(
                    "{}: {:?} is not a date as YYYY-MM-DD",
                    at("birthdate"),
                    user.birthdate
                ));
            }
            for (j, other) in self.users.iter().enumerate().take(i) {
                if other.id == user.id {
                    return Err(format!(
                        "{}: {:?} is also the id of users[{j}]",
                        at("id"),
                        user.id
                    ));
                }
            }
        }
        crate::webhooks::validate(self)
    }
}

fn non_empty(field: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        Err(format!("{field}: must not be empty"))
    } else {
        Ok(())
    }
}

/// One line: `line N: `the line`: message`.
fn describe_toml_error(source: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let start = span.start.min(source.len());
            let line_no = source[..start].matches('\n').count() + 1;
            let line = source.lines().nth(line_no - 1).unwrap_or("").trim();
            if line.is_empty() {
                format!("line {line_no}: {message}")
            } else {
                format!("line {line_no} (`{line}`): {message}")
            }
        }
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_default_is_valid() {
        let c = Config::shipped_default();
        assert!(c.sales_unit_by_client_id("demo-client").is_some());
        assert!(c.sales_unit_by_msn("123456").is_some());
        for id in ["ola", "kari", "emil", "lise", "sven"] {
            assert!(c.user(id).is_some(), "{id}");
        }
    }

    #[test]
    fn errors_name_the_field() {
        let base = SHIPPED_DEFAULT.replacen(
            "token_auth_method = \"client_secret_post\"",
            "token_auth_method = \"private_key_jwt\"",
            1,
        );
        let e = Config::from_toml_str(&base).unwrap_err();
        assert!(e.contains("token_auth_method"), "{e}");

        let e = Config::from_toml_str(&SHIPPED_DEFAULT.replacen(
            "code_ttl_secs = 120",
            "code_ttl_secs = \"x\"",
            1,
        ))
        .unwrap_err();
        assert!(e.contains("code_ttl_secs") && !e.contains('\n'), "{e}");

        let e = Config::from_toml_str(&SHIPPED_DEFAULT.replacen(
            "birthdate = \"1985-04-12\"",
            "birthdate = \"1985-13-12\"",
            1,
        ))
        .unwrap_err();
        assert!(e.contains("birthdate"), "{e}");

        let e = Config::from_toml_str(&SHIPPED_DEFAULT.replacen(
            "phone_number = \"4712345678\"",
            "phone_number = \"+4712345678\"",
            1,
        ))
        .unwrap_err();
        assert!(e.contains("phone_number"), "{e}");

        let e =
            Config::from_toml_str(&SHIPPED_DEFAULT.replacen("id = \"kari\"", "id = \"ola\"", 1))
                .unwrap_err();
        assert!(e.contains("users[1].id"), "{e}");

        let e = Config::from_toml_str("[settings]\nsub_secret = \"x\"\nbogus = 1\n").unwrap_err();
        assert!(e.contains("bogus"), "{e}");
    }
}
