// Comparison 1 of `make bench`: sizes, gzip -9 (zlib level 9, as `gzip -9`).
//   published:   what the package ships as its ESM entry (ours, for each of its three
//                entries: every file the entry loads, gzip of each summed: its one JS
//                file (begin/pkce: wrapper and glue bundled) and the .wasm). Also our
//                whole package: every .js and .wasm in pkg/.
//   minified:    esbuild --bundle --minify --format=esm of that entry (all its exports,
//                its dependencies included; ours + the .wasm)
//   begin login: esbuild --bundle --minify --format=esm of a tiny entry doing what a
//                login button needs (bench/entries/), tree-shaken; ours import
//                "vipps-login", "vipps-login/begin" or "vipps-login/pkce" resolved to pkg/
//                (through its package.json's exports) + the .wasm that entry loads
//   Worker:      build/ (shim.mjs, index.js, index_bg.wasm: gzip of each, summed)
//                against the JS Worker (bench/js-worker/) bundled with esbuild.
import { build } from "esbuild";
import { mkdtemp, mkdir, readFile, readdir, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { bundleJsWorker } from "./worker.mjs";
import { gzipBytes, root, version } from "./lib.mjs";

// Ours: `files` are what the entry loads (the .wasm last); `glue` is the wasm-bindgen JS
// the begin-login bundle must hold, or the entry did not resolve to pkg/.
export const LIBRARIES = [
  {
    id: "vipps-login",
    label: "vipps-login (main entry)",
    entry: "pkg/vipps_login.js",
    files: ["pkg/vipps_login.js", "pkg/vipps_login_bg.wasm"],
    glue: "pkg/vipps_login.js",
    wasm: "pkg/vipps_login_bg.wasm",
  },
  {
    id: "vipps-login-begin",
    label: "vipps-login/begin",
    entry: "pkg/begin.js",
    files: ["pkg/begin.js", "pkg/begin_wasm_bg.wasm"],
    glue: "pkg/begin.js",
    wasm: "pkg/begin_wasm_bg.wasm",
  },
  {
    id: "vipps-login-pkce",
    label: "vipps-login/pkce",
    entry: "pkg/pkce.js",
    files: ["pkg/pkce.js", "pkg/pkce_wasm_bg.wasm"],
    glue: "pkg/pkce.js",
    wasm: "pkg/pkce_wasm_bg.wasm",
  },
  { id: "oauth4webapi", label: "oauth4webapi", entry: "node_modules/oauth4webapi/build/index.js" },
  { id: "oidc-client-ts", label: "oidc-client-ts", entry: "node_modules/oidc-client-ts/dist/esm/oidc-client-ts.js" },
  { id: "keycloak-js", label: "keycloak-js", entry: "node_modules/keycloak-js/lib/keycloak.js" },
  { id: "auth0-spa-js", pkg: "@auth0/auth0-spa-js", label: "@auth0/auth0-spa-js", entry: "node_modules/@auth0/auth0-spa-js/dist/auth0-spa-js.production.esm.js" },
];

async function bundle(entry, { nodePaths = [] } = {}) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    write: false,
    metafile: true,
    nodePaths,
    logLevel: "silent",
  });
  const bytes = result.outputFiles[0].contents;
  const inputs = Object.keys(result.metafile.inputs).map((p) => relative(root, join(process.cwd(), p)));
  return { raw: bytes.length, gzip: gzipBytes(bytes), inputs };
}

async function file(path) {
  const bytes = await readFile(join(root, path));
  return { path, raw: bytes.length, gzip: gzipBytes(bytes) };
}

export async function runSizes(log = console.log) {
  // "vipps-login" as a consumer's bundler finds it: node_modules/vipps-login → pkg/.
  const modules = await mkdtemp(join(tmpdir(), "vipps-bench-modules-"));
  await mkdir(join(modules, "node_modules"));
  await symlink(join(root, "pkg"), join(modules, "node_modules/vipps-login"));
  const nodePaths = [join(modules, "node_modules"), join(root, "node_modules")];

  try {
    return await measureAll(nodePaths, log);
  } finally {
    await rm(modules, { recursive: true, force: true });
  }
}

/** gzip of each file, summed: { files, raw, gzip } (raw: the files' bytes, summed). */
async function files(paths) {
  const each = await Promise.all(paths.map(file));
  return { files: each, raw: each.reduce((n, f) => n + f.raw, 0), gzip: each.reduce((n, f) => n + f.gzip, 0) };
}

async function measureAll(nodePaths, log) {
  const ourVersion = JSON.parse(await readFile(join(root, "pkg/package.json"), "utf8")).version;
  const libraries = [];
  for (const lib of LIBRARIES) {
    const wasm = lib.wasm ? await file(lib.wasm) : null;
    const plusWasm = (n) => n + (wasm?.gzip ?? 0);
    // Ours: the entry's JS files (all but the .wasm), gzip of each summed; theirs: the one file.
    const published = lib.files ? await files(lib.files.filter((p) => p !== lib.wasm)) : await file(lib.entry);
    const minified = await bundle(join(root, lib.entry));
    const begin = await bundle(join(root, `bench/entries/${lib.id}.mjs`), { nodePaths });
    if (lib.glue && !begin.inputs.includes(lib.glue)) {
      throw new Error(`the begin-login entry of ${lib.label} did not resolve to ${lib.glue}: ${begin.inputs}`);
    }
    libraries.push({
      ...lib,
      version: lib.wasm ? ourVersion : version(lib.pkg ?? lib.id),
      wasm,
      published: { js: published, total: plusWasm(published.gzip) },
      minified: { js: minified.gzip, total: plusWasm(minified.gzip) },
      beginLogin: { js: begin.gzip, total: plusWasm(begin.gzip), inputs: begin.inputs.length },
    });
    log(`sizes: ${lib.label}: published ${plusWasm(published.gzip)} B, minified ${plusWasm(minified.gzip)} B, begin login ${plusWasm(begin.gzip)} B (gzip -9)`);
  }

  // The whole package: every .js and .wasm in pkg/ (the three entries).
  const names = (await readdir(join(root, "pkg"))).filter((name) => /\.(js|wasm)$/.test(name)).sort();
  const whole = await files(names.map((name) => `pkg/${name}`));
  const pkg = { version: ourVersion, files: whole.files, raw: whole.raw, total: whole.gzip };
  log(`sizes: vipps-login, whole package: ${pkg.total} B in ${pkg.files.length} files (gzip -9 of each, summed)`);

  // Our Worker: every module in build/ that workerd loads (not build/site/, the assets).
  const workerFiles = [];
  for (const dir of ["build", "build/worker"]) {
    for (const name of (await readdir(join(root, dir))).sort()) {
      const path = `${dir}/${name}`;
      if (!/\.(m?js|wasm)$/.test(name) || !(await stat(join(root, path))).isFile()) continue;
      workerFiles.push(await file(path));
    }
  }
  const jsMin = await bundleJsWorker({ minify: true });
  const jsPlain = await bundleJsWorker({ minify: false });
  const worker = {
    ours: { files: workerFiles, total: workerFiles.reduce((n, f) => n + f.gzip, 0) },
    js: {
      minified: { raw: jsMin.length, gzip: gzipBytes(jsMin) },
      plain: { raw: jsPlain.length, gzip: gzipBytes(jsPlain) },
    },
  };
  log(`sizes: Worker: ours ${worker.ours.total} B, JS Worker ${worker.js.minified.gzip} B minified (${worker.js.plain.gzip} B not minified)`);
  return { libraries, package: pkg, worker };
}
