//! The CIBA ping (`login.merchant-initiated.ping.v1`): `POST {url}` with
//! `{"auth_req_id": ...}`, signed as Vipps' Webhooks API signs every delivery:
//! `x-ms-date`, `x-ms-content-sha256` (base64 SHA-256 of the body) and
//! `Authorization: HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=..`,
//! the signature being base64 HMAC-SHA256(secret, "POST\n{path and query}\n{date};{host};{hash}").

use std::time::{SystemTime, UNIX_EPOCH};

use base64ct::{Base64, Encoding};
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::dates::Date;
use crate::deliver;
use crate::state::Shared;
use crate::webhooks::Webhook;

/// One delivery's result: the receiver's HTTP status, or why there was none.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub url: String,
    /// `0` when no HTTP answer came (then `error` says why).
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Delivers the ping to every webhook of `client_id` registered for the event (the
/// configured ones first, then those registered at run time), at the same time, and
/// returns once all have answered or timed out.
pub async fn deliver(app: &Shared, client_id: &str, auth_req_id: &str) -> Vec<Delivery> {
    let hooks: Vec<Webhook> = {
        let store = app.store();
        app.config
            .webhooks
            .iter()
            .chain(store.ciba.webhooks.iter().map(|r| &r.hook))
            .filter(|h| h.wants_ping(client_id))
            .cloned()
            .collect()
    };
    if hooks.is_empty() {
        return Vec::new();
    }
    let bad_signature = app.faults().ping_bad_signature;
    let body = json!({ "auth_req_id": auth_req_id }).to_string();
    let mut tasks = tokio::task::JoinSet::new();
    for (i, hook) in hooks.into_iter().enumerate() {
        let body = body.clone();
        tasks.spawn(async move { (i, post(hook, body, bad_signature).await) });
    }
    let mut results: Vec<(usize, Delivery)> = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok(result) = joined {
            results.push(result);
        }
    }
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, d)| d).collect()
}

async fn post(hook: Webhook, body: String, bad_signature: bool) -> Delivery {
    let failed = |error: String| Delivery {
        url: hook.url.clone(),
        status: 0,
        error: Some(error),
    };
    let Some(url) = deliver::parse_http_url(&hook.url) else {
        return failed("the webhook URL is not an http:// URL".into());
    };
    let host = match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        (None, _) => return failed("the webhook URL has no host".into()),
    };
    let path_and_query = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    let date = http_date(SystemTime::now());
    let content_hash = Base64::encode_string(&Sha256::digest(body.as_bytes()));
    let mut secret = hook.secret.clone();
    if bad_signature {
        // The `ping_bad_signature` fault: signed with another key.
        secret.push_str("-not-the-secret");
    }
    let signature = sign(&secret, &path_and_query, &date, &host, &content_hash);
    let authorization = format!(
        "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature}"
    );
    // The signed host is set here, so that the header sent is the one signed.
    let headers = [
        ("host", host),
        ("x-ms-date", date),
        ("x-ms-content-sha256", content_hash),
        ("authorization", authorization),
    ];
    match deliver::post(&hook.url, "application/json", &headers, body.into_bytes()).await {
        Ok(status) => Delivery {
            url: hook.url.clone(),
            status,
            error: None,
        },
        Err(e) => failed(e),
    }
}

/// base64 HMAC-SHA256 of the Webhooks API's string to sign.
pub fn sign(secret: &str, path_and_query: &str, date: &str, host: &str, hash: &str) -> String {
    let to_sign = format!("POST\n{path_and_query}\n{date};{host};{hash}");
    // HMAC takes keys of any length; new_from_slice cannot fail for it.
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts every key length"),
    };
    mac.update(to_sign.as_bytes());
    Base64::encode_string(&mac.finalize().into_bytes())
}

/// RFC 7231 7.1.1.1 IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`. Real time, not the
/// emulator clock: the receiver checks freshness against its own clock.
pub fn http_date(time: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let date = Date::from_unix_secs(secs);
    let days = secs.div_euclid(86_400);
    let in_day = secs.rem_euclid(86_400);
    // 1970-01-01 was a Thursday.
    let weekday = DAYS[days.rem_euclid(7) as usize];
    let month = MONTHS[(date.month.clamp(1, 12) - 1) as usize];
    format!(
        "{weekday}, {:02} {month} {:04} {:02}:{:02}:{:02} GMT",
        date.day,
        date.year,
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates_are_imf_fixdate() {
        let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(UNIX_EPOCH), "Thu, 01 Jan 1970 00:00:00 GMT");
    }
}
