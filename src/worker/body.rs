//! Bodies read with their limit enforced before the work, not after: a declared
//! `Content-Length` over the limit (however many digits it has) is refused unread, and a
//! body without one (chunked) is read only until it passes the limit. The same reader
//! bounds what the provider and the shop's hook answer.

use futures_util::StreamExt;
use worker::ByteStream;

/// What a `Content-Length` header says about a body and its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Declared {
    /// No header: read with the limit.
    Unknown,
    /// Within the limit.
    Within(usize),
    /// Over the limit: refuse unread.
    TooLarge,
    /// Not a number of bytes.
    Invalid,
}

/// Reads a `Content-Length` value (RFC 9110 8.6: one or more digits) against `limit`.
/// Digits that do not fit any integer are over every limit.
pub fn declared(value: Option<&str>, limit: usize) -> Declared {
    let Some(value) = value.map(str::trim) else {
        return Declared::Unknown;
    };
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Declared::Invalid;
    }
    match value.parse::<usize>() {
        Ok(n) if n <= limit => Declared::Within(n),
        _ => Declared::TooLarge,
    }
}

/// The whole stream, or `None` as soon as more than `limit` bytes have come: the rest
/// is never read.
pub async fn read_limited(mut stream: ByteStream, limit: usize) -> worker::Result<Option<Vec<u8>>> {
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > limit {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_lengths() {
        assert_eq!(declared(None, 10), Declared::Unknown);
        assert_eq!(declared(Some("10"), 10), Declared::Within(10));
        assert_eq!(declared(Some(" 0 "), 10), Declared::Within(0));
        for over in [
            "11",
            "4294967296",
            "18446744073709551616",
            "99999999999999999999999999",
        ] {
            assert_eq!(declared(Some(over), 10), Declared::TooLarge, "{over}");
        }
        for bad in ["", "-1", "1e3", "0x10", "10, 10", "+5"] {
            assert_eq!(declared(Some(bad), 10), Declared::Invalid, "{bad}");
        }
    }
}
