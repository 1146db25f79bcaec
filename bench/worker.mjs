// Comparison 3 of `make bench`: the Rust Worker (build/) against the JS Worker on
// oauth4webapi (bench/js-worker/), each in its own miniflare instance (real workerd),
// one after the other, against the local Vipps emulator; everything on 127.0.0.1.
//
// Per instance: the first answered request (cold start is measured separately), an idle
// baseline of workerd's CPU, warm-up logins, then N complete logins (`concurrency` at a
// time, each a fresh browser: GET /login → the emulator's browserless approve → GET
// /callback, which must answer 302 with a vipps_session cookie), workerd's CPU time
// (utime + stime of the workerd child of this node process, /proc/<pid>/stat) and each
// login's latency; then workerd's CPU while nothing is asked of it, sampled every few
// seconds for `waitSeconds` after the last login: Durable Objects going idle and
// evicted, and the alarms both Workers set (a completed login's record is deleted by an
// alarm 120 s after it completed).
import { inspectStorage as readStorage } from "../tests/worker/do-storage.mjs";
import { Miniflare } from "miniflare";
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { performance } from "node:perf_hooks";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  SCOPES,
  SESSION_SECRET,
  WorkerClient,
  approveAtEmulator,
  freePort,
  startEmulator,
} from "../tests/worker/harness.mjs";
import { cpuSeconds, median, quantile, root, sleep, workerdPids } from "./lib.mjs";

export const SIDES = ["ours", "js"];
/**
 * The floor (bench/js-worker/floor.mjs): the platform calls of a login and nothing else,
 * with the measured Workers' Durable Objects (called over RPC as the JS Worker calls
 * them, or with stub.fetch as ours does), and with no storage at all. No Worker
 * with that design can use less CPU than its floor.
 */
const FLOOR_STORAGE = { floor: "durable-object", "floor-fetch": "durable-object-fetch", "floor-nostore": "none" };
export const FLOORS = Object.keys(FLOOR_STORAGE);
/** floor-nostore stores nothing, so no alarm is waited for. */
const NOSTORE_WAIT_SECONDS = 20;
/** Both Workers keep a completed login's record this long, then an alarm deletes it. */
export const ALARM_AFTER_SECONDS = 120;
export const LABEL = {
  ours: "vipps-login Worker (Rust/wasm)",
  js: "JS Worker (oauth4webapi)",
  floor: "floor: platform calls only, same Durable Objects (RPC)",
  "floor-fetch": "floor: platform calls only, same Durable Objects (stub.fetch)",
  "floor-nostore": "floor: platform calls only, no storage",
};

async function compatibilityDate() {
  const toml = await readFile(join(root, "wrangler.toml"), "utf8");
  const match = toml.match(/^compatibility_date\s*=\s*"([^"]+)"/m);
  if (!match) throw new Error("wrangler.toml has no compatibility_date");
  return match[1];
}

