// Types of the vipps-login npm package. Hand-written: wasm-bindgen cannot derive
// interfaces from serde structs. A native test (tests/typescript_codes.rs) keeps
// ErrorCode in step with the Rust enum, and tests/ts compiles a consumer with tsc.

/** Vipps' environments. `test` is https://apitest.vipps.no, `production` https://api.vipps.no. */
export type Environment = "test" | "production";

/** Vipps scope names: case sensitive. There is no `profile` or `phone` scope. */
export type VippsScope =
  | "openid"
  | "name"
  | "email"
  | "phoneNumber"
  | "address"
  | "birthDate"
  | "nin"
  | "gender"
  | "delegatedConsents"
  | "customFlow"
  | "paymentSourceReferences";

/** Vipps' `requested_flow`. */
export type RequestedFlow = "automatic_return_from_vipps_app" | "app_to_app" | "app_to_app_v2";

/** Vipps' `market`: the Vipps or MobilePay look. */
export type Market = "NO" | "SE" | "DK" | "FI";

/** The fields of an OpenID Provider's discovery document that are used. */
export interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
  userinfo_endpoint?: string;
  backchannel_authentication_endpoint?: string;
  code_challenge_methods_supported?: string[];
  authorization_response_iss_parameter_supported?: boolean;
}

/** Options for {@link createLogin}. */
export interface LoginOptions {
  /** The sales unit's client_id. Partners give `msn` instead. */
  clientId?: string;
  /** Partners: the merchant serial number, sent instead of client_id. */
  msn?: string;
  /** Must be registered for the sales unit, byte for byte. */
  redirectUri: string;
  /** Vipps scope names, as an array or one space-separated string. `openid` is added when missing. */
  scope?: string | Array<VippsScope | (string & {})>;
  /** Defaults to `"test"`. Ignored when `issuer` is given. */
  environment?: Environment;
  /** Any other issuer (the local emulator, another OpenID provider). `http` only on loopback. */
  issuer?: string;
  /** The issuer's discovery document, for issuers not laid out like Vipps'. */
  discovery?: ProviderMetadata;
  /** When given, `redirectUri` must equal one of these exactly. */
  registeredRedirectUris?: string[];
  /** Accept scope names Vipps does not have (for other OpenID providers). */
  allowNonVippsScopes?: boolean;
  /** Your own state (8 to 256 characters). Default: 256 random bits. */
  state?: string;
  /** Your own nonce (1 to 256 characters). Default: 256 random bits. */
  nonce?: string;
  /** PKCE with S256. Default: true. */
  pkce?: boolean;
  /** Your own PKCE code_verifier (RFC 7636: 43 to 128 characters). Default: random. */
  codeVerifier?: string;
  requestedFlow?: RequestedFlow;
  /** Required with requestedFlow "app_to_app"; must be registered like a redirect URI. */
  appCallbackUri?: string;
  finalRedirectIsApp?: boolean;
  market?: Market;
  /** e.g. "urn:vipps:acr:app_auth": the id_token's `acr` must then be checked. */
  acrValues?: string;
}

/** A started login. Keep state, nonce and codeVerifier for the callback; send the browser to url. */
export interface Login {
  url: string;
  state: string;
  nonce: string;
  /** Secret until the token request: never put it in a URL or a log. */
  codeVerifier?: string;
  codeChallenge?: string;
  /** The issuer the callback and id_token must come from. */
  issuer: string;
}

/** A successful callback. */
export interface Callback {
  code: string;
  state: string;
  /** The scopes the user consented to, space separated. */
  scope?: string;
  /** RFC 9207 issuer identifier, when sent. */
  iss?: string;
}

/** A PKCE pair. */
export interface Pkce {
  codeVerifier: string;
  codeChallenge: string;
}

