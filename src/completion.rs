//! Completing a login: the callback, fed with the transaction it belongs to, becomes a
//! [`VerifiedLogin`], a type only this machine produces. Every step reads its
//! expectations from the transaction ([`LoginTransaction`]), so none can be lost
//! between layers:
//!
//! 1. The callback: RFC 9207 `iss` (required when the provider advertised it), `state`
//!    in constant time, Vipps' error mapping, the code.
//! 2. Discovery, for an issuer not laid out like Vipps' and not cached.
//! 3. The token request (RFC 6749 4.1.3) with the PKCE verifier and the exact redirect
//!    URI sent to authorize.
//! 4. The id_token: RS256 only, the key by `kid` (one JWKS refetch for an unknown `kid`,
//!    on a cooldown), the signature (the adapter's WebCrypto), then the claims of OIDC
//!    Core 3.1.3.7 with the transaction's nonce, `acr` and `msn`.
//! 5. Userinfo, whose `sub` must be the id_token's (OIDC Core 5.3.2).
//! 6. When the shop has a login hook ([`crate::handoff`]): the verified login goes to
//!    the shop, which adds session claims or refuses it, before any session is set.

use crate::callback::check_callback;
use crate::error::{Error, ErrorCode, Result};
use crate::handoff::{hand_off_request, process_hand_off_response, HandOffTarget};
use crate::http::HttpResponse;
use crate::id_token::{validate_id_token_claims, IdTokenClaims, IdTokenExpectations};
use crate::issuer::{Endpoints, Issuer};
use crate::jose::UnverifiedJwt;
use crate::machine::{
    check_signature, userinfo_step, KeyStep, Machine, Outbound, ProviderCache, Purpose, Step,
};
use crate::token::{
    process_token_response, token_request, ClientCredentials, Secret, SystemHeaders,
};
use crate::transaction::LoginTransaction;
use crate::userinfo::process_userinfo_response;
use serde_json::{Map, Value};

/// What the server holds for every login: its client authentication and clock rules.
#[derive(Debug, Clone)]
pub struct TokenClient<'a> {
    pub issuer: &'a Issuer,
    pub credentials: &'a ClientCredentials,
    pub system_headers: &'a SystemHeaders,
    pub leeway_secs: u64,
}

/// A login whose callback, code, id_token signature and claims, and userinfo have all
/// been checked against its transaction. Only [`Completion`] makes one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedLogin {
    claims: IdTokenClaims,
    userinfo: Map<String, Value>,
    scope: String,
    return_to: String,
    requested_flow: Option<String>,
    /// What the shop's login hook added for the session.
    session_claims: Map<String, Value>,
}

impl VerifiedLogin {
    /// The user, pairwise per sales unit (Vipps).
    pub fn sub(&self) -> &str {
        &self.claims.sub
    }

    pub fn claims(&self) -> &IdTokenClaims {
        &self.claims
    }

    /// Userinfo as the provider sent it (Vipps' shapes), its `sub` checked.
    pub fn userinfo(&self) -> &Map<String, Value> {
        &self.userinfo
    }

    /// The scopes granted: the token response's `scope`, else those requested.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// Where the user goes next: a same-origin path.
    pub fn return_to(&self) -> &str {
        &self.return_to
    }

    pub fn requested_flow(&self) -> Option<&str> {
        self.requested_flow.as_deref()
    }

    /// The claims the shop's login hook added for the session (none without a hook).
    pub fn session_claims(&self) -> &Map<String, Value> {
        &self.session_claims
    }

