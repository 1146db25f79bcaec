//! Webhooks API registrations (`[[webhooks]]` in the config, or `POST /_emulator/webhooks`
//! at run time): where the CIBA ping (`login.merchant-initiated.ping.v1`) is delivered.

use serde::Deserialize;

use crate::config::Config;

/// The one event the emulator sends (Vipps' Webhooks API event name).
pub const PING_EVENT: &str = "login.merchant-initiated.ping.v1";
/// Longest webhook URL and secret accepted.
const MAX_URL_CHARS: usize = 2000;
const MAX_SECRET_CHARS: usize = 1000;

/// One registration, as the Webhooks API keeps it for a sales unit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// The sales unit whose events go here.
    pub client_id: String,
    /// `http://host[:port]/path[?query]` (the emulator's client speaks plain HTTP only).
    pub url: String,
    /// The HMAC key of the signature (`Authorization: HMAC-SHA256 ...`).
    pub secret: String,
    pub events: Vec<String>,
}

impl Webhook {
    pub fn wants_ping(&self, client_id: &str) -> bool {
        self.client_id == client_id && self.events.iter().any(|e| e == PING_EVENT)
    }

    /// Why this registration cannot be used, if so.
    pub fn check(&self, config: &Config) -> Result<(), String> {
        if config.sales_unit_by_client_id(&self.client_id).is_none() {
            return Err(format!(
                "client_id: {:?} is not a sales unit of the emulator's configuration",
                self.client_id
            ));
        }
        check_url(&self.url)?;
        if self.secret.is_empty() || self.secret.chars().count() > MAX_SECRET_CHARS {
            return Err(format!(
                "secret: must be 1 to {MAX_SECRET_CHARS} characters"
            ));
        }
        if self.events.is_empty() {
            return Err(format!("events: at least one is needed ({PING_EVENT:?})"));
        }
        if let Some(other) = self.events.iter().find(|e| *e != PING_EVENT) {
            return Err(format!(
                "events: {other:?} is not an event the emulator sends (only {PING_EVENT:?})"
            ));
        }
        Ok(())
    }
}

fn check_url(url: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("url: {url:?} {why}"));
    if url.chars().count() > MAX_URL_CHARS {
        return bad(&format!("is over {MAX_URL_CHARS} characters"));
    }
    match reqwest::Url::parse(url) {
        Err(e) => bad(&format!("is not an absolute URL ({e})")),
        Ok(u) if u.scheme() != "http" => {
            bad("must be http:// (the emulator delivers over plain HTTP, to a local receiver)")
        }
        Ok(u) if u.host_str().is_none_or(str::is_empty) => bad("has no host"),
        Ok(u) if u.fragment().is_some() || !u.username().is_empty() || u.password().is_some() => {
            bad("must have no fragment and no user:password")
        }
        Ok(_) => Ok(()),
    }
}

/// The `[[webhooks]]` of a configuration (called by `Config` validation).
pub fn validate(config: &Config) -> Result<(), String> {
    for (i, hook) in config.webhooks.iter().enumerate() {
        hook.check(config)
            .map_err(|e| format!("webhooks[{i}].{e}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_plain_http() {
        assert!(check_url("http://127.0.0.1:8787/webhooks/vipps?x=1").is_ok());
        for bad in [
            "https://example.com/x",
            "ftp://x/",
            "/relative",
            "http://u:p@127.0.0.1/",
            "http://127.0.0.1/#f",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
