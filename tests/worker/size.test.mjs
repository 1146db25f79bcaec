// The Worker bundle's size is deterministic for a toolchain and lockfile: a budget.
import { test } from "node:test";
import assert from "node:assert/strict";
import { measureWorker, WORKER_BUDGET_BYTES } from "../../bench/size-report.mjs";

test("Worker bundle (wasm + JS), gzip -9, is within the budget", () => {
  const { total, files } = measureWorker();
  assert.ok(files.every((f) => f.gzip > 50), "build/ looks empty: was `make worker` run?");
  assert.ok(total <= WORKER_BUDGET_BYTES, `Worker bundle is ${total} bytes gzip; budget ${WORKER_BUDGET_BYTES}`);
});
