// The package's download size is deterministic for a given toolchain and lockfile, so
// it is a budget here (timings are not: they live in bench/).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { measure, BUDGET_BYTES } from "../../bench/size-report.mjs";

test("npm package .wasm + JS glue, gzip -9, is within the budget", () => {
  const { total, files } = measure();
  assert.ok(files.every((f) => f.gzip > 1000), "pkg/ files look empty: was `make pkg` run?");
  assert.ok(total <= BUDGET_BYTES, `package is ${total} bytes gzip; budget ${BUDGET_BYTES}`);
});

test("the committed size report is from this build", (t) => {
  const committed = JSON.parse(readFileSync(new URL("../../bench/size-report.json", import.meta.url), "utf8"));
  const { total } = measure();
  assert.equal(committed.budget, BUDGET_BYTES);
  if (committed.total !== total) {
    // A different rustc or wasm-bindgen changes the bytes; the budget test above is the
    // gate. Say so instead of failing.
    t.diagnostic(`size changed: committed ${committed.total}, built ${total}; run \`make size\` and commit`);
  }
});
