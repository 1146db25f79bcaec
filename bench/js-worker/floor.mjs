// The floor for `make bench`'s Worker CPU comparison: what workerd itself spends on one
// complete login, whatever language the Worker is written in. It makes the platform
// calls a login needs and nothing else: no validation, no error handling beyond a 500,
// no claim checks. Not a Worker anyone should deploy; it exists to be measured.
//
// Two designs, chosen per instance by the FLOOR_STORAGE binding:
//   "durable-object" (the storage design of both measured Workers, bench/js-worker/
//     worker.mjs and src/worker/): the same Durable Object calls in the same order —
//     put-if-absent + alarm at GET /login; claim (read, write, alarm), complete (read,
//     write, alarm) at GET /callback; deleteAll in the alarm.
//   "durable-object-fetch": the same, each call a stub.fetch with a JSON body (as our
//     Worker calls its objects) instead of RPC (as the JS Worker does).
//   "none": no storage at all (the transaction's values carried in a plain cookie, which
//     no real Worker may do: it is the least any design can cost).
// Both make what no design can leave out: the HTTP answers, discovery and the JWKS once per
// isolate, the token request (client_secret_basic, PKCE), the id_token's RS256 signature
// checked with WebCrypto, userinfo, an HMAC-signed session cookie, and one log line per
// request. The randomness, the S256 challenge and the HMAC state tag are made as the
// measured Workers make them (WebCrypto), so only the Workers' own code is missing.
import { DurableObject } from "cloudflare:workers";
import { b64url, cookie, fromB64url } from "./common.mjs";

const encoder = new TextEncoder();
const now = () => Math.floor(Date.now() / 1000);

const random = (n) => b64url(crypto.getRandomValues(new Uint8Array(n)));
const sha256 = async (text) => b64url(new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text))));
const hmacKey = (raw) => crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
const fromJson64 = (text) => JSON.parse(new TextDecoder().decode(fromB64url(text)));
const sign = async (key, bytes) => new Uint8Array(await crypto.subtle.sign("HMAC", key, bytes));

