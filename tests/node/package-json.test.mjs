// pkg/package.json as npm and bundlers read it, and scripts/package-json.mjs, which
// writes it and patches the glue (`make pkg`). `make test-node`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { BUNDLED, FINISHED, GLUE_PATCHES, MODULES, REPOSITORY, bundleEntry, finishGlue, patchGlue, manifest, postProcess } from "../../scripts/package-json.mjs";
import { installPacked, pack, pkgDir, scratchDir } from "./packed.mjs";

const pkg = JSON.parse(readFileSync(join(pkgDir, "package.json"), "utf8"));
const glue = readFileSync(join(pkgDir, "vipps_login.js"), "utf8");
// wasm-pack's own glue, as `make pkg` keeps it.
const wasmPackDir = { "vipps-login": "main-pkg", "vipps-login/begin": "begin-pkg", "vipps-login/pkce": "pkce-pkg" };
const wasmPackGlue = (m) => readFileSync(new URL(`../../build/${wasmPackDir[m.specifier]}/${m.glue}`, import.meta.url), "utf8");
const original = wasmPackGlue(MODULES[0]);

test("package.json: exports map with types, the .wasm and package.json", () => {
  assert.deepEqual(pkg.exports, {
    ".": { types: "./vipps_login.d.ts", default: "./vipps_login.js" },
    "./vipps_login_bg.wasm": { types: "./vipps_login_bg.wasm.d.ts", default: "./vipps_login_bg.wasm" },
    "./begin": { types: "./begin.d.ts", default: "./begin.js" },
    "./begin_wasm_bg.wasm": { types: "./begin_wasm_bg.wasm.d.ts", default: "./begin_wasm_bg.wasm" },
    "./pkce": { types: "./pkce.d.ts", default: "./pkce.js" },
    "./pkce_wasm_bg.wasm": { types: "./pkce_wasm_bg.wasm.d.ts", default: "./pkce_wasm_bg.wasm" },
    "./package.json": "./package.json",
  });
  // `types` first: TypeScript takes the first condition that matches.
  assert.deepEqual(Object.keys(pkg.exports["."]), ["types", "default"]);
  assert.equal(pkg.main, "vipps_login.js");
  assert.equal(pkg.types, "vipps_login.d.ts");
  assert.equal(pkg.type, "module");
});

test("package.json: repository, homepage, bugs", () => {
  assert.equal(REPOSITORY, "https://github.com/vipps-login/vipps-login");
  assert.deepEqual(pkg.repository, { type: "git", url: "git+https://github.com/vipps-login/vipps-login.git" });
  assert.equal(pkg.homepage, "https://github.com/vipps-login/vipps-login#readme");
  assert.deepEqual(pkg.bugs, { url: "https://github.com/vipps-login/vipps-login/issues" });
});

