// The built npm package (pkg/), loaded in Node the way a server-side or test
// consumer would: `initSync` with the .wasm bytes. `make test-node`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";

const pkgUrl = new URL("../../pkg/", import.meta.url);
const lib = await import(new URL("vipps_login.js", pkgUrl));
lib.initSync({ module: readFileSync(new URL("vipps_login_bg.wasm", pkgUrl)) });
const { createLogin, parseCallback, checkRedirectUri, randomState, randomNonce, createPkce } = lib;

const base = { clientId: "client-1", redirectUri: "https://shop.example/callback", scope: ["name", "email"] };

function throwsCode(fn, code) {
  let caught;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof Error, `expected an Error with code ${code}`);
  assert.equal(caught.name, "VippsLoginError");
  assert.equal(caught.code, code, caught.message);
  return caught;
}

test("package.json names the package vipps-login, ESM with types", () => {
  const pkg = JSON.parse(readFileSync(new URL("package.json", pkgUrl), "utf8"));
  assert.equal(pkg.name, "vipps-login");
  assert.equal(pkg.type, "module");
  assert.equal(pkg.types, "vipps_login.d.ts");
  const dts = readFileSync(new URL("vipps_login.d.ts", pkgUrl), "utf8");
  assert.match(dts, /export function createLogin\(options: LoginOptions\): Login;/);
  assert.match(dts, /export function checkRedirectUri\(uri: string, registered\?: string\[\] \| null\): RedirectUriReport;/);
  assert.match(dts, /expectedIssuer\?: string \| null\): Callback;/);
  assert.match(dts, /export interface VippsLoginError extends Error/);
});

test("createLogin: Vipps URL, S256 PKCE that verifies, fresh state and nonce", () => {
  const a = createLogin(base);
  const b = createLogin(base);
  const url = new URL(a.url);
  assert.equal(url.origin + url.pathname, "https://apitest.vipps.no/access-management-1.0/access/oauth2/auth");
  assert.equal(url.searchParams.get("client_id"), "client-1");
  assert.equal(url.searchParams.get("response_type"), "code");
  assert.equal(url.searchParams.get("scope"), "openid name email");
  assert.ok(a.url.includes("scope=openid%20name%20email"), "space must be %20, not +");
  assert.equal(url.searchParams.get("state"), a.state);
  assert.equal(url.searchParams.get("nonce"), a.nonce);
  assert.equal(url.searchParams.get("redirect_uri"), base.redirectUri);
  assert.equal(url.searchParams.get("code_challenge_method"), "S256");
  // The challenge is SHA-256 of the verifier, checked with Node's own crypto.
  const expected = createHash("sha256").update(a.codeVerifier).digest("base64url");
  assert.equal(a.codeChallenge, expected);
  assert.equal(url.searchParams.get("code_challenge"), expected);
  assert.notEqual(a.state, b.state);
  assert.notEqual(a.nonce, b.nonce);
  assert.equal(a.issuer, "https://apitest.vipps.no/access-management-1.0/access/");
});

test("createLogin: production, partner msn, Vipps flow parameters", () => {
  const login = createLogin({
    msn: "123456",
    redirectUri: "https://shop.example/callback",
    environment: "production",
    requestedFlow: "automatic_return_from_vipps_app",
    finalRedirectIsApp: false,
    market: "SE",
    acrValues: "urn:vipps:acr:app_auth",
  });
  const url = new URL(login.url);
  assert.equal(url.host, "api.vipps.no");
  assert.equal(url.searchParams.get("msn"), "123456");
  assert.equal(url.searchParams.get("client_id"), null);
  assert.equal(url.searchParams.get("requested_flow"), "automatic_return_from_vipps_app");
  assert.equal(url.searchParams.get("final_redirect_is_app"), "false");
  assert.equal(url.searchParams.get("market"), "SE");
  assert.equal(url.searchParams.get("acr_values"), "urn:vipps:acr:app_auth");
});

