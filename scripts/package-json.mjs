#!/usr/bin/env node
// Post-processes what wasm-pack wrote into pkg/ (run by `make pkg`, right after
// wasm-pack):
//
// 1. pkg/package.json, rewritten as a complete npm manifest: an `exports` map with
//    types, the .wasm and package.json exported, repository/homepage/bugs, every .d.ts
//    in `files`, and `sideEffects: false` (the glue's top level only creates its own
//    TextEncoder/TextDecoder and the not-initialized Proxy below: nothing global, and
//    it imports nothing; tests/node/package-json.test.mjs checks the globals).
// 2. each wasm-bindgen glue (vipps_login.js, begin_wasm.js, pkce_wasm.js), patched so
//    that
//    - calling an export before init() / initSync() throws an Error that says so
//      (instead of "Cannot read properties of undefined"), and
//    - `await init()` without arguments in Node (whose fetch cannot read the file: URL
//      of the .wasm) throws an Error showing the initSync call to use instead (instead
//      of "TypeError: fetch failed"); where fetch can read file: URLs (Deno, Bun) it
//      still loads;
//    then minified with esbuild (bundlers minify anyway; a page importing pkg/
//    directly gets ~1.3 KB less per entry), under a first line that marks it finished.
//
// Deterministic: the output depends only on wasm-pack's output, and a second run on the
// same pkg/ changes nothing. Every text replaced in the glue must be found exactly as
// often as expected, or the script fails: a new wasm-bindgen changed the glue, so look
// at it again.
//
//   node scripts/package-json.mjs [pkg-dir]    (default: pkg)
import { readFileSync, writeFileSync, readdirSync, existsSync, rmSync } from "node:fs";
import { buildSync, transformSync } from "esbuild";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

export const REPOSITORY = "https://github.com/vipps-login/vipps-login";

class ShapeError extends Error {}
function fail(message) {
  throw new ShapeError(message);
}

// ---- the glue -------------------------------------------------------------------------

/** The two wasm modules of the package: the main entry and vipps-login/begin. */
export const MODULES = [
  { specifier: "vipps-login", glue: "vipps_login.js", wasm: "vipps_login_bg.wasm" },
  { specifier: "vipps-login/begin", glue: "begin_wasm.js", wasm: "begin_wasm_bg.wasm", entry: "begin.js" },
  { specifier: "vipps-login/pkce", glue: "pkce_wasm.js", wasm: "pkce_wasm_bg.wasm", entry: "pkce.js" },
];

export const notInitialized = (specifier) =>
  `${specifier}: call init() (browsers) or initSync({ module }) (Node) before any other export`;
export const useInitSync = ({ specifier, wasm }) =>
  `${specifier}: init() cannot fetch ${wasm} from a file: URL in Node. ` +
  'Use initSync with the bytes: import { readFileSync } from "node:fs"; ' +
  `initSync({ module: readFileSync(new URL("${wasm}", import.meta.resolve("${specifier}"))) })`;
export const NOT_INITIALIZED = notInitialized("vipps-login");
export const USE_INIT_SYNC = useInitSync(MODULES[0]);

