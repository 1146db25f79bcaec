//! One error type for every step: a stable machine code, a message for humans and,
//! where the Vipps Login FAQ has advice, a hint that says what to check.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident => $code:literal, $hint:expr; )*) => {
        /// A stable, snake_case machine code with the advice that goes with it (mostly
        /// from Vipps' Login FAQ). Never renamed once released: front-ends and logs match
        /// on them.
        ///
        /// A constant per code rather than an enum: an enum's `as_str` and hint tables
        /// hold every code's text wherever one code is used, so the browser build would
        /// carry the Worker's hints too. Constants bring along only what is referenced.
        /// They match in patterns like enum variants.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct ErrorCode(&'static CodeInfo);

        #[allow(non_upper_case_globals)]
        impl ErrorCode {
            $( $(#[$doc])* pub const $variant: ErrorCode = ErrorCode(&CodeInfo { code: $code, hint: $hint }); )*

            /// Every code, for documentation and for tests that keep the TypeScript
            /// declarations in step.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];
        }
    };
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct CodeInfo {
    code: &'static str,
    hint: Option<&'static str>,
}

impl ErrorCode {
    /// The stable string form, e.g. `state_too_short`.
    pub fn as_str(self) -> &'static str {
        self.0.code
    }

    /// The advice that goes with this code, if any.
    pub fn default_hint(self) -> Option<&'static str> {
        self.0.hint
    }
}

const HINT_REDIRECT_EXACT: &str = "The redirect_uri must be 100% identical to one registered for the sales unit on portal.vippsmobilepay.com: check trailing '/', percent-encoded characters such as %20, capitalization and the query string (Vipps FAQ: invalid_request / invalid_client).";

