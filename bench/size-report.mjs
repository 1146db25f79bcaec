// Sizes, gzip -9: what a browser downloads for the npm package (.wasm + JS glue), and
// the Worker bundle Cloudflare runs (build/: .wasm + JS). `node bench/size-report.mjs`
// prints them; `--write` also writes bench/size-report.md and bench/size-report.json
// (committed). The budgets are checked by tests/node/size.test.mjs and
// tests/worker/size.test.mjs.
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { execFileSync } from "node:child_process";

/** The npm package's entries: what a browser downloads for each (its .wasm, glue and
 * wrapper), gzip -9, with a budget (a test) and the goal. KB are KiB, as `ls -h` and
 * `du -h` count. Main: issue 2's 40 KB budget. begin/pkce: issue 10's 8 KB goal for the
 * begin-login path; pkce's budget is that goal, begin's its size today plus ~8%. The
 * glue is published minified (scripts/package-json.mjs). */
export const ENTRIES = [
  {
    name: "vipps-login",
    files: ["pkg/vipps_login_bg.wasm", "pkg/vipps_login.js"],
    budget: 40 * 1024,
    goal: 16 * 1024,
  },
  {
    name: "vipps-login/begin",
    files: ["pkg/begin_wasm_bg.wasm", "pkg/begin.js"],
    budget: 16 * 1024,
    goal: 8 * 1024,
  },
  {
    name: "vipps-login/pkce",
    files: ["pkg/pkce_wasm_bg.wasm", "pkg/pkce.js"],
    budget: 8 * 1024,
    goal: 8 * 1024,
  },
];
/** The main entry's budget and goal (tests/node/size.test.mjs). */
export const BUDGET_BYTES = ENTRIES[0].budget;
export const GOAL_BYTES = ENTRIES[0].goal;

/** Budget for the Worker bundle, gzip -9: issue 4's 250 KB, lowered to 225 KB (its size
 * after issue 10's cuts, 214 KB, plus ~5%) so the cuts stay made, then raised to 280 KB
 * for issue 11 (266 KB, plus ~5%): login from phone number (CIBA poll, ping and redirect
 * variants, the PhoneLogins Durable Object, ES256, the Webhooks API check: +40 KB), partner
 * keys, the consent-revoked webhook and the app flows (+12 KB). The goal: issue 10's
 * 100 KB. */
export const WORKER_BUDGET_BYTES = 280 * 1024;
export const WORKER_GOAL_BYTES = 100 * 1024;

const root = new URL("../", import.meta.url);
const WORKER_FILES = ["build/index_bg.wasm", "build/index.js", "build/worker/shim.mjs"];

function gzipSizes(paths) {
  return paths.map((path) => {
    const bytes = readFileSync(new URL(path, root));
    return { path, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
}

/** The Worker bundle (after `make worker`). */
export function measureWorker() {
  const files = gzipSizes(WORKER_FILES);
  const total = files.reduce((sum, f) => sum + f.gzip, 0);
  return { files, total, budget: WORKER_BUDGET_BYTES, goal: WORKER_GOAL_BYTES };
}

/** One entry of the package: its files and their sum. */
export function measureEntry(entry) {
  const files = gzipSizes(entry.files);
  const total = files.reduce((sum, f) => sum + f.gzip, 0);
  return { name: entry.name, files, total, budget: entry.budget, goal: entry.goal };
}

/** The main entry (the figure the budgets of issues 2 and 10 started from). */
export function measure() {
  return measureEntry(ENTRIES[0]);
}

/** Every entry, and the whole package (each file once). */
export function measureAll() {
  const entries = ENTRIES.map(measureEntry);
  const files = [...new Set(ENTRIES.flatMap((e) => e.files))];
  const whole = gzipSizes(files).reduce((sum, f) => sum + f.gzip, 0);
  return { entries, whole };
}

function toolchain() {
  const run = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: "utf8" }).trim();
    } catch {
      return "unknown";
    }
  };
  return { rustc: run("rustc", ["--version"]), wasmBindgen: run("wasm-bindgen", ["--version"]) };
}

function markdown(all, worker, tools) {
  const kb = (n) => (n / 1024).toFixed(1);
  const sections = all.entries
    .map((e) => {
      const rows = e.files.map((f) => `| \`${f.path}\` | ${f.raw} | ${f.gzip} |`).join("\n");
      return `## \`${e.name}\`

| file | bytes | gzip -9 |
|---|---:|---:|
${rows}
| **total** | | **${e.total}** (${kb(e.total)} KB) |

Budget: ${e.budget} bytes (${kb(e.budget)} KB). Goal: ${e.goal} bytes (${kb(e.goal)} KB).
`;
    })
    .join("\n");
  return `# Size report

What a browser downloads for each entry of the \`vipps-login\` npm package, gzip -9 of
each file as published (not minified; a bundler minifies the JS further). Produced by
\`make size\` (\`node bench/size-report.mjs --write\`) after \`make pkg\`; the budgets are a
test (\`tests/node/size.test.mjs\`). KB here are 1024 bytes. \`BENCHMARKS.md\` has the
same entries minified and bundled, beside the JavaScript libraries.

${sections}
The whole package (every file above once): ${all.whole} bytes (${kb(all.whole)} KB).

## The Worker bundle

What Cloudflare runs (\`make worker\`: worker-build, then the name section stripped).

| file | bytes | gzip -9 |
|---|---:|---:|
${worker ? worker.files.map((f) => `| \`${f.path}\` | ${f.raw} | ${f.gzip} |`).join("\n") : "| (not built) | | |"}
| **total** | | **${worker ? worker.total : "-"}**${worker ? ` (${kb(worker.total)} KB)` : ""} |

Budget: ${WORKER_BUDGET_BYTES} bytes (${kb(WORKER_BUDGET_BYTES)} KB). Goal: ${WORKER_GOAL_BYTES} bytes (${kb(WORKER_GOAL_BYTES)} KB).

Toolchain: ${tools.rustc}; ${tools.wasmBindgen}; wasm-opt from npm binaryen 132 (\`-Oz\`).
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const report = measureAll();
  for (const e of report.entries) {
    for (const f of e.files) console.log(`${f.path}: ${f.raw} bytes, ${f.gzip} gzip`);
    console.log(`${e.name}: ${e.total} bytes gzip (budget ${e.budget}, goal ${e.goal})`);
  }
  console.log(`whole package: ${report.whole} bytes gzip`);
  let worker = null;
  try {
    worker = measureWorker();
    console.log(`worker bundle gzip: ${worker.total} bytes (budget ${worker.budget}, goal ${worker.goal})`);
  } catch {
    console.log("worker bundle: not built (make worker)");
  }
  if (process.argv.includes("--write")) {
    const tools = toolchain();
    writeFileSync(new URL("bench/size-report.md", root), markdown(report, worker, tools));
    writeFileSync(new URL("bench/size-report.json", root), JSON.stringify({ ...report, worker, toolchain: tools }, null, 2) + "\n");
    console.log("wrote bench/size-report.md and bench/size-report.json");
  }
}
