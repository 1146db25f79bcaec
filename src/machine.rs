//! The shape every multi-step protocol run in the core shares (rustls-style sans-IO):
//! a machine is fed what arrived (a response's bytes, a signature verdict) and answers
//! what to do next: send this request, verify this signature with this key, or done.
//! The adapter only performs the I/O and the WebCrypto call; the sequence, and every
//! check in it, is the machine's. [`drive`] is that loop, written once for every
//! adapter (the Worker's `fetch`, the native tests' HTTP client).
//!
//! The machines: [`crate::begin::Begin`] (start a login), [`crate::completion::Completion`]
//! (finish it), [`crate::ciba::PhoneTokens`] (verify a login from phone number's tokens).

use crate::discovery::{process_discovery_response, ProviderMetadata};
use crate::error::{Error, ErrorCode, Result};
use crate::http::{HttpRequest, HttpResponse};
use crate::issuer::{Endpoints, Issuer};
use crate::jose::UnverifiedJwt;
use crate::jwks::{parse_jwks, Jwk, JwksCache, KeyLookup, JWKS_MAX_AGE_SECS};
use crate::token::Secret;
use crate::userinfo::userinfo_request;
use serde::{Deserialize, Serialize};
use std::future::Future;

/// No machine needs more steps than this (discovery, token, JWKS, signature, userinfo,
/// hand-off);
/// [`drive`] stops a run that would.
pub const MAX_STEPS: usize = 12;

/// What a request is for: names it in errors and tells the adapter what it may cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Discovery,
    Jwks,
    Token,
    Userinfo,
    /// The shop's login hook ([`crate::handoff`]): a service binding or a URL.
    HandOff,
}

impl Purpose {
    /// How messages name the endpoint ("the token endpoint did not answer ...").
    pub fn describe(self) -> &'static str {
        match self {
            Purpose::Discovery => "the discovery document",
            Purpose::Jwks => "the JWKS",
            Purpose::Token => "the token endpoint",
            Purpose::Userinfo => "userinfo",
            Purpose::HandOff => "the login hook",
        }
    }
}

/// A request the adapter must send, answering with [`Machine::receive`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outbound {
    pub request: HttpRequest,
    pub purpose: Purpose,
}

/// A signature the adapter must check (RSASSA-PKCS1-v1_5 with SHA-256 for `RS256`),
/// answering with [`Machine::verified`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureCheck {
    pub alg: &'static str,
    pub key: Jwk,
    pub signing_input: String,
    pub signature: Vec<u8>,
}

/// What to do next.
#[derive(Debug)]
pub enum Step<T> {
    Send(Outbound),
    Verify(SignatureCheck),
    Done(T),
}

/// A protocol run fed by an adapter.
pub trait Machine {
    type Output;
    /// The response to the last [`Step::Send`].
    fn receive(&mut self, response: HttpResponse, now: u64) -> Result<Step<Self::Output>>;
    /// The verdict on the last [`Step::Verify`].
    fn verified(&mut self, valid: bool, now: u64) -> Result<Step<Self::Output>>;
}

/// Runs a machine from its first step: `send` performs a request (its transport errors,
/// such as a time limit, end the run), `verify` a signature check, `now` reads the
/// clock. At most [`MAX_STEPS`] steps.
pub async fn drive<M, S, SF, V, VF>(
    machine: &mut M,
    first: Step<M::Output>,
    mut send: S,
    mut verify: V,
    now: impl Fn() -> u64,
) -> Result<M::Output>
where
    M: Machine,
    S: FnMut(Outbound) -> SF,
    SF: Future<Output = Result<HttpResponse>>,
    V: FnMut(SignatureCheck) -> VF,
    VF: Future<Output = bool>,
{
    let mut step = first;
    for _ in 0..MAX_STEPS {
        step = match step {
            Step::Done(output) => return Ok(output),
            Step::Send(outbound) => {
                let response = send(outbound).await?;
                machine.receive(response, now())?
            }
            Step::Verify(check) => {
                let valid = verify(check).await;
                machine.verified(valid, now())?
            }
        };
    }
    match step {
        Step::Done(output) => Ok(output),
        _ => Err(Error::new(
            ErrorCode::ProviderUnreachable,
            format!("the login did not finish within {MAX_STEPS} steps"),
        )),
    }
}

/// Where an id_token's key lookup leads ([`ProviderCache::key_step`]): the machine
/// records which, then hands it on as its [`Step`].
#[derive(Debug)]
pub(crate) enum KeyStep {
    Verify(SignatureCheck),
    /// Fetch the JWKS, answered with [`ProviderCache::receive_jwks`].
    Fetch(Outbound),
}

impl<T> From<KeyStep> for Step<T> {
    fn from(step: KeyStep) -> Self {
        match step {
            KeyStep::Verify(check) => Step::Verify(check),
            KeyStep::Fetch(outbound) => Step::Send(outbound),
        }
    }
}

/// OIDC Core 3.1.3.7 step 6: the adapter's verdict on the id_token's signature.
pub(crate) fn check_signature(valid: bool) -> Result<()> {
    if valid {
        return Ok(());
    }
    Err(Error::new(
        ErrorCode::IdTokenSignatureInvalid,
        "the id_token's signature does not verify with the provider's key",
    ))
}

