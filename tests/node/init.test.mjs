// Loading the package in Node: an export called before init, `await init()` without
// arguments (Node's fetch cannot read the .wasm's file: URL), and the initSync call the
// error shows, run as shown in an installed copy. `make test-node`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { installPacked, pkgDir, scratchDir } from "./packed.mjs";

// A fresh module instance: this file runs in its own process (node --test), and nothing
// here initializes it before the first tests.
const lib = await import(new URL("../../pkg/vipps_login.js", import.meta.url));
const NOT_INITIALIZED = "vipps-login: call init() (browsers) or initSync({ module }) (Node) before any other export";
const SNIPPET = 'initSync({ module: readFileSync(new URL("vipps_login_bg.wasm", import.meta.resolve("vipps-login"))) })';

const exportsAndArgs = {
  createLogin: [{ clientId: "c", redirectUri: "https://shop.example/cb" }],
  parseCallback: ["?code=c&state=12345678", "12345678"],
  checkRedirectUri: ["https://shop.example/cb", ["https://shop.example/cb"]],
  randomState: [],
  randomNonce: [],
  createPkce: [],
};

test("before init: every export throws an Error that says to call init() or initSync()", () => {
  for (const [name, args] of Object.entries(exportsAndArgs)) {
    assert.throws(() => lib[name](...args), (e) => {
      assert.ok(e instanceof Error, name);
      assert.equal(e.message, NOT_INITIALIZED, name);
      return true;
    });
  }
});

test("await init() in Node: an Error naming initSync with the bytes, then initSync works", async () => {
  for (const args of [[], [{}], [undefined]]) {
    const e = await lib.default(...args).then(
      () => assert.fail("init() should not load from a file: URL in Node"),
      (err) => err,
    );
    assert.ok(e instanceof Error);
    assert.notEqual(e.name, "TypeError");
    assert.match(e.message, /^vipps-login: init\(\) cannot fetch vipps_login_bg\.wasm from a file: URL in Node\. Use initSync with the bytes: /);
    assert.ok(e.message.endsWith(`import { readFileSync } from "node:fs"; ${SNIPPET}`), e.message);
    // Node's own error stays reachable.
    assert.ok(e.cause instanceof TypeError);
    assert.equal(e.cause.message, "fetch failed");
  }
  // Still not initialized: a failed init() leaves nothing half done.
  assert.throws(() => lib.randomState(), { message: NOT_INITIALIZED });

  const exports = lib.initSync({ module: readFileSync(join(pkgDir, "vipps_login_bg.wasm")) });
  assert.ok(exports.memory instanceof WebAssembly.Memory);
  assert.match(lib.randomState(), /^[A-Za-z0-9_-]{43}$/);
  assert.ok(lib.createLogin(exportsAndArgs.createLogin[0]).url.startsWith("https://apitest.vipps.no/"));
  // Once initialized, init() and initSync() return the same instance (no fetch).
  assert.equal(await lib.default(), exports);
  assert.equal(lib.initSync(), exports);
  // Errors from the exports are the package's own again.
  assert.throws(() => lib.createLogin(null), { name: "VippsLoginError", code: "invalid_options" });
});

test("the initSync call from init()'s error runs as shown in an installed package", () => {
  const { dir, remove } = scratchDir("vipps-login-node-init");
  try {
    installPacked(dir);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    writeFileSync(
      join(dir, "first.mjs"),
      `import init from "vipps-login";
try { await init(); console.log(JSON.stringify({ loaded: true })); }
catch (e) { console.log(JSON.stringify({ message: e.message })); }`,
    );
    const run = (file) => execFileSync(process.execPath, [file], { cwd: dir, encoding: "utf8", timeout: 30_000 });
    const { message } = JSON.parse(run("first.mjs"));
    const code = message.split("Use initSync with the bytes: ")[1];
    assert.equal(code, `import { readFileSync } from "node:fs"; ${SNIPPET}`);
    writeFileSync(
      join(dir, "second.mjs"),
      `${code.replace("; ", ";\nimport { initSync, createLogin } from \"vipps-login\";\n")};
console.log(createLogin({ clientId: "c", redirectUri: "https://shop.example/cb" }).url);`,
    );
    assert.match(run("second.mjs"), /^https:\/\/apitest\.vipps\.no\/access-management-1\.0\/access\/oauth2\/auth\?client_id=c&/);
  } finally {
    remove();
  }
});
