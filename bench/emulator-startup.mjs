// How long the emulator takes from spawn to its "listening" line and to a first
// answered request, over a bounded number of runs on 127.0.0.1. A benchmark, not a test:
//   node bench/emulator-startup.mjs [--runs 10] [--write]
// `--write` records the result in bench/emulator-startup.md (committed).
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const root = new URL("../", import.meta.url);
const binary = new URL("target/debug/vipps-login-emulator", root).pathname;
const argv = process.argv.slice(2);
const runs = Math.min(Number(argv[argv.indexOf("--runs") + 1]) || 10, 50);

async function once() {
  const t0 = performance.now();
  const child = spawn(binary, ["--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no start line within 10 s")), 10_000);
    createInterface({ input: child.stdout }).once("line", (l) => {
      clearTimeout(timer);
      resolve(l);
    });
  });
  const listening = performance.now() - t0;
  const base = line.match(/listening on (\S+)/)[1];
  const response = await fetch(`${base}/_emulator/health`);
  if (!response.ok) throw new Error(`health answered ${response.status}`);
  const firstAnswer = performance.now() - t0;
  child.kill();
  await new Promise((resolve) => child.once("exit", resolve));
  return { listening, firstAnswer };
}

const results = [];
for (let i = 0; i < runs; i++) results.push(await once());
const stat = (key) => {
  const v = results.map((r) => r[key]).sort((a, b) => a - b);
  return { min: v[0], median: v[Math.floor(v.length / 2)], max: v[v.length - 1] };
};
const fmt = ({ min, median, max }) => `${median.toFixed(0)} ms (min ${min.toFixed(0)}, max ${max.toFixed(0)})`;
const listening = stat("listening");
const firstAnswer = stat("firstAnswer");
console.log(`runs: ${runs}`);
console.log(`spawn to listening line: ${fmt(listening)}`);
console.log(`spawn to first answered request: ${fmt(firstAnswer)}`);
if (argv.includes("--write")) {
  writeFileSync(
    new URL("bench/emulator-startup.md", root),
    `# Emulator start-up

\`node bench/emulator-startup.mjs --runs ${runs} --write\` (debug build, as \`make demo\` runs it), on the
2-core development machine, ${new Date().toISOString().slice(0, 10)}. Median of ${runs} runs.

| from spawn to | median | min | max |
|---|---:|---:|---:|
| the "listening" line | ${listening.median.toFixed(0)} ms | ${listening.min.toFixed(0)} ms | ${listening.max.toFixed(0)} ms |
| the first answered request | ${firstAnswer.median.toFixed(0)} ms | ${firstAnswer.min.toFixed(0)} ms | ${firstAnswer.max.toFixed(0)} ms |
`,
  );
  console.log("wrote bench/emulator-startup.md");
}