/// The userinfo request, once the id_token is verified (Vipps: profile data is never
/// in the id_token).
pub(crate) fn userinfo_step(endpoints: &Endpoints, access_token: &Secret) -> Result<Outbound> {
    let endpoint = endpoints.userinfo_endpoint.as_deref().ok_or_else(|| {
        Error::new(
            ErrorCode::DiscoveryInvalid,
            "the provider has no userinfo endpoint",
        )
    })?;
    Ok(Outbound {
        request: userinfo_request(endpoint, access_token),
        purpose: Purpose::Userinfo,
    })
}

/// What may be reused between runs for one issuer: its discovery document and its JWKS
/// (with the refetch policy of [`JwksCache`]). The adapter keeps it (isolate memory, a
/// cache store) and hands it to each machine; the machine hands it back updated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderCache {
    pub discovery: Option<ProviderMetadata>,
    pub discovered_at: Option<u64>,
    pub jwks: JwksCache,
}

impl ProviderCache {
    /// The discovery document, while fresh (as long as a JWKS).
    pub fn fresh_discovery(&self, now: u64) -> Option<&ProviderMetadata> {
        let fresh = self
            .discovered_at
            .is_some_and(|at| now.saturating_sub(at) < JWKS_MAX_AGE_SECS);
        self.discovery.as_ref().filter(|_| fresh)
    }

    /// The request for the discovery document, when the issuer needs one and none is
    /// fresh; `None` when the endpoints are known (Vipps' layout, or cached).
    pub fn discovery_needed(&self, issuer: &Issuer, now: u64) -> Option<Outbound> {
        if issuer.vipps_base().is_some() || self.fresh_discovery(now).is_some() {
            return None;
        }
        Some(Outbound {
            request: HttpRequest {
                method: "GET",
                url: crate::discovery::discovery_request(issuer),
                headers: vec![("Accept", "application/json".to_string())],
                body: String::new(),
            },
            purpose: Purpose::Discovery,
        })
    }

    /// Reads a discovery response (OIDC Discovery 4.3: the issuer must match).
    pub fn receive_discovery(
        &mut self,
        response: &HttpResponse,
        issuer: &Issuer,
        now: u64,
    ) -> Result<()> {
        if response.status != 200 {
            return Err(Error::new(
                ErrorCode::ProviderUnreachable,
                format!("the discovery document answered HTTP {}", response.status),
            ));
        }
        let metadata = process_discovery_response(&response.body, issuer)?;
        self.discovery = Some(metadata);
        self.discovered_at = Some(now);
        Ok(())
    }

    /// The issuer's endpoints: Vipps' layout, else the (fresh) discovery document.
    pub fn endpoints(&self, issuer: &Issuer, now: u64) -> Result<Endpoints> {
        if let Some(endpoints) = Endpoints::vipps_layout(issuer) {
            return Ok(endpoints);
        }
        match self.fresh_discovery(now) {
            Some(metadata) => metadata.endpoints(issuer),
            None => Err(Error::new(
                ErrorCode::EndpointsUnknown,
                format!(
                    "issuer {issuer} is not laid out like Vipps' and has no discovery document"
                ),
            )),
        }
    }

    /// The id_token's key by `kid` among the JWKS's `alg` keys: verify the signature
    /// with it, fetch the JWKS from `jwks_uri` (when `may_fetch`: once per run), or give
    /// up (`name_alg`: the message names the algorithm).
    pub(crate) fn key_step(
        &mut self,
        jwt: &UnverifiedJwt,
        alg: &'static str,
        name_alg: bool,
        jwks_uri: &str,
        may_fetch: bool,
        now: u64,
    ) -> Result<KeyStep> {
        let kid = jwt.header.kid.as_deref();
        match self.jwks.lookup_for(alg, kid, now) {
            KeyLookup::Found(key) => Ok(KeyStep::Verify(SignatureCheck {
                alg,
                key: key.clone(),
                signing_input: jwt.signing_input.clone(),
                signature: jwt.signature.clone(),
            })),
            KeyLookup::Fetch if may_fetch => Ok(KeyStep::Fetch(Outbound {
                request: HttpRequest {
                    method: "GET",
                    url: jwks_uri.to_string(),
                    headers: vec![("Accept", "application/json".to_string())],
                    body: String::new(),
                },
                purpose: Purpose::Jwks,
            })),
            _ => Err(Error::new(
                ErrorCode::IdTokenKidUnknown,
                format!(
                    "no {}key in the provider's JWKS has kid {}",
                    if name_alg {
                        format!("{alg} ")
                    } else {
                        String::new()
                    },
                    kid.map(|k| format!("\"{k}\""))
                        .unwrap_or_else(|| "(none)".into())
                ),
            )),
        }
    }

    /// Reads the JWKS that [`ProviderCache::key_step`] fetched.
    pub(crate) fn receive_jwks(&mut self, response: &HttpResponse, now: u64) -> Result<()> {
        if response.status != 200 {
            return Err(Error::new(
                ErrorCode::JwksUnavailable,
                format!("the JWKS answered HTTP {}", response.status),
            ));
        }
        let keys = parse_jwks(&response.body)?;
        self.jwks.replace(keys, now);
        Ok(())
    }

    /// RFC 9207 2.3: whether this issuer's callbacks must carry `iss`.
    pub fn iss_required(&self, now: u64) -> bool {
        self.fresh_discovery(now)
            .and_then(|m| m.authorization_response_iss_parameter_supported)
            == Some(true)
    }
}