error_codes! {
    // Configuration: environment, issuer, discovery, client.
    /// The issuer is not an absolute https URL (or http on loopback).
    IssuerInvalid => "issuer_invalid", Some("Use environment \"test\" (https://apitest.vipps.no) or \"production\" (https://api.vipps.no), or an issuer URL like https://apitest.vipps.no/access-management-1.0/access/ (with the trailing slash).");
    /// A plain-http issuer that is not 127.0.0.1 or localhost.
    IssuerInsecure => "issuer_insecure", Some("Plain http is accepted only for 127.0.0.1 or localhost (the local emulator). Use https for every other issuer.");
    /// The discovery document names another issuer than the one expected (OIDC Discovery 4.3).
    DiscoveryIssuerMismatch => "discovery_issuer_mismatch", Some("The discovery document's issuer must equal the configured issuer byte for byte. Vipps' issuer ends in '/': https://api.vipps.no/access-management-1.0/access/");
    /// The discovery document is not valid JSON or lacks a required field.
    DiscoveryInvalid => "discovery_invalid", Some("Fetch the document from {issuer}/.well-known/openid-configuration (one trailing / stripped from the issuer) and pass it unchanged.");
    /// The issuer does not follow Vipps' layout and no discovery document was given.
    EndpointsUnknown => "endpoints_unknown", Some("For an issuer that is not laid out like Vipps' (/access-management-1.0/access/), pass its discovery document (/.well-known/openid-configuration).");
    /// Neither client_id nor msn was given, or both were.
    ClientIdMissing => "client_id_missing", Some("Pass the sales unit's client_id (portal.vippsmobilepay.com, Developer > API keys), or msn if you log in with partner keys; not both.");
    /// Options passed from JavaScript have the wrong shape.
    InvalidOptions => "invalid_options", Some("Check the arguments against the TypeScript declarations (vipps_login.d.ts).");
    /// The platform's random number generator failed.
    RandomUnavailable => "random_unavailable", Some("No cryptographically secure random source: in a browser this needs crypto.getRandomValues.");

    // The authorization request (refused before anything is sent).
    /// state shorter than Vipps' minimum of 8 characters.
    StateTooShort => "state_too_short", Some("Vipps requires state to be at least 8 characters. Use randomState() (256 bits) instead of your own value.");
    /// state longer than this library's cap.
    StateTooLong => "state_too_long", Some("Vipps has answered HTTP 502 when state or nonce is around 1000 characters. Keep state short: store the payload server-side and use its key as state (Vipps FAQ: HTTP 502).");
    /// nonce longer than this library's cap.
    NonceTooLong => "nonce_too_long", Some("Vipps has answered HTTP 502 when state or nonce is around 1000 characters. Use randomNonce() (Vipps FAQ: HTTP 502).");
    /// An empty nonce: Vipps puts "nonce": "" in id_tokens for requests without one.
    NonceEmpty => "nonce_empty", Some("Leave nonce out to get a random one, or use randomNonce(). An empty nonce would match id_tokens issued without one.");
    /// The authorization URL is longer than Vipps handles.
    AuthorizationUrlTooLong => "authorization_url_too_long", Some("Vipps has answered HTTP 502 when a URL in the login redirect chain is over about 2000 characters. Shorten state, nonce and the redirect URI (Vipps FAQ: HTTP 502).");
    /// A scope name Vipps does not know (names are case sensitive).
    ScopeUnknown => "scope_unknown", Some("Vipps scopes are case sensitive: openid, name, email, phoneNumber, address, birthDate, nin, gender, delegatedConsents, customFlow, paymentSourceReferences. There is no profile or phone scope (Vipps FAQ: invalid_scope).");
    /// An empty or malformed scope value.
    ScopeInvalid => "scope_invalid", Some("Scopes are names like openid, name, email separated by single spaces, or given as an array.");
    /// requested_flow=app_to_app_v2 without PKCE.
    PkceRequired => "pkce_required", Some("Vipps requires PKCE (code_challenge with S256) for requested_flow=app_to_app_v2. Leave pkce on.");
    /// A code_verifier that breaks RFC 7636 4.1.
    CodeVerifierInvalid => "code_verifier_invalid", Some("A PKCE code_verifier is 43 to 128 characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 4.1). Leave it out to get a random one.");
    /// requested_flow=app_to_app without app_callback_uri.
    AppCallbackUriMissing => "app_callback_uri_missing", Some("requested_flow=app_to_app needs app_callback_uri, the URI that switches the phone back to your app; it must be registered like a redirect URI. Prefer app_to_app_v2 for new apps.");
    /// app_callback_uri given for another flow than app_to_app.
    AppCallbackUriUnexpected => "app_callback_uri_unexpected", Some("app_callback_uri is only used with requested_flow=app_to_app.");
    /// requested_flow is not one Vipps knows.
    RequestedFlowUnknown => "requested_flow_unknown", Some("requested_flow is one of automatic_return_from_vipps_app, app_to_app, app_to_app_v2.");
    /// market is not NO, SE, DK or FI.
    MarketInvalid => "market_invalid", Some("market is one of NO, SE, DK, FI: it picks the Vipps or MobilePay look.");
    /// acr_values is empty or holds characters that cannot be sent.
    AcrValuesInvalid => "acr_values_invalid", Some("Vipps knows acr_values=urn:vipps:acr:app_auth (confirm in the app); the id_token's acr must then be checked.");

    // Redirect URIs.
    /// The redirect URI is empty.
    RedirectUriEmpty => "redirect_uri_empty", Some("Pass the redirect URI registered for the sales unit, like https://shop.example/vipps/callback.");
    /// Not a syntactically valid URI (RFC 3986).
    RedirectUriInvalid => "redirect_uri_invalid", Some("The redirect URI must be a valid absolute URI (RFC 3986): no spaces or other characters that need percent-encoding.");
    /// A relative URI.
    RedirectUriNotAbsolute => "redirect_uri_not_absolute", Some("Use an absolute URI with a scheme, like https://example.com/callback.");
    /// Contains '#'.
    RedirectUriHasFragment => "redirect_uri_has_fragment", Some("Vipps does not allow # in redirect URIs (Vipps FAQ: requirements for redirect URIs).");
    /// A custom scheme with nothing after it.
    RedirectUriCustomSchemeWithoutPath => "redirect_uri_custom_scheme_without_path", Some("A custom URL scheme needs a path: myapp://callback, not myapp:// (Vipps FAQ). Universal links / app links (https://...) are recommended instead.");
    /// http or https without a host.
    RedirectUriMissingHost => "redirect_uri_missing_host", Some("An http(s) redirect URI needs a host, like https://example.com/callback.");
    /// Plain http for another host than localhost.
    RedirectUriHttpNotLocalhost => "redirect_uri_http_not_localhost", Some("Plain http is only for localhost / 127.0.0.1 during development; use https.");
    /// A scheme that can run code or read files.
    RedirectUriSchemeForbidden => "redirect_uri_scheme_forbidden", Some("javascript:, data:, vbscript: and file: URIs can never be redirect URIs.");
    /// Not byte-for-byte equal to any registered URI.
    RedirectUriNotRegistered => "redirect_uri_not_registered", Some(HINT_REDIRECT_EXACT);
    /// Warning: percent-encoded characters, which commonly break exact matching.
    RedirectUriPercentEncoded => "redirect_uri_percent_encoded", Some("Vipps compares redirect URIs byte for byte: %20 and %2f are not the same as a space, %2F or /. Register the URI with exactly this encoding.");
    /// Warning: uppercase letters in the host.
    RedirectUriUppercaseHost => "redirect_uri_uppercase_host", Some("Vipps compares redirect URIs byte for byte, host case included: register the host in exactly this case (all lowercase is safest).");
    /// Warning: the path ends in '/'.
    RedirectUriTrailingSlash => "redirect_uri_trailing_slash", Some("Vipps compares redirect URIs byte for byte: .../callback/ and .../callback are different URIs. Register it with the trailing slash, or drop the slash here.");
    /// Warning: a custom scheme instead of a universal link / app link.
    RedirectUriCustomScheme => "redirect_uri_custom_scheme", Some("Vipps recommends universal links (Apple) / app links (Android), https://..., over custom URL schemes for better security.");

    // The callback.
    /// Neither code nor error in the callback, or it could not be read.
    CallbackInvalid => "callback_invalid", Some("Pass the full callback URL (location.href) or its query string, as Vipps sent it.");
    /// A parameter appears more than once (RFC 6749 3.1).
    CallbackParameterRepeated => "callback_parameter_repeated", Some("A callback carries each parameter once (RFC 6749 3.1). Pass the callback URL exactly as Vipps sent it; a repeated parameter may mean it was tampered with.");
    /// No state in the callback.
    CallbackMissingState => "callback_missing_state", Some("The callback has no state. Start the login again from your site.");
    /// No code in a successful callback.
    CallbackMissingCode => "callback_missing_code", Some("The callback has no code. Start the login again from your site.");
    /// state differs from the one this login started with.
    StateMismatch => "state_mismatch", Some("The callback's state is not the one this login started with: the login was started elsewhere, already completed, or forged. Start the login again.");
    /// RFC 9207: the callback's iss differs from the expected issuer.
    IssuerMismatch => "issuer_mismatch", Some("The callback came from another issuer than the one this login started with (RFC 9207 mix-up defence). Check the environment (test vs production).");
    /// RFC 9207: the provider says it sends `iss` with every callback, and this one has none.
    IssuerMissing => "issuer_missing", Some("The provider advertises authorization_response_iss_parameter_supported (RFC 9207), so every callback must carry iss. Pass the full callback URL as the provider sent it.");

    // Errors Vipps sends back to the redirect URI.
    /// The user cancelled or declined.
    VippsAccessDenied => "vipps_access_denied", Some("The user cancelled the login or did not consent. Nothing is wrong with the integration: offer to try again.");
    /// Vipps failed.
    VippsServerError => "vipps_server_error", Some("Vipps had an internal error. Try again in a little while.");
    /// The user must log in again.
    VippsLoginRequired => "vipps_login_required", Some("The user has to log in again: start a new login.");
    /// app_callback_uri is not a valid URI.
    VippsInvalidAppCallbackUri => "vipps_invalid_app_callback_uri", Some("The app_callback_uri is not valid: use a universal link / app link (https://...) or a custom scheme with a path.");
    /// app_callback_uri is not registered.
    VippsAppCallbackUriNotRegistered => "vipps_app_callback_uri_not_registered", Some("Register the app_callback_uri for the sales unit on portal.vippsmobilepay.com, exactly as it is sent.");
    /// The user's Vipps or MobilePay app is too old.
    VippsOutdatedAppVersion => "vipps_outdated_app_version", Some("The user must update the Vipps or MobilePay app, then try again.");
    /// The user confirmed a different challenge in the app than the browser showed.
    VippsWrongChallenge => "vipps_wrong_challenge", Some("The user picked the wrong confirmation in the app. Start the login again.");
    /// Vipps rejected the login without a reason.
    VippsUnknownRejectReason => "vipps_unknown_reject_reason", Some("Vipps rejected the login without saying why. Try again; if it persists, contact Vipps MobilePay with the time of the attempt.");
    /// invalid_request (RFC 6749 4.1.2.1).
    VippsInvalidRequest => "vipps_invalid_request", Some(HINT_REDIRECT_EXACT);
    /// invalid_scope.
    VippsInvalidScope => "vipps_invalid_scope", Some("The request asked for scopes the sales unit has no access to or that do not exist. Check the sales unit's Login setup on portal.vippsmobilepay.com (Vipps FAQ: invalid_scope).");
    /// unauthorized_client / invalid_client.
    VippsUnauthorizedClient => "vipps_unauthorized_client", Some("Login may not be activated for this sales unit, or the keys belong to the other environment (test vs production). See 'How to set up login on your sales unit' (Vipps FAQ: invalid_client).");
    /// unsupported_response_type.
    VippsUnsupportedResponseType => "vipps_unsupported_response_type", Some("Vipps supports only response_type=code.");
    /// temporarily_unavailable.
    VippsTemporarilyUnavailable => "vipps_temporarily_unavailable", Some("Vipps is temporarily unavailable. Try again in a little while.");
    /// An error Vipps has not documented.
    VippsUnrecognizedError => "vipps_unrecognized_error", Some("Vipps returned an error this library does not know. See error_description; try again.");

    // The token endpoint (server side).
    /// 401 invalid_client.
    TokenInvalidClient => "token_invalid_client", Some("Vipps FAQ (invalid_client): is Login activated for the sales unit with a redirect URI? Are client_id and client_secret from the right environment (test and production have separate keys)? Does VIPPS_TOKEN_AUTH_METHOD (client_secret_basic or client_secret_post) match the portal setting? Is the redirect_uri exactly the registered one (trailing /, %20)?");
    /// invalid_grant.
    TokenInvalidGrant => "token_invalid_grant", Some("Vipps FAQ (invalid_grant): the code is valid only a couple of minutes and only once; a repeated request gets this error. It is also bound to the redirect_uri sent to authorize. Start the login again.");
    /// invalid_request.
    TokenInvalidRequest => "token_invalid_request", Some("Vipps FAQ (invalid_request): the redirect_uri must be 100% identical to the registered one and to the one sent to authorize; check that every required parameter is sent.");
    /// Another OAuth error from the token endpoint.
    TokenRejected => "token_rejected", None;
    /// The token endpoint failed (5xx).
    TokenServerError => "token_server_error", Some("Vipps' token endpoint failed. Try again in a little while.");
    /// The token response is not what RFC 6749 5.1 describes.
    TokenResponseInvalid => "token_response_invalid", Some("The token endpoint did not answer with the JSON RFC 6749 5.1 describes. Check VIPPS_ISSUER points at the right provider.");
    /// A Vipps-System-* header value over Vipps' 30-character limit.
    SystemHeaderInvalid => "system_header_invalid", Some("Vipps-System-Name, -Version, -Plugin-Name and -Plugin-Version take at most 30 visible ASCII characters each.");
    /// A provider endpoint did not answer in time.
    ProviderTimeout => "provider_timeout", Some("Vipps did not answer in time. Try again; if it persists, check Vipps' status page.");
    /// A provider endpoint could not be reached.
    ProviderUnreachable => "provider_unreachable", Some("Vipps could not be reached. Check VIPPS_ISSUER / VIPPS_ENV and the network.");

    // The id_token (OIDC Core 3.1.3.7).
    /// Not a compact JWS with a JSON header and claims.
    IdTokenMalformed => "id_token_malformed", None;
    /// alg is not RS256 (never none or HS*).
    IdTokenAlgNotAllowed => "id_token_alg_not_allowed", Some("Vipps signs id_tokens with RS256; anything else (alg none, HS256) is refused.");
    /// No key in the JWKS for the token's kid, even after refetching.
    IdTokenKidUnknown => "id_token_kid_unknown", Some("The id_token names a signing key the provider's JWKS does not list. Check VIPPS_ISSUER / VIPPS_ENV: a token from the other environment has other keys.");
    /// The signature does not verify.
    IdTokenSignatureInvalid => "id_token_signature_invalid", None;
    /// iss differs from the issuer (byte for byte).
    IdTokenIssuerMismatch => "id_token_issuer_mismatch", Some("The id_token's iss must equal the issuer byte for byte; Vipps' ends in '/'. Check VIPPS_ENV / VIPPS_ISSUER.");
    /// aud does not contain the client_id.
    IdTokenAudienceMismatch => "id_token_audience_mismatch", Some("The id_token was issued to another client. Check VIPPS_CLIENT_ID.");
    /// Several audiences without azp, or azp not the client_id.
    IdTokenAzpMismatch => "id_token_azp_mismatch", None;
    /// exp has passed.
    IdTokenExpired => "id_token_expired", Some("The id_token has expired. Check the server clock; start the login again.");
    /// iat is in the future.
    IdTokenIssuedInFuture => "id_token_issued_in_future", Some("The id_token claims to be issued in the future. Check the server clock.");
    /// nonce differs from the one sent.
    IdTokenNonceMismatch => "id_token_nonce_mismatch", Some("The id_token's nonce is not the one this login sent: a replayed or mixed-up token. Start the login again.");
    /// No sub.
    IdTokenSubMissing => "id_token_sub_missing", None;
    /// acr differs from the requested acr_values.
    IdTokenAcrMismatch => "id_token_acr_mismatch", Some("acr_values=urn:vipps:acr:app_auth was requested but the id_token's acr does not confirm it.");
    /// The id_token's `msn` is not the partner's merchant serial number sent to authorize.
    IdTokenMsnMismatch => "id_token_msn_mismatch", Some("The id_token was issued for another merchant serial number than VIPPS_MSN (partners: check the msn of the sales unit).");
    /// The JWKS document is not valid.
    JwksInvalid => "jwks_invalid", None;
    /// The JWKS could not be fetched.
    JwksUnavailable => "jwks_unavailable", Some("The provider's signing keys could not be fetched. Try again in a little while.");

    // Userinfo.
    /// Userinfo answered an error status.
    UserinfoFailed => "userinfo_failed", Some("Vipps' access token lives about 10 minutes and the data about 10 minutes after consent (Vipps FAQ): call userinfo right after the token exchange.");
    /// Userinfo's body is not a JSON object with a sub.
    UserinfoInvalid => "userinfo_invalid", None;
    /// Userinfo's sub differs from the id_token's (OIDC Core 5.3.2).
    UserinfoSubMismatch => "userinfo_sub_mismatch", Some("Userinfo answered for another user than the id_token names (OIDC Core 5.3.2): the response is not trusted.");

    // The login transaction and the session.
    /// No transaction for this state: unknown, expired or already used.
    TransactionNotFound => "transaction_not_found", Some("This login is unknown, took longer than 15 minutes, or was already completed. Start the login again.");
    /// The callback arrived without the browser-binding cookie set when this login
    /// started (RFC 9700 4.7): another browser, or cookies blocked.
    BrowserBindingMissing => "browser_binding_missing", Some("Finish the login in the browser that started it: the login is bound to that browser by a cookie (RFC 9700 4.7), so a copied callback URL is refused. If this is that browser, allow cookies for this site and start again. For Vipps' automatic return to another browser, start the login with requestedFlow=automatic_return_from_vipps_app.");
    /// The callback's browser-binding cookie belongs to another login.
    BrowserBindingMismatch => "browser_binding_mismatch", Some("This browser did not start this login (its binding cookie is another one): start the login again here. A copied callback URL never completes a login in another browser.");
    /// A login finished in another browser was not confirmed here (or took too long).
    ConfirmationRequired => "confirmation_required", Some("The login came back to another browser than the one that started it (Vipps' automatic return): confirm it on the page that names the user, within 5 minutes, in the same browser.");
    /// A per-login option the Worker's settings do not allow.
    OptionNotAllowed => "option_not_allowed", Some("The Worker takes a per-login option only when a setting allows it: VIPPS_ALLOWED_MARKETS, VIPPS_ALLOWED_FLOWS, VIPPS_ALLOW_FINAL_REDIRECT_IS_APP, VIPPS_ALLOWED_ACR_VALUES; scope must be a subset of VIPPS_SCOPES. See the README's configuration table.");
    /// The shop's login hook refused this login; the message is the shop's reason.
    LoginRefused => "login_refused", None;
    /// The shop's login hook failed, answered nonsense or not in time: no session.
    LoginHookFailed => "login_hook_failed", Some("The login hook (LOGIN_HOOK service binding or LOGIN_HOOK_URL) must answer 200 {\"claims\":{...}} or 403 {\"reason\":...} within VIPPS_HTTP_TIMEOUT_MS. Check its logs; a URL hook must check the Vipps-Login-Signature header with LOGIN_HOOK_SECRET.");
    // Partner keys (the Access Token API).
    /// `POST /accesstoken/get` refused the partner keys (401/403).
    PartnerKeysInvalid => "partner_keys_invalid", Some("The Access Token API (POST /accesstoken/get) refused the partner keys: check VIPPS_PARTNER_CLIENT_ID, VIPPS_PARTNER_CLIENT_SECRET and VIPPS_PARTNER_SUBSCRIPTION_KEY (the partner's own keys and Ocp-Apim-Subscription-Key, not a sales unit's), and that they are for this environment: test and production keys differ.");
    /// The Access Token API failed or answered something that is not a token.
    PartnerTokenFailed => "partner_token_failed", Some("No partner access token came from POST /accesstoken/get (on the issuer's origin). Try again in a little while; check VIPPS_ENV / VIPPS_ISSUER.");

    // The consent-revoked webhook (unsigned: a hint, never proof).
    /// The body is over the limit.
    ConsentWebhookTooLarge => "consent_webhook_too_large", Some("Vipps' consent-revoked webhook is a short text/plain JWT; bodies over 4 KiB are refused unread.");
    /// Not an unsigned JWT (`alg: none`) with the payload's shape.
    ConsentWebhookMalformed => "consent_webhook_malformed", Some("The consent-revoked webhook is text/plain base64url({\"alg\":\"none\"}).base64url({sub, event, iat, nbf, exp}). with no signature; anything else is refused.");
    /// The payload's `event` is not `CONSENT_REVOKED`.
    ConsentWebhookEventUnknown => "consent_webhook_event_unknown", Some("This endpoint takes only event CONSENT_REVOKED.");
    /// Expired, too old, or not valid yet.
    ConsentWebhookStale => "consent_webhook_stale", Some("The webhook's exp has passed, it was issued more than a day ago, or its nbf/iat is in the future: check the server clock (VIPPS_CLOCK_LEEWAY_SECS).");
    /// The session cookie is missing, tampered with or expired.
    SessionInvalid => "session_invalid", Some("Log in again.");
    /// More logins started from one client address than the `LOGIN_RATE_LIMITER`
    /// binding allows (Workers Rate Limiting): refused before anything is stored.
    LoginRateLimited => "login_rate_limited", Some("More logins were started from this address within the limiter's period (the LOGIN_RATE_LIMITER binding's simple.limit per simple.period seconds in wrangler.toml): wait a minute. If real customers share one address (a mobile carrier's NAT), raise simple.limit.");
    /// A Durable Object (login transactions, phone logins) failed, answered something
    /// unreadable, or did not answer within its time limit.
    StorageUnavailable => "storage_unavailable", Some("A Durable Object (LOGIN_TRANSACTIONS or PHONE_LOGINS) failed or did not answer within 5 s: see the Worker's logs and Cloudflare's status page. Nothing was redeemed; the login can be started again.");
    /// A Worker setting is missing or malformed.
    ConfigInvalid => "config_invalid", Some("Set it in wrangler.toml [vars], or as a secret with `wrangler secret put` (and in .dev.vars for local runs). See the configuration table in the README.");

    // Login from phone number (CIBA), merchant-initiated.
    /// The phone number is not a country code and digits (E.164: 10 to 15 digits here).
    PhoneNumberInvalid => "phone_number_invalid", Some("Send the number with its country code, e.g. \"+47 123 45 678\", \"004712345678\" or \"4712345678\": digits, spaces and dashes, 10 to 15 digits in all.");
    /// The binding message is not Vipps' `^[A-Z0-9-]{5,8}$`.
    BindingMessageInvalid => "binding_message_invalid", Some("Vipps shows the binding message on the phone: 5 to 8 characters of A-Z, 0-9 and -, e.g. \"ABC-123\". Leave it out to send none.");
    /// CIBA start: `invalid_user`.
    VippsInvalidUser => "vipps_invalid_user", Some("Vipps (invalid_user): no Vipps MobilePay user has this phone number, or the user is under 15 and cannot log in. Check the number with the customer, with its country code.");
    /// CIBA start: `old_app`.
    VippsOldApp => "vipps_old_app", Some("Vipps (old_app): the user's Vipps or MobilePay app is too old for login from phone number. Ask the customer to update the app, then try again.");
    /// HTTP 429 from Vipps, with `Retry-After`.
    VippsRateLimited => "vipps_rate_limited", Some("Vipps answered HTTP 429 Too Many Requests: wait the retryAfter seconds before trying again.");
    /// No phone login has this id (never started here, expired, or deleted).
    PhoneLoginNotFound => "phone_login_not_found", Some("The id is not one POST /api/phone-login answered, or the login ended more than a few minutes ago (expiry is at most 15 minutes). Start a new phone login.");
    /// The phone-login API key is missing or wrong.
    PhoneLoginUnauthorized => "phone_login_unauthorized", Some("Send Authorization: Bearer <PHONE_LOGIN_API_KEY> from the shop's server (never from a browser: phone login is merchant-initiated).");
    /// The redirect variant's id_token names another backchannel request.
    CibaAuthReqIdMismatch => "ciba_auth_req_id_mismatch", Some("The id_token's authReqId (or auth_req_id) is not the auth_req_id of the phone login this callback belongs to: the code was issued for another request. Start a new phone login.");
    /// The redirect variant's code was redeemed already.
    PhoneLoginAlreadyUsed => "phone_login_already_used", Some("The login link from the phone works once: this login is done. Start a new phone login.");
    /// A webhook delivery whose signature, content hash or signed headers do not verify.
    WebhookSignatureInvalid => "webhook_signature_invalid", Some("Vipps Webhooks API: Authorization must be HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=<base64>, keyed with the webhook's secret (VIPPS_WEBHOOK_SECRET), and x-ms-content-sha256 the base64 SHA-256 of the body.");
    /// A webhook delivery dated outside the freshness window.
    WebhookStale => "webhook_stale", Some("The delivery's x-ms-date is more than 5 minutes from this server's clock: a replay, or a clock that is off.");
}

