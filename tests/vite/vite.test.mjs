// The npm package in a Vite app, as a user installs it: `npm pack` of pkg/, a scratch
// Vite project in a temporary folder (tests/vite/app/) that installs the tarball and
// Vite from the registry, then
//   - `vite build`, served by `vite preview`, opened in headless Chromium;
//   - Vite's dev server with the same install;
//   - the package linked from a local path (a symlink out of the project, as
//     `npm install ../pkg` makes): the dev server refuses the .wasm (403, outside
//     server.fs.allow) until server.fs.allow names the folder, with npm/README.md's
//     vite.config.js.
// Each time the page must show an authorization URL on https://apitest.vipps.no/ and
// the .wasm must arrive as application/wasm. Everything listens on 127.0.0.1 only and
// every wait is bounded. `make test-vite` (needs the npm registry for Vite).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { launchChromium } from "../browser/chromium.mjs";
import { pack, pkgDir, scratchDir } from "../node/packed.mjs";
import { readmeBlocks } from "../node/readme.mjs";

/** Vite 8 installs with npm 11 and runs on Node 20.19+ (shared/toolchain.md). */
const VITE_VERSION = "8.4.0";
const appDir = new URL("./app/", import.meta.url);

let scratch;
let project;
let browser;

before(async () => {
  scratch = scratchDir("vipps-login-vite");
  project = join(scratch.dir, "app");
  const { tarball } = pack(scratch.dir);
  mkdirSync(project);
  for (const f of readdirSync(appDir)) copyFileSync(new URL(f, appDir), join(project, f));
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify(
      {
        name: "vipps-login-vite-consumer",
        private: true,
        type: "module",
        dependencies: { "vipps-login": `file:${tarball}` },
        devDependencies: { vite: VITE_VERSION },
      },
      null,
      2,
    ),
  );
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: project,
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 300_000,
  });
  browser = await launchChromium();
}, { timeout: 400_000 });

after(async () => {
  await browser?.close();
  scratch?.remove();
});

const vite = (...args) =>
  execFileSync(process.execPath, [join(project, "node_modules/vite/bin/vite.js"), ...args], {
    cwd: project,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 120_000,
  });

/** Starts tests/vite/app/serve.mjs in the project; resolves to { url, stop }. */
function serve(mode) {
  const args = [join(project, "serve.mjs"), mode];
  const child = spawn(process.execPath, args, { cwd: project, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const killed = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(killed);
    }
    return stderr;
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(async () => {
      await stop();
      reject(new Error(`vite ${mode} did not start within 30 s: ${stderr}`));
    }, 30_000);
    child.stdout.on("data", (d) => {
      stdout += d;
      const line = stdout.split("\n").find((l) => l.startsWith("{"));
      if (!line) return;
      clearTimeout(timer);
      const { url } = JSON.parse(line);
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      resolve({ url, stop });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`vite ${mode} exited (${code}) before listening: ${stderr}`));
    });
  });
}

/** Opens `url`; returns what #url (the main entry), #begin (vipps-login/begin) and #pkce
 * (vipps-login/pkce) show once none is "loading", and the .wasm responses. */
async function visit(url) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    const wasm = [];
    const errors = [];
    page.on("response", (r) => {
      if (new URL(r.url()).pathname.endsWith(".wasm")) {
        wasm.push({ status: r.status(), type: r.headers()["content-type"], path: new URL(r.url()).pathname });
      }
    });
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("request", (r) => {
      // Only the server on 127.0.0.1 (and the data: favicon).
      if (new URL(r.url()).hostname !== "127.0.0.1" && !r.url().startsWith("data:")) errors.push(`request to ${r.url()}`);
    });
    await page.goto(url, { timeout: 15_000 });
    await page.waitForFunction(
      () => ["url", "begin", "pkce"].every((id) => document.getElementById(id)?.textContent !== "loading"),
      null,
      { timeout: 15_000 },
    );
    return {
      text: await page.textContent("#url"),
      begin: await page.textContent("#begin"),
      pkce: await page.textContent("#pkce"),
      wasm,
      errors,
    };
  } finally {
    await context.close();
  }
}

