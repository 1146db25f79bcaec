// A login leaves nothing behind: a completed login's record carries a Durable Object
// alarm due DUPLICATE_WINDOW_SECS (120 s) later, and the alarm deletes it. Read from
// workerd's own storage files. (Before this was tested, the alarm was given as a
// timestamp where worker's set_alarm takes an offset: due decades away, nothing was
// ever deleted.) Waits for the alarm: about two minutes. `make test-worker`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { approveAtEmulator, freePort, goodVars, startEmulator, startWorkers } from "./harness.mjs";
import { inspectStorage } from "./do-storage.mjs";

const DUPLICATE_WINDOW_SECS = 120; // src/transaction.rs
let emulator;
let workers;
let persist;

before(async () => {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  emulator = await startEmulator([`${origin}/callback`]);
  persist = await mkdtemp(join(tmpdir(), "vipps-alarm-do-"));
  workers = await startWorkers(
    port,
    {
      main: goodVars(emulator, `${origin}/callback`),
    },
    { persist },
  );
}, { timeout: 90_000 });

after(async () => {
  await workers?.mf.dispose();
  emulator?.child.kill();
  if (persist) await rm(persist, { recursive: true, force: true });
});

test("a completed login's record has an alarm 120 s on, and the alarm deletes it", { timeout: 240_000 }, async () => {
  const main = await workers.client("main");
  const start = await main.get("/login?returnTo=%2Fhere");
  assert.equal(start.status, 302);
  const done = await main.get(await approveAtEmulator(start.headers.get("location"), "ola"));
  assert.equal(done.status, 302, await done.clone().text());
  assert.equal(done.headers.get("location"), "/here");

  const stored = inspectStorage(persist);
  assert.equal(stored.objects, 1, JSON.stringify(stored));
  assert.equal(stored.withData, 1, JSON.stringify(stored));
  assert.equal(stored.alarms, 1, JSON.stringify(stored));
  // Due when the duplicate window ends, not decades away.
  assert.ok(stored.dueMinS > DUPLICATE_WINDOW_SECS - 30 && stored.dueMinS <= DUPLICATE_WINDOW_SECS + 1, JSON.stringify(stored));

  // Bounded wait: the alarm's time plus 30 s, polled every 2 s.
  const deadline = Date.now() + (stored.dueMinS + 30) * 1000;
  let now = stored;
  while (Date.now() < deadline && (now.withData || now.alarms)) {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    now = inspectStorage(persist);
  }
  assert.equal(now.withData, 0, `the record is deleted: ${JSON.stringify(now)}`);
  assert.equal(now.alarms, 0, `no alarm is left: ${JSON.stringify(now)}`);
});
