// Does the Worker's own memory grow per login? Complete logins through the built Worker
// (build/, `make worker`) in real workerd (miniflare) against the local Vipps emulator
// (`make emulator`), all on 127.0.0.1, with samples of the Worker's wasm linear memory
// (GET /api/_memory, VIPPS_DEBUG_ROUTES=true) and of the workerd process's RSS. A
// benchmark, not a test:
//   node bench/memory.mjs [--counts 100,10000] [--concurrency 20] [--time-limit 900] [--write]
// Each login is a fresh "browser" (its own binding cookie): GET /login (302) → the
// emulator's browserless approve → GET <callback URL> (302 with a vipps_session cookie).
// It samples once before any login and after each count; it stops at the last count or
// at the time limit (seconds), whichever comes first. `--write` records the result in
// bench/memory.md. `make bench-memory`.
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { approveAtEmulator } from "../tests/worker/harness.mjs";
import { option as optionOf, positiveInt, rssBytes, sh, version } from "./lib.mjs";
import { withBenchStack } from "./stack.mjs";

const argv = process.argv.slice(2);
const option = (name, fallback) => optionOf(argv, name, fallback);
const counts = option("--counts", "100,10000")
  .split(",")
  .map((c) => positiveInt("--counts", c.trim(), 1_000_000));
if (counts.some((c, i) => i > 0 && c <= counts[i - 1])) throw new Error("--counts must be increasing");
const concurrency = positiveInt("--concurrency", option("--concurrency", "20"), 200);
const timeLimitSeconds = positiveInt("--time-limit", option("--time-limit", "900"), 24 * 3600);
const write = argv.includes("--write");
const command = ["node", "bench/memory.mjs", ...argv].join(" ");

// --- the stack -----------------------------------------------------------------------

await withBenchStack({ vars: { VIPPS_DEBUG_ROUTES: "true" } }, run);

