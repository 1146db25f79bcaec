// Size of what a browser downloads for the npm package: gzip -9 of the .wasm and of
// its JS glue. `node bench/size-report.mjs` prints it; `--write` also writes
// bench/size-report.md and bench/size-report.json (committed). The budget is checked by
// tests/node/size.test.mjs.
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { execFileSync } from "node:child_process";

/** Budget for .wasm + JS glue, gzip -9, in bytes (issue 2: 40 KB). */
export const BUDGET_BYTES = 40_000;
/** Where the project wants to be: below oidc-client-ts (17.5 KB min+gzip). */
export const GOAL_BYTES = 16_000;

const root = new URL("../", import.meta.url);
const FILES = ["pkg/vipps_login_bg.wasm", "pkg/vipps_login.js"];

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

function markdown(report, tools) {
  const kb = (n) => (n / 1000).toFixed(1);
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
(${kb(report.goal)} KB, below oidc-client-ts at 17.5 KB).

Toolchain: ${tools.rustc}; ${tools.wasmBindgen}; wasm-opt from npm binaryen 132 (\`-Oz\`).
`;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const report = measure();
  for (const f of report.files) console.log(`${f.path}: ${f.raw} bytes, ${f.gzip} gzip`);
  console.log(`total gzip: ${report.total} bytes (budget ${report.budget}, goal ${report.goal})`);
  if (process.argv.includes("--write")) {
    const tools = toolchain();
    writeFileSync(new URL("bench/size-report.md", root), markdown(report, tools));
    writeFileSync(new URL("bench/size-report.json", root), JSON.stringify({ ...report, toolchain: tools }, null, 2) + "\n");
    console.log("wrote bench/size-report.md and bench/size-report.json");
  }
}
