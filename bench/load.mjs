// The load the Worker holds (issue 12, "Load"): complete logins through the built Worker
// (build/, `make worker`) in real workerd (miniflare) against the local Vipps emulator
// (`make emulator`), all on 127.0.0.1, each login as its own test user, and concurrent
// replays of one callback. A benchmark, not a test: bounded in count and in time.
//   node bench/load.mjs [--logins 10000] [--concurrency 50] [--replays 100] [--time-limit 900] [--write]
// Each login is a fresh browser: GET /login (302) → the emulator's browserless approve as
// test user load-<i> → GET <callback URL> (302 with a vipps_session cookie) → GET
// /api/session with that cookie, whose `sub` must be load-<i>'s pairwise sub (computed
// here from the emulator's rule, emulator/src/sub.rs, not asked of the emulator) and whose
// name must be load-<i>'s. Counted: errors (by kind), lost sessions (a 302 without a
// working session), crossed sessions (another user's sub), duplicated sessions (a sub seen
// twice), latency p50/p99 of a complete login, workerd's RSS. Then `--replays` concurrent
// GETs of one callback URL in the browser that started it: exactly one token request may
// reach the emulator, and every answer must be the first one's (a session for that user).
// `--write` records the result in bench/load.md. `make load`.
import { createHmac } from "node:crypto";
import { writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { CLIENT_ID, approveAtEmulator, cookieOf } from "../tests/worker/harness.mjs";
import { option, positiveInt, quantile, rssBytes, sh, version } from "./lib.mjs";
import { withBenchStack } from "./stack.mjs";

const argv = process.argv.slice(2);
/** Option `name` as an integer in 1..max, its default from DEFAULTS. */
const count = (name, max) => positiveInt(name, option(argv, name, DEFAULTS[name]), max);
const DEFAULTS = { "--logins": "10000", "--concurrency": "50", "--replays": "100", "--time-limit": "900" };
// Bounds: at most 100,000 logins, 500 at a time, 1,000 replays, 2 hours.
const logins = count("--logins", 100_000);
const concurrency = count("--concurrency", 500);
const replays = count("--replays", 1000);
const timeLimitSeconds = count("--time-limit", 2 * 3600);
const write = argv.includes("--write");
const command = ["node", "bench/load.mjs", ...argv].join(" ");

// The emulator's pairwise sub (emulator/src/sub.rs): HMAC-SHA-256(sub_secret,
// client_id ":" user_id), its first 16 bytes as a version-8 UUID (RFC 9562).
const SUB_SECRET = "worker-test"; // tests/worker/harness.mjs's emulator config
function pairwiseSub(userId) {
  const b = createHmac("sha256", SUB_SECRET).update(`${CLIENT_ID}:${userId}`).digest().subarray(0, 16);
  b[6] = (b[6] & 0x0f) | 0x80;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = b.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** One test user per login: load-<i>, named "Load User <i>". */
function usersToml(n) {
  const lines = [];
  for (let i = 0; i < n; i++) {
    lines.push(
      "[[users]]",
      `id = "load-${i}"`,
      `name = "Load User ${i}"`,
      `given_name = "Load"`,
      `family_name = "User ${i}"`,
      `email = "load-${i}@example.no"`,
      `phone_number = "47${String(40_000_000 + i)}"`,
      `birthdate = "1980-01-01"`,
      `nin = "01018${String(i).padStart(6, "0")}"`,
      "",
    );
  }
  return lines.join("\n");
}

const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);

// --- the stack -----------------------------------------------------------------------

const result = await withBenchStack({ users: usersToml(logins + 1) }, run);
print(result);
if (write) {
  writeFileSync(new URL("load.md", import.meta.url), report(result));
  console.log("wrote bench/load.md");
}
if (result.failed) process.exitCode = 1;

async function run({ client: browser, workerdPid, emulator }) {
  const rssBefore = rssBytes(workerdPid);

  const counts = { attempted: 0, ok: 0, errors: 0, lost: 0, crossed: 0, duplicated: 0 };
  const errorKinds = new Map();
  const latencies = [];
  const seenSubs = new Set();
  let next = 0;

  /** One complete login as user load-<i>, checked; a string naming what went wrong. */
  async function login(i) {
    const client = browser.fresh();
    const begun = performance.now();
    const start = await client.get("/login");
    await start.text();
    if (start.status !== 302) return `GET /login: ${start.status}`;
    const callback = await approveAtEmulator(start.headers.get("location"), `load-${i}`);
    const done = await client.get(callback);
    await done.text();
    if (done.status !== 302) return `GET /callback: ${done.status}`;
    const session = cookieOf(done, "vipps_session");
    if (!session?.value) {
      counts.lost++;
      return "lost: a 302 without a session cookie";
    }
    const me = await client.get("/api/session", { cookie: `${session.name}=${session.value}` });
    const body = await me.json().catch(() => null);
    latencies.push(performance.now() - begun);
    if (me.status !== 200 || !body?.user) {
      counts.lost++;
      return `lost: GET /api/session ${me.status}`;
    }
    if (body.user.sub !== pairwiseSub(`load-${i}`) || body.user.name !== `Load User ${i}`) {
      counts.crossed++;
      return "crossed: the session is another user's";
    }
    if (seenSubs.has(body.user.sub)) {
      counts.duplicated++;
      return "duplicated: this sub already had a session";
    }
    seenSubs.add(body.user.sub);
    return null;
  }

  const started = performance.now();
  const deadline = started + timeLimitSeconds * 1000;
  const worker = async () => {
    while (next < logins && performance.now() < deadline) {
      const i = next++;
      counts.attempted++;
      let problem;
      try {
        problem = await login(i);
      } catch (error) {
        problem = String(error?.message ?? error);
      }
      if (problem === null) counts.ok++;
      else {
        counts.errors++;
        const kind = problem.replace(/\d+/g, "N").slice(0, 160);
        errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  const rssAfter = rssBytes(workerdPid);
  const stoppedBy = counts.attempted < logins ? "time" : "count";

  // --- replays: one callback, `replays` times at once, in the browser that started it.
  const replayUser = `load-${logins}`;
  const client = browser.fresh();
  const start = await client.get("/login");
  await start.text();
  const callback = await approveAtEmulator(start.headers.get("location"), replayUser);
  const tokensBefore = emulator.tokenRequests();
  const answers = await Promise.all(
    Array.from({ length: replays }, async () => {
      const response = await client.get(callback);
      await response.text();
      return { status: response.status, session: cookieOf(response, "vipps_session")?.value ?? null };
    }),
  );
  // The emulator logs a request when it has answered it: wait briefly for the log lines.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const redemptions = emulator.tokenRequests() - tokensBefore;
  const withSession = answers.filter((a) => a.status === 302 && a.session);
  const sessionSubs = new Set();
  for (const a of withSession.slice(0, 5)) {
    const me = await client.get("/api/session", { cookie: `vipps_session=${a.session}` });
    sessionSubs.add((await me.json().catch(() => null))?.user?.sub ?? "(none)");
  }
  const replay = {
    replays,
    redemptions,
    statuses: Object.fromEntries(
      [...new Set(answers.map((a) => a.status))].map((s) => [s, answers.filter((a) => a.status === s).length]),
    ),
    withSession: withSession.length,
    rightUser: sessionSubs.size === 1 && sessionSubs.has(pairwiseSub(replayUser)),
  };

  const failed =
    counts.errors > 0 || counts.lost + counts.crossed + counts.duplicated > 0 || replay.redemptions !== 1 ||
    !replay.rightUser || stoppedBy === "time";
  return {
    counts,
    errorKinds,
    elapsed,
    stoppedBy,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    rssBefore,
    rssAfter,
    replay,
    failed,
  };
}

function print(r) {
  const c = r.counts;
  console.log(
    `${c.attempted} logins at ${concurrency} concurrent in ${r.elapsed.toFixed(1)} s (${(c.attempted / r.elapsed).toFixed(1)}/s), ` +
      `stopped by the ${r.stoppedBy}: ok ${c.ok}, errors ${c.errors} (lost ${c.lost}, crossed ${c.crossed}, duplicated ${c.duplicated}); ` +
      `p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms; workerd RSS ${mib(r.rssBefore)} → ${mib(r.rssAfter)} MiB`,
  );
  for (const [kind, n] of r.errorKinds) console.log(`  error ×${n}: ${kind}`);
  console.log(
    `${r.replay.replays} concurrent replays of one callback: ${r.replay.redemptions} token request(s) at the emulator, ` +
      `statuses ${JSON.stringify(r.replay.statuses)}, ${r.replay.withSession} with a session, ` +
      `the right user: ${r.replay.rightUser}`,
  );
  console.log(r.failed ? "load: FAILED (see above)" : "load: held");
}

function report(r) {
  const c = r.counts;
  const errors = r.errorKinds.size
    ? `\nErrors:\n\n${[...r.errorKinds].map(([kind, n]) => `- ${n} × \`${kind}\``).join("\n")}\n`
    : "";
  return `# Load the Worker holds

\`${command}\` (\`make load\`), ${new Date().toISOString().slice(0, 10)}.

Machine: ${sh("nproc", [])} cores, \`${sh("uname", ["-sr"])}\`, node ${process.version}, miniflare ${version("miniflare")}, workerd ${version("workerd")}.

The built Worker (\`build/\`) in workerd through miniflare and the local Vipps emulator
(debug build), both on 127.0.0.1. Each login is a fresh browser and its own test user
(\`load-<i>\`): \`GET /login\` → the emulator's browserless approve → \`GET /callback\` (302
with a \`vipps_session\` cookie) → \`GET /api/session\`, whose \`sub\` must be that user's
pairwise sub (computed by the benchmark from the emulator's rule) and whose name must be
that user's. Latency: one complete login, the four requests. Every start passes the
\`LOGIN_RATE_LIMITER\` binding (the tests' limit of 100,000 a minute, so none is refused).
workerd's RSS after includes the logins' Durable Objects (each an SQLite database, in
memory here), kept until their alarms delete them; the Worker's own wasm memory stays
flat (\`bench/memory.md\`).

| | figure |
|---|---:|
| logins attempted | ${c.attempted} of ${logins} (stopped by the ${r.stoppedBy}; limit ${timeLimitSeconds} s) |
| at once | ${concurrency} |
| elapsed | ${r.elapsed.toFixed(1)} s (${(c.attempted / r.elapsed).toFixed(1)} logins/s) |
| ok (the right user's session) | **${c.ok}** |
| errors | **${c.errors}** |
| lost sessions | **${c.lost}** |
| crossed sessions (another user's) | **${c.crossed}** |
| duplicated sessions | **${c.duplicated}** |
| latency p50 / p99 | ${r.p50.toFixed(1)} ms / ${r.p99.toFixed(1)} ms |
| workerd RSS before / after | ${mib(r.rssBefore)} MiB / ${mib(r.rssAfter)} MiB |
${errors}
## Replays of one callback

${r.replay.replays} concurrent \`GET\`s of one callback URL in the browser that started the
login (a double click, a reload, a prefetch, all at once):

| | figure |
|---|---:|
| token requests that reached the emulator | **${r.replay.redemptions}** (must be 1) |
| answers by status | ${Object.entries(r.replay.statuses).map(([s, n]) => `${s}: ${n}`).join(", ")} |
| answers with a session | ${r.replay.withSession} |
| those sessions are the right user's | ${r.replay.rightUser ? "yes" : "**no**"} |

Verdict: **${r.failed ? "FAILED" : "held"}**.
`;
}
