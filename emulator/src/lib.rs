//! A local stand-in for the Vipps MobilePay Login API, for development and tests.
//! Not for production: it signs with a committed test key and breaks things on request.
//! See the crate's README for the behaviour.

mod authorize;
mod ciba;
mod client_auth;
mod clock;
pub mod config;
mod conn;
mod consent;
mod control;
mod dates;
mod deliver;
mod discovery;
mod es256;
mod faults;
mod html;
mod http;
mod id_token;
mod keys;
mod landing;
mod log;
mod params;
mod partner;
mod random;
mod router;
mod scopes;
mod state;
mod sub;
mod token;
mod userinfo;
mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::Config;

/// A running emulator; `shutdown` stops it.
pub struct Running {
    /// The bound address (with the real port when 0 was asked for).
    pub addr: SocketAddr,
    /// Base URL the issuer and endpoints are built from, without a trailing slash.
    pub base_url: String,
    /// `{base_url}/access-management-1.0/access/`.
    pub issuer: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl Running {
    /// Stops accepting, lets requests in flight finish (up to 5 s), then returns.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let mut task = self.task;
        if tokio::time::timeout(Duration::from_secs(5), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}

/// Binds `bind`, serves in a tokio task and returns once listening. `public_url` is
/// the base URL for the issuer and endpoints; default `http://{actual addr}`.
pub async fn start(
    config: Config,
    bind: SocketAddr,
    public_url: Option<String>,
) -> std::io::Result<Running> {
    let invalid = |msg: String| std::io::Error::new(std::io::ErrorKind::InvalidInput, msg);
    let key = keys::SigningKey::test_key().map_err(invalid)?;
    // The CIBA redirect variant's ES256 key: fail here rather than at the first token.
    es256::EcKey::test_key().map_err(invalid)?;
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    let base_url = match public_url {
        Some(url) => normalize_public_url(&url).map_err(invalid)?,
        None => format!("http://{addr}"),
    };

    let app = Arc::new(state::App::new(config, base_url.clone(), key));
    let issuer = app.issuer.clone();
    let router = router::router(app);

    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<conn::ResetHandle>();
        let server =
            axum::serve(conn::Listener(listener), service).with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
        if let Err(e) = server.await {
            log::line_out(&format!("vipps-login-emulator: server error: {e}"));
        }
    });

    Ok(Running {
        addr,
        base_url,
        issuer,
        stop,
        task,
    })
}

/// `http(s)://host[:port][/path]`, without a trailing slash, query or fragment.
pub fn normalize_public_url(url: &str) -> Result<String, String> {
    let trimmed = url.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"));
    match rest {
        Some(rest)
            if !rest.is_empty()
                && !rest.starts_with('/')
                && !rest.contains(['?', '#', ' '])
                && !rest.chars().any(char::is_control) =>
        {
            Ok(trimmed.to_string())
        }
        _ => Err(format!(
            "public URL {url:?} must look like http://host[:port][/path] (no query or fragment)"
        )),
    }
}
