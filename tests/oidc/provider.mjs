// A real, certified OpenID Provider (npm `oidc-provider`, v9) for tests.
//
// It runs on 127.0.0.1 over plain http with one confidential client, PKCE (S256) required,
// no browser UI: hitting the interaction URL logs the fixed test account in and grants what
// was asked for (or, with `?cancel=1`, ends the request with `access_denied`).
//
// Exports:
//   startProvider({ clientId, clientSecret, redirectUris, port }) -> { issuer, close }
//   authorizeWithCookies(authorizationUrl, { cancel, jar, maxRedirects }) -> final redirect URL
//   CookieJar, TEST_ACCOUNT
//
// oidc-provider prints "Unsupported runtime" on Node 20 (it wants Node 22 LTS) and a notice
// about its in-memory adapter; both go to stderr (console.warn). All of its "you SHOULD change
// this default" notices go to stdout (console.info), so every default that triggers one is
// replaced below.

import { createServer } from "node:http";
import { generateKeyPairSync, randomUUID } from "node:crypto";
import Provider from "oidc-provider";

export const TEST_ACCOUNT = Object.freeze({
  sub: "oidc-user-1",
  name: "Ada Lovelace",
  given_name: "Ada",
  family_name: "Lovelace",
  email: "ada@example.org",
  email_verified: true,
});

const INTERACTION_PATH = /^\/interaction\/([A-Za-z0-9_-]+)$/;

function signingKey() {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return { ...privateKey.export({ format: "jwk" }), kid: `test-${randomUUID()}`, alg: "RS256", use: "sig" };
}

/**
 * Start oidc-provider on 127.0.0.1.
 * @param {object} options
 * @param {string} [options.clientId]
 * @param {string} [options.clientSecret]
 * @param {string[]|string} options.redirectUris exact redirect URIs of the client, e.g. http://127.0.0.1:1234/callback
 * @param {number} [options.port] 0 (default) picks a free port
 * @returns {Promise<{ issuer: string, close: () => Promise<void> }>}
 */