async function run({ client: browser, workerdPid, emulator, origin }) {
  let attempted = 0;
  let ok = 0;
  let errors = 0;
  const errorKinds = new Map(); // message → how many
  const samples = [];
  let started = 0; // performance.now() when the first login started

  async function sample(label) {
    const response = await browser.get("/api/_memory");
    const body = await response.text();
    if (response.status !== 200) throw new Error(`GET /api/_memory: ${response.status} ${body.slice(0, 300)}`);
    const report = JSON.parse(body);
    const elapsed = started ? (performance.now() - started) / 1000 : 0;
    const previous = samples.at(-1);
    const s = {
      label,
      logins: attempted,
      ok,
      errors,
      elapsed,
      perSecond: elapsed > 0 ? attempted / elapsed : 0,
      // Since the previous sample: does throughput hold up?
      segmentPerSecond:
        previous && elapsed > previous.elapsed ? (attempted - previous.logins) / (elapsed - previous.elapsed) : 0,
      wasmMemoryBytes: report.wasmMemoryBytes,
      configLoads: report.configLoads,
      workerdRssBytes: rssBytes(workerdPid),
    };
    samples.push(s);
    console.log(
      `${label}: logins ${s.logins} (ok ${s.ok}, errors ${s.errors}), ${s.elapsed.toFixed(1)} s, ` +
        `${s.perSecond.toFixed(1)}/s, wasm ${s.wasmMemoryBytes} B, workerd RSS ${mib(s.workerdRssBytes)} MiB, ` +
        `configLoads ${s.configLoads}`,
    );
  }

  /** One complete login as a fresh browser; throws on anything but the expected answers. */
  async function login() {
    const client = browser.fresh();
    const start = await client.get("/login");
    const startBody = await start.text();
    if (start.status !== 302) throw new Error(`GET /login: ${start.status} ${startBody.slice(0, 120)}`);
    if (!client.binding()) throw new Error("GET /login: no binding cookie");
    const location = start.headers.get("location");
    if (!location?.startsWith(emulator.issuer)) throw new Error(`GET /login: Location ${location}`);
    const callback = await approveAtEmulator(location, "ola");
    if (!callback?.startsWith(`${origin}/`)) throw new Error(`emulator redirect not to the Worker: ${callback}`);
    const done = await client.get(callback);
    const doneBody = await done.text();
    if (done.status !== 302) throw new Error(`GET /callback: ${done.status} ${doneBody.slice(0, 120)}`);
    if (!done.headers.getSetCookie().some((line) => /^vipps_session=[^;]/.test(line))) {
      throw new Error("GET /callback: no vipps_session cookie");
    }
  }

  /** Logins by `concurrency` workers until `target` were started or the deadline passed. */
  async function runUntil(target, deadline) {
    const worker = async () => {
      while (attempted < target && performance.now() < deadline) {
        attempted++;
        try {
          await login();
          ok++;
        } catch (error) {
          errors++;
          const kind = String(error?.message ?? error).replace(/\d+/g, "N").slice(0, 160);
          errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  await sample("before any login");
  started = performance.now();
  const deadline = started + timeLimitSeconds * 1000;
  let stoppedBy = "count";
  for (const count of counts) {
    await runUntil(count, deadline);
    if (attempted < count) {
      stoppedBy = "time";
      await sample(`time limit (${timeLimitSeconds} s) at ${attempted}`);
      break;
    }
    await sample(`after ${count}`);
  }
  const stopLine =
    stoppedBy === "count"
      ? `Stopped at the count: ${attempted} logins (the time limit, ${timeLimitSeconds} s, was not reached).`
      : `Stopped at the time limit (${timeLimitSeconds} s) after ${attempted} of ${counts.at(-1)} logins.`;
  console.log(stopLine);
  for (const [kind, n] of errorKinds) console.log(`  error ×${n}: ${kind}`);

  // Growth per login between the first count's sample and the last sample.
  const from = samples[1];
  const to = samples.at(-1);
  let growth = null;
  if (from && to !== from && to.logins > from.logins) {
    const n = to.logins - from.logins;
    growth = {
      from,
      to,
      n,
      wasm: (to.wasmMemoryBytes - from.wasmMemoryBytes) / n,
      rss: (to.workerdRssBytes - from.workerdRssBytes) / n,
    };
    console.log(
      `growth per login between ${from.logins} and ${to.logins}: wasm ${growth.wasm.toFixed(1)} B, ` +
        `workerd RSS ${growth.rss.toFixed(0)} B (${(growth.rss / 1024).toFixed(1)} KiB)`,
    );
  } else {
    console.log("growth per login: not enough samples (the time limit came before the first count)");
  }

  if (write) {
    writeFileSync(new URL("memory.md", import.meta.url), report({ samples, growth, stopLine, errorKinds }));
    console.log("wrote bench/memory.md");
  }
}

// --- the report ----------------------------------------------------------------------

function mib(bytes) {
  return (bytes / 1024 / 1024).toFixed(1);
}

function report({ samples, growth, stopLine, errorKinds }) {
  const rows = samples.map(
    (s) =>
      `| ${s.label} | ${s.logins} | ${s.errors} | ${s.elapsed.toFixed(1)} | ${s.perSecond.toFixed(1)} | ` +
      `${s.segmentPerSecond ? s.segmentPerSecond.toFixed(1) : "–"} | ${s.wasmMemoryBytes} (${mib(s.wasmMemoryBytes)} MiB) | ` +
      `${mib(s.workerdRssBytes)} | ${s.configLoads} |`,
  );
  const errorsText = errorKinds.size
    ? `\nErrors:\n\n${[...errorKinds].map(([kind, n]) => `- ${n} × \`${kind}\``).join("\n")}\n`
    : "";
  let growthText;
  let reading;
  if (growth) {
    const { from, to, n } = growth;
    growthText = `Growth per login between the sample after ${from.logins} and the one after ${to.logins} logins (${n} logins):

| | at ${from.logins} | at ${to.logins} | per login |
|---|---:|---:|---:|
| wasm linear memory | ${from.wasmMemoryBytes} B | ${to.wasmMemoryBytes} B | **${growth.wasm.toFixed(1)} B** |
| workerd RSS | ${mib(from.workerdRssBytes)} MiB | ${mib(to.workerdRssBytes)} MiB | **${growth.rss.toFixed(0)} B (${(growth.rss / 1024).toFixed(1)} KiB)** |
`;
    // The segment before the last sample, when there are samples between `from` and `to`.
    const before = samples.at(-2);
    const tail = before !== from && to.logins > before.logins ? { before, n: to.logins - before.logins } : null;
    const PAGE = 65536;
    const pages = (to.wasmMemoryBytes - from.wasmMemoryBytes) / PAGE;
    let wasmMeasured;
    if (pages === 0) {
      wasmMeasured = `Measured: the wasm memory stayed at ${to.wasmMemoryBytes} B (${mib(to.wasmMemoryBytes)} MiB) from ${from.logins} to ${to.logins} logins: flat, as expected.`;
    } else {
      wasmMeasured =
        `Measured: the wasm memory grew by ${pages} page${pages === 1 ? "" : "s"} of 64 KiB (${from.wasmMemoryBytes} B → ${to.wasmMemoryBytes} B) ` +
        `between ${from.logins} and ${to.logins} logins, ${growth.wasm.toFixed(1)} B per login on average: not flat. ` +
        "Wasm memory grows by whole pages and never shrinks, so the size is the allocator's high-water mark (which " +
        `${concurrency} logins in flight at once also raise); `;
      if (tail) {
        const tailPages = (to.wasmMemoryBytes - tail.before.wasmMemoryBytes) / PAGE;
        wasmMeasured +=
          tailPages === 0
            ? `it did not grow over the last ${tail.n} logins (${tail.before.logins} → ${to.logins}), so here it was a warm-up, not growth per login.`
            : `it still grew ${tailPages} page${tailPages === 1 ? "" : "s"} over the last ${tail.n} logins (${tail.before.logins} → ${to.logins}).`;
      } else {
        wasmMeasured +=
          "with only these two samples a warm-up cannot be told from steady growth (more samples: e.g. " +
          "`--counts 100,1000,5000,10000`).";
      }
    }
    const kib = growth.rss / 1024;
    const average = `workerd's RSS grew ${kib.toFixed(1)} KiB per login on average (${mib(from.workerdRssBytes)} → ${mib(to.workerdRssBytes)} MiB)`;
    let rssMeasured;
    if (kib > 100 && kib < 300) {
      rssMeasured = `${average}, in line with the expected ~190 KiB per login (the benchmark itself does not separate Durable Object storage from the rest of workerd).`;
    } else if (kib >= 300) {
      rssMeasured = `${average}, more than the expected ~190 KiB per login.`;
    } else {
      rssMeasured = `${average}, less than the expected ~190 KiB per login: these numbers do not show local Durable Object storage keeping that much per login.`;
    }
    if (tail) {
      const tailKib = (to.workerdRssBytes - tail.before.workerdRssBytes) / tail.n / 1024;
      rssMeasured += ` Over the last ${tail.n} logins (${tail.before.logins} → ${to.logins}) it grew ${tailKib.toFixed(1)} KiB per login.`;
    }
    reading = `${wasmMeasured} ${rssMeasured}`;
  } else {
    growthText = "No growth per login: the time limit came before the first count's sample.\n";
    reading = "Measured: not enough samples for a growth figure.";
  }
  return `# Worker memory per login

\`${command}\` (\`make bench-memory\`), ${new Date().toISOString().slice(0, 10)}.

Machine: ${sh("nproc", [])} cores, \`${sh("uname", ["-sr"])}\`, node ${process.version}, miniflare ${version("miniflare")}, workerd ${version("workerd")}.

The built Worker (\`build/\`, \`VIPPS_DEBUG_ROUTES=true\`) in workerd through miniflare, and the local Vipps
emulator (debug build), both on 127.0.0.1. Each login is a fresh browser (its own binding
cookie): \`GET /login\` (302) → the emulator's browserless approve → \`GET /callback\` (302 with a
\`vipps_session\` cookie); anything else counts as an error. ${concurrency} logins at a time. ${stopLine}

Samples: the Worker isolate's wasm linear memory (\`GET /api/_memory\`) and the RSS of the
workerd process (VmRSS of the workerd child of the benchmark's node process). Elapsed time
counts from the first login; "logins/s" is overall, "segment" since the previous sample.

| sample | logins | errors | elapsed s | logins/s | segment logins/s | wasm memory bytes | workerd RSS MiB | configLoads |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
${rows.join("\n")}
${errorsText}
${growthText}
Expected: the wasm memory stays flat, since the Worker keeps nothing per login (a login's
transaction lives in its own Durable Object, not in the Worker's memory), and the
settings are read once per isolate (\`configLoads\` 1). Local workerd's RSS, on the other
hand, is expected to grow about 190 KiB per login, because its local Durable Object
storage keeps one object (SQLite) per login and never releases it: that would be the
local runtime, not the Worker (a deployed Worker's Durable Objects live elsewhere).

${reading}
`;
}
