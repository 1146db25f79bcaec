// Proves the oidc-provider test harness (tests/oidc/provider.mjs) end to end with plain fetch:
// discovery, authorization code + PKCE with a manual cookie-carrying redirect chain, token
// exchange with client_secret_basic, userinfo, cancel, PKCE enforcement, and the serve script.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { startProvider, authorizeWithCookies, CookieJar, TEST_ACCOUNT } from "./provider.mjs";

const CLIENT_ID = "oidc-client";
const CLIENT_SECRET = "oidc-secret-0123456789";
// Nothing listens here: the flow stops at the redirect to it.
const REDIRECT_URI = "http://127.0.0.1:9/callback";

let provider;
let discovery;

const b64url = (buf) => Buffer.from(buf).toString("base64url");
const basic = (id, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString("base64")}`;

function pkce() {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash("sha256").update(verifier).digest());
  return { verifier, challenge };
}

function authorizationUrl({ state, nonce, challenge, scope = "openid profile email" }) {
  const url = new URL(discovery.authorization_endpoint);
  url.search = new URLSearchParams({
    client_id: CLIENT_ID,
    response_type: "code",
    redirect_uri: REDIRECT_URI,
    scope,
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: "S256",
  }).toString();
  return url.href;
}

async function tokenRequest(params) {
  const response = await fetch(discovery.token_endpoint, {
    method: "POST",
    headers: {
      authorization: basic(CLIENT_ID, CLIENT_SECRET),
      "content-type": "application/x-www-form-urlencoded",
      accept: "application/json",
    },
    body: new URLSearchParams(params).toString(),
  });
  return { status: response.status, body: await response.json() };
}

function decodeJwt(jwt) {
  const [header, payload] = jwt.split(".").slice(0, 2).map((p) => JSON.parse(Buffer.from(p, "base64url")));
  return { header, payload };
}

before(async () => {
  provider = await startProvider({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUris: [REDIRECT_URI] });
});

after(async () => {
  await provider?.close();
});

test("discovery advertises issuer, RFC 9207 iss and S256 PKCE", async () => {
  const response = await fetch(`${provider.issuer}/.well-known/openid-configuration`);
  assert.equal(response.status, 200);
  discovery = await response.json();
  assert.match(provider.issuer, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(discovery.issuer, provider.issuer);
  assert.equal(discovery.authorization_response_iss_parameter_supported, true);
  assert.ok(discovery.code_challenge_methods_supported.includes("S256"));
  assert.deepEqual(discovery.response_types_supported, ["code"]);
  assert.ok(discovery.token_endpoint_auth_methods_supported.includes("client_secret_basic"));
  assert.ok(discovery.id_token_signing_alg_values_supported.includes("RS256"));
  for (const scope of ["openid", "profile", "email"]) assert.ok(discovery.scopes_supported.includes(scope), scope);
  assert.ok(discovery.userinfo_endpoint);

  const jwks = await (await fetch(discovery.jwks_uri)).json();
  assert.equal(jwks.keys.length, 1);
  assert.equal(jwks.keys[0].kty, "RSA");
  assert.equal(jwks.keys[0].alg, "RS256");
  assert.equal(jwks.keys[0].use, "sig");
  assert.equal(jwks.keys[0].d, undefined, "private part must not be published");
});

test("authorization code + PKCE flow with manual redirects and cookies", async () => {
  const { verifier, challenge } = pkce();
  const state = b64url(randomBytes(16));
  const nonce = b64url(randomBytes(16));
  const jar = new CookieJar();

  // Step through the chain by hand (what a Rust/Worker client does), recording each hop.
  let url = authorizationUrl({ state, nonce, challenge });
  const hops = [];
  let callback;
  for (let i = 0; i < 10 && !callback; i++) {
    const headers = {};
    const cookie = jar.header(url);
    if (cookie) headers.cookie = cookie;
    const response = await fetch(url, { redirect: "manual", headers });
    jar.store(url, response);
    await response.arrayBuffer();
    assert.equal(response.status, 303, `${url} -> ${response.status}`);
    const location = new URL(response.headers.get("location"), url);
    hops.push(`${response.status} ${location.pathname}`);
    if (location.href.startsWith(REDIRECT_URI)) callback = location;
    url = location.href;
  }
  assert.ok(callback, `no redirect to the client; hops: ${hops.join(", ")}`);
  assert.match(hops[0], /^303 \/interaction\/[\w-]+$/, hops.join(", "));
  assert.ok(hops.some((h) => /^303 \/auth\/[\w-]+$/.test(h)), `resume hop missing: ${hops.join(", ")}`);

  const params = callback.searchParams;
  assert.equal(callback.origin + callback.pathname, REDIRECT_URI);
  assert.equal(params.get("state"), state);
  assert.equal(params.get("iss"), provider.issuer);
  assert.equal(params.get("error"), null);
  const code = params.get("code");
  assert.ok(code);

  const { status, body } = await tokenRequest({
    grant_type: "authorization_code",
    code,
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
  });
  assert.equal(status, 200, JSON.stringify(body));
  assert.ok(body.id_token);
  assert.ok(body.access_token);
  assert.equal(body.token_type, "Bearer");
  assert.equal(body.scope.split(" ").sort().join(" "), "email openid profile");

  const idToken = decodeJwt(body.id_token);
  assert.equal(idToken.header.alg, "RS256");
  assert.equal(idToken.payload.iss, provider.issuer);
  assert.equal(idToken.payload.aud, CLIENT_ID);
  assert.equal(idToken.payload.sub, TEST_ACCOUNT.sub);
  assert.equal(idToken.payload.nonce, nonce);

  const userinfo = await fetch(discovery.userinfo_endpoint, {
    headers: { authorization: `Bearer ${body.access_token}` },
  });
  assert.equal(userinfo.status, 200);
  const claims = await userinfo.json();
  assert.equal(claims.sub, "oidc-user-1");
  assert.equal(claims.name, "Ada Lovelace");
  assert.equal(claims.given_name, "Ada");
  assert.equal(claims.family_name, "Lovelace");
  assert.equal(claims.email, "ada@example.org");
  assert.equal(claims.email_verified, true);

  // The code is single use.
  const replay = await tokenRequest({ grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI, code_verifier: verifier });
  assert.equal(replay.status, 400);
  assert.equal(replay.body.error, "invalid_grant");
});

test("authorizeWithCookies returns the redirect to the client; the session is reused", async () => {
  const jar = new CookieJar();
  for (let round = 0; round < 2; round++) {
    const { verifier, challenge } = pkce();
    const state = `s${round}`;
    const location = new URL(await authorizeWithCookies(authorizationUrl({ state, nonce: `n${round}`, challenge }), { jar }));
    assert.equal(location.origin + location.pathname, REDIRECT_URI);
    assert.equal(location.searchParams.get("state"), state);
    assert.equal(location.searchParams.get("iss"), provider.issuer);
    const { status, body } = await tokenRequest({
      grant_type: "authorization_code",
      code: location.searchParams.get("code"),
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(decodeJwt(body.id_token).payload.sub, TEST_ACCOUNT.sub);
  }
});

test("cancel at the interaction gives access_denied with state and iss", async () => {
  const { challenge } = pkce();
  const location = new URL(
    await authorizeWithCookies(authorizationUrl({ state: "cancel-state", nonce: "n", challenge }), { cancel: true }),
  );
  assert.equal(location.origin + location.pathname, REDIRECT_URI);
  assert.equal(location.searchParams.get("error"), "access_denied");
  assert.equal(location.searchParams.get("error_description"), "End-User aborted interaction");
  assert.equal(location.searchParams.get("state"), "cancel-state");
  assert.equal(location.searchParams.get("iss"), provider.issuer);
  assert.equal(location.searchParams.get("code"), null);
});

test("PKCE is enforced", async () => {
  // Without code_challenge the authorization request itself is rejected (to the client).
  const url = new URL(authorizationUrl({ state: "no-pkce", nonce: "n", challenge: "x" }));
  url.searchParams.delete("code_challenge");
  url.searchParams.delete("code_challenge_method");
  const rejected = new URL(await authorizeWithCookies(url));
  assert.equal(rejected.searchParams.get("error"), "invalid_request");
  assert.match(rejected.searchParams.get("error_description"), /PKCE/);
  assert.equal(rejected.searchParams.get("state"), "no-pkce");

  // With a challenge but no code_verifier at the token endpoint: invalid_grant.
  const { verifier, challenge } = pkce();
  const location = new URL(await authorizeWithCookies(authorizationUrl({ state: "s", nonce: "n", challenge })));
  const code = location.searchParams.get("code");
  const missing = await tokenRequest({ grant_type: "authorization_code", code, redirect_uri: REDIRECT_URI });
  assert.equal(missing.status, 400);
  assert.equal(missing.body.error, "invalid_grant");

  // And a wrong verifier: invalid_grant too.
  const { challenge: c2 } = pkce();
  const location2 = new URL(await authorizeWithCookies(authorizationUrl({ state: "s", nonce: "n", challenge: c2 })));
  const wrong = await tokenRequest({
    grant_type: "authorization_code",
    code: location2.searchParams.get("code"),
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier,
  });
  assert.equal(wrong.status, 400);
  assert.equal(wrong.body.error, "invalid_grant");
});

test("token endpoint requires client_secret_basic with the right secret", async () => {
  const { verifier, challenge } = pkce();
  const location = new URL(await authorizeWithCookies(authorizationUrl({ state: "s", nonce: "n", challenge })));
  const response = await fetch(discovery.token_endpoint, {
    method: "POST",
    headers: { authorization: basic(CLIENT_ID, "wrong-secret"), "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: location.searchParams.get("code"),
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    }),
  });
  assert.equal(response.status, 401);
  assert.equal((await response.json()).error, "invalid_client");
});

test("an unregistered redirect_uri is not redirected to", async () => {
  const { challenge } = pkce();
  const url = new URL(authorizationUrl({ state: "s", nonce: "n", challenge }));
  url.searchParams.set("redirect_uri", "http://127.0.0.1:10/callback");
  const response = await fetch(url, { redirect: "manual" });
  assert.equal(response.status, 400);
  assert.equal(response.headers.get("location"), null);
  assert.match(await response.text(), /^error: invalid_redirect_uri$/m);
  await assert.rejects(authorizeWithCookies(url), /got 400: error: invalid_redirect_uri/);
});

test("serve-provider.mjs prints one ready line on stdout and exits on SIGTERM", async () => {
  const script = fileURLToPath(new URL("./serve-provider.mjs", import.meta.url));
  const child = spawn(
    process.execPath,
    [script, "--redirect-uri", REDIRECT_URI, "--client-id", "cli-client", "--client-secret", "cli-secret"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
  const exited = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  try {
    const deadline = Date.now() + 15000;
    while (!stdout.includes("\n")) {
      if (child.exitCode !== null) assert.fail(`exited early: ${stderr}`);
      if (Date.now() > deadline) assert.fail(`no ready line; stderr: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const match = /^oidc-provider listening issuer=(http:\/\/127\.0\.0\.1:\d+)\n$/.exec(stdout);
    assert.ok(match, `unexpected stdout: ${JSON.stringify(stdout)}`);
    const issuer = match[1];

    const config = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
    assert.equal(config.issuer, issuer);
    const { challenge } = pkce();
    const url = new URL(config.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: "cli-client",
      response_type: "code",
      redirect_uri: REDIRECT_URI,
      scope: "openid",
      state: "cli",
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    const location = new URL(await authorizeWithCookies(url));
    assert.equal(location.searchParams.get("state"), "cli");
    assert.ok(location.searchParams.get("code"));
    assert.equal(location.searchParams.get("iss"), issuer);

    child.kill("SIGTERM");
    const { code } = await exited;
    assert.equal(code, 0, stderr);
    assert.equal(stdout.split("\n").filter(Boolean).length, 1, `stdout must be one line: ${JSON.stringify(stdout)}`);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});