/// An error with a stable [`ErrorCode`], a message and an optional hint.
///
/// `details` carries structured context (e.g. the closest registered redirect URI), as
/// `(name, value)` pairs with camelCase names, so adapters can expose them as fields.
/// Boxed, so a `Result` stays one pointer wide: cheaper to move, and several KB less
/// move code in the wasm module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(Box<Inner>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    code: ErrorCode,
    message: String,
    hint: Option<String>,
    details: Vec<(&'static str, String)>,
}

impl Error {
    /// An error with the code's default hint.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            code,
            message: message.into(),
            hint: code.default_hint().map(ToString::to_string),
            details: Vec::new(),
        }))
    }

    /// Replaces the hint (e.g. with a "did you mean" for this input).
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.0.hint = Some(hint.into());
        self
    }

    /// Adds a structured detail.
    pub fn with_detail(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.0.details.push((name, value.into()));
        self
    }

    pub fn code(&self) -> ErrorCode {
        self.0.code
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }

    pub fn hint(&self) -> Option<&str> {
        self.0.hint.as_deref()
    }

    pub fn details(&self) -> &[(&'static str, String)] {
        &self.0.details
    }

    /// The value of one detail, if present.
    pub fn detail(&self, name: &str) -> Option<&str> {
        self.0
            .details
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Error {
    /// For a provider that is not Vipps (another OpenID provider behind `VIPPS_ISSUER`):
    /// advice that names Vipps, its FAQ or its portal would mislead, so it gives way to
    /// provider-neutral advice, or to none.
    pub fn for_other_provider(mut self) -> Self {
        let names_vipps = self
            .0
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("Vipps") || h.contains("vippsmobilepay"));
        if names_vipps {
            self.0.hint = neutral_hint(self.0.code).map(ToString::to_string);
        }
        self
    }
}

/// Provider-neutral advice for the codes whose own hint is about Vipps.
fn neutral_hint(code: ErrorCode) -> Option<&'static str> {
    Some(match code {
        ErrorCode::TokenInvalidClient => "The provider refused the client: check VIPPS_CLIENT_ID and VIPPS_CLIENT_SECRET, that VIPPS_TOKEN_AUTH_METHOD (client_secret_basic or client_secret_post) is the one the provider expects, and that the redirect URI is registered exactly.",
        ErrorCode::TokenInvalidGrant => "The code expired, was already used, or was issued for another redirect URI. Start the login again.",
        ErrorCode::TokenInvalidRequest => "The redirect_uri must be identical to the registered one and to the one sent to authorize; check that every required parameter is sent.",
        ErrorCode::TokenServerError | ErrorCode::VippsServerError | ErrorCode::VippsTemporarilyUnavailable => "The provider failed. Try again in a little while.",
        ErrorCode::ProviderTimeout => "The provider did not answer in time (VIPPS_HTTP_TIMEOUT_MS). Try again.",
        ErrorCode::ProviderUnreachable => "The provider could not be reached. Check VIPPS_ISSUER and the network.",
        ErrorCode::UserinfoFailed => "The provider's userinfo endpoint refused the access token: call it right after the token exchange.",
        ErrorCode::IdTokenIssuerMismatch => "The id_token's iss must equal VIPPS_ISSUER byte for byte (mind a trailing '/').",
        ErrorCode::DiscoveryIssuerMismatch => "The discovery document's issuer must equal VIPPS_ISSUER byte for byte (mind a trailing '/').",
        ErrorCode::IdTokenAlgNotAllowed => "Only RS256 id_tokens are accepted; anything else (alg none, HS256) is refused.",
        ErrorCode::CallbackInvalid => "Pass the full callback URL or its query string, as the provider sent it.",
        ErrorCode::BrowserBindingMissing => "Finish the login in the browser that started it: the login is bound to that browser by a cookie (RFC 9700 4.7), so a copied callback URL is refused. If this is that browser, allow cookies for this site and start again.",
        ErrorCode::ConfirmationRequired => "The login came back to another browser than the one that started it: confirm it on the page that names the user, within 5 minutes, in the same browser.",
        _ => return None,
    })
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.0.code.as_str(), self.0.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T> = core::result::Result<T, Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "duplicate code {s}");
            assert!(
                s.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit()),
                "{s} is not snake_case"
            );
        }
    }

    #[test]
    fn other_providers_get_advice_that_does_not_name_vipps() {
        for code in ErrorCode::ALL {
            let e = Error::new(*code, "x").for_other_provider();
            if let Some(hint) = e.hint() {
                assert!(
                    !hint.contains("Vipps") && !hint.contains("vippsmobilepay"),
                    "{}: {hint}",
                    code.as_str()
                );
            }
        }
        let e = Error::new(ErrorCode::TokenInvalidClient, "x").for_other_provider();
        assert!(e.hint().unwrap().contains("VIPPS_TOKEN_AUTH_METHOD"));
        // Advice that names no provider stays.
        let e = Error::new(ErrorCode::SessionInvalid, "x").for_other_provider();
        assert_eq!(e.hint(), Some("Log in again."));
    }

    #[test]
    fn display_starts_with_code_and_hint_defaults() {
        let e = Error::new(ErrorCode::StateTooShort, "state is 3 characters");
        assert_eq!(e.to_string(), "state_too_short: state is 3 characters");
        assert!(e.hint().unwrap().contains("at least 8"));
        let e = e.with_detail("length", "3");
        assert_eq!(e.detail("length"), Some("3"));
    }
}