/** Every stable error code. */
export type ErrorCode =
  | "issuer_invalid"
  | "issuer_insecure"
  | "discovery_issuer_mismatch"
  | "discovery_invalid"
  | "endpoints_unknown"
  | "client_id_missing"
  | "invalid_options"
  | "random_unavailable"
  | "state_too_short"
  | "state_too_long"
  | "nonce_too_long"
  | "nonce_empty"
  | "authorization_url_too_long"
  | "scope_unknown"
  | "scope_invalid"
  | "pkce_required"
  | "code_verifier_invalid"
  | "app_callback_uri_missing"
  | "app_callback_uri_unexpected"
  | "requested_flow_unknown"
  | "market_invalid"
  | "acr_values_invalid"
  | "redirect_uri_empty"
  | "redirect_uri_invalid"
  | "redirect_uri_not_absolute"
  | "redirect_uri_has_fragment"
  | "redirect_uri_custom_scheme_without_path"
  | "redirect_uri_missing_host"
  | "redirect_uri_http_not_localhost"
  | "redirect_uri_scheme_forbidden"
  | "redirect_uri_not_registered"
  | "redirect_uri_percent_encoded"
  | "redirect_uri_uppercase_host"
  | "redirect_uri_trailing_slash"
  | "redirect_uri_custom_scheme"
  | "callback_invalid"
  | "callback_parameter_repeated"
  | "callback_missing_state"
  | "callback_missing_code"
  | "state_mismatch"
  | "issuer_mismatch"
  | "issuer_missing"
  | "vipps_access_denied"
  | "vipps_server_error"
  | "vipps_login_required"
  | "vipps_invalid_app_callback_uri"
  | "vipps_app_callback_uri_not_registered"
  | "vipps_outdated_app_version"
  | "vipps_wrong_challenge"
  | "vipps_unknown_reject_reason"
  | "vipps_invalid_request"
  | "vipps_invalid_scope"
  | "vipps_unauthorized_client"
  | "vipps_unsupported_response_type"
  | "vipps_temporarily_unavailable"
  | "vipps_unrecognized_error"
  | "token_invalid_client"
  | "token_invalid_grant"
  | "token_invalid_request"
  | "token_rejected"
  | "token_server_error"
  | "token_response_invalid"
  | "system_header_invalid"
  | "provider_timeout"
  | "provider_unreachable"
  | "id_token_malformed"
  | "id_token_alg_not_allowed"
  | "id_token_kid_unknown"
  | "id_token_signature_invalid"
  | "id_token_issuer_mismatch"
  | "id_token_audience_mismatch"
  | "id_token_azp_mismatch"
  | "id_token_expired"
  | "id_token_issued_in_future"
  | "id_token_nonce_mismatch"
  | "id_token_sub_missing"
  | "id_token_acr_mismatch"
  | "id_token_msn_mismatch"
  | "jwks_invalid"
  | "jwks_unavailable"
  | "userinfo_failed"
  | "userinfo_invalid"
  | "userinfo_sub_mismatch"
  | "transaction_not_found"
  | "browser_binding_missing"
  | "browser_binding_mismatch"
  | "confirmation_required"
  | "option_not_allowed"
  | "login_refused"
  | "login_hook_failed"
  | "partner_keys_invalid"
  | "partner_token_failed"
  | "consent_webhook_too_large"
  | "consent_webhook_malformed"
  | "consent_webhook_event_unknown"
  | "consent_webhook_stale"
  | "session_invalid"
  | "config_invalid"
  | "phone_number_invalid"
  | "binding_message_invalid"
  | "vipps_invalid_user"
  | "vipps_old_app"
  | "vipps_rate_limited"
  | "login_rate_limited"
  | "storage_unavailable"
  | "phone_login_not_found"
  | "phone_login_unauthorized"
  | "ciba_auth_req_id_mismatch"
  | "phone_login_already_used"
  | "webhook_signature_invalid"
  | "webhook_stale";

/** Structured context some errors carry. */
export interface ErrorDetails {
  /** redirect_uri_not_registered: the closest registered URI. */
  closest?: string;
  /**
   * 0-based character position of the problem (counted in Unicode code points). The
   * message gives the same number and the character a person counts to:
   * "at position 30 (the 31st character)".
   */
  position?: number;
  /**
   * redirect_uri_not_registered: the character of the URI at `position`, or `"(end)"`
   * where the URI is shorter than the registered one.
   */
  found?: string;
  /**
   * redirect_uri_not_registered: the registered URI's character at `position`, or
   * `"(end)"` where the registered URI is shorter.
   */
  expected?: string;
  /** The raw OAuth `error` and `error_description` from Vipps. */
  error?: string;
  errorDescription?: string;
  /** scope_unknown: the offending scope and a suggestion. */
  scope?: string;
  suggestion?: string;
  /** authorization_url_too_long: the URL's length. */
  length?: number;
  /** callback_parameter_repeated: the parameter. */
  parameter?: string;
}

/** A problem found by {@link checkRedirectUri}. */
export interface Problem extends ErrorDetails {
  code: ErrorCode;
  message: string;
  hint?: string;
}

/** The result of {@link checkRedirectUri}. `ok` is false when there are errors. */
export interface RedirectUriReport {
  ok: boolean;
  errors: Problem[];
  warnings: Problem[];
}

/** What every function here throws: an Error with a stable `code` and, where Vipps' FAQ has advice, a `hint`. */
export interface VippsLoginError extends Error, ErrorDetails {
  name: "VippsLoginError";
  code: ErrorCode;
  hint?: string;
}
