// vipps-login/begin, the small begin-login entry, as installed: loading it (before init,
// init() in Node, initSync), and that its createLogin gives what the main entry's gives:
// the same URL for the same options, the same error codes, the same type checks.
// `make test-node`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pkgDir } from "./packed.mjs";

const begin = await import(new URL("../../pkg/begin.js", import.meta.url));
const main = await import(new URL("../../pkg/vipps_login.js", import.meta.url));
const NOT_INITIALIZED = "vipps-login/begin: call init() (browsers) or initSync({ module }) (Node) before any other export";

test("before init: every export throws an Error that says to call init() or initSync()", () => {
  for (const f of [() => begin.createLogin({}), begin.randomState, begin.randomNonce, begin.createPkce]) {
    assert.throws(f, { message: NOT_INITIALIZED });
  }
});

test("await init() in Node names initSync with begin_wasm_bg.wasm; initSync loads it", async () => {
  const e = await begin.default().then(() => assert.fail("init() should not load from a file: URL in Node"), (err) => err);
  assert.match(e.message, /^vipps-login\/begin: init\(\) cannot fetch begin_wasm_bg\.wasm from a file: URL in Node\./);
  assert.ok(e.message.endsWith('initSync({ module: readFileSync(new URL("begin_wasm_bg.wasm", import.meta.resolve("vipps-login/begin"))) })'), e.message);
  assert.throws(() => begin.randomState(), { message: NOT_INITIALIZED });
  begin.initSync({ module: readFileSync(join(pkgDir, "begin_wasm_bg.wasm")) });
  main.initSync({ module: readFileSync(join(pkgDir, "vipps_login_bg.wasm")) });
  assert.match(begin.randomState(), /^[A-Za-z0-9_-]{43}$/);
});

const fixed = {
  clientId: "client-1",
  redirectUri: "https://shop.example/callback",
  state: "state-123456",
  nonce: "nonce-123456",
  codeVerifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
};
const discovery = {
  issuer: "http://localhost:3000",
  authorization_endpoint: "http://localhost:3000/auth",
  token_endpoint: "http://localhost:3000/token",
  jwks_uri: "http://localhost:3000/jwks",
};

test("createLogin: the same URL and values as the main entry, for every option", () => {
  const cases = [
    {},
    { scope: "name  email phoneNumber" },
    { scope: ["name", "email", "name"] },
    { scope: ["openid", "profile", "offline_access"], allowNonVippsScopes: true, issuer: discovery.issuer, discovery },
    { environment: "production", market: "FI", finalRedirectIsApp: true, acrValues: "urn:vipps:acr:app_auth" },
    { issuer: "http://127.0.0.1:7000/access-management-1.0/access/", requestedFlow: "automatic_return_from_vipps_app" },
    { requestedFlow: "app_to_app", appCallbackUri: "myapp://vipps/done" },
    { requestedFlow: "app_to_app_v2", redirectUri: "https://shop.example/app?x=a%20b&y=%C3%A6" },
    { scope: [] },
    { pkce: false, codeVerifier: undefined, finalRedirectIsApp: false },
    { registeredRedirectUris: ["https://other.example/", "https://shop.example/callback"] },
    { clientId: undefined, msn: "123456", market: null },
  ];
  for (const extra of cases) {
    const options = { ...fixed, ...extra };
    assert.deepEqual(begin.createLogin(options), main.createLogin(options), JSON.stringify(extra));
  }
  // And the PKCE pair is RFC 7636 4.2's S256 of the verifier.
  const login = begin.createLogin({ clientId: "c", redirectUri: "https://shop.example/cb" });
  const s256 = createHash("sha256").update(login.codeVerifier).digest("base64url");
  assert.equal(login.codeChallenge, s256);
  assert.equal(new URL(login.url).searchParams.get("code_challenge"), s256);
  assert.equal(new URL(login.url).searchParams.get("state"), login.state);
});

function codeOf(f) {
  try {
    f();
  } catch (e) {
    assert.equal(e.name, "VippsLoginError");
    assert.ok(e instanceof Error);
    assert.equal(typeof e.message, "string");
    assert.ok(e.message.length > 10, e.message);
    return e.code;
  }
  return "ok";
}

