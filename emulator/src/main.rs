//! `vipps-login-emulator`: the command line around the library.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use vipps_login_emulator::{normalize_public_url, start, Config};

/// A local stand-in for the Vipps MobilePay Login API. Not for production.
#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// TCP port (0 picks a free one).
    #[arg(long, default_value_t = 7000)]
    port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Configuration file (sales units, test users, timings); default: the shipped one.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Base URL the issuer and endpoints are built from; default http://{host}:{port}.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
}

fn main() -> ExitCode {
    let args = Args::parse();

    let config = match &args.config {
        None => Config::shipped_default(),
        Some(path) => match std::fs::read_to_string(path) {
            Err(e) => {
                return fail(
                    2,
                    &format!("cannot read config file {}: {e}", path.display()),
                )
            }
            Ok(text) => match Config::from_toml_str(&text) {
                Ok(config) => config,
                Err(e) => return fail(2, &format!("config file {}: {e}", path.display())),
            },
        },
    };
    let public_url = match &args.public_url {
        None => None,
        Some(url) => match normalize_public_url(url) {
            Ok(url) => Some(url),
            Err(e) => return fail(2, &format!("--public-url: {e}")),
        },
    };
    let bind = match resolve(&args.host, args.port) {
        Ok(addr) => addr,
        Err(e) => return fail(2, &format!("--host: {e}")),
    };

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(1, &format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(serve(config, bind, public_url, &args.host))
}

async fn serve(
    config: Config,
    bind: SocketAddr,
    public_url: Option<String>,
    host: &str,
) -> ExitCode {
    // Default public URL: the host as given (a name stays a name), the real port.
    let public_url = match public_url {
        Some(url) => Some(url),
        None if bind.port() != 0 => Some(format!("http://{}", host_port(host, bind.port()))),
        None => None,
    };
    let running = match start(config, bind, public_url).await {
        Ok(running) => running,
        Err(e) => return fail(1, &format!("cannot listen on {bind}: {e}")),
    };
    // The address actually bound (the real port with --port 0); the issuer may be
    // built from --public-url instead.
    println!(
        "vipps-login-emulator listening on http://{} issuer={}",
        running.addr, running.issuer
    );

    shutdown_signal().await;
    running.shutdown().await;
    ExitCode::SUCCESS
}

fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

fn resolve(host: &str, port: u16) -> Result<SocketAddr, String> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, port));
    }
    (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host:?}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host:?} has no address"))
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

fn fail(code: u8, message: &str) -> ExitCode {
    eprintln!("vipps-login-emulator: error: {message}");
    ExitCode::from(code)
}
