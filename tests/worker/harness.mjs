// Runs the built Worker (build/, `make worker`) in real workerd, next to the local Vipps
// Login emulator (`make emulator`).
//
// Why miniflare's API rather than `wrangler dev`: both run the same workerd (miniflare
// 4.20260426.0 is the one wrangler 4.86.0 pulls), but miniflare is ready in well under a
// second instead of 4-9 s, takes `port: 0` and reports the address, takes bindings per
// Worker (several misconfigured Workers run side by side in one workerd, no .dev.vars to
// write), hands the test the Durable Object namespace (stored transactions are read
// through the object's own protocol, so the Worker needs no test-only route), captures
// workerd's stdout for the log-line assertions, and does not re-run the [build] command.
// wrangler.toml stays the single place for deployment; its compatibility date is read
// from there so the two cannot drift.
import { Miniflare } from "miniflare";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { createHash, createHmac, randomBytes } from "node:crypto";
import assert from "node:assert/strict";

export const root = fileURLToPath(new URL("../../", import.meta.url));

export const CLIENT_ID = "demo-client";
export const CLIENT_SECRET = "demo-secret";
export const SESSION_SECRET = "worker-test-session-secret-0123456789abcdef";
export const SCOPES = "openid name email phoneNumber address birthDate nin";

/** The internal URLs the Worker uses for its Durable Object (src/worker/transactions.rs). */
const TAKE_URL = "https://login-transactions.internal/take";
const PUT_URL = "https://login-transactions.internal/put";

/** A free TCP port on 127.0.0.1 (the Worker's redirect URI must name its port up front). */
export async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const POST_CLIENT_ID = "post-client";
export const POST_CLIENT_SECRET = "post-secret";
/** A partner's sales unit: authorize takes its msn instead of a client_id. */
export const PARTNER_CLIENT_ID = "partner-client";
export const PARTNER_CLIENT_SECRET = "partner-secret";
export const PARTNER_MSN = "123456";

/**
 * The settings of a Worker that logs in to `emulator` as demo-client (basic auth, every
 * scope) and comes back to `redirectUri`: what most tests start from, with `extra` on top.
 */
export function goodVars(emulator, redirectUri, extra = {}) {
  return {
    VIPPS_ISSUER: emulator.issuer,
    VIPPS_CLIENT_ID: CLIENT_ID,
    VIPPS_REDIRECT_URI: redirectUri,
    VIPPS_SCOPES: SCOPES,
    VIPPS_CLIENT_SECRET: CLIENT_SECRET,
    SESSION_SECRET,
    ...extra,
  };
}

/**
 * Starts the emulator binary on a free port with a config registering `redirectUri` (one
 * or an array) for two sales units: `demo-client` (client_secret_basic) and `post-client`
 * (client_secret_post). Its request log (`METHOD path status ms`, no query strings) is
 * collected in `requests`; `control(path, body)` posts to `/_emulator/{path}`. `extraToml`
 * is appended to the config (more `[[sales_units]]`, `[[partners]]`).
 */