test("createLogin: another OpenID provider through its discovery document", () => {
  const issuer = "http://localhost:3000";
  const login = createLogin({
    ...base,
    scope: "openid profile",
    allowNonVippsScopes: true,
    issuer,
    discovery: {
      issuer,
      authorization_endpoint: `${issuer}/auth`,
      token_endpoint: `${issuer}/token`,
      jwks_uri: `${issuer}/jwks`,
    },
  });
  assert.ok(login.url.startsWith("http://localhost:3000/auth?client_id=client-1&"));
  const e = throwsCode(
    () => createLogin({ ...base, issuer, discovery: { issuer: `${issuer}/`, authorization_endpoint: "x", token_endpoint: "x", jwks_uri: "x" } }),
    "discovery_issuer_mismatch",
  );
  assert.match(e.hint, /byte for byte/);
});

test("createLogin: refused before anything is sent, with codes and hints", () => {
  throwsCode(() => createLogin({ ...base, state: "1234567" }), "state_too_short");
  throwsCode(() => createLogin({ ...base, state: "s".repeat(257) }), "state_too_long");
  throwsCode(() => createLogin({ ...base, nonce: "n".repeat(257) }), "nonce_too_long");
  throwsCode(() => createLogin({ ...base, redirectUri: `https://shop.example/${"a".repeat(1900)}` }), "authorization_url_too_long");
  for (const [scope, suggestion] of [["profile", /name/], ["phone", /phoneNumber/], ["birthdate", /birthDate/], ["phone_number", /phoneNumber/]]) {
    const e = throwsCode(() => createLogin({ ...base, scope: [scope] }), "scope_unknown");
    assert.match(e.hint, /^Did you mean /);
    assert.match(e.suggestion, suggestion);
  }
  throwsCode(() => createLogin({ ...base, requestedFlow: "app_to_app_v2", pkce: false }), "pkce_required");
  throwsCode(() => createLogin({ ...base, requestedFlow: "app_to_app" }), "app_callback_uri_missing");
  throwsCode(() => createLogin({ ...base, redirectUri: "https://shop.example/cb#x" }), "redirect_uri_has_fragment");
  throwsCode(() => createLogin({ ...base, redirectUri: "http://shop.example/cb" }), "redirect_uri_http_not_localhost");
  throwsCode(() => createLogin({ ...base, clientId: undefined }), "client_id_missing");
  throwsCode(() => createLogin({ ...base, environment: "prod" }), "issuer_invalid");
  throwsCode(() => createLogin({ ...base, issuer: "http://vipps.example/" }), "issuer_insecure");
  const e = throwsCode(() => createLogin({ ...base, clientID: "x" }), "invalid_options");
  assert.match(e.hint, /Did you mean "clientId"/);
  throwsCode(() => createLogin(null), "invalid_options");
  throwsCode(() => createLogin({ ...base, scope: 5 }), "invalid_options");
});

test("parseCallback: URL, query string, Vipps' ?-joined errors, state and iss checks", () => {
  const state = randomState();
  assert.deepEqual(
    { ...parseCallback(`https://shop.example/callback?code=c1&state=${state}&scope=openid%20name`, state) },
    { code: "c1", state, scope: "openid name" },
  );
  assert.equal(parseCallback(`code=c2&state=${state}`, state).code, "c2");
  const denied = throwsCode(
    () => parseCallback(`https://shop.example/callback?error=access_denied&error_description=User%20cancelled%20the%20login?state=${state}`, state),
    "vipps_access_denied",
  );
  assert.equal(denied.errorDescription, "User cancelled the login");
  assert.equal(denied.error, "access_denied");
  assert.ok(denied.hint.length > 0);
  for (const [error, code] of [
    ["wrong_challenge", "vipps_wrong_challenge"],
    ["outdated_app_version", "vipps_outdated_app_version"],
    ["login_required", "vipps_login_required"],
    ["server_error", "vipps_server_error"],
    ["something_new", "vipps_unrecognized_error"],
  ]) {
    throwsCode(() => parseCallback(`?error=${error}&state=${state}`, state), code);
  }
  throwsCode(() => parseCallback(`?code=c&state=${randomState()}`, state), "state_mismatch");
  throwsCode(() => parseCallback(`?code=c`, state), "callback_missing_state");
  throwsCode(() => parseCallback(`?code=a&code=b&state=${state}`, state), "callback_parameter_repeated");
  throwsCode(() => parseCallback("https://shop.example/callback", state), "callback_invalid");
  const iss = "https://api.vipps.no/access-management-1.0/access/";
  assert.equal(parseCallback(`?code=c&state=${state}&iss=${encodeURIComponent(iss)}`, state, iss).iss, iss);
  throwsCode(() => parseCallback(`?code=c&state=${state}&iss=https%3A%2F%2Fevil.example%2F`, state, iss), "issuer_mismatch");
});

