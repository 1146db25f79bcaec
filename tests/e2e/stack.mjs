// The demo as `make demo` runs it, for end-to-end tests: the local Vipps Login emulator
// and the built Worker (`make worker`) serving the demo page (`make site`, build/site/)
// as static assets in workerd, on free ports of 127.0.0.1.
//
// miniflare's API rather than `wrangler dev`, as in tests/worker/harness.mjs: the same
// workerd, ready in well under a second, `port: 0`-style free ports, bindings passed in
// (no .dev.vars), and no re-run of the [build] command. The static assets settings
// ([assets] in wrangler.toml: directory, html_handling, run_worker_first) are read with
// wrangler's own reader, so the tests serve the page exactly as `wrangler dev` and a
// deployment do.
import { Miniflare } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort } from "../worker/harness.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
const EMULATOR = join(root, "target/debug/vipps-login-emulator");
const SHIPPED_CONFIG = join(root, "emulator/config/default.toml");

export const CLIENT_ID = "demo-client";
export const CLIENT_SECRET = "demo-secret"; // the shipped emulator config's
export const SESSION_SECRET = "e2e-test-session-secret-0123456789abcdef";

/**
 * The shipped emulator config with the Worker's origin in place of the default
 * http://127.0.0.1:8787, so that `${url}callback` and `${url}app/callback` are registered
 * for demo-client (and everything else stays as `make demo` has it: sales units, users).
 */
export async function emulatorConfigFor(origin) {
  const shipped = await readFile(SHIPPED_CONFIG, "utf8");
  return shipped.replaceAll("http://127.0.0.1:8787/", `${origin}/`);
}

async function startEmulator(port, configPath) {
  const args = ["--port", String(port)];
  if (configPath) args.push("--config", configPath);
  const child = spawn(EMULATOR, args, { stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the emulator exited with ${code}`)));
    child.once("error", reject);
    lines.once("line", resolve);
  });
  const match = first.match(/listening on (\S+) issuer=(\S+)/);
  if (!match) {
    child.kill();
    throw new Error(`unexpected emulator start line: ${first}`);
  }
  const requests = [];
  lines.on("line", (line) => requests.push(line));
  return { child, base: match[1], issuer: match[2], requests };
}

/**
 * Starts the emulator and the Worker with the demo page. `vars` override bindings;
 * `assetsDirectory` serves another folder than build/site/.
 * → { url: "http://127.0.0.1:PORT/", issuer, emulatorUrl, logs, emulatorRequests, close }
 */
export async function startStack({ vars = {}, assetsDirectory } = {}) {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const url = `${origin}/`;

  const dir = await mkdtemp(join(tmpdir(), "vipps-e2e-"));
  const configPath = join(dir, "emulator.toml");
  await writeFile(configPath, await emulatorConfigFor(origin));
  const emulator = await startEmulator(await freePort(), configPath);

  // [assets], compatibility date, the Durable Object and rate limiting bindings as
  // wrangler.toml says.
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(root, "wrangler.toml"));
  const logs = [];
  let mf;
  try {
    mf = new Miniflare({
      host: "127.0.0.1",
      port,
      workers: [
        {
          name: "vipps-login",
          modules: true,
          modulesRoot: join(root, "build"),
          scriptPath: join(root, "build/worker/shim.mjs"),
          modulesRules: [
            { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
            { type: "CompiledWasm", include: ["**/*.wasm"] },
          ],
          compatibilityDate: workerOptions.compatibilityDate,
          compatibilityFlags: workerOptions.compatibilityFlags,
          durableObjects: workerOptions.durableObjects,
          // The LOGIN_RATE_LIMITER binding, at wrangler.toml's limit.
          ratelimits: workerOptions.ratelimits,
          assets: { ...workerOptions.assets, ...(assetsDirectory && { directory: assetsDirectory }) },
          // wrangler.toml's [vars] (as `make demo` runs), with this stack's addresses
          // and the secrets as bindings.
          bindings: {
            ...workerOptions.bindings,
            VIPPS_ISSUER: emulator.issuer,
            VIPPS_CLIENT_ID: CLIENT_ID,
            VIPPS_REDIRECT_URI: `${url}callback`,
            VIPPS_APP_REDIRECT_URI: `${url}app/callback`,
            VIPPS_PHONE_REDIRECT_URI: `${url}phone-callback`,
            VIPPS_TOKEN_AUTH_METHOD: "client_secret_basic", // demo-client's
            ALLOWED_ORIGINS: origin,
            VIPPS_CLIENT_SECRET: CLIENT_SECRET,
            SESSION_SECRET,
            ...vars,
          },
        },
      ],
      handleRuntimeStdio(stdout, stderr) {
        createInterface({ input: stdout }).on("line", (line) => logs.push(line));
        createInterface({ input: stderr }).on("line", (line) => process.stderr.write(`[workerd] ${line}\n`));
      },
    });
    await mf.ready;
  } catch (e) {
    emulator.child.kill();
    await rm(dir, { recursive: true, force: true });
    throw e;
  }

  let closed = false;
  return {
    url,
    issuer: emulator.issuer,
    emulatorUrl: emulator.base,
    /** The Worker's JSON log lines and the emulator's request log, as they arrive. */
    logs,
    emulatorRequests: emulator.requests,
    async close() {
      if (closed) return;
      closed = true;
      await mf.dispose();
      const exited = new Promise((resolve) => emulator.child.once("exit", resolve));
      emulator.child.kill();
      if (emulator.child.exitCode === null && emulator.child.signalCode === null) await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
