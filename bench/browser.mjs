// Comparison 2 of `make bench`: headless Chromium (tests/browser/chromium.mjs), pages
// from a tiny static server on 127.0.0.1.
//   Begin-login rate: vipps-login/begin's createLogin({clientId, redirectUri, scope})
//   (state, nonce, PKCE verifier, S256 challenge, the URL: the login-button path) against
//   oauth4webapi doing the same (generateRandomState, generateRandomNonce,
//   generateRandomCodeVerifier, calculatePKCECodeChallenge, the URL built with
//   URLSearchParams), each for a fixed time slice, the two alternating, in one warm page;
//   the main entry's createLogin (full diagnostics) in the same page and repeats, as an
//   extra figure.
//   Cold load: in a fresh browser context each time (empty HTTP and code caches), the
//   time measured in the page with performance.now() from just before the dynamic
//   import to: ours (vipps-login/begin, and the main entry as an extra), `await init()`
//   done (the .wasm fetched, compiled, instantiated); oauth4webapi, the import done.
//   Also to the first authorization URL.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { launchChromium } from "../tests/browser/chromium.mjs";
import { median, root } from "./lib.mjs";

const FILES = {
  "/bench.html": { text: "<!doctype html><meta charset=utf-8><title>vipps-login bench</title><p>bench</p>" },
  "/oauth4webapi.js": { path: "node_modules/oauth4webapi/build/index.js" },
};
// pkg/ as published: each entry is one JS file, which fetches its .wasm.
for (const name of [
  "vipps_login.js", "vipps_login_bg.wasm",
  "begin.js", "begin_wasm_bg.wasm",
  "pkce.js", "pkce_wasm_bg.wasm",
]) {
  FILES[`/pkg/${name}`] = { path: `pkg/${name}` };
}
// Ours in the page: "begin" is vipps-login/begin (the login-button path), "main" the main entry.
const OURS = { begin: "/pkg/begin.js", main: "/pkg/vipps_login.js" };
const SIDES = ["begin", "main", "oauth4webapi"];
const TYPES = { html: "text/html; charset=utf-8", js: "text/javascript", wasm: "application/wasm" };

function serve() {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    const file = FILES[path];
    if (!file || req.method !== "GET") {
      res.writeHead(404).end();
      return;
    }
    const body = file.text ?? (await readFile(join(root, file.path)));
    res.writeHead(200, { "content-type": TYPES[path.split(".").pop()], "cache-control": "no-cache" }).end(body);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve({ server, base: `http://127.0.0.1:${server.address().port}` }));
  });
}

// The same login for both: Vipps' test environment, a registered redirect URI, scopes.
const OPTIONS = {
  clientId: "demo-client",
  redirectUri: "https://shop.example/callback",
  scope: "openid name email",
  authorizationEndpoint: "https://apitest.vipps.no/access-management-1.0/access/oauth2/auth",
};

/** Installed in the page: ours (vipps-login/begin, the main entry) and oauth4webapi's
 * begin-login, and the timing loops. */