export async function startEmulator(redirectUri, { settings = "", users = "", extraToml = "" } = {}) {
  const dir = await mkdtemp(join(tmpdir(), "vipps-worker-emulator-"));
  const config = join(dir, "config.toml");
  const unit = (name, id, secret, method) => `
[[sales_units]]
name = "${name}"
client_id = "${id}"
client_secret = "${secret}"
token_auth_method = "${method}"
redirect_uris = ${JSON.stringify([redirectUri].flat())}
scopes = ["openid", "name", "email", "phoneNumber", "address", "birthDate", "nin"]
`;
  await writeFile(
    config,
    `[settings]
sub_secret = "worker-test"
${settings}
${unit("Worker test shop", CLIENT_ID, CLIENT_SECRET, "client_secret_basic")}
${unit("Worker post shop", POST_CLIENT_ID, POST_CLIENT_SECRET, "client_secret_post")}
${unit("Worker partner shop", PARTNER_CLIENT_ID, PARTNER_CLIENT_SECRET, "client_secret_basic")}msn = "${PARTNER_MSN}"

[[users]]
id = "ola"
name = "Ola Nordmann"
given_name = "Ola"
family_name = "Nordmann"
email = "ola@example.no"
phone_number = "4712345678"
birthdate = "1985-04-12"
nin = "12048512345"
[users.address]
street_address = "Robert Levins gate 5"
postal_code = "0154"
region = "Oslo"
country = "NO"
address_type = "home"
[[users.other_addresses]]
street_address = "Karl Johans gate 1"
postal_code = "0154"
region = "Oslo"
country = "NO"
address_type = "work"

[[users]]
id = "kari"
name = "Kari Nordmann"
given_name = "Kari"
family_name = "Nordmann"
email = "kari@example.no"
phone_number = "4798765432"
birthdate = "1990-09-23"
nin = "23099012345"
${users}
${extraToml}`,
  );
  const child = spawn(join(root, "target/debug/vipps-login-emulator"), ["--port", "0", "--config", config], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`emulator exited with ${code}`)));
    child.once("error", reject);
    lines.once("line", resolve);
  });
  const match = first.match(/listening on (\S+) issuer=(\S+)/);
  if (!match) throw new Error(`unexpected emulator start line: ${first}`);
  const requests = [];
  lines.on("line", (line) => requests.push(line));
  const base = match[1];
  async function control(path, body = {}) {
    const response = await fetch(`${base}/_emulator/${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`emulator ${path}: ${response.status} ${await response.text()}`);
    await response.body?.cancel();
  }
  /** How many token requests the emulator has logged so far. */
  const tokenRequests = () => requests.filter((l) => /^POST \S*\/oauth2\/token /.test(l)).length;
  return { child, issuer: match[2], base, requests, control, tokenRequests };
}

async function compatibilityDate() {
  const toml = await readFile(join(root, "wrangler.toml"), "utf8");
  const match = toml.match(/^compatibility_date\s*=\s*"([^"]+)"/m);
  if (!match) throw new Error("wrangler.toml has no compatibility_date");
  return match[1];
}

/**
 * A miniflare worker definition. `spec` is the built Worker's bindings (a plain object),
 * or `{ vipps: bindings, services }` for the built Worker with service bindings (e.g.
 * `LOGIN_HOOK`; `rateLimit`: the LOGIN_RATE_LIMITER binding's starts per minute, `null`
 * for none; `transactions`, `phoneLogins`: another Durable Object class as
 * LOGIN_TRANSACTIONS or PHONE_LOGINS; `wrappedBindings`: bindings made by a test's
 * module, e.g. a rate limiter that fails), or
 * `{ js: "<module source>", bindings, services, durableObjects, wrapped }` for a small JS
 * Worker of a test's own (a shop, a login hook, a failing Durable Object; `wrapped`: the
 * module of a wrapped binding).
 */
async function workerOptions(name, spec) {
  const compatibility = await compatibilityDate();
  if (spec.js) {
    return {
      name,
      modules: true,
      script: spec.js,
      // A wrapped binding's module takes the date of the Worker it is bound to.
      ...(spec.wrapped ? {} : { compatibilityDate: compatibility }),
      bindings: spec.bindings ?? {},
      serviceBindings: spec.services ?? {},
      durableObjects: spec.durableObjects ?? {},
    };
  }
  const bindings = spec.vipps ?? spec;
  // A test's own Durable Object class (another Worker's, e.g. one that fails) in place
  // of the built Worker's LoginTransactions.
  const transactions = spec.transactions ?? { className: "LoginTransactions", useSQLite: true };
  const phoneLogins = spec.phoneLogins ?? { className: "PhoneLogins", useSQLite: true };
  return {
    name,
    modules: true,
    modulesRoot: join(root, "build"),
    scriptPath: join(root, "build/worker/shim.mjs"),
    // worker-build emits ES modules named .js and imports the .wasm.
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: compatibility,
    // As in wrangler.toml: one SQLite-backed object per transaction.
    durableObjects: {
      LOGIN_TRANSACTIONS: transactions,
      PHONE_LOGINS: phoneLogins,
    },
    // As in wrangler.toml, with a limit no test meets unless it asks for one
    // (`rateLimit`: starts per minute; `null`: no binding at all).
    ...(spec.rateLimit === null
      ? {}
      : { ratelimits: { LOGIN_RATE_LIMITER: { simple: { limit: spec.rateLimit ?? 100_000, period: 60 } } } }),
    // A test's own stand-in for a binding: { NAME: { scriptName } } (miniflare).
    wrappedBindings: spec.wrappedBindings ?? {},
    bindings,
    serviceBindings: spec.vipps ? (spec.services ?? {}) : {},
  };
}

/**
 * Starts workerd on `port` with one Worker per entry of `workers` ({ name: spec }, see
 * workerOptions); the first one answers on the port, the others through `worker(name)`.
 * Every line the Workers print is collected in `logs`. `persist`: a folder for the
 * Durable Objects' storage (else in memory), for tests that count what is stored.
 */
export async function startWorkers(port, workers, { persist } = {}) {
  const logs = [];
  const names = Object.keys(workers);
  const mf = new Miniflare({
    host: "127.0.0.1",
    port,
    workers: await Promise.all(names.map((name) => workerOptions(name, workers[name]))),
    ...(persist ? { durableObjectsPersist: persist } : {}),
    handleRuntimeStdio(stdout, stderr) {
      createInterface({ input: stdout }).on("line", (line) => logs.push(line));
      createInterface({ input: stderr }).on("line", (line) => process.stderr.write(`[workerd] ${line}\n`));
    },
  });
  const url = await mf.ready;
  return {
    mf,
    url: url.href,
    logs,
    /** fetch() for the named Worker (not the first): workerd routes it internally. */
    async worker(name) {
      return mf.getWorker(name);
    },
    /** Takes (and so deletes) the stored transaction for `state`, as the callback will. */
    async take(state, workerName = names[0]) {
      const ns = await mf.getDurableObjectNamespace("LOGIN_TRANSACTIONS", workerName);
      const stub = ns.get(ns.idFromName(state));
      const response = await stub.fetch(TAKE_URL, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ state }),
      });
      return { status: response.status, transaction: response.status === 200 ? await response.json() : null };
    },
    /** Stores a transaction as the Worker would (e.g. one already expired); the status. */
    async put(transaction, workerName = names[0]) {
      const ns = await mf.getDurableObjectNamespace("LOGIN_TRANSACTIONS", workerName);
      const stub = ns.get(ns.idFromName(transaction.state));
      const response = await stub.fetch(PUT_URL, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(transaction),
      });
      await response.text();
      return response.status;
    },
    /** A client for one Worker, the way a browser or a front-end reaches it. */
    async client(name = names[0]) {
      const target = name === names[0] ? { fetch } : await mf.getWorker(name);
      return new WorkerClient((u, init) => target.fetch(u, init), url.href);
    },
  };
}

/**
 * Requests to one Worker with URLs on `base` (the redirect URI's origin, so the Worker
 * sees the same origin whichever way it is reached), as one browser: the login-binding
 * cookie the Worker sets is kept and sent back, like a browser's cookie jar (the session
 * cookie is passed explicitly by the tests that use it). `fresh()` is another browser on
 * the same Worker. Redirects are never followed.
 */
export class WorkerClient {
  constructor(fetchFn, base) {
    this.fetchFn = fetchFn;
    this.base = base;
    /** name → value of the binding cookies this "browser" holds. */
    this.jar = new Map();
  }

  /** Another browser: the same Worker, an empty cookie jar. */
  fresh() {
    return new WorkerClient(this.fetchFn, this.base);
  }

  /** The binding cookie this browser holds, if any. */
  binding() {
    for (const [name, value] of this.jar) if (name.endsWith("vipps_login_binding")) return { name, value };
    return null;
  }

  /** `path` may be a path or an absolute URL on the Worker (a callback URL). */
  async request(path, init = {}) {
    const url = new URL(path, this.base);
    const target = new URL(url.pathname + url.search, this.base);
    const headers = { ...(init.headers ?? {}) };
    const jar = [...this.jar].map(([n, v]) => `${n}=${v}`);
    const given = headers.cookie ? [headers.cookie] : [];
    if (jar.length || given.length) headers.cookie = [...jar, ...given].join("; ");
    const response = await this.fetchFn(target.href, { redirect: "manual", ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      const cookie = parseSetCookie(line);
      if (!cookie.name.endsWith("vipps_login_binding")) continue;
      if (cookie.value === "" || cookie.attrs.includes("max-age=0")) this.jar.delete(cookie.name);
      else this.jar.set(cookie.name, cookie.value);
    }
    return response;
  }

  get(path, headers = {}) {
    return this.request(path, { headers });
  }

  /** POST with a JSON body (and a JSON content type unless `headers` says otherwise). */
  post(path, body, headers = {}) {
    return this.request(path, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
  }

  /** POST a form (the confirmation page's), from this Worker's own origin unless told. */
  postForm(path, fields, headers = {}) {
    return this.request(path, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin: new URL(this.base).origin,
        ...headers,
      },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

/** The Set-Cookie of a response whose name ends in `suffix`, parsed, or undefined. */
export function cookieOf(response, suffix) {
  return response.headers
    .getSetCookie()
    .map(parseSetCookie)
    .find((c) => c.name.endsWith(suffix));
}

/** The `name=value` of a Set-Cookie line, and its attributes as a lowercase set. */
export function parseSetCookie(line) {
  const [pair, ...attrs] = line.split(";").map((s) => s.trim());
  const eq = pair.indexOf("=");
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attrs: attrs.map((a) => a.toLowerCase()) };
}

/**
 * Logs in through the emulator's browserless shortcut and returns the callback URL the
 * emulator sends the user back to (`code`, `state`, `scope`). `authorizeUrl` is where
 * the Worker (GET /login Location, or POST /api/login `url`) sends the browser.
 */
export async function approveAtEmulator(authorizeUrl, user = "ola", extra = "") {
  const response = await fetch(`${authorizeUrl}&_emulator_user=${user}${extra}`, { redirect: "manual" });
  const body = await response.text();
  if (response.status !== 302) throw new Error(`emulator answered ${response.status}: ${body.slice(0, 300)}`);
  return response.headers.get("location");
}

/** RFC 7636 4.2: BASE64URL(SHA256(verifier)). */
export function s256(verifier) {
  return createHash("sha256").update(verifier).digest("base64url");
}

/** Waits until `predicate()` holds (log lines arrive asynchronously from workerd). */
export async function eventually(predicate, what, timeoutMs = 5000) {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A state as the Worker mints it (src/state.rs): 24 random bytes and the first 16 bytes
 * of HMAC-SHA-256 over them, keyed by HMAC-SHA-256(SESSION_SECRET, "vipps-login state
 * v1"), base64url. For tests that write a transaction straight into its Durable Object.
 */
export function mintState(sessionSecret) {
  const key = createHmac("sha256", sessionSecret).update("vipps-login state v1").digest();
  const random = randomBytes(24);
  const tag = createHmac("sha256", key).update(random).digest().subarray(0, 16);
  return Buffer.concat([random, tag]).toString("base64url");
}

/**
 * A failed Worker-driven login as the customer meets it: a 302 back to the shop
 * (`returnTo`, or VIPPS_ERROR_PATH) with `login_error=<code>`, no session. Returns the
 * Location.
 */
export async function backWithLoginError(response, code, path = "/") {
  const text = await response.text();
  assert.equal(response.status, 302, text);
  const location = response.headers.get("location");
  const url = new URL(location, "http://worker.test");
  assert.equal(url.pathname, path, location);
  assert.equal(url.searchParams.get("login_error"), code, location);
  assert.ok(!response.headers.getSetCookie().some((l) => /vipps_session=[^;]/.test(l)), "no session on failure");
  return location;
}

/** The built-in page of a failed login: status, the code in it, no session, no hint. */
export async function failurePage(response, code, status = 400) {
  const html = await response.text();
  assert.equal(response.status, status, html);
  assert.match(response.headers.get("content-type"), /^text\/html/);
  assert.ok(html.includes(`<code>${code}</code>`), html);
  assert.ok(html.includes("Back to the shop"), html);
  assert.ok(!response.headers.getSetCookie().some((l) => /vipps_session=[^;]/.test(l)), "no session on failure");
  return html;
}

/** The hint of the newest log line (from `logs`, after index `from`) with this error code. */
export async function hintLogged(logs, from, code) {
  return (await lineLogged(logs, from, code)).hint ?? "";
}

/** The newest log line (parsed, from index `from`) with this error code. */
export async function lineLogged(logs, from, code) {
  let found;
  await eventually(() => {
    found = logs
      .slice(from)
      .map((l) => {
        try {
          return JSON.parse(l);
        } catch {
          return null;
        }
      })
      .filter((e) => e?.error === code)
      .at(-1);
    return found;
  }, `a log line with error ${code}`);
  return found;
}