test("createLogin: refused with the main entry's codes, one fault at a time", () => {
  const cases = [
    [null],
    ["https://shop.example/cb"],
    [[]],
    [{ ...fixed, redirectURI: "https://x.example/" }],
    [{ ...fixed, clientId: 42 }],
    [{ ...fixed, pkce: "yes" }],
    [{ ...fixed, scope: 7 }],
    [{ ...fixed, scope: ["name", 7] }],
    [{ ...fixed, scope: [""] }],
    [{ ...fixed, redirectUri: "https://shop.example/app?x=a b" }],
    [{ ...fixed, scope: ["profile"] }],
    [{ ...fixed, registeredRedirectUris: "https://shop.example/callback" }],
    [{ ...fixed, registeredRedirectUris: [] }],
    [{ ...fixed, registeredRedirectUris: [""] }],
    [{ ...fixed, registeredRedirectUris: [1] }],
    [{ ...fixed, discovery: "x", issuer: discovery.issuer }],
    [{ ...fixed, discovery: { ...discovery, jwks_uri: undefined }, issuer: discovery.issuer }],
    [{ ...fixed, discovery: { ...discovery, issuer: "http://localhost:3000/" }, issuer: discovery.issuer }],
    [{ ...fixed, redirectUri: "http://shop.example/callback" }],
    [{ ...fixed, redirectUri: "https://shop.example/callback#top" }],
    [{ ...fixed, redirectUri: "" }],
    [{ ...fixed, environment: "prod" }],
    [{ ...fixed, issuer: "https://op.example" }],
    [{ ...fixed, state: "short" }],
    [{ ...fixed, nonce: "" }],
    [{ ...fixed, market: "no" }],
    [{ ...fixed, requestedFlow: "app_to_app" }],
    [{ ...fixed, appCallbackUri: "myapp://x" }],
    [{ ...fixed, codeVerifier: "short" }],
    [{ ...fixed, clientId: undefined }],
  ];
  for (const [options] of cases) {
    const b = codeOf(() => begin.createLogin(options));
    const m = codeOf(() => main.createLogin(options));
    assert.equal(b, m, JSON.stringify(options));
    assert.notEqual(b, "ok", JSON.stringify(options));
  }
});

test("createLogin: the separators of the packed options cannot be smuggled in", () => {
  for (const key of ["clientId", "redirectUri", "state", "nonce", "market"]) {
    for (const bad of ["a\0b", "a\x1fb"]) {
      assert.throws(() => begin.createLogin({ ...fixed, [key]: `${fixed[key] ?? "x"}${bad}` }), (e) => {
        assert.equal(e.code, "invalid_options");
        assert.match(e.message, new RegExp(`^${key} holds a NUL or US control character`));
        return true;
      });
    }
  }
  // In a list item too: otherwise ["a\x1fb"] would register two URIs.
  assert.throws(() => begin.createLogin({ ...fixed, registeredRedirectUris: [`${fixed.redirectUri}\x1fx`] }), { code: "invalid_options" });
});

test("randomState, randomNonce, createPkce: 256-bit base64url values, fresh each time", () => {
  const seen = new Set();
  for (let i = 0; i < 100; i++) {
    for (const v of [begin.randomState(), begin.randomNonce()]) {
      assert.match(v, /^[A-Za-z0-9_-]{43}$/);
      seen.add(v);
    }
    const { codeVerifier, codeChallenge } = begin.createPkce();
    assert.match(codeVerifier, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(codeChallenge, createHash("sha256").update(codeVerifier).digest("base64url"));
    seen.add(codeVerifier);
  }
  assert.equal(seen.size, 300);
});

test("vipps-login/pkce: clear errors before init and from init() in Node; then the same values", async () => {
  const pkce = await import(new URL("../../pkg/pkce.js", import.meta.url));
  const notYet = "vipps-login/pkce: call init() (browsers) or initSync({ module }) (Node) before any other export";
  for (const f of [pkce.randomState, pkce.randomNonce, pkce.createPkce]) assert.throws(f, { message: notYet });
  const e = await pkce.default().then(() => assert.fail("init() should not load from a file: URL in Node"), (err) => err);
  assert.match(e.message, /^vipps-login\/pkce: init\(\) cannot fetch pkce_wasm_bg\.wasm from a file: URL in Node\./);
  pkce.initSync({ module: readFileSync(join(pkgDir, "pkce_wasm_bg.wasm")) });
  const a = pkce.createPkce();
  const b = pkce.createPkce();
  assert.notEqual(a.codeVerifier, b.codeVerifier);
  assert.equal(a.codeChallenge, createHash("sha256").update(a.codeVerifier).digest("base64url"));
  assert.match(pkce.randomState(), /^[A-Za-z0-9_-]{43}$/);
  assert.notEqual(pkce.randomNonce(), pkce.randomNonce());
});
