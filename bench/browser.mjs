// Comparison 2 of `make bench`: headless Chromium (tests/browser/chromium.mjs), pages
// from a tiny static server on 127.0.0.1.
//   Begin-login rate: createLogin({clientId, redirectUri, scope}) (state, nonce, PKCE
//   verifier, S256 challenge, the URL) against oauth4webapi doing the same
//   (generateRandomState, generateRandomNonce, generateRandomCodeVerifier,
//   calculatePKCECodeChallenge, the URL built with URLSearchParams), each for a fixed
//   time slice, the two alternating, in one warm page.
//   Cold load: in a fresh browser context each time (empty HTTP and code caches), the
//   time measured in the page with performance.now() from just before the dynamic
//   import to: ours, `await init()` done (the .wasm fetched, compiled, instantiated);
//   oauth4webapi, the import done. Also to the first authorization URL.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { launchChromium } from "../tests/browser/chromium.mjs";
import { median, root } from "./lib.mjs";

const FILES = {
  "/bench.html": { text: "<!doctype html><meta charset=utf-8><title>vipps-login bench</title><p>bench</p>" },
  "/pkg/vipps_login.js": { path: "pkg/vipps_login.js" },
  "/pkg/vipps_login_bg.wasm": { path: "pkg/vipps_login_bg.wasm" },
  "/oauth4webapi.js": { path: "node_modules/oauth4webapi/build/index.js" },
};
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

/** Installed in the page: both libraries' begin-login, and the timing loops. */
async function setUpPage(page) {
  await page.evaluate(async (o) => {
    const ours = await import("/pkg/vipps_login.js");
    await ours.default();
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
      return { url: url.href, state, nonce, codeVerifier };
    }
    const opts = { clientId: o.clientId, redirectUri: o.redirectUri, scope: o.scope };
    let sink = 0;
    window.__bench = {
      // Sanity: both make a URL with every parameter.
      sample: async () => ({ ours: ours.createLogin(opts).url, oauth4webapi: (await beginOauth4webapi()).url }),
      ours(ms) {
        let n = 0;
        const t0 = performance.now();
        const end = t0 + ms;
        while (performance.now() < end) {
          sink ^= ours.createLogin(opts).url.length;
          n++;
        }
        return { n, ms: performance.now() - t0, sink };
      },
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
  }, OPTIONS);
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
      async ([side, o]) => {
        const t0 = performance.now();
        if (side === "ours") {
          const m = await import("/pkg/vipps_login.js");
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
      [side, OPTIONS],
    );
  } finally {
    await context.close();
  }
}

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
    for (const [name, url] of Object.entries(sample)) {
      const q = new URL(url).searchParams;
      for (const p of ["client_id", "response_type", "scope", "state", "nonce", "redirect_uri", "code_challenge", "code_challenge_method"]) {
        if (!q.get(p)) throw new Error(`${name}'s URL has no ${p}: ${url}`);
      }
    }
    // Warm-up (JIT, wasm tier-up), not counted.
    await rate(page, "ours", cfg.warmupMs);
    await rate(page, "oauth4webapi", cfg.warmupMs);
    const ops = { ours: [], oauth4webapi: [], oauth4webapiBatched: [] };
    log(`browser: begin-login rate, ${cfg.sliceMs} ms slices × ${cfg.repeats}, alternating`);
    for (let i = 0; i < cfg.repeats; i++) {
      const order = i % 2 ? ["oauth4webapi", "ours"] : ["ours", "oauth4webapi"];
      for (const name of order) ops[name].push(await rate(page, name, cfg.sliceMs));
      ops.oauth4webapiBatched.push(await rate(page, "oauth4webapiBatched", cfg.sliceMs));
    }
    log(`  median: ours ${median(ops.ours).toFixed(0)}/s, oauth4webapi ${median(ops.oauth4webapi).toFixed(0)}/s`);
    await context.close();

    log(`browser: cold load, ${cfg.coldRepeats} fresh contexts each, alternating`);
    const cold = { ours: [], oauth4webapi: [] };
    // One discarded load each first: the browser's first contexts cost it more.
    for (const side of ["ours", "oauth4webapi"]) await coldLoad(browser, base, side);
    for (let i = 0; i < cfg.coldRepeats; i++) {
      const order = i % 2 ? ["oauth4webapi", "ours"] : ["ours", "oauth4webapi"];
      for (const side of order) {
        const r = await coldLoad(browser, base, side);
        if (!r.ok) throw new Error(`${side}: cold load made no URL`);
        cold[side].push(r);
      }
    }
    log(
      `  median: ours ${median(cold.ours.map((r) => r.loadMs)).toFixed(1)} ms, ` +
        `oauth4webapi ${median(cold.oauth4webapi.map((r) => r.loadMs)).toFixed(1)} ms`,
    );
    return {
      cfg,
      chromium: version,
      ops,
      cold,
      summary: {
        oursPerS: median(ops.ours),
        oauth4webapiPerS: median(ops.oauth4webapi),
        oauth4webapiBatchedPerS: median(ops.oauth4webapiBatched),
        oursLoadMs: median(cold.ours.map((r) => r.loadMs)),
        oauth4webapiLoadMs: median(cold.oauth4webapi.map((r) => r.loadMs)),
        oursFirstUrlMs: median(cold.ours.map((r) => r.firstUrlMs)),
        oauth4webapiFirstUrlMs: median(cold.oauth4webapi.map((r) => r.firstUrlMs)),
      },
    };
  } finally {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
  }
}
