// The comparison for `make bench`: a JS Worker on oauth4webapi that does the Rust
// Worker's Worker-driven login (src/worker/) with the same storage design, so that size,
// CPU per login, latency and cold start can be set side by side. Not shipped, not
// tested beyond the bench's own checks of each login's answers.
//
// What it does, as the Rust Worker does it:
//   GET /login[?returnTo=/path]: discovery (once per isolate), the browser's binding
//     cookie (reused, or 256 fresh random bits), a state minted with an HMAC tag under a
//     key derived from SESSION_SECRET (so a forged state touches no storage), nonce,
//     PKCE verifier + S256 challenge (oauth4webapi), the transaction stored in its own
//     Durable Object (idFromName(state), put-if-absent, an alarm at its expiry), the
//     binding cookie, and a 302 to the authorization endpoint.
//   GET /callback?code&state: the state's tag checked, the transaction claimed in its
//     Durable Object with the code's SHA-256 and the binding's SHA-256 (single use,
//     bound to the browser, a lease while the code is redeemed, duplicates waiting for
//     the first), validateAuthResponse, the code exchange with client_secret_basic,
//     processAuthorizationCodeResponse (iss, aud, exp, iat, nonce) and the id_token's
//     signature against the JWKS (validateApplicationLevelSignature, JWKS cached per
//     isolate), userinfo (sub checked), a session cookie signed with HMAC-SHA-256, the
//     result stored for duplicate callbacks for 120 s (then the alarm deletes it), and a
//     302 to returnTo. A failure ends the transaction and goes back with login_error.
//   One JSON log line per request, as the Rust Worker writes.
//
// What it leaves out (the Rust Worker has them): the front-end-driven routes (/api/*),
// the other-browser confirmation, per-login Vipps options, the shop's login hook, base
// paths, https cookie prefixes, bounded bodies, per-fetch time limits on the body.
// Durable Object calls use RPC (what a JS Worker would write); the Rust Worker uses
// stub.fetch with JSON bodies.
import * as oauth from "oauth4webapi";
import { DurableObject } from "cloudflare:workers";
import { b64url, cookie, fromB64url } from "./common.mjs";

const TRANSACTION_TTL_SECS = 15 * 60;
const DUPLICATE_WINDOW_SECS = 120;
const REDEEM_TIMEOUT_SECS = 30;
const ENDED_MIN_SECS = 60;
const SESSION_TTL_SECS = 8 * 3600;
const HTTP_TIMEOUT_MS = 10_000;
/** discovery, token, JWKS, userinfo at their time limit, plus a margin. */
const LEASE_SECS = 4 * (HTTP_TIMEOUT_MS / 1000) + 5;
const POLL_MS = 250;

const encoder = new TextEncoder();
const now = () => Math.floor(Date.now() / 1000);

async function sha256(text) {
  return b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text))));
}

function same(a, b) {
  if (typeof a !== "string" || typeof b !== "string" || a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function hmacKey(raw) {
  return crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

// --- settings, once per isolate -----------------------------------------------------

let settings;

function loadSettings(env) {
  settings ??= (async () => {
    const issuer = new URL(env.VIPPS_ISSUER);
    const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(issuer.hostname);
    const http = { signal: () => AbortSignal.timeout(HTTP_TIMEOUT_MS) };
    if (loopback) http[oauth.allowInsecureRequests] = true;
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...http, algorithm: "oidc" }));
    if (!env.SESSION_SECRET || env.SESSION_SECRET.length < 32) throw new Error("SESSION_SECRET must be at least 32 bytes");
    const sessionKey = await hmacKey(encoder.encode(env.SESSION_SECRET));
    const stateKeyRaw = await crypto.subtle.sign("HMAC", sessionKey, encoder.encode("vipps-login state v1"));
    return {
      as,
      http,
      client: { client_id: env.VIPPS_CLIENT_ID },
      auth: oauth.ClientSecretBasic(env.VIPPS_CLIENT_SECRET),
      redirectUri: env.VIPPS_REDIRECT_URI,
      scope: env.VIPPS_SCOPES.split(" ").includes("openid") ? env.VIPPS_SCOPES : `openid ${env.VIPPS_SCOPES}`,
      sessionKey,
      stateKey: await hmacKey(stateKeyRaw),
      jwks: {}, // oauth4webapi's JWKS cache (this isolate's)
    };
  })().catch((e) => {
    settings = undefined;
    throw e;
  });
  return settings;
}

/** 24 random bytes and the first 16 bytes of their HMAC tag, base64url (54 characters). */
async function mintState(s) {
  const random = crypto.getRandomValues(new Uint8Array(24));
  const tag = new Uint8Array(await crypto.subtle.sign("HMAC", s.stateKey, random)).subarray(0, 16);
  const bytes = new Uint8Array(40);
  bytes.set(random);
  bytes.set(tag, 24);
  return b64url(bytes);
}