export async function startProvider({
  clientId = "oidc-client",
  clientSecret = "oidc-secret-0123456789",
  redirectUris,
  port = 0,
} = {}) {
  if (typeof redirectUris === "string") redirectUris = [redirectUris];
  if (!Array.isArray(redirectUris) || redirectUris.length === 0) {
    throw new TypeError("startProvider: redirectUris (non-empty array of URLs) is required");
  }

  // oidc-provider needs its issuer at construction time, so listen first to learn the port and
  // attach the provider's handler afterwards. Until then requests get a 503.
  let handler = (_req, res) => {
    res.statusCode = 503;
    res.end("starting");
  };
  const server = createServer((req, res) => handler(req, res));
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const issuer = `http://127.0.0.1:${server.address().port}`;

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        // application_type stays "web" (the default). oidc-provider only forbids http and
        // localhost redirect URIs for web clients that use the implicit grant; for the code
        // flow http://127.0.0.1:PORT/callback is accepted as is and matched exactly.
        // ("native" would also accept it, but then loopback redirect URIs match with any port
        // per RFC 8252, which would hide port mistakes in the code under test.)
        redirect_uris: redirectUris,
        token_endpoint_auth_method: "client_secret_basic",
        response_types: ["code"],
        grant_types: ["authorization_code"],
        id_token_signed_response_alg: "RS256",
      },
    ],
    // v9 option: `pkce.required(ctx, client)`. Its default only requires PKCE for public
    // clients and FAPI 2.0; this makes it mandatory for our confidential client too. S256 is
    // the only method v9 supports (and advertises in code_challenge_methods_supported).
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: false }, // no built-in login/consent pages; see /interaction below
      userinfo: { enabled: true }, // default, stated for clarity
      // RFC 9207 `iss` in the authorization response is always on in v9
      // (authorization_response_iss_parameter_supported: true); nothing to configure.
    },
    responseTypes: ["code"], // authorization code flow only (default also offers id_token, none, ...)
    scopes: ["openid", "profile", "email"],
    claims: {
      openid: ["sub"],
      profile: ["name", "given_name", "family_name"],
      email: ["email", "email_verified"],
    },
    async findAccount(_ctx, sub) {
      if (sub !== TEST_ACCOUNT.sub) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { ...TEST_ACCOUNT };
        },
      };
    },
    jwks: { keys: [signingKey()] },
    cookies: {
      keys: ["oidc-test-cookie-key-0123456789abcdef", "oidc-test-cookie-key-fedcba9876543210"],
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
    },
    // Explicit values: the defaults print "you SHOULD change" notices on stdout.
    ttl: {
      AccessToken: 3600,
      AuthorizationCode: 60,
      ClientCredentials: 600,
      DeviceCode: 600,
      BackchannelAuthenticationRequest: 600,
      PreAuthorizedCode: 600,
      IdToken: 3600,
      RefreshToken: 86400,
      Interaction: 3600,
      Session: 86400,
      Grant: 86400,
    },
    // Errors that cannot be sent to the client (bad client_id / redirect_uri) as plain text;
    // the default HTML page also prints a stdout notice.
    renderError(ctx, out) {
      ctx.type = "text/plain; charset=utf-8";
      ctx.body = `${Object.entries(out).map(([k, v]) => `${k}: ${v}`).join("\n")}\n`;
    },
    // Test provider: allow CORS from any origin (browser-based tests may call the token or
    // userinfo endpoints directly). Also avoids the default's stdout notice.
    clientBasedCORS: () => true,
  });

  const callback = provider.callback();

  async function interaction(req, res, uid) {
    const url = new URL(req.url, issuer);
    try {
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== uid) throw new Error("interaction uid mismatch");

      if (url.searchParams.get("cancel") === "1") {
        await provider.interactionFinished(
          req,
          res,
          { error: "access_denied", error_description: "End-User aborted interaction" },
          { mergeWithLastSubmission: false },
        );
        return;
      }

      const { prompt, params, session } = details;
      const accountId = session?.accountId ?? TEST_ACCOUNT.sub;

      // Grant everything that was asked for: all requested OIDC scopes, plus whatever the
      // consent prompt reports as missing (claims from the `claims` parameter, resource scopes).
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId, clientId: params.client_id });
      if (params.scope) grant.addOIDCScope(String(params.scope));
      const missing = prompt?.details ?? {};
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(" "));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      if (missing.missingResourceScopes) {
        for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes)) {
          grant.addResourceScope(indicator, scopes.join(" "));
        }
      }
      const grantId = await grant.save();

      // Login and consent in one step (the interaction starts with the "login" prompt when
      // there is no session, or "consent" when the session exists but the grant lacks scopes).
      const result = { consent: { grantId } };
      if (!session?.accountId || prompt?.name === "login") result.login = { accountId };
      await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false });
    } catch (err) {
      if (res.headersSent) {
        res.destroy(err);
        return;
      }
      res.statusCode = err?.statusCode ?? err?.status ?? 500;
      res.setHeader("content-type", "text/plain; charset=utf-8");
      res.end(`interaction failed: ${err?.name ?? "Error"}: ${err?.error_description ?? err?.message ?? err}\n`);
    }
  }

  handler = (req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const match = req.method === "GET" ? INTERACTION_PATH.exec(path) : null;
    if (match) {
      interaction(req, res, match[1]);
      return;
    }
    callback(req, res);
  };

  let closed;
  async function close() {
    closed ??= new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closed;
  }

  return { issuer, close };
}

/**
 * Minimal cookie jar for one user agent: honours Domain-less host cookies, Path, Max-Age/Expires
 * deletion. Enough for oidc-provider's `_session`, `_interaction`, `_interaction_resume`
 * cookies (and their `.sig` companions).
 */
export class CookieJar {
  /** @type {Map<string, { host: string, name: string, value: string, path: string, expires: number }>} */
  #cookies = new Map();