function assertLoggedIn({ text, begin, pkce, wasm, errors }) {
  const shown = [
    [text, "vite-client", "openid name email"],
    [begin, "your-client-id", "openid name"],
    [pkce, null, null],
  ];
  for (const [s, clientId, scope] of shown) {
    assert.ok(s.startsWith("https://apitest.vipps.no/access-management-1.0/access/oauth2/auth?"), s);
    const url = new URL(s);
    assert.equal(url.searchParams.get("client_id"), clientId);
    assert.equal(url.searchParams.get("scope"), scope);
    assert.equal(url.searchParams.get("code_challenge_method"), "S256");
    assert.match(url.searchParams.get("code_challenge"), /^[A-Za-z0-9_-]{43}$/);
  }
  // Fresh state each: three logins, not one state shown thrice.
  assert.equal(new Set(shown.map(([s]) => new URL(s).searchParams.get("state"))).size, 3);
  assert.equal(wasm.length, 3, JSON.stringify(wasm));
  for (const w of wasm) {
    assert.equal(w.status, 200);
    assert.equal(w.type, "application/wasm");
  }
  assert.match(wasm[1].path, /begin_wasm_bg/);
  assert.match(wasm[2].path, /pkce_wasm_bg/);
  assert.deepEqual(errors, []);
}

test("vite build: the page served by vite preview starts a login in Chromium", { timeout: 180_000 }, async () => {
  const out = vite("build", "--logLevel", "warn");
  assert.doesNotMatch(out, /warn|error/i, out);
  const assets = readdirSync(join(project, "dist/assets"));
  assert.equal(assets.filter((f) => f.endsWith(".wasm")).length, 3, `each entry's .wasm is an asset: ${assets}`);
  const server = await serve("preview");
  try {
    const seen = await visit(server.url);
    assertLoggedIn(seen);
    assert.match(seen.wasm[0].path, /^\/assets\/vipps_login_bg-[\w-]+\.wasm$/);
    assert.match(seen.wasm[1].path, /^\/assets\/begin_wasm_bg-[\w-]+\.wasm$/);
    assert.match(seen.wasm[2].path, /^\/assets\/pkce_wasm_bg-[\w-]+\.wasm$/);
  } finally {
    await server.stop();
  }
});

test("vite dev server: the installed package loads its .wasm", { timeout: 120_000 }, async () => {
  const server = await serve("dev");
  try {
    const seen = await visit(server.url);
    assertLoggedIn(seen);
    assert.equal(seen.wasm[0].path, "/node_modules/vipps-login/vipps_login_bg.wasm");
    assert.equal(seen.wasm[1].path, "/node_modules/vipps-login/begin_wasm_bg.wasm");
    assert.equal(seen.wasm[2].path, "/node_modules/vipps-login/pkce_wasm_bg.wasm");
  } finally {
    await server.stop();
  }
});

test("vite dev server, package linked from a local path: 403 on the .wasm until server.fs.allow has it", { timeout: 120_000 }, async () => {
  // What `npm install ../vipps-login/pkg` makes: a symlink out of the project, to a
  // copy of pkg/ at <scratch>/vipps-login/pkg, where npm/README.md's vite.config.js
  // points.
  const local = join(scratch.dir, "vipps-login", "pkg");
  mkdirSync(local, { recursive: true });
  for (const f of readdirSync(pkgDir)) copyFileSync(join(pkgDir, f), join(local, f));
  const installed = join(project, "node_modules/vipps-login");
  const aside = join(scratch.dir, "vipps-login-installed");
  renameSync(installed, aside);
  symlinkSync("../../vipps-login/pkg", installed, "dir");
  rmSync(join(project, "node_modules/.vite"), { recursive: true, force: true });
  try {
    let server = await serve("dev");
    try {
      const seen = await visit(server.url);
      assert.match(seen.text, /^error: failed to fetch Wasm: 403 Forbidden/, seen.text);
      assert.equal(seen.wasm[0]?.status, 403);
    } finally {
      const log = await server.stop();
      assert.match(log, /outside of Vite serving allow list/);
    }

    // The one setting npm/README.md names: its vite.config.js, as it is.
    const config = readmeBlocks().find((b) => b.lang === "js" && b.code.startsWith("// vite.config.js\n"));
    assert.ok(config, "npm/README.md has a vite.config.js example");
    assert.match(config.marker, /^see tests\/vite\/vite\.test\.mjs/);
    writeFileSync(join(project, "vite.config.js"), config.code);
    server = await serve("dev");
    try {
      const seen = await visit(server.url);
      assertLoggedIn(seen);
      assert.match(seen.wasm[0].path, /^\/@fs\/.*\/vipps-login\/pkg\/vipps_login_bg\.wasm$/);
    } finally {
      await server.stop();
    }
  } finally {
    rmSync(join(project, "vite.config.js"), { force: true });
    rmSync(installed, { force: true });
    renameSync(aside, installed);
    rmSync(join(project, "node_modules/.vite"), { recursive: true, force: true });
  }
});
