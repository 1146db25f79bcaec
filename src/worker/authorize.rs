//! Starting a login: `GET /login` (Worker-driven) and `POST /api/login` (front-end
//! driven). Both run the core's [`Begin`] machine with the per-login options the
//! settings allow, store the transaction under its state, and bind it to this browser
//! with the binding cookie ([`crate::binding`], RFC 9700 4.7.1).

use super::config::{Config, APP_FLOWS};
use super::limit::{self, Verdict};
use super::respond::{
    config_invalid, error_answer, error_answer_with_status, json_response, login_failed, redirect,
    status_of, Answer,
};
use super::transactions::{now_secs, TransactionStore};
use super::upstream;
use crate::begin::{Begin, BeginSettings, PerLogin, Started};
use crate::binding::BrowserBinding;
use crate::error::{Error, ErrorCode, Result};
use crate::options as names;
use crate::return_to::safe_return_to;
use crate::transaction::FrontEndLogin;
use serde_json::json;
use worker::{Env, Request, Response};

/// The browser's binding cookie, or a fresh value for a browser without one. Reused, so
/// that two tabs of one browser may log in at once.
pub fn browser_binding(req: &Request, config: &Config) -> worker::Result<(BrowserBinding, bool)> {
    let cookies = req.headers().get("cookie")?.unwrap_or_default();
    match BrowserBinding::from_cookie_header(&cookies, config.cookie_scope()) {
        Some(binding) => Ok((binding, true)),
        None => {
            let fresh = BrowserBinding::random()
                .map_err(|e| worker::Error::RustError(e.message().to_string()))?;
            Ok((fresh, false))
        }
    }
}

/// Adds the binding's `Set-Cookie` (again, to renew its lifetime).
pub fn set_binding(
    response: &mut Response,
    binding: &BrowserBinding,
    config: &Config,
) -> worker::Result<()> {
    response
        .headers_mut()
        .append("set-cookie", &binding.set_cookie(config.cookie_scope()))
}

/// The per-login options in `GET /login`'s query (camelCase, as `POST /api/login`).
pub fn per_login_from_query(query: &str) -> Result<PerLogin> {
    let mut options = PerLogin::default();
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        let slot = match name.as_ref() {
            names::RETURN_TO => &mut options.return_to,
            names::MARKET => &mut options.market,
            names::REQUESTED_FLOW => &mut options.requested_flow,
            names::ACR_VALUES => &mut options.acr_values,
            names::SCOPE => &mut options.scope,
            names::FINAL_REDIRECT_IS_APP => {
                options.final_redirect_is_app = Some(match value.as_ref() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(Error::new(
                            ErrorCode::InvalidOptions,
                            "finalRedirectIsApp must be true or false",
                        ))
                    }
                });
                continue;
            }
            // Other parameters (a shop's tracking, say) are not ours.
            _ => continue,
        };
        // The first value counts, as for returnTo before.
        if slot.is_none() {
            *slot = Some(value.into_owned());
        }
    }
    Ok(options)
}

/// Runs the core's [`Begin`] for this configuration and redirect URI, with a state the
/// Worker mints (and so can authenticate at the callback without storage).
async fn begin(
    env: &Env,
    config: &Config,
    redirect_uri: &str,
    request: PerLogin,
    front_end: Option<&FrontEndLogin>,
    binding: &BrowserBinding,
) -> Result<Started> {
    let settings = BeginSettings {
        issuer: &config.issuer,
        client_id: &config.client_id,
        msn: config.msn.as_deref(),
        redirect_uri,
        scopes: &config.scopes,
        allow_non_vipps_scopes: config.allow_non_vipps_scopes,
        policy: &config.policy,
    };
    let binding_sha256 = binding.sha256();
    let state = config.state_key.mint()?;
    upstream::run(env, &config.issuer, config.http_timeout_ms, |cache| {
        Begin::start(
            settings,
            request,
            state,
            front_end,
            binding_sha256,
            cache,
            now_secs(),
        )
    })
    .await
}

/// `GET /login?returnTo=/path[&market&requestedFlow&finalRedirectIsApp&acrValues&scope]`:
/// a fresh transaction (state, nonce and PKCE from the core), stored under its state,
/// the binding cookie, and a 302 to the authorization endpoint. A failure sends the
/// customer back to the shop with `login_error` ([`login_failed`]).
pub async fn login(req: &Request, env: &Env, config: &Config) -> worker::Result<Answer> {
    let url = req.inner().url();
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    let query = query.split('#').next().unwrap_or(query);
    let request = match per_login_from_query(query) {
        Ok(request) => request,
        Err(e) => return login_failed(&e, config, None),
    };
    // Where a failure sends the customer: the shop's page the login was for.
    let return_to = safe_return_to(request.return_to.as_deref()).to_string();
    // Before anything is fetched or stored (limit.rs).
    match limit::login_start(req, env, config).await? {
        Verdict::Allowed => {}
        Verdict::Refused(e) => return login_failed(&e, config, Some(&return_to)),
        Verdict::Unconfigured(e) => return Answer::failed(config_invalid(&e)?, "config_invalid"),
    }
    if let Some(flow) = request
        .requested_flow
        .as_deref()
        .filter(|f| APP_FLOWS.contains(f))
    {
        // The app flows come back to an app, never to this route's /callback.
        let e = Error::new(
            ErrorCode::OptionNotAllowed,
            format!("requestedFlow \"{flow}\" is for an iOS or Android app: start it with POST /api/login"),
        );
        return login_failed(&e, config, Some(&return_to));
    }
    let (binding, _) = browser_binding(req, config)?;
    let redirect_uri = &config.redirect_uri;
    let started = match begin(env, config, redirect_uri, request, None, &binding).await {
        Ok(started) => started,
        Err(e) => return login_failed(&e, config, Some(&return_to)),
    };
    let store = TransactionStore::from_env(env, &config.state_key)?;
    // A fresh random state cannot collide; if it ever does, refuse rather than
    // overwrite someone's login.
    if let Err(e) = store.put(&started.transaction).await {
        return login_failed(&e, config, Some(&return_to));
    }
    let mut response = redirect(&started.url)?;
    set_binding(&mut response, &binding, config)?;
    Answer::ok(response)
}

