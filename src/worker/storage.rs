//! Calls from the Worker to its own Durable Objects ([`super::transactions`],
//! [`super::phone_logins`]), bounded: an object that throws, answers something
//! unreadable, or does not answer within [`TIMEOUT_MS`] (a stuck storage operation, an
//! overloaded object) is [`ErrorCode::StorageUnavailable`], never a request that hangs
//! until Cloudflare ends it.

use crate::error::{Error, ErrorCode};
use std::time::Duration;
use worker::{Headers, Stub};

/// How long one call to a Durable Object may take, its answer's body included. Their
/// work is one storage read and write: milliseconds.
pub const TIMEOUT_MS: u64 = 5_000;

/// `POST {url}` with a JSON `body` to `stub`: the status and the answer's text. `class`
/// and `op` name the call in the error (`LoginTransactions put`), worded only on failure.
pub async fn send(
    stub: &Stub,
    url: &str,
    body: &str,
    class: &str,
    op: &str,
) -> Result<(u16, String), Error> {
    let failed =
        |how: &str| Error::new(ErrorCode::StorageUnavailable, format!("{class} {op} {how}"));
    let call = async {
        let headers = Headers::new();
        headers.set("content-type", "application/json")?;
        let request = super::upstream::new_request(url, "POST", &headers, Some(body), false)?;
        let mut response = stub.fetch_with_request(request).await?;
        let status = response.status_code();
        Ok::<_, worker::Error>((status, response.text().await?))
    };
    let call = std::pin::pin!(call);
    let timer = std::pin::pin!(worker::Delay::from(Duration::from_millis(TIMEOUT_MS)));
    match futures_util::future::select(call, timer).await {
        futures_util::future::Either::Left((Ok(answer), _)) => Ok(answer),
        futures_util::future::Either::Left((Err(_), _)) => Err(failed("failed")),
        futures_util::future::Either::Right(_) => {
            Err(failed(&format!("did not answer within {TIMEOUT_MS} ms")))
        }
    }
}

/// An answer whose status or body is not what the object's protocol says.
pub fn unexpected(class: &str, op: &str, status: u16) -> Error {
    Error::new(
        ErrorCode::StorageUnavailable,
        format!("{class} {op} answered HTTP {status}"),
    )
}

/// The answer's JSON as `T`, or [`ErrorCode::StorageUnavailable`].
pub fn parse<T: for<'de> serde::Deserialize<'de>>(
    class: &str,
    op: &str,
    text: &str,
) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|_| {
        Error::new(
            ErrorCode::StorageUnavailable,
            format!("{class} {op} answered JSON that is not its protocol's"),
        )
    })
}

/// Marks a storage failure inside a `worker::Error`, for the routes whose store calls
/// answer the runtime's `Result` (phone logins): [`super::respond::internal_error`]
/// answers it `503 storage_unavailable` with the hint, not a bare 500.
const RUNTIME_MARK: &str = "storage_unavailable: ";

pub fn runtime_error(e: &Error) -> worker::Error {
    worker::Error::RustError(format!("{RUNTIME_MARK}{}", e.message()))
}

/// The storage failure's message inside a runtime error made by [`runtime_error`].
pub fn runtime_message(e: &worker::Error) -> Option<&str> {
    match e {
        worker::Error::RustError(message) => message.strip_prefix(RUNTIME_MARK),
        _ => None,
    }
}
