//! One stdout line per request: `METHOD path status duration_ms` (never the query).

use std::io::Write;
use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

pub async fn log_request(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let line = format!(
        "{method} {path} {} {}",
        response.status().as_u16(),
        started.elapsed().as_millis()
    );
    line_out(&line);
    response
}

/// Writes a line to stdout, ignoring a closed pipe rather than panicking.
pub fn line_out(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