/** The JS Worker (or the floor) bundled with esbuild (the file miniflare runs, and what is measured). */
export async function bundleJsWorker({ minify = true, file = "worker.mjs" } = {}) {
  const result = await build({
    entryPoints: [join(root, "bench/js-worker", file)],
    bundle: true,
    minify,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    external: ["cloudflare:*"],
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0].contents;
}

async function options(side, port, bindings, env) {
  const common = {
    name: side,
    host: "127.0.0.1",
    port,
    modules: true,
    compatibilityDate: await compatibilityDate(),
    durableObjects: { LOGIN_TRANSACTIONS: { className: "LoginTransactions", useSQLite: true } },
    // The JS Worker and the floors have no rate limiter: ours runs without its
    // LOGIN_RATE_LIMITER too, so the three do the same work.
    bindings: { ...bindings, LOGIN_RATE_LIMIT: "off" },
  };
  if (side === "js") return { ...common, modulesRoot: dirname(env.jsPath), scriptPath: env.jsPath };
  if (FLOORS.includes(side)) {
    return { ...common, bindings: { ...bindings, FLOOR_STORAGE: FLOOR_STORAGE[side] }, modulesRoot: dirname(env.floorPath), scriptPath: env.floorPath };
  }
  // As tests/worker/harness.mjs runs the built Worker.
  return {
    ...common,
    modulesRoot: join(root, "build"),
    scriptPath: join(root, "build/worker/shim.mjs"),
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
  };
}

function bindingsFor(issuer, redirectUri) {
  return {
    VIPPS_ISSUER: issuer,
    VIPPS_CLIENT_ID: CLIENT_ID,
    VIPPS_CLIENT_SECRET: CLIENT_SECRET,
    VIPPS_REDIRECT_URI: redirectUri,
    VIPPS_SCOPES: SCOPES,
    VIPPS_TOKEN_AUTH_METHOD: "client_secret_basic",
    SESSION_SECRET,
  };
}

/** Starts one instance; `logs` collects what the Worker prints. */
async function start(side, port, env) {
  const logs = [];
  // Where the Durable Objects' SQLite files go: a folder of our own, so that what is
  // left in them can be read (miniflare's default is a temporary folder on the same
  // local disk, so this changes nothing else).
  const storage = await mkdtemp(join(tmpdir(), `vipps-bench-do-${side}-`));
  const mf = new Miniflare({
    ...(await options(side, port, bindingsFor(env.issuer, `http://127.0.0.1:${port}/callback`), env)),
    durableObjectsPersist: storage,
    handleRuntimeStdio(stdout, stderr) {
      createInterface({ input: stdout }).on("line", (line) => logs.push(line));
      createInterface({ input: stderr }).on("line", (line) => process.stderr.write(`[workerd ${side}] ${line}\n`));
    },
  });
  const url = await mf.ready;
  return { mf, url: url.href, logs, storage };
}

async function stop(instance) {
  await instance.mf.dispose();
  await rm(instance.storage, { recursive: true, force: true });
  // workerd gone before the next instance starts: one at a time.
  for (let i = 0; i < 100 && workerdPids().length; i++) await sleep(50);
}

/** workerd's storage as tests/worker/do-storage.mjs reads it, or the error. */
function inspectStorage(dir) {
  try {
    return readStorage(dir);
  } catch (e) {
    return { error: String(e?.message ?? e).slice(0, 200) };
  }
}

/** One complete login as a fresh browser; throws unless every answer is the expected one. */
async function login(base, issuer) {
  const client = new WorkerClient((u, init) => fetch(u, init), base);
  const start = await client.get("/login");
  const startBody = await start.text();
  if (start.status !== 302) throw new Error(`GET /login: ${start.status} ${startBody.slice(0, 160)}`);
  if (!client.binding()) throw new Error("GET /login: no binding cookie");
  const location = start.headers.get("location");
  if (!location?.startsWith(issuer)) throw new Error(`GET /login: Location ${location}`);
  const callback = await approveAtEmulator(location, "ola");
  if (!callback?.startsWith(base.replace(/\/$/, ""))) throw new Error(`emulator redirect not to the Worker: ${callback}`);
  const done = await client.get(callback);
  const doneBody = await done.text();
  if (done.status !== 302) throw new Error(`GET /callback: ${done.status} ${doneBody.slice(0, 160)}`);
  if (!done.headers.getSetCookie().some((line) => /^vipps_session=[^;]/.test(line))) {
    throw new Error("GET /callback: no vipps_session cookie");
  }
}

/** `count` logins, `concurrency` at a time, stopping at `deadline` (performance.now()). */
async function logins(base, issuer, count, concurrency, deadline) {
  let started = 0;
  const latencies = [];
  const errors = new Map();
  const worker = async () => {
    while (started < count && performance.now() < deadline) {
      started++;
      const t0 = performance.now();
      try {
        await login(base, issuer);
        latencies.push(performance.now() - t0);
      } catch (e) {
        const kind = String(e?.message ?? e).replace(/[A-Za-z0-9_-]{20,}/g, "…").slice(0, 200);
        errors.set(kind, (errors.get(kind) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { started, latencies, errors: Object.fromEntries(errors) };
}

/** Time from `new Miniflare` to the first answered request (GET /login → 302). */
async function coldStart(side, port, env) {
  const t0 = performance.now();
  const instance = await start(side, port, env);
  const ready = performance.now() - t0;
  const response = await fetch(`${instance.url}login`, { redirect: "manual" });
  await response.text();
  const first = performance.now() - t0;
  const [pid] = workerdPids();
  const cpu = pid ? cpuSeconds(pid) : NaN;
  await stop(instance);
  if (response.status !== 302) throw new Error(`${side} cold start: GET /login answered ${response.status}`);
  return { readyMs: ready, firstAnswerMs: first, workerdCpuS: cpu };
}

/** One measured instance: warm-up, N logins, and the CPU left behind. */
async function measuredRun(side, port, env, cfg, log) {
  const instance = await start(side, port, env);
  try {
    const pids = workerdPids();
    if (pids.length !== 1) throw new Error(`expected one workerd child of pid ${process.pid}, found [${pids}]`);
    const [pid] = pids;
    const first = await fetch(`${instance.url}login`, { redirect: "manual" });
    await first.text();
    if (first.status !== 302) throw new Error(`${side}: GET /login answered ${first.status}`);
    // workerd's CPU while idle (timers, housekeeping), before any login.
    await sleep(1000);
    const idle0 = cpuSeconds(pid);
    const idleT0 = performance.now();
    await sleep(cfg.idleSeconds * 1000);
    const idleRate = (cpuSeconds(pid) - idle0) / ((performance.now() - idleT0) / 1000);

    const warmT0 = performance.now();
    const warm = await logins(instance.url, env.issuer, cfg.warmup, cfg.concurrency, performance.now() + 60_000);
    if (Object.keys(warm.errors).length) throw new Error(`${side} warm-up failed: ${JSON.stringify(warm.errors)}`);

    const cpu0 = cpuSeconds(pid);
    const t0 = performance.now();
    const run = await logins(instance.url, env.issuer, cfg.logins, cfg.concurrency, t0 + cfg.timeLimitSeconds * 1000);
    const wall = (performance.now() - t0) / 1000;
    const cpu1 = cpuSeconds(pid);
    const ok = run.latencies.length;
    log(
      `  ${side}: ${ok}/${run.started} logins in ${wall.toFixed(1)} s, workerd CPU ${(cpu1 - cpu0).toFixed(2)} s` +
        (Object.keys(run.errors).length ? `, errors ${JSON.stringify(run.errors)}` : ""),
    );

    // What the logins leave behind: CPU while no request comes, sampled every few s.
    const timeline = [];
    const w0 = performance.now();
    const waitSeconds = side === "floor-nostore" ? Math.min(cfg.waitSeconds, NOSTORE_WAIT_SECONDS) : cfg.waitSeconds;
    for (let i = 1; i <= Math.ceil(waitSeconds / cfg.sampleSeconds); i++) {
      await sleep(Math.max(0, w0 + i * cfg.sampleSeconds * 1000 - performance.now()));
      timeline.push({ t: (performance.now() - w0) / 1000, cpuS: cpuSeconds(pid) - cpu1 });
    }
    const waited = timeline.at(-1)?.t ?? 0;
    const after = timeline.at(-1)?.cpuS ?? 0;
    // No alarm can fire before the first login of this instance is 120 s old (its record's
    // alarm, DUPLICATE_WINDOW_SECS): the CPU before that is idle objects (eviction), the
    // rest holds the alarms.
    const sinceFirstLogin = (w0 - warmT0) / 1000;
    const split = timeline.filter((s) => s.t <= ALARM_AFTER_SECONDS - sinceFirstLogin - 2).at(-1) ?? { t: 0, cpuS: 0 };
    const allLogins = cfg.warmup + run.started + 1;
    const storage = inspectStorage(instance.storage);
    log(`  ${side}: after ${waited.toFixed(0)} s: workerd CPU ${(after * 1000).toFixed(0)} ms; storage ${JSON.stringify(storage)}`);
    return {
      storage,
      logins: run.started,
      ok,
      errors: run.errors,
      wallS: wall,
      loginsPerS: ok / wall,
      cpuS: cpu1 - cpu0,
      cpuPerLoginMs: ok ? ((cpu1 - cpu0) / ok) * 1000 : NaN,
      p50Ms: quantile(run.latencies, 0.5),
      p99Ms: quantile(run.latencies, 0.99),
      idleCpuPerS: idleRate,
      waitS: waited,
      afterCpuS: after,
      splitS: split.t,
      beforeAlarmsCpuS: split.cpuS,
      // Net of the idle rate, per login that ran in this instance (warm-up included:
      // its alarms fire within the wait too).
      afterPerLoginMs: ((after - idleRate * waited) / allLogins) * 1000,
      beforeAlarmsPerLoginMs: ((split.cpuS - idleRate * split.t) / allLogins) * 1000,
      alarmsPerLoginMs: ((after - split.cpuS - idleRate * (waited - split.t)) / allLogins) * 1000,
      alarmsCovered: waited >= ALARM_AFTER_SECONDS + 2,
      allLogins,
      timeline,
      logLines: instance.logs.length,
    };
  } finally {
    await stop(instance);
  }
}

export async function runWorker(cfg, log = console.log) {
  if (workerdPids().length) throw new Error("a workerd child of this process is already running");
  const dir = await mkdtemp(join(tmpdir(), "vipps-bench-js-worker-"));
  const jsPath = join(dir, "worker.mjs");
  await writeFile(jsPath, await bundleJsWorker({ minify: true }));
  const floorPath = join(dir, "floor.mjs");
  await writeFile(floorPath, await bundleJsWorker({ minify: true, file: "floor.mjs" }));
  const measured = cfg.floors ? [...SIDES, ...FLOORS] : SIDES;
  // One port per instance, all registered with the emulator up front.
  const instances = cfg.coldStarts * 2 + cfg.repeats * measured.length;
  const ports = new Set();
  for (let i = 0; ports.size < instances && i < instances * 10; i++) ports.add(await freePort());
  const portList = [...ports];
  if (portList.length < instances) throw new Error("not enough free ports");
  const emulator = await startEmulator(portList.map((p) => `http://127.0.0.1:${p}/callback`));
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(emulator.issuer)) throw new Error(`emulator not on 127.0.0.1: ${emulator.issuer}`);
  const env = { issuer: emulator.issuer, jsPath, floorPath };
  let next = 0;
  const cold = { ours: [], js: [] };
  const runs = Object.fromEntries(measured.map((side) => [side, []]));
  try {
    log(`worker: cold starts (${cfg.coldStarts} each, alternating)`);
    for (let i = 0; i < cfg.coldStarts; i++) {
      for (const side of i % 2 ? [...SIDES].reverse() : SIDES) cold[side].push(await coldStart(side, portList[next++], env));
    }
    log(`  median first answer: ours ${median(cold.ours.map((c) => c.firstAnswerMs)).toFixed(0)} ms, js ${median(cold.js.map((c) => c.firstAnswerMs)).toFixed(0)} ms`);
    for (let r = 0; r < cfg.repeats; r++) {
      log(`worker: repeat ${r + 1}/${cfg.repeats}: ${cfg.logins} logins each, ${cfg.concurrency} at a time, then ${cfg.waitSeconds} s idle`);
      for (const side of r % 2 ? [...measured].reverse() : measured) runs[side].push(await measuredRun(side, portList[next++], env, cfg, log));
    }
  } finally {
    emulator.child.kill();
    await rm(dir, { recursive: true, force: true });
  }
  const summary = {};
  for (const side of measured) {
    const m = (key) => median(runs[side].map((r) => r[key]));
    summary[side] = {
      cpuPerLoginMs: m("cpuPerLoginMs"),
      p50Ms: m("p50Ms"),
      p99Ms: m("p99Ms"),
      loginsPerS: m("loginsPerS"),
      afterPerLoginMs: m("afterPerLoginMs"),
      beforeAlarmsPerLoginMs: m("beforeAlarmsPerLoginMs"),
      alarmsPerLoginMs: m("alarmsPerLoginMs"),
      idleCpuPerS: m("idleCpuPerS"),
      coldFirstAnswerMs: cold[side] ? median(cold[side].map((c) => c.firstAnswerMs)) : NaN,
      coldReadyMs: cold[side] ? median(cold[side].map((c) => c.readyMs)) : NaN,
      coldCpuS: cold[side] ? median(cold[side].map((c) => c.workerdCpuS)) : NaN,
      storage: {
        objects: median(runs[side].map((r) => r.storage?.objects)),
        withData: median(runs[side].map((r) => r.storage?.withData)),
        dataBytes: median(runs[side].map((r) => r.storage?.dataBytes)),
        alarms: median(runs[side].map((r) => r.storage?.alarms)),
        dueMinS: median(runs[side].map((r) => r.storage?.dueMinS ?? NaN)),
        dueMaxS: median(runs[side].map((r) => r.storage?.dueMaxS ?? NaN)),
        allLogins: median(runs[side].map((r) => r.allLogins)),
      },
      errors: runs[side].reduce((n, r) => n + Object.values(r.errors).reduce((a, b) => a + b, 0), 0),
    };
  }
  return { cfg, cold, runs, summary };
}