    /// How a confirmation page names the user: `name`, else given and family name,
    /// else email, else phone number.
    pub fn display_name(&self) -> String {
        let field = |name: &str| {
            self.userinfo
                .get(name)
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        if let Some(name) = field("name") {
            return name.to_string();
        }
        let parts: Vec<&str> = [field("given_name"), field("family_name")]
            .into_iter()
            .flatten()
            .collect();
        if !parts.is_empty() {
            return parts.join(" ");
        }
        field("email")
            .or_else(|| field("phone_number"))
            .unwrap_or("this Vipps MobilePay user")
            .to_string()
    }
}

enum Stage {
    Discovery,
    Token,
    Jwks {
        jwt: UnverifiedJwt,
        access_token: Secret,
        scope: Option<String>,
    },
    Signature {
        jwt: UnverifiedJwt,
        access_token: Secret,
        scope: Option<String>,
    },
    Userinfo {
        claims: IdTokenClaims,
        scope: Option<String>,
    },
    HandOff {
        login: Box<VerifiedLogin>,
    },
    Done,
}

/// The machine that completes a login (module documentation).
pub struct Completion<'a> {
    transaction: LoginTransaction,
    client: TokenClient<'a>,
    code: Secret,
    cache: ProviderCache,
    endpoints: Option<Endpoints>,
    jwks_fetched: bool,
    stage: Stage,
    /// The shop's login hook, and whether the login is still to be confirmed there.
    hand_off: Option<(&'a HandOffTarget, bool)>,
}

// Holds the code and the verifier: only where it stands is shown.
impl std::fmt::Debug for Completion<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let stage = match self.stage {
            Stage::Discovery => "discovery",
            Stage::Token => "token",
            Stage::Jwks { .. } => "jwks",
            Stage::Signature { .. } => "signature",
            Stage::Userinfo { .. } => "userinfo",
            Stage::HandOff { .. } => "hand-off",
            Stage::Done => "done",
        };
        f.debug_struct("Completion")
            .field("state", &self.transaction.state)
            .field("stage", &stage)
            .finish()
    }
}

fn unexpected() -> Error {
    Error::new(
        ErrorCode::InvalidOptions,
        "the completion was fed out of order",
    )
}

impl<'a> Completion<'a> {
    /// Step 1 (the callback), then the first request. `callback` is the callback's
    /// query or URL as the provider sent it.
    pub fn start(
        transaction: LoginTransaction,
        callback: &str,
        client: TokenClient<'a>,
        cache: ProviderCache,
        now: u64,
    ) -> Result<(Self, Step<VerifiedLogin>)> {
        let t = &transaction;
        let checked = check_callback(callback, &t.state, Some(&t.issuer), t.iss_required)?;
        // The login was started for this issuer and client: a changed configuration
        // must not complete it against another.
        if t.issuer.as_bytes() != client.issuer.as_str().as_bytes()
            || t.client_id != client.credentials.client_id
        {
            return Err(Error::new(
                ErrorCode::ConfigInvalid,
                "this login was started for another issuer or client than the one configured now",
            ));
        }
        let mut completion = Completion {
            transaction,
            client,
            code: Secret::new(checked.code),
            cache,
            endpoints: None,
            jwks_fetched: false,
            stage: Stage::Discovery,
            hand_off: None,
        };
        let step = match completion
            .cache
            .discovery_needed(completion.client.issuer, now)
        {
            Some(outbound) => Step::Send(outbound),
            None => completion.token_step(now)?,
        };
        Ok((completion, step))
    }

    /// Step 6: hand the verified login to the shop's hook before it is done.
    /// `pending_confirmation`: it came back to another browser, which still has to
    /// confirm it.
    pub fn hand_off_to(
        mut self,
        target: Option<&'a HandOffTarget>,
        pending_confirmation: bool,
    ) -> Self {
        self.hand_off = target.map(|t| (t, pending_confirmation));
        self
    }

    /// The discovery document and JWKS as this run left them, for the adapter to keep.
    pub fn cache(&self) -> &ProviderCache {
        &self.cache
    }

    /// The transaction being completed.
    pub fn transaction(&self) -> &LoginTransaction {
        &self.transaction
    }

    fn token_step(&mut self, now: u64) -> Result<Step<VerifiedLogin>> {
        let endpoints = self.cache.endpoints(self.client.issuer, now)?;
        let verifier = self.transaction.pkce_verifier()?;
        let request = token_request(
            &endpoints.token_endpoint,
            self.client.credentials,
            self.code.expose(),
            &self.transaction.redirect_uri,
            verifier.as_ref(),
            self.client.system_headers,
        )?;
        self.endpoints = Some(endpoints);
        self.stage = Stage::Token;
        Ok(Step::Send(Outbound {
            request,
            purpose: Purpose::Token,
        }))
    }

