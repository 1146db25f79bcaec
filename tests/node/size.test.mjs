// The package's download sizes are deterministic for a given toolchain and lockfile (the
// build remaps source paths, so not where CARGO_HOME is), so they are budgets here
// (timings are not: they live in bench/).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ENTRIES, measureAll, measureEntry } from "../../bench/size-report.mjs";

for (const entry of ENTRIES) {
  test(`${entry.name}: .wasm + JS, gzip -9, is within its budget (${entry.budget} B)`, () => {
    const { total, files } = measureEntry(entry);
    assert.ok(files.every((f) => f.gzip > 200), "pkg/ files look empty: was `make pkg` run?");
    assert.ok(total <= entry.budget, `${entry.name} is ${total} bytes gzip; budget ${entry.budget}`);
  });
}

test("no .wasm in pkg/ holds a build machine's paths", () => {
  for (const entry of ENTRIES) {
    const wasm = readFileSync(new URL(`../../${entry.files[0]}`, import.meta.url)).toString("latin1");
    assert.doesNotMatch(wasm, /registry\/src\/|\/root\/|\/home\//, entry.files[0]);
  }
});

test("the committed size report is from this build", (t) => {
  const committed = JSON.parse(readFileSync(new URL("../../bench/size-report.json", import.meta.url), "utf8"));
  const now = measureAll();
  assert.deepEqual(committed.entries.map((e) => [e.name, e.budget]), now.entries.map((e) => [e.name, e.budget]));
  for (const [i, e] of now.entries.entries()) {
    if (committed.entries[i].total !== e.total) {
      // A different rustc or wasm-bindgen changes the bytes; the budget tests above are
      // the gate. Say so instead of failing.
      t.diagnostic(`${e.name} changed: committed ${committed.entries[i].total}, built ${e.total}; run \`make size\` and commit`);
    }
  }
});
