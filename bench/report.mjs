// Writes BENCHMARKS.md and bench/charts/*.svg from the results of bench/run.mjs.
import { readFileSync, readdirSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { barChart, fmtRatio, ratioChart } from "./charts.mjs";
import { ALARM_AFTER_SECONDS, LABEL } from "./worker.mjs";
import { kb, median, root } from "./lib.mjs";

const KB = 1024;
const GOALS = {
  packageBytes: 16 * KB,
  beginLoginBytes: 8 * KB,
  rateRatio: 3,
  coldLoadRatio: 1,
  workerBytes: 100 * KB,
  workerCpuRatio: 0.5,
};

const B = (n) => `${n.toLocaleString("en-US")} B`;
const KBs = (n) => `${kb(n)} KB`;
const ms = (n, d = 1) => (Number.isFinite(n) ? `${n.toFixed(d)} ms` : "n/a");
const r2 = (n) => fmtRatio(n);

/** Seconds as s, min, h, days or years. */
function duration(secs) {
  if (!Number.isFinite(secs)) return "–";
  const a = Math.abs(secs);
  const sign = secs < 0 ? "−" : "";
  if (a < 120) return `${sign}${a.toFixed(0)} s`;
  if (a < 7200) return `${sign}${(a / 60).toFixed(0)} min`;
  if (a < 3 * 86400) return `${sign}${(a / 3600).toFixed(1)} h`;
  if (a < 365 * 86400) return `${sign}${(a / 86400).toFixed(0)} days`;
  return `${sign}${(a / (365.25 * 86400)).toFixed(0)} years`;
}

/** A side whose records outlive the bench: most objects still hold data, alarms a day or more out. */
function neverDue(storage) {
  return storage && storage.withData > storage.allLogins / 2 && storage.dueMinS > 86400;
}

function cargoLockVersion(name) {
  const lock = readFileSync(join(root, "Cargo.lock"), "utf8");
  const m = lock.match(new RegExp(`\\[\\[package\\]\\]\\nname = "${name}"\\nversion = "([^"]+)"`));
  return m ? m[1] : "unknown";
}

export async function writeReport(results) {
  const charts = {};
  const md = [];
  const ratios = [];
  const goals = [];
  const { machine: m, cfg } = results;
  results.versions["worker (crate)"] = cargoLockVersion("worker");
  results.versions["wasm-bindgen (crate)"] = cargoLockVersion("wasm-bindgen");

  md.push(`# Benchmarks

Every comparison below ran in one run of \`${results.command}\`${results.quick ? " **with --quick (fewer, shorter repeats: try-out figures, not the real run)**" : ""},
on ${results.date.slice(0, 10)}, in ${(results.seconds / 60).toFixed(1)} minutes. Both sides of each comparison ran in that
same run, alternating where the order could matter; each figure is the median of the repeats
shown. Ratios are **ours / theirs** (for sizes, CPU and times below 1 is better for us; for a
rate above 1 is). Timings are measurements, never pass/fail; the goals are the issue's, for
context. Raw figures: \`bench/results.json\`. Regenerate with \`make bench\`.

## Machine

| | |
|---|---|
| cores (\`nproc\`) | ${m.nproc} |
| CPU | ${m.cpu} |
| kernel (\`uname -sr\`) | ${m.uname} |
| node | ${m.node} |
| Chromium | ${results.browser?.chromium ? `${results.browser.chromium} (${m.chromium})` : m.chromium} |
| rustc | ${m.rustc} |
| wasm-bindgen CLI | ${m.wasmBindgen} |
| CLK_TCK | ${m.clkTck} |
| load average (1 min) at start / end | ${results.load.start[0].toFixed(2)} / ${results.load.end[0].toFixed(2)} |

The machine is shared: other builds and test suites may run on it at the same time (the
load averages above and per section below say how busy it was). CPU time per process
suffers less from that than wall-clock time, rates and latencies, which can move by tens of
per cent between runs.

## Versions measured

| | version |
|---|---|
${Object.entries(results.versions).map(([k, v]) => `| ${k} | ${v} |`).join("\n")}
`);

  // --- sizes -------------------------------------------------------------------------
  if (results.sizes) {
    const { libraries, worker } = results.sizes;
    const ours = libraries.find((l) => l.wasm);
    const others = libraries.filter((l) => !l.wasm);
    const row = (l, key) => {
      const v = l[key].total;
      return l.wasm ? `**${B(v)}** (${KBs(v)})` : `${B(v)} (${KBs(v)}) | ${r2(ours[key].total / v)}`;
    };
    md.push(`## 1. Sizes (gzip -9)

zlib level 9 of each file, as \`gzip -9\` (KB = 1024 bytes). Ours always counts the .wasm
(${B(ours.wasm.gzip)} of \`${ours.wasm.path}\`, ${B(ours.wasm.raw)} raw) plus its JS.

- **published**: the package's main ESM file as installed (ours: \`pkg/vipps_login.js\` +
  the .wasm). oidc-client-ts's entry imports \`jwt-decode\`, which this column leaves out.
- **minified**: \`esbuild --bundle --minify --format=esm\` of that entry: every export, and
  its dependencies.
- **begin login**: \`esbuild --bundle --minify --format=esm\` of a tiny entry
  (\`bench/entries/\`) that does what a login button needs: state, nonce, PKCE verifier +
  S256 challenge, the authorization URL, tree-shaken. Ours is
  \`import init, { createLogin } from "vipps-login"\` resolved to \`pkg/\` through its
  package.json. oidc-client-ts uses \`OidcClient.createSigninRequest\` (smaller than
  \`UserManager\`), keycloak-js \`init\` + \`createLoginUrl\` (its generic OpenID config),
  auth0-spa-js \`loginWithRedirect\`.

| library | version | published | ours / theirs | minified | ours / theirs | begin login | ours / theirs |
|---|---|---:|---:|---:|---:|---:|---:|
| ${ours.label} | ${ours.version} | ${row(ours, "published")} | | ${row(ours, "minified")} | | ${row(ours, "beginLogin")} | |
${others.map((l) => `| ${l.label} | ${l.version} | ${row(l, "published")} | ${row(l, "minified")} | ${row(l, "beginLogin")} |`).join("\n")}

Ours in parts: published JS ${B(ours.published.js.gzip)}, minified JS ${B(ours.minified.js)}, begin-login JS
${B(ours.beginLogin.js)}; the rest is the .wasm, which no bundler shrinks or tree-shakes.

![package sizes](bench/charts/sizes-published.svg)

![minified bundles](bench/charts/sizes-minified.svg)

![begin-login bundles](bench/charts/sizes-begin-login.svg)
`);
    const sizeRows = (key) =>
      libraries.map((l) => ({
        label: `${l.label} ${l.version}`,
        value: l[key].total,
        ours: !!l.wasm,
        text: l.wasm ? "" : `ours/theirs ${r2(ours[key].total / l[key].total)}`,
      }));
    charts["sizes-published.svg"] = barChart({
      title: "Package as published, gzip -9 (ours: .wasm + JS)",
      subtitle: "main ESM file of each package; lower is better",
      rows: sizeRows("published"),
      format: KBs,
      goal: { value: GOALS.packageBytes, label: "goal ≤ 16 KB" },
    });
    charts["sizes-minified.svg"] = barChart({
      title: "Package minified (esbuild --bundle --minify), gzip -9",
      subtitle: "every export with its dependencies; lower is better",
      rows: sizeRows("minified"),
      format: KBs,
    });
    charts["sizes-begin-login.svg"] = barChart({
      title: "Begin-login entry, bundled and tree-shaken, gzip -9",
      subtitle: "state, nonce, PKCE S256, authorization URL (ours: + .wasm); lower is better",
      rows: sizeRows("beginLogin"),
      format: KBs,
      goal: { value: GOALS.beginLoginBytes, label: "goal ≤ 8 KB" },
    });
    for (const l of others) ratios.push({ label: `package vs ${l.label}`, ratio: ours.published.total / l.published.total, better: "lower" });
    for (const l of others) {
      const keycloak = l.id === "keycloak-js";
      ratios.push({ label: `begin login vs ${l.label}`, ratio: ours.beginLogin.total / l.beginLogin.total, better: "lower", ...(keycloak ? { goal: 1 } : {}) });
    }
    const keycloak = libraries.find((l) => l.id === "keycloak-js");
    goals.push({
      goal: "package ≤ 16 KB gzip",
      measured: `${KBs(ours.published.total)} (.wasm + JS)`,
      met: ours.published.total <= GOALS.packageBytes,
      gap: ours.published.total > GOALS.packageBytes ? `${(ours.published.total / GOALS.packageBytes).toFixed(1)}× the goal` : "",
    });
    goals.push({
      goal: "begin-login path ≤ 8 KB, below keycloak-js",
      measured: `${KBs(ours.beginLogin.total)}; keycloak-js ${KBs(keycloak.beginLogin.total)} (ours/theirs ${r2(ours.beginLogin.total / keycloak.beginLogin.total)})`,
      met: ours.beginLogin.total <= GOALS.beginLoginBytes && ours.beginLogin.total < keycloak.beginLogin.total,
      gap: ours.beginLogin.total > GOALS.beginLoginBytes ? `${(ours.beginLogin.total / GOALS.beginLoginBytes).toFixed(1)}× the goal` : "",
    });

    const w = worker;
    const jsMin = w.js.minified.gzip;
    md.push(`### The Worker bundle

Ours: the modules workerd loads from \`build/\` (\`make worker\`), gzip of each file, summed.
Theirs: the JS Worker on oauth4webapi in \`bench/js-worker/worker.mjs\` (same job, same
storage design: see section 3), bundled with esbuild (\`--bundle --format=esm\`,
\`cloudflare:*\` external), with and without \`--minify\` (wrangler does not minify unless told).

| Worker | files | raw | gzip -9 | ours / theirs |
|---|---|---:|---:|---:|
| ${LABEL.ours} | ${w.ours.files.map((f) => `\`${f.path}\` ${B(f.gzip)}`).join(", ")} | ${B(w.ours.files.reduce((n, f) => n + f.raw, 0))} | **${B(w.ours.total)}** (${KBs(w.ours.total)}) | |
| ${LABEL.js}, minified | 1 bundle | ${B(w.js.minified.raw)} | ${B(jsMin)} (${KBs(jsMin)}) | ${r2(w.ours.total / jsMin)} |
| ${LABEL.js}, not minified | 1 bundle | ${B(w.js.plain.raw)} | ${B(w.js.plain.gzip)} (${KBs(w.js.plain.gzip)}) | ${r2(w.ours.total / w.js.plain.gzip)} |

The two do not do the same amount: ours also has the front-end-driven routes (\`/api/*\`),
the other-browser confirmation, per-login Vipps options, the shop's login hook, base paths,
bounded bodies and its error pages; the JS Worker has only the Worker-driven login. Its
size is what a Worker that does *this* login costs in JS, not a port of all of ours.

![Worker bundle sizes](bench/charts/worker-size.svg)
`);
    charts["worker-size.svg"] = barChart({
      title: "Worker bundle, gzip -9",
      subtitle: "ours: build/ (.wasm + JS, each file gzipped, summed); JS: esbuild bundle; lower is better",
      rows: [
        { label: "ours (Rust/wasm)", value: w.ours.total, ours: true },
        { label: "JS Worker, minified", value: jsMin, text: `ours/theirs ${r2(w.ours.total / jsMin)}` },
        { label: "JS Worker, not minified", value: w.js.plain.gzip, text: `ours/theirs ${r2(w.ours.total / w.js.plain.gzip)}` },
      ],
      format: KBs,
      goal: { value: GOALS.workerBytes, label: "goal ≤ 100 KB" },
    });
    ratios.push({ label: "Worker bundle vs JS Worker (min.)", ratio: w.ours.total / jsMin, better: "lower" });
    goals.push({
      goal: "Worker ≤ 100 KB gzip",
      measured: `${KBs(w.ours.total)}; the JS Worker ${KBs(jsMin)} (ours/theirs ${r2(w.ours.total / jsMin)})`,
      met: w.ours.total <= GOALS.workerBytes,
      gap: w.ours.total > GOALS.workerBytes ? `${(w.ours.total / GOALS.workerBytes).toFixed(1)}× the goal` : "",
    });
  }

  // --- browser -------------------------------------------------------------------------
  if (results.browser) {
    const b = results.browser;
    const s = b.summary;
    const rateRatio = s.oursPerS / s.oauth4webapiPerS;
    const coldRatio = s.oursLoadMs / s.oauth4webapiLoadMs;
    const per = (xs) => xs.map((x) => x.toFixed(0)).join(", ");
    const coldStats = (xs, key) => {
      const v = xs.map((x) => x[key]);
      return `${ms(median(v))} | ${ms(Math.min(...v))} – ${ms(Math.max(...v))}`;
    };
    md.push(`## 2. In the browser (headless Chromium)

Chromium ${b.chromium} through playwright-core (\`launchChromium\` from
\`tests/browser/chromium.mjs\`), pages from a static server on 127.0.0.1. Load average
before / after: ${results.load.browserBefore[0].toFixed(2)} / ${results.load.browserAfter[0].toFixed(2)}.

### Begin-login operations per second

One warm page holds both. Ours: \`createLogin({clientId, redirectUri, scope})\` (state,
nonce, PKCE verifier, S256 challenge, the URL; synchronous). oauth4webapi:
\`generateRandomState\`, \`generateRandomNonce\`, \`generateRandomCodeVerifier\`, \`await
calculatePKCECodeChallenge\` (WebCrypto's digest, asynchronous) and the URL built with
\`URLSearchParams\`, one after the other as a login button would. Each ran for ${b.cfg.sliceMs} ms slices,
${b.cfg.repeats} repeats, alternating (after ${b.cfg.warmupMs} ms of warm-up each). "batched" keeps 32
of oauth4webapi's in flight at once (\`Promise.all\`), which a login button would not: were it
much faster, waiting on each digest in turn would be what bounds the one-at-a-time rate.

| | per slice (ops/s) | median ops/s | ours / theirs |
|---|---|---:|---:|
| ours: createLogin | ${per(b.ops.ours)} | **${s.oursPerS.toFixed(0)}** | |
| oauth4webapi, one at a time | ${per(b.ops.oauth4webapi)} | ${s.oauth4webapiPerS.toFixed(0)} | ${r2(rateRatio)} |
| oauth4webapi, 32 in flight | ${per(b.ops.oauth4webapiBatched)} | ${s.oauth4webapiBatchedPerS.toFixed(0)} | ${r2(s.oursPerS / s.oauth4webapiBatchedPerS)} |

![begin-login rate](bench/charts/browser-rate.svg)

### Cold load

Each sample is a fresh browser context (empty HTTP cache, no compiled-code cache), ${b.cfg.coldRepeats} per
side, alternating, after one discarded load per side. Measured in the page with \`performance.now()\`: ours from just before
\`import("/pkg/vipps_login.js")\` to \`await init()\` done (the .wasm fetched, compiled and
instantiated); oauth4webapi from just before \`import("/oauth4webapi.js")\` to the import done.
"To the first URL" goes on to one begin-login (for ours that can include compiling the
wasm functions it calls for the first time: V8 compiles them lazily, on first call).

| | import (+ init): median | min – max | to the first URL: median | min – max | ours / theirs (import) |
|---|---:|---:|---:|---:|---:|
| ours | ${coldStats(b.cold.ours, "loadMs")} | ${coldStats(b.cold.ours, "firstUrlMs")} | ${r2(coldRatio)} |
| oauth4webapi | ${coldStats(b.cold.oauth4webapi, "loadMs")} | ${coldStats(b.cold.oauth4webapi, "firstUrlMs")} | |

All samples (ms, import + init): ours ${b.cold.ours.map((c) => c.loadMs.toFixed(1)).join(", ")}; oauth4webapi
${b.cold.oauth4webapi.map((c) => c.loadMs.toFixed(1)).join(", ")}.

From 127.0.0.1 the transfer costs next to nothing: over a real network the bytes of
section 1 add their download time (ours ${results.sizes ? KBs(results.sizes.libraries.find((l) => l.wasm).published.total) : "see section 1"} gzip against
oauth4webapi's ${results.sizes ? KBs(results.sizes.libraries.find((l) => l.id === "oauth4webapi").published.total) : "—"}), which this measurement leaves out.

![cold load](bench/charts/browser-cold-load.svg)
`);
    charts["browser-rate.svg"] = barChart({
      title: "Begin-login operations per second, headless Chromium",
      subtitle: `state + nonce + PKCE S256 + URL; median of ${b.cfg.repeats} × ${b.cfg.sliceMs} ms; higher is better`,
      rows: [
        { label: "ours: createLogin", value: s.oursPerS, ours: true },
        { label: "oauth4webapi, one at a time", value: s.oauth4webapiPerS, text: `ours/theirs ${r2(rateRatio)}` },
        { label: "oauth4webapi, 32 in flight", value: s.oauth4webapiBatchedPerS, text: `ours/theirs ${r2(s.oursPerS / s.oauth4webapiBatchedPerS)}` },
      ],
      format: (v) => `${v.toFixed(0)}/s`,
      goal: { value: GOALS.rateRatio * s.oauth4webapiPerS, label: "goal ≥ 3× oauth4webapi" },
    });
    charts["browser-cold-load.svg"] = barChart({
      title: "Cold load in a fresh browser context, headless Chromium",
      subtitle: `median of ${b.cfg.coldRepeats}; from 127.0.0.1 (no network time); lower is better`,
      rows: [
        { label: "ours: import + init", value: s.oursLoadMs, ours: true },
        { label: "oauth4webapi: import", value: s.oauth4webapiLoadMs, text: `ours/theirs ${r2(coldRatio)}` },
        { label: "ours: to the first URL", value: s.oursFirstUrlMs, ours: true },
        { label: "oauth4webapi: to the first URL", value: s.oauth4webapiFirstUrlMs, text: `ours/theirs ${r2(s.oursFirstUrlMs / s.oauth4webapiFirstUrlMs)}` },
      ],
      format: (v) => ms(v),
      goal: { value: s.oauth4webapiLoadMs, label: "goal: no slower than importing oauth4webapi" },
    });
    ratios.push({ label: "createLogin rate vs oauth4webapi", ratio: rateRatio, goal: GOALS.rateRatio, better: "higher" });
    ratios.push({ label: "cold load vs importing oauth4webapi", ratio: coldRatio, goal: GOALS.coldLoadRatio, better: "lower" });
    goals.push({
      goal: "createLogin ≥ 3× oauth4webapi's rate",
      measured: `${s.oursPerS.toFixed(0)}/s against ${s.oauth4webapiPerS.toFixed(0)}/s: ${r2(rateRatio)}`,
      met: rateRatio >= GOALS.rateRatio,
      gap: "",
    });
    goals.push({
      goal: "cold load no slower than importing oauth4webapi",
      measured: `${ms(s.oursLoadMs)} against ${ms(s.oauth4webapiLoadMs)}: ${r2(coldRatio)}`,
      met: coldRatio <= GOALS.coldLoadRatio,
      gap: "",
    });
  }

  // --- worker ---------------------------------------------------------------------------
  if (results.worker) {
    const w = results.worker;
    const c = w.cfg;
    const o = w.summary.ours;
    const j = w.summary.js;
    const cpuRatio = o.cpuPerLoginMs / j.cpuPerLoginMs;
    const runRow = (side, r, i) =>
      `| ${side === "ours" ? "ours" : "JS"} | ${i + 1} | ${r.ok}/${r.logins} | ${r.wallS.toFixed(1)} | ${r.loginsPerS.toFixed(1)} | ${r.cpuS.toFixed(2)} | ${r.cpuPerLoginMs.toFixed(2)} | ${r.p50Ms.toFixed(0)} | ${r.p99Ms.toFixed(0)} | ${r.beforeAlarmsPerLoginMs.toFixed(3)} (${r.splitS.toFixed(0)} s) | ${neverDue({ ...r.storage, allLogins: r.allLogins }) ? "none came due ⚠" : r.alarmsCovered ? r.alarmsPerLoginMs.toFixed(3) : "not reached"} |`;
    const runs = [];
    for (let i = 0; i < c.repeats; i++) for (const side of ["ours", "js"]) if (w.runs[side][i]) runs.push(runRow(side, w.runs[side][i], i));
    const errs = ["ours", "js"].flatMap((side) => w.runs[side].flatMap((r) => Object.entries(r.errors).map(([k, n]) => `- ${side}: ${n} × \`${k}\``)));
    const allCovered = ["ours", "js"].every((side) => w.runs[side].every((r) => r.alarmsCovered));
    // The same repeat's two instances ran back to back: their ratio is the fairest pair
    // when the machine's load changes between repeats.
    const paired = (key) => w.runs.ours.map((r, i) => r[key] / w.runs.js[i]?.[key]).filter(Number.isFinite);
    const pairs = { cpu: paired("cpuPerLoginMs"), p50: paired("p50Ms"), p99: paired("p99Ms") };
    const flips = Object.entries(pairs).filter(([, v]) => Math.min(...v) < 1 && Math.max(...v) > 1).map(([k]) => k);
    const pairedNote = `; the ratio of each repeat's pair (run back to back): CPU ${pairs.cpu.map(r2).join(", ")}; p50 ${pairs.p50.map(r2).join(", ")}; p99 ${pairs.p99.map(r2).join(", ")}${
      flips.length
        ? `. **For ${flips.join(" and ")} the pairs disagree on which side is ahead**, so this run does not settle ${flips.length > 1 ? "those comparisons" : "that comparison"}: the machine's load changed between repeats (see the wall times)`
        : ""
    }`;
    results.worker.paired = { pairs, flips };
    const storageRow = (side) => {
      const st = w.summary[side].storage;
      return `| ${LABEL[side]} | ${st.allLogins} | ${st.objects} | ${st.withData} | ${B(st.dataBytes)} | ${st.alarms} | ${duration(st.dueMinS)} | ${duration(st.dueMaxS)} |`;
    };
    const stuck = ["ours", "js"].filter((side) => neverDue(w.summary[side].storage));
    const alarmCell = (side, v) =>
      stuck.includes(side) ? "none came due ⚠" : w.runs[side].every((r) => r.alarmsCovered) ? ms(v, 3) : "not reached (wait too short)";
    const stuckNote = stuck.length
      ? `
**⚠ ${stuck.map((side) => (side === "ours" ? "Our Worker's" : "The JS Worker's")).join(" and ")} alarms never came due.** At the end of the wait, ${stuck
          .map((side) => {
            const st = w.summary[side].storage;
            return `${side === "ours" ? "ours" : "the JS Worker"} still had ${st.withData} of its ${st.objects} objects holding their record (${B(st.dataBytes)}), with ${st.alarms} alarms due in ${duration(st.dueMinS)} to ${duration(st.dueMaxS)}`;
          })
          .join("; ")}. So the alarm CPU of ${stuck.includes("ours") ? "ours" : "the JS Worker"} is not a saving: that work, and the storage, are put off indefinitely (and
the "including what it leaves behind" row leaves it out).${stuck.includes("ours")
          ? ` The cause, found while making this bench: \`src/worker/transactions.rs\` passes
\`alarm_ms(transaction::expiry(..))\` — an absolute Unix time in milliseconds — to workers-rs'
\`Storage::set_alarm\`, and worker ${results.versions["worker (crate)"]} takes an \`i64\` as an *offset* from now
(\`impl From<i64> for ScheduledTime\` in its \`durable.rs\`), so every alarm lands at about twice today's
Unix time. Passing the offset (\`expiry − now\`, in ms) or a \`js_sys::Date\`/\`DateTime\` would fix
it; the JS Worker's figure above (\`deleteAll\` in each object's alarm) is what that work costs here.
The same defect would also explain the growth of workerd's RSS per login that
\`bench/memory.md\` measures: every login's record stays.`
          : ""}
`
      : "";
    const tl = (side) => {
      const r = w.runs[side][0];
      const pts = r.timeline.filter((_, i) => (i + 1) % 2 === 0 || i === r.timeline.length - 1);
      return `| ${side === "ours" ? "ours" : "JS"} | ${pts.map((p) => `${p.t.toFixed(0)} s: ${(p.cpuS * 1000).toFixed(0)}`).join(" · ")} |`;
    };
    const coldRows = ["ours", "js"].map((side) => {
      const v = w.cold[side];
      const f = v.map((x) => x.firstAnswerMs);
      return `| ${LABEL[side]} | ${v.map((x) => x.firstAnswerMs.toFixed(0)).join(", ")} | **${ms(median(f), 0)}** | ${ms(median(v.map((x) => x.readyMs)), 0)} | ${(median(v.map((x) => x.workerdCpuS)) * 1000).toFixed(0)} ms | ${side === "ours" ? r2(o.coldFirstAnswerMs / j.coldFirstAnswerMs) : ""} |`;
    });
    md.push(`## 3. The Worker in workerd

Both Workers in real workerd through miniflare ${results.versions.miniflare} (workerd ${results.versions.workerd}),
each in its own miniflare instance, one after the other (never two at once), against the
local Vipps emulator (\`make emulator\`, a debug build), all on 127.0.0.1. Both have the
same settings and the same storage design: a Durable Object per transaction keyed by its
state (\`idFromName(state)\`, SQLite-backed, as wrangler.toml), put-if-absent at \`GET /login\`
with an alarm at the transaction's expiry (15 min), the binding cookie, at \`GET /callback\` a
claim in the object (code and binding hashed, a lease, the alarm moved), the code exchange,
the id_token's claims and signature against the JWKS, userinfo, a signed session cookie, and
the result kept for duplicate callbacks for ${ALARM_AFTER_SECONDS} s, after which an alarm deletes the
object's storage. The JS Worker (\`bench/js-worker/worker.mjs\`) calls its objects over RPC,
ours over \`stub.fetch\` with JSON; both cache discovery and the JWKS per isolate and write one
JSON log line per request.

A login is one fresh browser (its own cookie jar, \`WorkerClient\` from
\`tests/worker/harness.mjs\`): \`GET /login\` (302 and a binding cookie) → the emulator's
browserless approve (\`approveAtEmulator\`) → \`GET /callback\` (302 with a \`vipps_session\`
cookie); any other answer is an error and not counted. Per repeat and side: a fresh
instance, ${c.warmup} warm-up logins, then ${c.logins} logins, ${c.concurrency} at a time (at most ${c.timeLimitSeconds} s), then
${c.waitSeconds} s with no request. ${c.repeats} repeats, the order of the sides alternating. Load average before /
after: ${results.load.workerBefore[0].toFixed(2)} / ${results.load.workerAfter[0].toFixed(2)}.

**CPU** is workerd's: utime + stime of the workerd child of the bench's node process
(\`/proc/<pid>/stat\`, ticks / \`getconf CLK_TCK\` = ${m.clkTck}), all its threads, over the logins,
divided by the logins. It includes what both sides share: miniflare's entry worker, HTTP,
the outbound fetches, the Durable Objects' SQLite. The emulator and the client are other
processes and not counted. Resolution is one tick (${(1000 / m.clkTck).toFixed(0)} ms) over seconds of CPU.

**Left behind**: workerd's CPU after the last login while nothing is asked of it, net of its
idle rate (measured before the first login: ours ${(o.idleCpuPerS * 1000).toFixed(2)} ms/s, JS ${(j.idleCpuPerS * 1000).toFixed(2)} ms/s), per
login of the instance (warm-up included), in two parts: until the first login was
${ALARM_AFTER_SECONDS} s old (no alarm can have fired yet: Durable Objects going idle and being evicted),
and from then to the end of the wait, which holds every completed login's alarm
(storage deleted) ${allCovered ? "— the wait outlasted the last login's alarm in every run" : "— **the wait ended before the last login's alarm in some runs: those alarms are not counted**"}.
The transactions' own 15-minute alarms never come due here: each was moved forward by its
claim and then replaced by the 120 s one.

| side | repeat | ok / started | wall s | logins/s | workerd CPU s | CPU ms per login | p50 ms | p99 ms | left behind before alarms, ms per login (window) | alarms, ms per login |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${runs.join("\n")}
${errs.length ? `\nErrors (not counted in the latencies or CPU per login):\n\n${errs.join("\n")}\n` : "\nNo login failed.\n"}
Medians of the ${c.repeats} repeats${pairedNote}:

| | ours | JS Worker | ours / theirs |
|---|---:|---:|---:|
| workerd CPU per login | **${ms(o.cpuPerLoginMs, 2)}** | ${ms(j.cpuPerLoginMs, 2)} | **${r2(cpuRatio)}** |
| latency of a complete login, p50 | ${ms(o.p50Ms, 0)} | ${ms(j.p50Ms, 0)} | ${r2(o.p50Ms / j.p50Ms)} |
| latency of a complete login, p99 | ${ms(o.p99Ms, 0)} | ${ms(j.p99Ms, 0)} | ${r2(o.p99Ms / j.p99Ms)} |
| logins per second (${c.concurrency} at a time) | ${o.loginsPerS.toFixed(1)} | ${j.loginsPerS.toFixed(1)} | ${r2(o.loginsPerS / j.loginsPerS)} |
| left behind before alarms, per login | ${ms(o.beforeAlarmsPerLoginMs, 3)} | ${ms(j.beforeAlarmsPerLoginMs, 3)} | ${r2(o.beforeAlarmsPerLoginMs / j.beforeAlarmsPerLoginMs)} |
| alarms (storage deleted), per login | ${alarmCell("ours", o.alarmsPerLoginMs)} | ${alarmCell("js", j.alarmsPerLoginMs)} | ${stuck.length ? "not comparable" : r2(o.alarmsPerLoginMs / j.alarmsPerLoginMs)} |
| CPU per login including what it leaves behind | ${ms(o.cpuPerLoginMs + o.afterPerLoginMs, 2)}${stuck.includes("ours") ? " ⚠" : ""} | ${ms(j.cpuPerLoginMs + j.afterPerLoginMs, 2)}${stuck.includes("js") ? " ⚠" : ""} | ${stuck.length ? `${r2((o.cpuPerLoginMs + o.afterPerLoginMs) / (j.cpuPerLoginMs + j.afterPerLoginMs))}, not comparable` : r2((o.cpuPerLoginMs + o.afterPerLoginMs) / (j.cpuPerLoginMs + j.afterPerLoginMs))} |

What the Durable Objects' storage held at the end of the wait (workerd's local SQLite files,
one per object, read with Python's \`sqlite3\`; median of the repeats):

| | logins in the instance | objects | still holding data | bytes held | alarms pending | next due in | last due in |
|---|---:|---:|---:|---:|---:|---:|---:|
${storageRow("ours")}
${storageRow("js")}

Expected for both: only the one transaction of the instance's first request (a \`GET /login\`
never completed, due at its 15-minute expiry) still holds data; every completed login's record
deleted by its alarm.
${stuckNote}
Latency is the whole login as the client sees it, so it includes the emulator (a debug
build) and the client on the same 2 cores, and ${c.concurrency} logins queueing for them: it compares the
two Workers under identical conditions, it is not what a user would wait.

workerd's CPU after the last login, cumulative (ms), in the first repeat:

| side | t since the last login: CPU ms |
|---|---|
${tl("ours")}
${tl("js")}

![Worker CPU per login](bench/charts/worker-cpu.svg)

![Worker latency](bench/charts/worker-latency.svg)

![CPU left behind](bench/charts/worker-left-behind.svg)

### Cold start

From \`new Miniflare(...)\` to the first answered request (\`GET /login\` → 302: workerd
spawned, the Worker loaded — ours compiles its .wasm —, discovery fetched, the first
transaction stored), ${c.coldStarts} per side, alternating, each a fresh instance. "ready" is
\`mf.ready\`; "workerd CPU" is the process's CPU by the first answer.

| | samples (ms) | first answer: median | ready: median | workerd CPU: median | ours / theirs |
|---|---|---:|---:|---:|---:|
${coldRows.join("\n")}

![Worker cold start](bench/charts/worker-cold-start.svg)
`);
    charts["worker-cpu.svg"] = barChart({
      title: "workerd CPU per complete login",
      subtitle: `utime+stime of workerd / logins; median of ${c.repeats} × ${c.logins} logins; lower is better`,
      rows: [
        { label: "ours (Rust/wasm)", value: o.cpuPerLoginMs, ours: true },
        { label: "JS Worker (oauth4webapi)", value: j.cpuPerLoginMs, text: `ours/theirs ${r2(cpuRatio)}` },
      ],
      format: (v) => ms(v, 2),
      goal: { value: GOALS.workerCpuRatio * j.cpuPerLoginMs, label: "goal ≤ 0.5× the JS Worker" },
    });
    charts["worker-latency.svg"] = barChart({
      title: "Latency of a complete login (GET /login → approve → GET /callback)",
      subtitle: `${c.concurrency} at a time, emulator and client on the same machine; median of ${c.repeats} repeats; lower is better`,
      rows: [
        { label: "ours p50", value: o.p50Ms, ours: true },
        { label: "JS Worker p50", value: j.p50Ms, text: `ours/theirs ${r2(o.p50Ms / j.p50Ms)}` },
        { label: "ours p99", value: o.p99Ms, ours: true },
        { label: "JS Worker p99", value: j.p99Ms, text: `ours/theirs ${r2(o.p99Ms / j.p99Ms)}` },
      ],
      format: (v) => ms(v, 0),
    });
    charts["worker-left-behind.svg"] = barChart({
      title: "workerd CPU left behind per login, after the last login",
      subtitle: `net of idle; until the first login is ${ALARM_AFTER_SECONDS} s old, then its alarms; lower is better`,
      rows: [
        { label: "ours: before any alarm", value: Math.max(0, o.beforeAlarmsPerLoginMs), ours: true },
        { label: "JS Worker: before any alarm", value: Math.max(0, j.beforeAlarmsPerLoginMs), text: `ours/theirs ${r2(o.beforeAlarmsPerLoginMs / j.beforeAlarmsPerLoginMs)}` },
        { label: "ours: alarms", value: Math.max(0, o.alarmsPerLoginMs), ours: true, text: stuck.includes("ours") ? "none came due (scheduled decades out)" : "" },
        { label: "JS Worker: alarms", value: Math.max(0, j.alarmsPerLoginMs), text: stuck.length ? "not comparable" : `ours/theirs ${r2(o.alarmsPerLoginMs / j.alarmsPerLoginMs)}` },
      ],
      format: (v) => ms(v, 3),
    });
    charts["worker-cold-start.svg"] = barChart({
      title: "Worker cold start: new Miniflare → first answered GET /login",
      subtitle: `median of ${c.coldStarts}; lower is better`,
      rows: [
        { label: "ours (Rust/wasm)", value: o.coldFirstAnswerMs, ours: true },
        { label: "JS Worker (oauth4webapi)", value: j.coldFirstAnswerMs, text: `ours/theirs ${r2(o.coldFirstAnswerMs / j.coldFirstAnswerMs)}` },
      ],
      format: (v) => ms(v, 0),
    });
    ratios.push({ label: "Worker CPU per login vs JS Worker", ratio: cpuRatio, goal: GOALS.workerCpuRatio, better: "lower" });
    ratios.push({ label: "login latency p50 vs JS Worker", ratio: o.p50Ms / j.p50Ms, better: "lower" });
    ratios.push({ label: "login latency p99 vs JS Worker", ratio: o.p99Ms / j.p99Ms, better: "lower" });
    if (!stuck.length) ratios.push({ label: "CPU left behind vs JS Worker", ratio: o.afterPerLoginMs / j.afterPerLoginMs, better: "lower" });
    ratios.push({ label: "Worker cold start vs JS Worker", ratio: o.coldFirstAnswerMs / j.coldFirstAnswerMs, better: "lower" });
    goals.push({
      goal: "Worker CPU per login ≤ 0.5× the JS Worker's",
      measured: `${ms(o.cpuPerLoginMs, 2)} against ${ms(j.cpuPerLoginMs, 2)}: ${r2(cpuRatio)}`,
      met: cpuRatio <= GOALS.workerCpuRatio,
      gap: "",
    });
  }

  if (ratios.length) {
    charts["ratios.svg"] = ratioChart({
      title: "Every comparison: ours / theirs",
      subtitle: "log scale; left of 1× we are smaller or faster (for the rate, right of 1× is faster)",
      rows: ratios,
    });
  }

  // --- summary at the top ----------------------------------------------------------------
  const summary = `## Where we are

| goal (the issue's, context only) | measured | |
|---|---|---|
${goals.map((g) => `| ${g.goal} | ${g.measured} | ${g.met ? "reached" : `not reached${g.gap ? ` (${g.gap})` : ""}`} |`).join("\n")}

${honestly(results, goals)}

![every ratio](bench/charts/ratios.svg)
`;
  md.splice(1, 0, summary);

  md.push(`## What could not be measured here

- **Cloudflare's own CPU time and cold starts.** workerd under miniflare is the same runtime,
  but production adds its own isolate placement, the Durable Objects' storage elsewhere
  (not local SQLite in the same process), and its CPU-time accounting per request. The CPU
  here is the local workerd process's, which counts everything in it.
- **Real networks.** Everything is on 127.0.0.1 (the only place load may go); the download
  time of section 1's bytes and Vipps' own latency are not in any timing.
- **Durable Object eviction and alarms as Cloudflare runs them.** Local workerd evicts idle
  objects and fires alarms by its own timers; the left-behind CPU shows what that costs
  here, not what Cloudflare bills. The 15-minute alarms of logins that were never finished do
  not occur in this bench (every login finishes).
- **Other browsers.** Only Debian's Chromium is installed; Firefox and Safari may rank the
  wasm and WebCrypto paths differently.
- **A quiet machine.** The machine is shared with other builds and tests; rates, latencies
  and cold loads move with that (see the load averages). Re-run \`make bench\` to see the
  spread.
`);

  writeFileSync(join(root, "BENCHMARKS.md"), md.join("\n"));
  // Only this run's charts: none left from an earlier run with other sections.
  for (const name of readdirSync(join(root, "bench/charts"))) if (name.endsWith(".svg")) unlinkSync(join(root, "bench/charts", name));
  for (const [name, svg] of Object.entries(charts)) writeFileSync(join(root, "bench/charts", name), svg);
  return Object.keys(charts);
}