  /** Store the Set-Cookie headers of `response` (a fetch Response) received from `url`. */
  store(url, response) {
    const u = new URL(url);
    for (const line of response.headers.getSetCookie()) this.#storeOne(u, line);
  }

  #storeOne(u, line) {
    const [pair, ...attrs] = line.split(";");
    const eq = pair.indexOf("=");
    if (eq <= 0) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    let path = u.pathname.replace(/\/[^/]*$/, "") || "/";
    let expires = Infinity;
    for (const attr of attrs) {
      const i = attr.indexOf("=");
      const key = (i < 0 ? attr : attr.slice(0, i)).trim().toLowerCase();
      const val = i < 0 ? "" : attr.slice(i + 1).trim();
      if (key === "path" && val.startsWith("/")) path = val;
      else if (key === "max-age") expires = Date.now() + Number(val) * 1000;
      else if (key === "expires" && expires === Infinity) expires = Date.parse(val);
    }
    const key = `${u.host} ${path} ${name}`;
    if (!(expires > Date.now())) this.#cookies.delete(key);
    else this.#cookies.set(key, { host: u.host, name, value, path, expires });
  }

  /** The Cookie header value for a request to `url` (or undefined). */
  header(url) {
    const u = new URL(url);
    const now = Date.now();
    const out = [];
    for (const [key, c] of this.#cookies) {
      if (c.expires <= now) {
        this.#cookies.delete(key);
        continue;
      }
      if (c.host !== u.host) continue;
      const p = c.path.endsWith("/") ? c.path : `${c.path}/`;
      if (u.pathname !== c.path && !u.pathname.startsWith(p)) continue;
      out.push(`${c.name}=${c.value}`);
    }
    return out.length ? out.join("; ") : undefined;
  }
}

/**
 * Play the user agent: GET `authorizationUrl` and follow redirects (manually, carrying cookies)
 * until a redirect leaves the provider's origin, and return that redirect's absolute URL —
 * normally the client's redirect_uri with `code`, `state`, `iss` (or `error`).
 *
 * The provider's origin is that of `authorizationUrl` unless `providerOrigin` is given (e.g.
 * when starting from an app's own /login URL that redirects to the provider: pass the issuer).
 * With `cancel: true` the interaction is aborted (→ `error=access_denied`).
 *
 * @param {string|URL} authorizationUrl
 * @param {{ cancel?: boolean, jar?: CookieJar, maxRedirects?: number, providerOrigin?: string }} [options]
 * @returns {Promise<string>}
 */
export async function authorizeWithCookies(
  authorizationUrl,
  { cancel = false, jar = new CookieJar(), maxRedirects = 20, providerOrigin } = {},
) {
  const start = new URL(authorizationUrl);
  const origin = providerOrigin ? new URL(providerOrigin).origin : start.origin;
  let url = start.href;
  let enteredProvider = start.origin === origin;
  for (let hop = 0; hop <= maxRedirects; hop++) {
    const headers = {};
    const cookie = jar.header(url);
    if (cookie) headers.cookie = cookie;
    const response = await fetch(url, { redirect: "manual", headers });
    jar.store(url, response);
    const location = response.headers.get("location");
    if (response.status < 300 || response.status >= 400 || !location) {
      const body = await response.text().catch(() => "");
      throw new Error(
        `authorizeWithCookies: expected a redirect from ${url}, got ${response.status}: ${body.slice(0, 500)}`,
      );
    }
    await response.body?.cancel().catch(() => {});
    const next = new URL(location, url);
    if (next.origin === origin) {
      enteredProvider = true;
      if (cancel && /^\/interaction\//.test(next.pathname)) next.searchParams.set("cancel", "1");
    } else if (enteredProvider) {
      return next.href;
    }
    url = next.href;
  }
  throw new Error(`authorizeWithCookies: more than ${maxRedirects} redirects starting at ${start.href}`);
}