async function setUpPage(page) {
  await page.evaluate(
    async ([o, ourPaths]) => {
      const ours = {};
      for (const [name, path] of Object.entries(ourPaths)) {
        ours[name] = await import(path);
        await ours[name].default();
      }
      const oauth = await import("/oauth4webapi.js");
      const as = { issuer: "https://apitest.vipps.no/access-management-1.0/access/", authorization_endpoint: o.authorizationEndpoint };
      async function beginOauth4webapi() {
        const state = oauth.generateRandomState();
        const nonce = oauth.generateRandomNonce();
        const codeVerifier = oauth.generateRandomCodeVerifier();
        const codeChallenge = await oauth.calculatePKCECodeChallenge(codeVerifier);
        const url = new URL(as.authorization_endpoint);
        const q = url.searchParams;
        q.set("client_id", o.clientId);
        q.set("response_type", "code");
        q.set("scope", o.scope);
        q.set("state", state);
        q.set("nonce", nonce);
        q.set("redirect_uri", o.redirectUri);
        q.set("code_challenge", codeChallenge);
        q.set("code_challenge_method", "S256");
        return { url: url.href, state, nonce, codeVerifier, codeChallenge };
      }
      const opts = { clientId: o.clientId, redirectUri: o.redirectUri, scope: o.scope };
      let sink = 0;
      // One timing loop per side of ours: createLogin, synchronous.
      const loop = (m) => (ms) => {
        let n = 0;
        const t0 = performance.now();
        const end = t0 + ms;
        while (performance.now() < end) {
          sink ^= m.createLogin(opts).url.length;
          n++;
        }
        return { n, ms: performance.now() - t0, sink };
      };
      const s256 = async (verifier) => {
        const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
        return btoa(String.fromCharCode(...digest)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
      };
      window.__bench = {
        // Sanity: every side makes a URL with every parameter, with its verifier's S256 challenge.
        async sample() {
          const out = {};
          for (const [name, m] of [...Object.entries(ours), ["oauth4webapi", null]]) {
            const login = m ? m.createLogin(opts) : await beginOauth4webapi();
            out[name] = { url: login.url, s256: (await s256(login.codeVerifier)) === login.codeChallenge };
          }
          return out;
        },
        begin: loop(ours.begin),
        main: loop(ours.main),
        async oauth4webapi(ms) {
          let n = 0;
          const t0 = performance.now();
          const end = t0 + ms;
          while (performance.now() < end) {
            sink ^= (await beginOauth4webapi()).url.length;
            n++;
          }
          return { n, ms: performance.now() - t0, sink };
        },
        // oauth4webapi with 32 begin-logins in flight (the digest is asynchronous).
        async oauth4webapiBatched(ms) {
          let n = 0;
          const t0 = performance.now();
          const end = t0 + ms;
          while (performance.now() < end) {
            const all = await Promise.all(Array.from({ length: 32 }, beginOauth4webapi));
            for (const r of all) sink ^= r.url.length;
            n += 32;
          }
          return { n, ms: performance.now() - t0, sink };
        },
      };
    },
    [OPTIONS, OURS],
  );
}

// What every URL must hold; those that must equal oauth4webapi's (the rest are random).
const PARAMS = ["client_id", "response_type", "scope", "state", "nonce", "redirect_uri", "code_challenge", "code_challenge_method"];
const FIXED = ["client_id", "response_type", "scope", "redirect_uri", "code_challenge_method"];

/** Throws unless each of ours' sample URLs has the shape of oauth4webapi's. */
function checkSample(sample) {
  const theirs = new URL(sample.oauth4webapi.url);
  for (const [name, { url, s256 }] of Object.entries(sample)) {
    const u = new URL(url);
    const q = u.searchParams;
    for (const p of PARAMS) if (!q.get(p)) throw new Error(`${name}'s URL has no ${p}: ${url}`);
    if (!s256) throw new Error(`${name}'s code_challenge is not the S256 of its code_verifier`);
    if (name === "oauth4webapi") continue;
    // The same endpoint, the same parameters in the same order (values decoded: oauth4webapi
    // writes a space as "+", ours as "%20"), the random ones as long.
    const same =
      u.origin + u.pathname === theirs.origin + theirs.pathname &&
      [...q.keys()].join() === [...theirs.searchParams.keys()].join() &&
      FIXED.every((p) => q.get(p) === theirs.searchParams.get(p)) &&
      ["state", "nonce", "code_challenge"].every((p) => q.get(p).length === theirs.searchParams.get(p).length);
    if (!same) throw new Error(`${name}'s URL has not the shape of oauth4webapi's:\n  ${url}\n  ${theirs.href}`);
  }
}

async function rate(page, name, ms) {
  const r = await page.evaluate(([name, ms]) => window.__bench[name](ms), [name, ms]);
  return (r.n / r.ms) * 1000;
}

/** One cold load in a fresh context: ms to import (+ init) and to the first URL. */
async function coldLoad(browser, base, side) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${base}/bench.html`);
    return await page.evaluate(
      async ([path, o]) => {
        const t0 = performance.now();
        if (path) {
          const m = await import(path);
          await m.default();
          const t1 = performance.now();
          const url = m.createLogin({ clientId: o.clientId, redirectUri: o.redirectUri, scope: o.scope }).url;
          return { loadMs: t1 - t0, firstUrlMs: performance.now() - t0, ok: url.includes("code_challenge=") };
        }
        const m = await import("/oauth4webapi.js");
        const t1 = performance.now();
        const v = m.generateRandomCodeVerifier();
        const url = new URL(o.authorizationEndpoint);
        url.searchParams.set("state", m.generateRandomState());
        url.searchParams.set("nonce", m.generateRandomNonce());
        url.searchParams.set("code_challenge", await m.calculatePKCECodeChallenge(v));
        return { loadMs: t1 - t0, firstUrlMs: performance.now() - t0, ok: url.href.includes("code_challenge=") };
      },
      [OURS[side] ?? null, OPTIONS],
    );
  } finally {
    await context.close();
  }
}

// vipps-login/begin and oauth4webapi alternate (the comparison); the main entry follows.
const order = (i) => [...(i % 2 ? ["oauth4webapi", "begin"] : ["begin", "oauth4webapi"]), "main"];

export async function runBrowser(cfg, log = console.log) {
  const { server, base } = await serve();
  const browser = await launchChromium();
  try {
    const version = browser.version();
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/bench.html`);
    await setUpPage(page);
    const sample = await page.evaluate(() => window.__bench.sample());
    checkSample(sample);
    // Warm-up (JIT, wasm tier-up), not counted.
    for (const name of SIDES) await rate(page, name, cfg.warmupMs);
    const ops = { begin: [], main: [], oauth4webapi: [], oauth4webapiBatched: [] };
    log(`browser: begin-login rate, ${cfg.sliceMs} ms slices × ${cfg.repeats}, alternating`);
    for (let i = 0; i < cfg.repeats; i++) {
      for (const name of order(i)) ops[name].push(await rate(page, name, cfg.sliceMs));
      ops.oauth4webapiBatched.push(await rate(page, "oauth4webapiBatched", cfg.sliceMs));
    }
    log(
      `  median: vipps-login/begin ${median(ops.begin).toFixed(0)}/s, main entry ${median(ops.main).toFixed(0)}/s, ` +
        `oauth4webapi ${median(ops.oauth4webapi).toFixed(0)}/s`,
    );
    await context.close();

    log(`browser: cold load, ${cfg.coldRepeats} fresh contexts each, alternating`);
    const cold = { begin: [], main: [], oauth4webapi: [] };
    // One discarded load each first: the browser's first contexts cost it more.
    for (const side of SIDES) await coldLoad(browser, base, side);
    for (let i = 0; i < cfg.coldRepeats; i++) {
      for (const side of order(i)) {
        const r = await coldLoad(browser, base, side);
        if (!r.ok) throw new Error(`${side}: cold load made no URL`);
        cold[side].push(r);
      }
    }
    const load = (side) => median(cold[side].map((r) => r.loadMs));
    const firstUrl = (side) => median(cold[side].map((r) => r.firstUrlMs));
    log(`  median: vipps-login/begin ${load("begin").toFixed(1)} ms, main entry ${load("main").toFixed(1)} ms, oauth4webapi ${load("oauth4webapi").toFixed(1)} ms`);
    return {
      cfg,
      chromium: version,
      sample,
      ops,
      cold,
      summary: {
        beginPerS: median(ops.begin),
        mainPerS: median(ops.main),
        oauth4webapiPerS: median(ops.oauth4webapi),
        oauth4webapiBatchedPerS: median(ops.oauth4webapiBatched),
        beginLoadMs: load("begin"),
        mainLoadMs: load("main"),
        oauth4webapiLoadMs: load("oauth4webapi"),
        beginFirstUrlMs: firstUrl("begin"),
        mainFirstUrlMs: firstUrl("main"),
        oauth4webapiFirstUrlMs: firstUrl("oauth4webapi"),
      },
    };
  } finally {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
  }
}
