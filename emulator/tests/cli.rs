//! The binary (README: Run it): start line, request log lines, flags, config errors.
mod common;

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use common::*;
use reqwest::StatusCode;

const BIN: &str = env!("CARGO_BIN_EXE_vipps-login-emulator");
/// A guard against hangs only; nothing here asserts on timing.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// The workspace root: where `cargo run -p vipps-login-emulator` runs from.
fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn tmp_file(name: &str, contents: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}-{}-{name}", std::process::id(), rand_str()));
    std::fs::write(&path, contents).unwrap();
    path
}

struct Proc {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Proc {
    fn spawn(args: &[&str]) -> Proc {
        let mut child = Command::new(BIN)
            .args(args)
            .current_dir(workspace_root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn the emulator binary");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Proc {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    fn next_line(&mut self) -> String {
        let line = self
            .lines
            .recv_timeout(HANG_GUARD)
            .unwrap_or_else(|e| panic!("no stdout line ({e}); seen so far: {:#?}", self.seen));
        self.seen.push(line.clone());
        line
    }

    /// Read lines until one satisfies `pred`.
    fn wait_for(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        if let Some(l) = self.seen.iter().find(|l| pred(l)) {
            return l.clone();
        }
        loop {
            let line = self
                .lines
                .recv_timeout(HANG_GUARD)
                .unwrap_or_else(|e| panic!("no line {what} ({e}); seen: {:#?}", self.seen));
            self.seen.push(line.clone());
            if pred(&line) {
                return line;
            }
        }
    }

    /// The start line: `vipps-login-emulator listening on http://ADDR issuer=ISSUER`.
    fn start_line(&mut self) -> (SocketAddr, String) {
        let line = self.next_line();
        let rest = line
            .strip_prefix("vipps-login-emulator listening on http://")
            .unwrap_or_else(|| panic!("start line format: {line:?}"));
        let (addr, issuer) = rest
            .split_once(" issuer=")
            .unwrap_or_else(|| panic!("start line has issuer=: {line:?}"));
        let addr: SocketAddr = addr
            .parse()
            .unwrap_or_else(|e| panic!("address in {line:?}: {e}"));
        assert!(!issuer.contains(' '), "{line:?}");
        (addr, issuer.to_string())
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Is `line` the log line `METHOD path status duration_ms`?
fn is_log_line(line: &str, method: &str, path: &str, status: u16) -> bool {
    let parts: Vec<&str> = line.split_whitespace().collect();
    parts.len() == 4
        && parts[0] == method
        && parts[1] == path
        && parts[2] == status.to_string()
        && parts[3]
            .trim_end_matches("ms")
            .parse::<f64>()
            .is_ok_and(|d| d >= 0.0)
}

#[tokio::test]
async fn start_line_binds_loopback_and_requests_are_logged() {
    let mut proc = Proc::spawn(&["--port", "0"]);
    let (addr, issuer) = proc.start_line();
    assert_eq!(
        addr.ip().to_string(),
        "127.0.0.1",
        "binds 127.0.0.1 by default"
    );
    assert_ne!(addr.port(), 0, "the chosen port is printed");
    assert_eq!(
        issuer,
        format!("http://{addr}/access-management-1.0/access/")
    );

    let http = http_client();
    let resp = http
        .get(format!("http://{addr}/_emulator/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let health: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(health["issuer"], issuer.as_str());
    proc.wait_for("GET /_emulator/health 200 <ms>", |l| {
        is_log_line(l, "GET", "/_emulator/health", 200)
    });
}

#[tokio::test]
async fn logs_never_carry_query_strings_codes_tokens_or_secrets() {
    let mut proc = Proc::spawn(&["--port", "0"]);
    let (addr, issuer) = proc.start_line();
    let emu = Emu::attach(addr, issuer, shipped_toml_text());

    let resp = emu.get("/_emulator/health?probe=query-marker-123").await;
    assert_eq!(resp.status(), StatusCode::OK);
    proc.wait_for("health log line", |l| {
        is_log_line(l, "GET", "/_emulator/health", 200)
    });

    let (login, tokens) = emu.full_login("ola", "demo-client", "openid name").await;
    emu.userinfo_ok(&tokens.access_token).await;
    proc.wait_for("authorize log line", |l| {
        is_log_line(l, "GET", AUTH_PATH, 302)
    });
    proc.wait_for("token log line", |l| {
        is_log_line(l, "POST", TOKEN_PATH, 200)
    });
    proc.wait_for("userinfo log line", |l| {
        is_log_line(l, "GET", USERINFO_PATH, 200)
    });

    let demo = emu.unit("demo-client");
    let secrets = [
        "query-marker-123",
        "_emulator_user",
        login.code.as_str(),
        login.state.as_str(),
        login.nonce.as_deref().unwrap(),
        tokens.access_token.as_str(),
        tokens.id_token.as_str(),
        demo.client_secret.as_str(),
    ];
    for line in &proc.seen {
        for s in secrets {
            assert!(!line.contains(s), "log line {line:?} leaks {s:?}");
        }
        assert!(!line.contains('?'), "no query string in {line:?}");
    }
}

#[tokio::test]
async fn public_url_sets_the_issuer_while_printing_the_bound_address() {
    let public = "http://emu.test:9999";
    let mut proc = Proc::spawn(&["--port", "0", "--host", "127.0.0.1", "--public-url", public]);
    let (addr, issuer) = proc.start_line();
    assert_eq!(addr.ip().to_string(), "127.0.0.1");
    assert_ne!(addr.port(), 0);
    assert_eq!(issuer, format!("{public}/access-management-1.0/access/"));
    let d: serde_json::Value = http_client()
        .get(format!("http://{addr}{DISCOVERY_PATH}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(d["issuer"], issuer.as_str());
    assert_eq!(
        d["token_endpoint"],
        format!("{public}{TOKEN_PATH}").as_str()
    );
}

#[tokio::test]
async fn config_flag_loads_the_given_file() {
    let path = tmp_file("good.toml", TEST_TOML);
    let mut proc = Proc::spawn(&["--port", "0", "--config", path.to_str().unwrap()]);
    let (addr, issuer) = proc.start_line();
    let emu = Emu::attach(addr, issuer, TEST_TOML.to_string());
    let users = emu.get_json("/_emulator/users").await;
    assert!(users.to_string().contains("tester"), "{users}");
    let (_, tokens) = emu
        .full_login("tester", "weird:client id%", "openid nin")
        .await;
    assert_eq!(
        emu.userinfo_ok(&tokens.access_token).await["nin"],
        "31017012345"
    );
    let _ = std::fs::remove_file(path);
}

/// Run the binary to its exit; (exit code, stdout + stderr).
fn run_to_exit(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(BIN)
        .args(args)
        .current_dir(workspace_root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > HANG_GUARD {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the emulator did not exit with {args:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = format!("{}{}", out.join().unwrap(), err.join().unwrap());
    (status.code(), text)
}

#[test]
fn bad_token_auth_method_exits_2_naming_the_field() {
    let shipped = shipped_toml_text();
    let needle = "token_auth_method = \"client_secret_basic\"";
    assert!(shipped.contains(needle), "shipped config has {needle}");
    let bad = shipped.replacen(needle, "token_auth_method = \"private_key_jwt\"", 1);
    let path = tmp_file("bad-method.toml", &bad);
    let (code, text) = run_to_exit(&["--port", "0", "--config", path.to_str().unwrap()]);
    let _ = std::fs::remove_file(&path);
    assert_eq!(code, Some(2), "exit code 2; output {text}");
    assert!(
        text.contains("token_auth_method"),
        "names the field: {text}"
    );
    assert!(!text.contains("panicked"), "no panic: {text}");
    assert!(!text.contains("listening on"), "did not start: {text}");
}

#[test]
fn missing_config_file_fails_without_panicking() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join(format!("does-not-exist-{}.toml", rand_str()));
    let (code, text) = run_to_exit(&["--port", "0", "--config", path.to_str().unwrap()]);
    assert!(
        code.is_some_and(|c| c != 0),
        "non-zero exit: {code:?} {text}"
    );
    assert!(!text.contains("panicked"), "no panic: {text}");
}