const js = (s) => JSON.stringify(s);
// A single-quoted JS string literal: the messages hold double quotes, which a JSON
// literal would escape (bytes in the glue for nothing).
const literal = (s) => {
  if (/['\\\n]/.test(s)) throw new Error(`cannot quote ${js(s)}`);
  return `'${s}'`;
};

/** The replacements in one module's glue. */
export const gluePatches = (m) => [
  {
    why: "an export called before init throws a clear Error (a Proxy until init sets wasm)",
    from: "let wasmModule, wasmInstance, wasm;",
    to: `let wasmModule, wasmInstance, wasm = new Proxy({}, { get() { throw new Error(${literal(notInitialized(m.specifier))}); } });`,
    count: 1,
  },
  {
    why: "init and initSync test for an instance, since wasm is no longer undefined before init",
    from: "if (wasm !== undefined) return wasm;",
    to: "if (wasmInstance !== undefined) return wasm;",
    count: 2,
  },
  {
    why: "init() without arguments in Node: name initSync instead of 'fetch failed'",
    // The `new URL('…', import.meta.url)` line stays as it is: bundlers (Vite) find the
    // .wasm through exactly that expression.
    from: [
      "    if (module_or_path === undefined) {",
      `        module_or_path = new URL('${m.wasm}', import.meta.url);`,
      "    }",
    ].join("\n"),
    to: [
      "    if (module_or_path === undefined) {",
      `        module_or_path = new URL('${m.wasm}', import.meta.url);`,
      `        if (module_or_path.protocol === 'file:') module_or_path = fetch(module_or_path).catch((cause) => { throw new Error(${literal(useInitSync(m))}, { cause }); });`,
      "    }",
    ].join("\n"),
    count: 1,
  },
];

export const GLUE_PATCHES = gluePatches(MODULES[0]);

const occurrences = (text, needle) => text.split(needle).length - 1;

/** The patched glue, or `null` when `glue` is patched already. Throws when a text to
 * replace is not found exactly as often as expected. */
export function patchGlue(glue, path = "vipps_login.js", m = MODULES[0]) {
  const patches = gluePatches(m);
  // The message is in the glue only once patched: a second run has nothing to do.
  if (glue.includes(literal(notInitialized(m.specifier)))) return null;
  // Anything else that tests `wasm` against undefined would now see the Proxy.
  const tests = glue.match(/\bwasm\s*[!=]==?\s*undefined|typeof wasm\b/g) ?? [];
  const expected = patches[1].count;
  if (tests.length !== expected) {
    fail(`${path}: expected ${expected} tests of \`wasm\` against undefined, found ${tests.length} (${tests.join(", ")}); the glue's shape changed`);
  }
  for (const p of patches) {
    const n = occurrences(glue, p.from);
    if (n !== p.count) {
      fail(`${path}: expected ${p.count} occurrence(s) of ${js(p.from)}, found ${n}; the glue's shape changed (patch: ${p.why})`);
    }
    glue = glue.split(p.from).join(p.to);
  }
  // sideEffects: false holds only while the glue imports nothing (wasm-bindgen snippets
  // and inline_js would be imported here).
  if (/^import\b/m.test(glue)) fail(`${path}: the glue imports modules now; check sideEffects`);
  return glue;
}

// ---- package.json ---------------------------------------------------------------------

/** vipps-login/begin and vipps-login/pkce as published: one JS file each (begin/js/'s
 * wrapper, common.js and the finished glue, bundled) and its .wasm. */
export const BEGIN_FILES = ["begin.js", "begin_wasm_bg.wasm", "pkce.js", "pkce_wasm_bg.wasm"];
/** What the bundles take in, deleted once bundled. */
export const BUNDLED_INPUTS = ["begin_wasm.js", "pkce_wasm.js", "common.js"];

/** package.json from wasm-pack's, given the .d.ts files in the package folder. */
export function manifest(generated, dtsFiles) {
  const expect = (field, value) => {
    if (js(generated[field]) !== js(value)) {
      fail(`package.json: wasm-pack wrote ${field} = ${js(generated[field])}, expected ${js(value)}`);
    }
  };
  expect("name", "vipps-login");
  expect("type", "module");
  expect("main", "vipps_login.js");
  expect("types", "vipps_login.d.ts");
  for (const field of ["description", "version", "license"]) {
    if (typeof generated[field] !== "string") fail(`package.json: wasm-pack wrote no ${field}`);
  }
  const files = [...new Set([...(generated.files ?? []), "vipps_login_bg.wasm", "vipps_login.js", ...BEGIN_FILES, ...dtsFiles])];
  // A fixed key order: the same input gives the same bytes.
  return {
    name: generated.name,
    type: "module",
    description: generated.description,
    version: generated.version,
    license: generated.license,
    repository: { type: "git", url: `git+${REPOSITORY}.git` },
    homepage: `${REPOSITORY}#readme`,
    bugs: { url: `${REPOSITORY}/issues` },
    files,
    main: "vipps_login.js",
    types: "vipps_login.d.ts",
    exports: {
      ".": { types: "./vipps_login.d.ts", default: "./vipps_login.js" },
      "./vipps_login_bg.wasm": { types: "./vipps_login_bg.wasm.d.ts", default: "./vipps_login_bg.wasm" },
      "./begin": { types: "./begin.d.ts", default: "./begin.js" },
      "./begin_wasm_bg.wasm": { types: "./begin_wasm_bg.wasm.d.ts", default: "./begin_wasm_bg.wasm" },
      "./pkce": { types: "./pkce.d.ts", default: "./pkce.js" },
      "./pkce_wasm_bg.wasm": { types: "./pkce_wasm_bg.wasm.d.ts", default: "./pkce_wasm_bg.wasm" },
      "./package.json": "./package.json",
    },
    sideEffects: false,
    ...(generated.keywords ? { keywords: generated.keywords } : {}),
  };
}

/** The first line of a finished glue: a second run leaves such a file alone. */
export const FINISHED = "// wasm-bindgen glue, patched and minified by scripts/package-json.mjs (wasm-pack's own: build/*-pkg/)\n";

/** wasm-pack's glue as published: patched, then minified (esbuild; 3.9 -> 2.6 KB gzip
 * for the main entry). The `new URL("….wasm", import.meta.url)` that bundlers look for
 * survives minification. */
export function finishGlue(original, path = "vipps_login.js", m = MODULES[0]) {
  const patched = patchGlue(original, path, m);
  if (patched === null) fail(`${path}: already patched but not finished; rebuild with make pkg`);
  const { code } = transformSync(patched, { minify: true, format: "esm", legalComments: "none" });
  if (!code.includes(`new URL("${m.wasm}",import.meta.url)`)) fail(`${path}: the .wasm URL did not survive minification`);
  return FINISHED + code;
}

/** The first line of a bundled entry (begin.js, pkce.js). */
export const BUNDLED = "// vipps-login: begin/js/ and the wasm-bindgen glue, bundled and minified by scripts/package-json.mjs\n";

/** One small entry as one file: its wrapper, common.js and its finished glue from
 * `dir`, bundled (esbuild). One file is one request less before the .wasm: a fresh page
 * importing the entry waited for begin.js, then for the glue and common.js, then for the
 * .wasm (BENCHMARKS.md, cold load). The .wasm stays a file of its own, found through
 * the glue's `new URL("….wasm", import.meta.url)`, which bundling keeps as it is. */
export function bundleEntry(dir, m) {
  const { outputFiles } = buildSync({
    entryPoints: [join(dir, m.entry)],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "neutral",
    legalComments: "none",
    write: false,
  });
  const code = outputFiles[0].text;
  if (!code.includes(`new URL("${m.wasm}",import.meta.url)`)) fail(`${m.entry}: the .wasm URL did not survive bundling`);
  // An import statement or import() left: at a statement's start (the messages' text
  // mentions `import { readFileSync }` inside a string).
  if (/(^|[;})])\s*import\s*[{*"\w(]/m.test(code.replace(/import\.meta/g, ""))) fail(`${m.entry}: the bundle still imports`);
  return BUNDLED + code;
}

/** Post-processes the package folder `dir` in place. */
export function postProcess(dir) {
  const pkgJsonPath = join(dir, "package.json");
  const gluePath = join(dir, "vipps_login.js");
  if (!existsSync(pkgJsonPath) || !existsSync(gluePath)) {
    fail(`${dir} has no package.json or vipps_login.js: run wasm-pack first (make pkg)`);
  }
  if (existsSync(join(dir, "snippets"))) {
    fail(`${dir}/snippets exists: wasm-bindgen snippets may have side effects; check sideEffects`);
  }
  let patched = null;
  const bundled = (m) => m.entry && !existsSync(join(dir, m.glue)) && readFileSync(join(dir, m.entry), "utf8").startsWith(BUNDLED);
  for (const m of MODULES) {
    const path = join(dir, m.glue);
    if (bundled(m)) continue;
    if (!existsSync(path)) fail(`${dir} has no ${m.glue}: run make pkg`);
    const glue = readFileSync(path, "utf8");
    const p = glue.startsWith(FINISHED) ? null : finishGlue(glue, path, m);
    if (p !== null) writeFileSync(path, p);
    if (m === MODULES[0]) patched = p;
  }
  for (const m of MODULES.filter((m) => m.entry && !bundled(m))) {
    writeFileSync(join(dir, m.entry), bundleEntry(dir, m));
  }
  for (const f of BUNDLED_INPUTS) rmSync(join(dir, f), { force: true });

  const entries = readdirSync(dir).sort();
  const dts = entries.filter((f) => f.endsWith(".d.ts"));
  const out = manifest(JSON.parse(readFileSync(pkgJsonPath, "utf8")), dts);
  for (const f of out.files) if (!entries.includes(f)) fail(`package.json lists ${f}, which is not in ${dir}`);
  writeFileSync(pkgJsonPath, JSON.stringify(out, null, 2) + "\n");
  return { glue: patched === null ? "already post-processed" : "patched" };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const dir = resolve(process.argv[2] ?? "pkg");
  try {
    const { glue } = postProcess(dir);
    console.log(`scripts/package-json.mjs: ${dir}/package.json written; ${dir}/vipps_login.js ${glue}`);
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
    console.error(`scripts/package-json.mjs: ${e.message}`);
    process.exit(1);
  }
}