/** Plain words about the goals, from the figures. */
function honestly(results, goals) {
  const lines = [];
  const reached = goals.filter((g) => g.met).length;
  lines.push(`${reached} of the ${goals.length} goals are reached in this run.`);
  if (results.sizes) {
    const ours = results.sizes.libraries.find((l) => l.wasm);
    const o4 = results.sizes.libraries.find((l) => l.id === "oauth4webapi");
    const share = ours.wasm.gzip / ours.published.total;
    const w = results.sizes.worker;
    lines.push(
      `The package is ${KBs(ours.published.total)} gzip (${(ours.published.total / GOALS.packageBytes).toFixed(1)}× the 16 KB goal), ` +
        `${(share * 100).toFixed(0)}% of it the .wasm, which a bundler cannot tree-shake: so the begin-login path costs ` +
        `${KBs(ours.beginLogin.total)} (${(ours.beginLogin.total / GOALS.beginLoginBytes).toFixed(1)}× its 8 KB goal), against ${KBs(o4.beginLogin.total)} for oauth4webapi's. ` +
        `The Worker is ${KBs(w.ours.total)} (${(w.ours.total / GOALS.workerBytes).toFixed(1)}× its 100 KB goal), against ${KBs(w.js.minified.gzip)} for a JS Worker doing the Worker-driven login.`,
    );
  }
  if (results.browser) {
    const s = results.browser.summary;
    const r = s.oursPerS / s.oauth4webapiPerS;
    lines.push(
      `In the browser createLogin makes ${s.oursPerS.toFixed(0)} logins/s against oauth4webapi's ${s.oauth4webapiPerS.toFixed(0)}/s (${r2(r)}); ` +
        (Math.min(s.oursPerS, s.oauth4webapiPerS) > 100 ? "either is far more than a login button needs (one per click). " : "") +
        `Cold, ours takes ${ms(s.oursLoadMs)} to import and instantiate ` +
        `against ${ms(s.oauth4webapiLoadMs)} to import oauth4webapi (${r2(s.oursLoadMs / s.oauth4webapiLoadMs)}), before any network time.`,
    );
  }
  if (results.worker) {
    const o = results.worker.summary.ours;
    const j = results.worker.summary.js;
    lines.push(
      `In workerd our Worker uses ${ms(o.cpuPerLoginMs, 2)} of CPU per login against ${ms(j.cpuPerLoginMs, 2)} for the JS Worker (${r2(o.cpuPerLoginMs / j.cpuPerLoginMs)}); ` +
        `p50 latency ${ms(o.p50Ms, 0)} against ${ms(j.p50Ms, 0)}` +
        (results.worker.paired?.flips.includes("p50") ? " (not settled: the repeats' pairs disagree)" : "") +
        `, cold start ${ms(o.coldFirstAnswerMs, 0)} against ${ms(j.coldFirstAnswerMs, 0)}.` +
        (neverDue(o.storage)
          ? ` Our Worker's Durable Object alarms never came due: every login's record stays in storage (section 3, ⚠), so it leaves behind storage instead of CPU.`
          : ""),
    );
  }
  return lines.join(" ");
}