/// `POST /api/login` (the front-end-driven flow): the page made the nonce and the PKCE
/// verifier with the npm package and registers them here, with the per-login options;
/// the answer is the authorization URL to navigate to and the state the Worker made for
/// it (`{url, state}`: keep it to check the callback with `parseCallback`), and the
/// binding cookie.
///
/// Why this is safe: the verifier travels only from the page to its own Worker (same
/// origin or an `ALLOWED_ORIGINS` origin, over TLS) and is then kept server-side; it
/// never goes to Vipps' authorize endpoint (only its S256 challenge does) and never
/// comes back to a browser. The nonce must carry at least 128 bits
/// ([`FrontEndLogin::validate`]) and the state is the Worker's own, minted fresh and
/// registered once, so a page cannot hijack or replay another login's transaction. And
/// the Worker builds the URL itself from its own client_id, redirect URI, issuer and
/// allowed options: the browser contributes random values, a same-origin return path
/// and options a setting allows, so it cannot send the code anywhere else or ask for
/// other data.
pub async fn api_login(
    req: &Request,
    body: &str,
    env: &Env,
    config: &Config,
) -> worker::Result<Answer> {
    // Before anything is parsed, fetched or stored (limit.rs).
    match limit::login_start(req, env, config).await? {
        Verdict::Allowed => {}
        Verdict::Refused(e) => {
            let mut answer = error_answer(&e, config)?;
            answer.response.headers_mut().set("retry-after", "60")?;
            return Ok(answer);
        }
        Verdict::Unconfigured(e) => return Answer::failed(config_invalid(&e)?, "config_invalid"),
    }
    let front_end: FrontEndLogin = match serde_json::from_str(body) {
        Ok(v) => v,
        Err(_) => {
            let e = Error::new(
                ErrorCode::InvalidOptions,
                "the body must be JSON {nonce, codeVerifier, returnTo?, market?, requestedFlow?, finalRedirectIsApp?, acrValues?, scope?}",
            );
            return error_answer(&e, config);
        }
    };
    let (binding, _) = browser_binding(req, config)?;
    // The front-end flow comes back to its own page (VIPPS_APP_REDIRECT_URI) when one is
    // set; the transaction keeps that URI for the token request.
    let request = PerLogin::from_front_end(&front_end);
    // An app flow comes back to the app's universal link / app link
    // (VIPPS_MOBILE_REDIRECT_URI); the policy has refused it unless a setting allows it.
    let app_flow = request
        .requested_flow
        .as_deref()
        .is_some_and(|f| APP_FLOWS.contains(&f));
    let redirect_uri = match (&config.mobile_redirect_uri, app_flow) {
        (Some(uri), true) => uri.as_str(),
        _ => config.app_redirect_uri(),
    };
    let started = match begin(
        env,
        config,
        redirect_uri,
        request,
        Some(&front_end),
        &binding,
    )
    .await
    {
        Ok(started) => started,
        Err(e) => return error_answer(&e, config),
    };
    let store = TransactionStore::from_env(env, &config.state_key)?;
    if let Err(e) = store.put(&started.transaction).await {
        // Storage down is not a conflict.
        let status = match e.code() {
            ErrorCode::StorageUnavailable => status_of(e.code()),
            _ => 409,
        };
        return error_answer_with_status(&e, status, config);
    }
    let body = json!({ "url": started.url, "state": started.transaction.state });
    let mut response = json_response(200, &body)?;
    set_binding(&mut response, &binding, config)?;
    Answer::ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_login_options_from_the_query() {
        let o = per_login_from_query(
            "returnTo=%2Faccount%3Fx%3D1&returnTo=/2&market=DK&requestedFlow=automatic_return_from_vipps_app&finalRedirectIsApp=true&acrValues=urn%3Avipps%3Aacr%3Aapp_auth&scope=name+email&utm=x",
        )
        .unwrap();
        assert_eq!(o.return_to.as_deref(), Some("/account?x=1"));
        assert_eq!(o.market.as_deref(), Some("DK"));
        assert_eq!(
            o.requested_flow.as_deref(),
            Some("automatic_return_from_vipps_app")
        );
        assert_eq!(o.final_redirect_is_app, Some(true));
        assert_eq!(o.acr_values.as_deref(), Some("urn:vipps:acr:app_auth"));
        assert_eq!(o.scope.as_deref(), Some("name email"));
        assert_eq!(per_login_from_query("").unwrap(), PerLogin::default());
        assert_eq!(
            per_login_from_query("finalRedirectIsApp=yes")
                .unwrap_err()
                .code(),
            ErrorCode::InvalidOptions
        );
    }
}
