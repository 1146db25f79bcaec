//! Helpers shared by the fuzz targets: a seed file holds its fields one a line, the
//! last field taking the rest (so seeds stay readable, made from real examples).

/// The first `n - 1` lines of `data` and the rest, padded with empty fields to `n`.
pub fn fields(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut f: Vec<&[u8]> = data.splitn(n, |b| *b == b'\n').collect();
    while f.len() < n {
        f.push(&[]);
    }
    f
}

/// Lossy UTF-8: every input reaches the parser (which takes `&str`).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// An HTTP status from a field (`200`, `429`, ...), else 200.
pub fn status(field: &[u8]) -> u16 {
    std::str::from_utf8(field)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(200)
}

/// A Unix time from a field, else a fixed 2023 instant.
pub fn time(field: &[u8]) -> u64 {
    std::str::from_utf8(field)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(1_680_165_512)
}