    /// Step 4's key lookup: verify, fetch the JWKS (once), or give up.
    fn key_step(
        &mut self,
        jwt: UnverifiedJwt,
        access_token: Secret,
        scope: Option<String>,
        now: u64,
    ) -> Result<Step<VerifiedLogin>> {
        let jwks_uri = &self.endpoints.as_ref().ok_or_else(unexpected)?.jwks_uri;
        let step = self
            .cache
            .key_step(&jwt, "RS256", false, jwks_uri, !self.jwks_fetched, now)?;
        self.stage = match step {
            KeyStep::Verify(_) => Stage::Signature {
                jwt,
                access_token,
                scope,
            },
            KeyStep::Fetch(_) => Stage::Jwks {
                jwt,
                access_token,
                scope,
            },
        };
        Ok(step.into())
    }

    fn endpoints(&self) -> Result<&Endpoints> {
        self.endpoints.as_ref().ok_or_else(unexpected)
    }
}

impl Machine for Completion<'_> {
    type Output = VerifiedLogin;

    fn receive(&mut self, response: HttpResponse, now: u64) -> Result<Step<VerifiedLogin>> {
        match std::mem::replace(&mut self.stage, Stage::Done) {
            Stage::Discovery => {
                self.cache
                    .receive_discovery(&response, self.client.issuer, now)?;
                self.token_step(now)
            }
            Stage::Token => {
                let tokens = process_token_response(&response)?;
                // RS256 only, before any key is looked at (OIDC Core 3.1.3.7 step 7).
                let jwt = UnverifiedJwt::parse(&tokens.id_token)?;
                self.key_step(jwt, tokens.access_token, tokens.scope, now)
            }
            Stage::Jwks {
                jwt,
                access_token,
                scope,
            } => {
                self.cache.receive_jwks(&response, now)?;
                self.jwks_fetched = true;
                self.key_step(jwt, access_token, scope, now)
            }
            Stage::Userinfo { claims, scope } => {
                let userinfo = process_userinfo_response(&response, &claims.sub)?;
                let t = &self.transaction;
                let login = VerifiedLogin {
                    claims,
                    userinfo,
                    scope: scope.unwrap_or_else(|| t.scope.clone()),
                    return_to: t.return_to.clone(),
                    requested_flow: t.requested_flow.clone(),
                    session_claims: Map::new(),
                };
                match self.hand_off {
                    None => Ok(Step::Done(login)),
                    Some((target, pending)) => {
                        let request = hand_off_request(target, &login, pending, now)?;
                        self.stage = Stage::HandOff {
                            login: Box::new(login),
                        };
                        Ok(Step::Send(Outbound {
                            request,
                            purpose: Purpose::HandOff,
                        }))
                    }
                }
            }
            Stage::HandOff { login } => {
                let session_claims = process_hand_off_response(&response)?;
                Ok(Step::Done(VerifiedLogin {
                    session_claims,
                    ..*login
                }))
            }
            Stage::Signature { .. } | Stage::Done => Err(unexpected()),
        }
    }

    fn verified(&mut self, valid: bool, now: u64) -> Result<Step<VerifiedLogin>> {
        let Stage::Signature {
            jwt,
            access_token,
            scope,
        } = std::mem::replace(&mut self.stage, Stage::Done)
        else {
            return Err(unexpected());
        };
        // OIDC Core 3.1.3.7 steps 6-8: the signature, by the key the kid names.
        check_signature(valid)?;
        let t = &self.transaction;
        let claims = validate_id_token_claims(
            &jwt,
            &IdTokenExpectations {
                issuer: &t.issuer,
                client_id: &t.client_id,
                nonce: &t.nonce,
                acr: t.acr_values.as_deref(),
                msn: t.msn.as_deref(),
                leeway_secs: self.client.leeway_secs,
            },
            now,
        )?;
        // Step 5: only now userinfo, with the access token.
        let outbound = userinfo_step(self.endpoints()?, &access_token)?;
        self.stage = Stage::Userinfo { claims, scope };
        Ok(Step::Send(outbound))
    }
}