async function stateIsOurs(s, state) {
  if (typeof state !== "string" || state.length !== 54 || !/^[A-Za-z0-9_-]+$/.test(state)) return false;
  const bytes = fromB64url(state);
  const tag = new Uint8Array(await crypto.subtle.sign("HMAC", s.stateKey, bytes.subarray(0, 24))).subarray(0, 16);
  let diff = 0;
  for (let i = 0; i < 16; i++) diff |= tag[i] ^ bytes[24 + i];
  return diff === 0;
}

async function seal(s, session) {
  const payload = b64url(encoder.encode(JSON.stringify(session)));
  const tag = new Uint8Array(await crypto.subtle.sign("HMAC", s.sessionKey, encoder.encode(payload)));
  return `${payload}.${b64url(tag)}`;
}

// --- cookies and answers -------------------------------------------------------------

const BINDING_COOKIE = "vipps_login_binding";
const SESSION_COOKIE = "vipps_session";

function setCookie(name, value, maxAge) {
  return `${name}=${value}; Max-Age=${maxAge}; Path=/; HttpOnly; SameSite=Lax`;
}

function redirect(location, cookies = []) {
  const headers = new Headers({ location, "cache-control": "no-store" });
  for (const c of cookies) headers.append("set-cookie", c);
  return new Response(null, { status: 302, headers });
}

function safeReturnTo(value) {
  return typeof value === "string" && value.startsWith("/") && !value.startsWith("//") && !value.includes("\\") ? value : "/";
}

function failed(returnTo, code) {
  const url = new URL(returnTo, "https://x.invalid");
  url.searchParams.set("login_error", code);
  return redirect(url.pathname + url.search);
}

function errorPage(status, code) {
  return new Response(`<!doctype html><title>Login did not complete</title><p>Error code: <code>${code}</code></p>`, {
    status,
    headers: { "content-type": "text/html; charset=utf-8" },
  });
}

// --- the routes -----------------------------------------------------------------------

async function login(request, env, url) {
  const s = await loadSettings(env);
  const returnTo = safeReturnTo(url.searchParams.get("returnTo"));
  let binding = cookie(request, BINDING_COOKIE);
  if (!binding || !/^[A-Za-z0-9_-]{43}$/.test(binding)) binding = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = await mintState(s);
  const nonce = oauth.generateRandomNonce();
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const codeChallenge = await oauth.calculatePKCECodeChallenge(codeVerifier);
  const created = now();
  const transaction = {
    state,
    nonce,
    code_verifier: codeVerifier,
    redirect_uri: s.redirectUri,
    return_to: returnTo,
    created_at: created,
    expires_at: created + TRANSACTION_TTL_SECS,
    issuer: s.as.issuer,
    client_id: s.client.client_id,
    scope: s.scope,
    binding_sha256: await sha256(binding),
  };
  const stub = env.LOGIN_TRANSACTIONS.get(env.LOGIN_TRANSACTIONS.idFromName(state));
  if (!(await stub.put(transaction))) return { response: failed(returnTo, "invalid_options"), error: "invalid_options" };
  const authorize = new URL(s.as.authorization_endpoint);
  const q = authorize.searchParams;
  q.set("client_id", s.client.client_id);
  q.set("response_type", "code");
  q.set("scope", s.scope);
  q.set("state", state);
  q.set("nonce", nonce);
  q.set("redirect_uri", s.redirectUri);
  q.set("code_challenge", codeChallenge);
  q.set("code_challenge_method", "S256");
  return { response: redirect(authorize.href, [setCookie(BINDING_COOKIE, binding, TRANSACTION_TTL_SECS)]) };
}

async function callback(request, env, url) {
  const s = await loadSettings(env);
  const state = url.searchParams.get("state");
  if (!(await stateIsOurs(s, state))) return { response: errorPage(400, "transaction_not_found"), error: "transaction_not_found" };
  const binding = cookie(request, BINDING_COOKIE);
  const claim = {
    code_sha256: await sha256(url.searchParams.get("code") ?? ""),
    browser_sha256: await sha256(binding ?? ""),
    had_cookie: binding !== null,
    lease_secs: LEASE_SECS,
  };
  const stub = env.LOGIN_TRANSACTIONS.get(env.LOGIN_TRANSACTIONS.idFromName(state));
  let reply = await stub.claim(state, claim);
  // A duplicate of a callback still redeeming the code waits for its result.
  for (let i = 0; reply.claim === "in_progress" && i < (LEASE_SECS * 1000) / POLL_MS; i++) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    reply = await stub.claim(state, claim);
  }
  if (reply.refused) return { response: errorPage(400, reply.refused), error: reply.refused };
  if (reply.claim === "completed") {
    return { response: redirect(reply.result.return_to, [setCookie(SESSION_COOKIE, reply.result.session, SESSION_TTL_SECS)]) };
  }
  if (reply.claim !== "redeem") return { response: errorPage(504, "provider_timeout"), error: "provider_timeout" };
  const t = reply.transaction;
  try {
    const params = oauth.validateAuthResponse(s.as, s.client, url.searchParams, t.state);
    const tokenResponse = await oauth.authorizationCodeGrantRequest(s.as, s.client, s.auth, params, t.redirect_uri, t.code_verifier, s.http);
    const tokens = await oauth.processAuthorizationCodeResponse(s.as, s.client, tokenResponse, {
      expectedNonce: t.nonce,
      requireIdToken: true,
    });
    await oauth.validateApplicationLevelSignature(s.as, tokenResponse, { ...s.http, [oauth.jwksCache]: s.jwks });
    const claims = oauth.getValidatedIdTokenClaims(tokens);
    const userinfo = await oauth.processUserInfoResponse(
      s.as,
      s.client,
      claims.sub,
      await oauth.userInfoRequest(s.as, s.client, tokens.access_token, s.http),
    );
    const issued = now();
    const session = { sub: claims.sub, iat: issued, exp: issued + SESSION_TTL_SECS };
    for (const name of ["name", "given_name", "email"]) if (typeof userinfo[name] === "string") session[name] = userinfo[name];
    const user = { ...userinfo };
    delete user.nin;
    delete user.sid;
    const result = { session: await seal(s, session), user, return_to: t.return_to, display_name: userinfo.name ?? "" };
    await stub.complete(state, result);
    return { response: redirect(t.return_to, [setCookie(SESSION_COOKIE, result.session, SESSION_TTL_SECS)]) };
  } catch (e) {
    await stub.end(state);
    const code = e instanceof oauth.ResponseBodyError ? `token_${e.error}` : "login_failed";
    return { response: failed(t.return_to, code), error: code, message: String(e?.message ?? e).slice(0, 200) };
  }
}

