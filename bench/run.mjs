// `make bench`: every comparison in one run on this machine, both sides of each in the
// same run, then BENCHMARKS.md and bench/charts/*.svg (and bench/results.json, the raw
// figures). Timings are measurements, never pass/fail: nothing here fails on a figure.
//
//   node bench/run.mjs [--quick] [--only sizes,browser,worker]
//   node bench/run.mjs --report-only
//
// --quick: fewer and shorter repeats, for trying the bench out (the report says so).
// --report-only: BENCHMARKS.md and the charts again from bench/results.json.
// Needs `make pkg worker emulator` first (the Makefile target does that).
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { runBrowser } from "./browser.mjs";
import { machine, root, version } from "./lib.mjs";
import { writeReport } from "./report.mjs";
import { runSizes } from "./sizes.mjs";
import { runWorker } from "./worker.mjs";

const argv = process.argv.slice(2);
if (argv.includes("--report-only")) {
  // BENCHMARKS.md and the charts again from the last run's bench/results.json.
  const last = JSON.parse(await readFile(join(root, "bench/results.json"), "utf8"));
  const written = await writeReport(last);
  console.log(`[bench] rewrote BENCHMARKS.md and ${written.length} charts from bench/results.json (${last.date})`);
  process.exit(0);
}
const quick = argv.includes("--quick");
const onlyAt = argv.indexOf("--only");
const only = onlyAt >= 0 ? new Set(argv[onlyAt + 1].split(",")) : new Set(["sizes", "browser", "worker"]);
const command = process.env.BENCH_COMMAND ?? ["node", "bench/run.mjs", ...argv].join(" ");

const cfg = {
  browser: quick
    ? { warmupMs: 200, sliceMs: 300, repeats: 3, coldRepeats: 5 }
    : { warmupMs: 500, sliceMs: 1000, repeats: 5, coldRepeats: 11 },
  worker: quick
    ? { floors: true, coldStarts: 3, repeats: 3, logins: 60, concurrency: 10, warmup: 10, idleSeconds: 2, waitSeconds: 10, sampleSeconds: 5, timeLimitSeconds: 60 }
    : // 500 logins a repeat, at most 240 s each; the wait outlasts every login's 120 s alarm.
      { floors: true, coldStarts: 5, repeats: 3, logins: 500, concurrency: 10, warmup: 20, idleSeconds: 5, waitSeconds: 130, sampleSeconds: 5, timeLimitSeconds: 240 },
};

const log = (line) => console.log(`[bench] ${line}`);
const started = performance.now();
const load = { start: loadavg() };
const results = { command, quick, date: new Date().toISOString(), machine: machine(), cfg, load };
results.versions = {
  "vipps-login (pkg/)": results.machine.commit + (results.machine.dirty ? " + uncommitted changes in src/" : ""),
  oauth4webapi: version("oauth4webapi"),
  "oidc-client-ts": version("oidc-client-ts"),
  "keycloak-js": version("keycloak-js"),
  "@auth0/auth0-spa-js": version("@auth0/auth0-spa-js"),
  esbuild: version("esbuild"),
  miniflare: version("miniflare"),
  workerd: version("workerd"),
  "playwright-core": version("playwright-core"),
  wrangler: version("wrangler"),
  "worker (crate)": "see Cargo.lock",
};

const section = async (name, fn) => {
  if (!only.has(name)) return;
  const t0 = performance.now();
  load[`${name}Before`] = loadavg();
  results[name] = await fn();
  load[`${name}After`] = loadavg();
  results[name].seconds = (performance.now() - t0) / 1000;
  log(`${name}: done in ${results[name].seconds.toFixed(0)} s`);
};

await section("sizes", () => runSizes(log));
await section("browser", () => runBrowser(cfg.browser, log));
await section("worker", () => runWorker(cfg.worker, log));
results.seconds = (performance.now() - started) / 1000;
load.end = loadavg();

await mkdir(join(root, "bench/charts"), { recursive: true });
await writeFile(join(root, "bench/results.json"), JSON.stringify(results, null, 1) + "\n");
const written = await writeReport(results);
log(`wrote BENCHMARKS.md, bench/results.json and ${written.length} charts in bench/charts/ (${results.seconds.toFixed(0)} s)`);
