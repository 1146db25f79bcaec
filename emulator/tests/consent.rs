//! `POST /_emulator/consent-revoked`: Vipps' webhook, `text/plain` unsigned JWT.
mod common;

use base64ct::{Base64UrlUnpadded, Encoding};
use common::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A one-request HTTP server on loopback: answers `status`, hands back what it got.
async fn receiver(status: u16) -> (String, tokio::task::JoinHandle<String>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/consent", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut got = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = socket.read(&mut chunk).await.unwrap();
            got.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&got).to_string();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("Content-Length: "))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if body.len() >= length {
                    break;
                }
            }
            if n == 0 {
                break;
            }
        }
        let answer =
            format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        socket.write_all(answer.as_bytes()).await.unwrap();
        String::from_utf8_lossy(&got).to_string()
    });
    (url, task)
}

#[tokio::test]
async fn the_webhook_is_text_plain_alg_none_with_the_pairwise_sub() {
    let emu = Emu::shipped().await;
    let (url, task) = receiver(204).await;
    let resp = emu
        .post_json(
            "/_emulator/consent-revoked",
            json!({ "client_id": "demo-client", "user": "ola", "url": url }),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let answer: Value = resp.json().await.unwrap();
    assert_eq!(answer["status"], 204);
    let request = task.await.unwrap();
    assert!(
        request.starts_with("POST /hooks/consent HTTP/1.1\r\n"),
        "{request}"
    );
    // Header names are case-insensitive (RFC 9110 5.1).
    assert!(
        request
            .to_ascii_lowercase()
            .contains("content-type: text/plain\r\n"),
        "{request}"
    );
    let jwt = answer["jwt"].as_str().unwrap();
    assert!(request.ends_with(jwt), "{request}");
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[2], "", "no signature");
    let payload: Value =
        serde_json::from_slice(&Base64UrlUnpadded::decode_vec(parts[1]).unwrap()).unwrap();
    assert_eq!(payload["event"], "CONSENT_REVOKED");
    // The same pairwise sub the unit's id_tokens carry.
    let (_, tokens) = emu.full_login("ola", "demo-client", "openid").await;
    assert_eq!(payload["sub"], tokens.jwt().claims["sub"]);
    assert!(payload["nbf"].as_i64().unwrap() <= payload["exp"].as_i64().unwrap());

    let resp = emu
        .post_json(
            "/_emulator/consent-revoked",
            json!({ "client_id": "demo-client", "user": "ola" }),
        )
        .await;
    assert_eq!(resp.status(), 400, "no url and no consent_revoked_url");
}