let settings;
function loadSettings(env) {
  settings ??= (async () => {
    const as = await (await fetch(`${env.VIPPS_ISSUER.replace(/\/$/, "")}/.well-known/openid-configuration`)).json();
    const jwks = await (await fetch(as.jwks_uri)).json();
    const keys = new Map();
    for (const jwk of jwks.keys) {
      keys.set(jwk.kid, await crypto.subtle.importKey("jwk", jwk, { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" }, false, ["verify"]));
    }
    const sessionKey = await hmacKey(encoder.encode(env.SESSION_SECRET));
    return {
      as,
      keys,
      sessionKey,
      stateKey: await hmacKey(await sign(sessionKey, encoder.encode("vipps-login state v1"))),
      basic: `Basic ${btoa(`${encodeURIComponent(env.VIPPS_CLIENT_ID)}:${encodeURIComponent(env.VIPPS_CLIENT_SECRET)}`)}`,
      stored: env.FLOOR_STORAGE !== "none",
      // Our Worker calls its objects with stub.fetch and JSON bodies, the JS Worker over RPC.
      overFetch: env.FLOOR_STORAGE === "durable-object-fetch",
    };
  })();
  return settings;
}

function redirect(location, cookies) {
  const headers = new Headers({ location, "cache-control": "no-store" });
  for (const c of cookies) headers.append("set-cookie", `${c}; Path=/; HttpOnly; SameSite=Lax`);
  return new Response(null, { status: 302, headers });
}

/** One Durable Object call: over RPC, or as a POST with a JSON body to the object's fetch. */
async function call(s, stub, method, ...args) {
  if (!s.overFetch) return stub[method](...args);
  const response = await stub.fetch(`https://do/${method}`, { method: "POST", body: JSON.stringify(args) });
  return response.json();
}

async function login(request, env) {
  const s = await loadSettings(env);
  const binding = cookie(request, "vipps_login_binding") ?? random(32);
  const bytes = crypto.getRandomValues(new Uint8Array(40));
  bytes.set((await sign(s.stateKey, bytes.subarray(0, 24))).subarray(0, 16), 24);
  const state = b64url(bytes);
  const t = { state, nonce: random(32), code_verifier: random(32), binding_sha256: await sha256(binding), expires_at: now() + 900 };
  const challenge = await sha256(t.code_verifier);
  const cookies = [`vipps_login_binding=${binding}`];
  if (s.stored) await call(s, env.LOGIN_TRANSACTIONS.get(env.LOGIN_TRANSACTIONS.idFromName(state)), "put", t);
  // (The bench's client keeps only cookies named like the binding cookie.)
  else cookies.push(`tx_vipps_login_binding=${b64url(encoder.encode(JSON.stringify(t)))}`);
  const q = new URLSearchParams({
    client_id: env.VIPPS_CLIENT_ID,
    response_type: "code",
    scope: env.VIPPS_SCOPES.split(" ").includes("openid") ? env.VIPPS_SCOPES : `openid ${env.VIPPS_SCOPES}`,
    state,
    nonce: t.nonce,
    redirect_uri: env.VIPPS_REDIRECT_URI,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  return redirect(`${s.as.authorization_endpoint}?${q}`, cookies);
}

async function callback(request, env, url) {
  const s = await loadSettings(env);
  const state = url.searchParams.get("state") ?? "";
  const code = url.searchParams.get("code") ?? "";
  await sign(s.stateKey, fromB64url(state).subarray(0, 24));
  const presented = { code_sha256: await sha256(code), browser_sha256: await sha256(cookie(request, "vipps_login_binding") ?? "") };
  const stub = s.stored ? env.LOGIN_TRANSACTIONS.get(env.LOGIN_TRANSACTIONS.idFromName(state)) : null;
  const t = stub ? await call(s, stub, "claim", state, presented) : fromJson64(cookie(request, "tx_vipps_login_binding"));
  const tokenResponse = await fetch(s.as.token_endpoint, {
    method: "POST",
    headers: { authorization: s.basic, "content-type": "application/x-www-form-urlencoded", accept: "application/json" },
    body: new URLSearchParams({ grant_type: "authorization_code", code, redirect_uri: env.VIPPS_REDIRECT_URI, code_verifier: t.code_verifier }),
  });
  const tokens = await tokenResponse.json();
  const [header, payload, signature] = tokens.id_token.split(".");
  const { kid } = fromJson64(header);
  await crypto.subtle.verify("RSASSA-PKCS1-v1_5", s.keys.get(kid), fromB64url(signature), encoder.encode(`${header}.${payload}`));
  const claims = fromJson64(payload);
  const userinfo = await (await fetch(s.as.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json();
  const session = b64url(encoder.encode(JSON.stringify({ sub: claims.sub, name: userinfo.name, iat: now(), exp: now() + 8 * 3600 })));
  const sealed = `${session}.${b64url(await sign(s.sessionKey, encoder.encode(session)))}`;
  if (stub) await call(s, stub, "complete", state, { session: sealed, user: userinfo });
  return redirect("/", [`vipps_session=${sealed}`, ...(stub ? [] : ["tx_vipps_login_binding=; Max-Age=0"])]);
}

export default {
  async fetch(request, env) {
    const started = Date.now();
    const url = new URL(request.url);
    let response;
    try {
      if (url.pathname === "/login") response = await login(request, env);
      else if (url.pathname === "/callback") response = await callback(request, env, url);
      else response = new Response(null, { status: 404 });
    } catch (e) {
      response = new Response(String(e?.message ?? e).slice(0, 200), { status: 500 });
    }
    console.log(JSON.stringify({ method: request.method, path: url.pathname, status: response.status, ms: Date.now() - started }));
    return response;
  },
};

/** The Durable Object calls of the measured Workers' design, with no checks. */
export class LoginTransactions extends DurableObject {
  async fetch(request) {
    const method = new URL(request.url).pathname.slice(1);
    return Response.json((await this[method](...(await request.json()))) ?? null);
  }

  async write(state, value, until) {
    await this.ctx.storage.put(state, JSON.stringify(value));
    await this.ctx.storage.setAlarm(until * 1000);
  }

  async put(t) {
    if (!(await this.ctx.storage.get(t.state))) await this.write(t.state, { pending: t }, t.expires_at);
  }

  async claim(state, presented) {
    const { pending } = JSON.parse(await this.ctx.storage.get(state));
    await this.write(state, { redeeming: { transaction: pending, ...presented } }, now() + 45);
    return pending;
  }

  async complete(state, result) {
    const { redeeming } = JSON.parse(await this.ctx.storage.get(state));
    await this.write(state, { completed: { result, code_sha256: redeeming.code_sha256 } }, now() + 120);
  }

  async alarm() {
    await this.ctx.storage.deleteAll();
  }
}