export default {
  async fetch(request, env) {
    const started = Date.now();
    const url = new URL(request.url);
    let answer;
    try {
      if (request.method !== "GET") answer = { response: new Response(null, { status: 405, headers: { allow: "GET" } }), error: "method_not_allowed" };
      else if (url.pathname === "/login") answer = await login(request, env, url);
      else if (url.pathname === "/callback") answer = await callback(request, env, url);
      else answer = { response: Response.json({ error: "not_found" }, { status: 404 }), error: "not_found" };
    } catch (e) {
      answer = { response: Response.json({ error: "internal_error" }, { status: 500 }), error: "internal_error", message: String(e?.message ?? e).slice(0, 200) };
    }
    const line = { method: request.method, path: url.pathname.slice(0, 200), status: answer.response.status, ms: Date.now() - started };
    if (answer.error) line.error = answer.error;
    if (answer.message) line.message = answer.message;
    console.log(JSON.stringify(line));
    return answer.response;
  },
};

// --- one Durable Object per transaction ------------------------------------------------

/**
 * Holds one transaction, stored as JSON under its state: pending → redeeming (a lease)
 * → completed (duplicates answered for 120 s) or ended (a tombstone); an alarm deletes
 * whatever is left when it stops mattering. One request at a time (the input gate), so
 * each read-transition-write is atomic.
 */
export class LoginTransactions extends DurableObject {
  async read(state) {
    const raw = await this.ctx.storage.get(state);
    return raw ? JSON.parse(raw) : null;
  }

  async write(state, value, until) {
    await this.ctx.storage.put(state, JSON.stringify(value));
    await this.ctx.storage.setAlarm(until * 1000);
  }

  async put(transaction) {
    if (await this.ctx.storage.get(transaction.state)) return false;
    await this.write(transaction.state, { pending: transaction }, transaction.expires_at);
    return true;
  }

  async claim(state, presented) {
    const stored = await this.read(state);
    const t = now();
    const notFound = { refused: "transaction_not_found" };
    const bindingError = { refused: presented.had_cookie ? "browser_binding_mismatch" : "browser_binding_missing" };
    if (stored?.pending && t < stored.pending.expires_at) {
      if (!presented.had_cookie || !same(stored.pending.binding_sha256, presented.browser_sha256)) return bindingError;
      const until = t + Math.max(presented.lease_secs, REDEEM_TIMEOUT_SECS);
      const redeeming = { transaction: stored.pending, until, code_sha256: presented.code_sha256, holder_sha256: presented.browser_sha256 };
      await this.write(state, { redeeming }, until);
      return { claim: "redeem", transaction: stored.pending };
    }
    const held = stored?.redeeming ?? stored?.completed;
    if (held && t < held.until) {
      if (!same(held.code_sha256, presented.code_sha256)) return notFound;
      if (!same(held.holder_sha256, presented.browser_sha256)) return bindingError;
      return stored.redeeming ? { claim: "in_progress" } : { claim: "completed", result: held.result };
    }
    return notFound;
  }

  async complete(state, result) {
    const stored = await this.read(state);
    if (!stored?.redeeming) return { held: false };
    const until = now() + DUPLICATE_WINDOW_SECS;
    const { code_sha256, holder_sha256 } = stored.redeeming;
    await this.write(state, { completed: { result, until, code_sha256, holder_sha256 } }, until);
    return { held: true };
  }

  async end(state) {
    const stored = await this.read(state);
    const expires = stored?.redeeming?.transaction.expires_at ?? stored?.pending?.expires_at ?? 0;
    const until = Math.max(expires, now() + ENDED_MIN_SECS);
    await this.write(state, { ended: { until } }, until);
  }

  async alarm() {
    await this.ctx.storage.deleteAll();
  }
}
