// Sizes, gzip -9: what a browser downloads for the npm package (.wasm + JS glue), and
// the Worker bundle Cloudflare runs (build/: .wasm + JS). `node bench/size-report.mjs`
// prints them; `--write` also writes bench/size-report.md and bench/size-report.json
// (committed). The budgets are checked by tests/node/size.test.mjs and
// tests/worker/size.test.mjs.
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { execFileSync } from "node:child_process";

/** Budget for .wasm + JS glue, gzip -9, in bytes (issue 2: 40 KB, counted as KiB like
 * `ls -h` and `du -h` do). */
export const BUDGET_BYTES = 40 * 1024;
/** Where the project wants to be: below oidc-client-ts (17.5 KB min+gzip). */
export const GOAL_BYTES = 16 * 1024;

/** Budget for the Worker bundle, gzip -9 (issue 4: 250 KB), and the goal (120 KB). */
export const WORKER_BUDGET_BYTES = 250 * 1024;
export const WORKER_GOAL_BYTES = 120 * 1024;

const root = new URL("../", import.meta.url);
const FILES = ["pkg/vipps_login_bg.wasm", "pkg/vipps_login.js"];
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

export function measure() {
  const files = FILES.map((path) => {
    const bytes = readFileSync(new URL(path, root));
    return { path, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  const total = files.reduce((sum, f) => sum + f.gzip, 0);
  return { files, total, budget: BUDGET_BYTES, goal: GOAL_BYTES };
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

function markdown(report, worker, tools) {
  const kb = (n) => (n / 1024).toFixed(1);
  const rows = report.files.map((f) => `| \`${f.path}\` | ${f.raw} | ${f.gzip} |`).join("\n");
  return `# Size report

What a browser downloads for the \`vipps-login\` npm package, gzip -9. Produced by
\`make size\` (\`node bench/size-report.mjs --write\`) after \`make pkg\`; the budget is a test
(\`tests/node/size.test.mjs\`).

| file | bytes | gzip -9 |
|---|---:|---:|
${rows}
| **total** | | **${report.total}** (${kb(report.total)} KB) |

Budget: ${report.budget} bytes (${kb(report.budget)} KB). Goal: under ${report.goal} bytes
(${kb(report.goal)} KB, below oidc-client-ts at 17.5 KB). KB here are 1024 bytes.

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
  const report = measure();
  for (const f of report.files) console.log(`${f.path}: ${f.raw} bytes, ${f.gzip} gzip`);
  console.log(`total gzip: ${report.total} bytes (budget ${report.budget}, goal ${report.goal})`);
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