test("package.json: every .d.ts and every export target is in the packed tarball", () => {
  const dts = readdirSync(pkgDir).filter((f) => f.endsWith(".d.ts")).sort();
  assert.deepEqual(dts, ["begin.d.ts", "begin_wasm_bg.wasm.d.ts", "pkce.d.ts", "pkce_wasm_bg.wasm.d.ts", "vipps_login.d.ts", "vipps_login_bg.wasm.d.ts"]);
  for (const f of dts) assert.ok(pkg.files.includes(f), `${f} missing from files`);
  const { dir, remove } = scratchDir("vipps-login-pack");
  try {
    const { files } = pack(dir);
    assert.deepEqual(files, [
      "LICENSE",
      "README.md",
      "begin.d.ts",
      "begin.js",
      "begin_wasm_bg.wasm",
      "begin_wasm_bg.wasm.d.ts",
      "package.json",
      "pkce.d.ts",
      "pkce.js",
      "pkce_wasm_bg.wasm",
      "pkce_wasm_bg.wasm.d.ts",
      "vipps_login.d.ts",
      "vipps_login.js",
      "vipps_login_bg.wasm",
      "vipps_login_bg.wasm.d.ts",
    ]);
    const targets = Object.values(pkg.exports).flatMap((t) => (typeof t === "string" ? [t] : Object.values(t)));
    for (const t of targets) assert.ok(files.includes(t.replace(/^\.\//, "")), `${t} is exported but not packed`);
  } finally {
    remove();
  }
});

test("package.json: the exports resolve in an installed copy, and only they", () => {
  const { dir, remove } = scratchDir("vipps-login-exports");
  try {
    installPacked(dir);
    writeFileSync(
      join(dir, "resolve.mjs"),
      `const out = {};
for (const s of ["vipps-login", "vipps-login/vipps_login_bg.wasm", "vipps-login/begin", "vipps-login/begin_wasm_bg.wasm", "vipps-login/pkce", "vipps-login/package.json", "vipps-login/vipps_login.js", "vipps-login/begin_wasm.js", "vipps-login/common.js"]) {
  try { out[s] = import.meta.resolve(s).replace(new URL("node_modules/", import.meta.url).href, ""); }
  catch (e) { out[s] = e.code; }
}
console.log(JSON.stringify(out));`,
    );
    const out = JSON.parse(execFileSync(process.execPath, ["resolve.mjs"], { cwd: dir, encoding: "utf8", timeout: 30_000 }));
    assert.deepEqual(out, {
      "vipps-login": "vipps-login/vipps_login.js",
      "vipps-login/vipps_login_bg.wasm": "vipps-login/vipps_login_bg.wasm",
      "vipps-login/begin": "vipps-login/begin.js",
      "vipps-login/begin_wasm_bg.wasm": "vipps-login/begin_wasm_bg.wasm",
      "vipps-login/pkce": "vipps-login/pkce.js",
      "vipps-login/package.json": "vipps-login/package.json",
      "vipps-login/vipps_login.js": "ERR_PACKAGE_PATH_NOT_EXPORTED",
      "vipps-login/begin_wasm.js": "ERR_PACKAGE_PATH_NOT_EXPORTED",
      "vipps-login/common.js": "ERR_PACKAGE_PATH_NOT_EXPORTED",
    });
  } finally {
    remove();
  }
});

test("sideEffects: false is true of the glue: importing it changes no global", () => {
  assert.equal(pkg.sideEffects, false);
  assert.doesNotMatch(glue, /^import\b/m, "the glue imports nothing (no snippets)");
  for (const entry of ["begin.js", "pkce.js"]) {
    const bundle = readFileSync(join(pkgDir, entry), "utf8");
    assert.ok(bundle.startsWith(BUNDLED), `${entry} is one bundled file`);
    assert.doesNotMatch(bundle.replace(/import\.meta/g, ""), /(^|[;})])\s*import\s*[{*"\w(]/m, `${entry} imports nothing`);
  }
  const script = `
// Read every global once first: some of Node's are lazy and define more when read.
const snapshot = () => new Map(Reflect.ownKeys(globalThis).map((k) => [k, globalThis[k]]));
snapshot();
const before = snapshot();
const protos = [TextEncoder.prototype, TextDecoder.prototype, Object.prototype, Array.prototype]
  .map((p) => Reflect.ownKeys(p).length);
await import(${JSON.stringify(pathToFileURL(join(pkgDir, "vipps_login.js")).href)});
await import(${JSON.stringify(pathToFileURL(join(pkgDir, "begin.js")).href)});
await import(${JSON.stringify(pathToFileURL(join(pkgDir, "pkce.js")).href)});
const after = Reflect.ownKeys(globalThis);
const changed = after.filter((k) => !before.has(k) || !Object.is(before.get(k), globalThis[k])).map(String);
const protosAfter = [TextEncoder.prototype, TextDecoder.prototype, Object.prototype, Array.prototype]
  .map((p) => Reflect.ownKeys(p).length);
console.log(JSON.stringify({ changed, removed: before.size - after.length, protos: protosAfter.join() === protos.join() }));`;
  const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", timeout: 30_000 });
  assert.deepEqual(JSON.parse(out), { changed: [], removed: 0, protos: true });
});

test("scripts/package-json.mjs: deterministic, and a second run changes nothing", () => {
  // Each published glue is wasm-pack's, patched and minified, and nothing else; the
  // small entries are it bundled with begin/js/ (nothing else).
  const main = readFileSync(join(pkgDir, MODULES[0].glue), "utf8");
  assert.ok(main.startsWith(FINISHED));
  assert.equal(finishGlue(original), main);
  assert.ok(main.length < original.length * 0.8, "the glue is minified");
  const sources = scratchDir("vipps-login-bundle");
  try {
    for (const f of ["begin.js", "pkce.js", "common.js"]) copyFileSync(new URL(`../../begin/js/${f}`, import.meta.url), join(sources.dir, f));
    for (const m of MODULES.slice(1)) {
      writeFileSync(join(sources.dir, m.glue), finishGlue(wasmPackGlue(m), m.glue, m));
      assert.equal(bundleEntry(sources.dir, m), readFileSync(join(pkgDir, m.entry), "utf8"), m.entry);
    }
  } finally {
    sources.remove();
  }
  assert.equal(patchGlue(original), patchGlue(original));
  assert.equal(patchGlue(patchGlue(original)), null, "already patched: nothing to do");

  const { dir, remove } = scratchDir("vipps-login-postprocess");
  try {
    for (const f of readdirSync(pkgDir)) copyFileSync(join(pkgDir, f), join(dir, f));
    postProcess(dir);
    for (const f of ["package.json", "vipps_login.js", "begin.js", "pkce.js"]) {
      assert.equal(readFileSync(join(dir, f), "utf8"), readFileSync(join(pkgDir, f), "utf8"), f);
    }
    assert.equal(readFileSync(join(dir, "package.json"), "utf8"), JSON.stringify(manifest(pkg, ["begin.d.ts", "begin_wasm_bg.wasm.d.ts", "pkce.d.ts", "pkce_wasm_bg.wasm.d.ts", "vipps_login.d.ts", "vipps_login_bg.wasm.d.ts"]), null, 2) + "\n");
  } finally {
    remove();
  }
});

test("scripts/package-json.mjs: fails loudly when the glue's shape changed", () => {
  const variants = {
    "no wasm binding": original.replace("let wasmModule, wasmInstance, wasm;", "let wasmModule, wasmInstance; var wasm;"),
    "init test changed": original.replace("if (wasm !== undefined) return wasm;", "if (wasm) return wasm;"),
    "another undefined test": original.replace("function isLikeNone(x) {", "function isLikeNone(x) {\n    if (wasm === undefined) return true;"),
    "default URL changed": original.replace("new URL('vipps_login_bg.wasm', import.meta.url)", 'new URL("vipps_login_bg.wasm", import.meta.url)'),
    "imports a snippet": `import { x } from './snippets/x.js';\n${original}`,
  };
  for (const [name, text] of Object.entries(variants)) {
    assert.notEqual(text, original, name);
    assert.throws(() => patchGlue(text), /shape changed|check sideEffects/, name);
  }
  // And from the command line: a non-zero exit with the reason on stderr.
  const { dir, remove } = scratchDir("vipps-login-shape");
  try {
    writeFileSync(join(dir, "package.json"), JSON.stringify(pkg));
    writeFileSync(join(dir, "vipps_login.js"), variants["init test changed"]);
    const script = new URL("../../scripts/package-json.mjs", import.meta.url).pathname;
    let error;
    try {
      execFileSync(process.execPath, [script, dir], { encoding: "utf8", stdio: "pipe", timeout: 30_000 });
    } catch (e) {
      error = e;
    }
    assert.ok(error, "the script must fail");
    assert.equal(error.status, 1);
    assert.match(error.stderr, /the glue's shape changed/);
  } finally {
    remove();
  }
});

test("TypeScript finds the types through the exports map (bundler and nodenext resolution)", () => {
  const tsc = new URL("../../node_modules/typescript/bin/tsc", import.meta.url).pathname;
  const { dir, remove } = scratchDir("vipps-login-tsc");
  try {
    installPacked(dir);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    writeFileSync(
      join(dir, "consumer.ts"),
      `import init, { initSync, createLogin, type Login, type VippsLoginError } from "vipps-login";
export async function start(bytes: Uint8Array): Promise<string> {
  await init();
  initSync({ module: bytes });
  const login: Login = createLogin({ clientId: "c", redirectUri: "https://shop.example/cb" });
  return login.url;
}
export function code(e: unknown): string { return (e as VippsLoginError).code; }
// @ts-expect-error: the types are real, not any.
createLogin({ clientId: "c" });
`,
    );
    for (const [module, moduleResolution] of [["ES2022", "bundler"], ["NodeNext", "NodeNext"]]) {
      writeFileSync(
        join(dir, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: { target: "ES2022", module, moduleResolution, strict: true, noEmit: true, lib: ["ES2022", "DOM"], types: [] },
          files: ["consumer.ts"],
        }),
      );
      const out = execFileSync(process.execPath, [tsc, "-p", dir, "--traceResolution"], { encoding: "utf8", timeout: 120_000 });
      assert.match(out, /Module name 'vipps-login' was successfully resolved to '[^']*node_modules\/vipps-login\/vipps_login\.d\.ts'/, moduleResolution);
      assert.match(out, /Entering conditional exports|Using 'exports' subpath/, `${moduleResolution}: resolved through exports`);
    }
  } finally {
    remove();
  }
});