test("checkRedirectUri: rules, warnings and the closest registered URI", () => {
  assert.deepEqual(checkRedirectUri("https://shop.example/callback"), { ok: true, errors: [], warnings: [] });
  const r = checkRedirectUri("https://shop.example/Callback", ["https://shop.example/callback", "https://other.example/x"]);
  assert.equal(r.ok, false);
  assert.equal(r.errors[0].code, "redirect_uri_not_registered");
  assert.equal(r.errors[0].closest, "https://shop.example/callback");
  assert.equal(r.errors[0].position, 21);
  assert.equal(r.errors[0].found, "C");
  assert.equal(r.errors[0].expected, "c");
  // The message gives the same 0-based position as the detail, and the ordinal.
  assert.match(r.errors[0].message, /at position 21 \(the 22nd character\) \('C' where the registered URI has 'c'\)/);
  // Where the registered URI ends first, `expected` says so (and `found` the other way).
  const longer = checkRedirectUri("https://shop.example/vipps/c/xy", ["https://shop.example/vipps/c/x"]).errors[0];
  assert.equal(longer.position, 30);
  assert.equal(longer.found, "y");
  assert.equal(longer.expected, "(end)");
  assert.match(longer.message, /at position 30 \(the 31st character\) \('y' where the registered URI has the end\)/);
  const shorter = checkRedirectUri("https://shop.example/vipps/c", ["https://shop.example/vipps/c/x"]).errors[0];
  assert.deepEqual([shorter.position, shorter.found, shorter.expected], [28, "(end)", "/"]);
  for (const [uri, position] of [["https://shop.example/a#b", 22], ["https://shop.example/a b", 22]]) {
    const e = checkRedirectUri(uri).errors[0];
    assert.equal(e.position, position, uri);
    assert.match(e.message, new RegExp(`at position ${position} \\(the ${position + 1}rd character\\)`), uri);
  }
  // An empty list registers nothing; no list checks the rules only.
  assert.equal(checkRedirectUri("https://shop.example/callback", []).errors[0].code, "redirect_uri_not_registered");
  assert.equal(checkRedirectUri("https://shop.example/callback", null).ok, true);
  const w = checkRedirectUri("https://Shop.example/my%20cb/");
  assert.deepEqual(w.warnings.map((x) => x.code), ["redirect_uri_percent_encoded", "redirect_uri_uppercase_host", "redirect_uri_trailing_slash"]);
  // Each warning has its own advice.
  assert.equal(new Set(w.warnings.map((x) => x.hint)).size, 3);
  assert.equal(checkRedirectUri("myapp://").errors[0].code, "redirect_uri_custom_scheme_without_path");
  assert.equal(checkRedirectUri("/callback").errors[0].code, "redirect_uri_not_absolute");
  assert.equal(checkRedirectUri("http://localhost:3000/cb").ok, true);
  throwsCode(() => checkRedirectUri(42), "invalid_options");
  throwsCode(() => checkRedirectUri("https://x/", ["ok", 7]), "invalid_options");
});

test("random values: 256 bits, base64url, from the platform CSPRNG", () => {
  const seen = new Set();
  for (let i = 0; i < 200; i++) {
    const s = randomState();
    assert.match(s, /^[A-Za-z0-9_-]{43}$/);
    seen.add(s);
    seen.add(randomNonce());
  }
  assert.equal(seen.size, 400);
  const { codeVerifier, codeChallenge } = createPkce();
  assert.equal(codeChallenge, createHash("sha256").update(codeVerifier).digest("base64url"));
});
