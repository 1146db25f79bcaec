// Comparison 1 of `make bench`: sizes, gzip -9 (zlib level 9, as `gzip -9`).
//   published:   what the package ships as its main ESM file (ours: the JS glue + .wasm)
//   minified:    esbuild --bundle --minify --format=esm of that entry (all its exports,
//                its dependencies included)
//   begin login: esbuild --bundle --minify --format=esm of a tiny entry doing what a
//                login button needs (bench/entries/), tree-shaken; ours imports
//                "vipps-login" resolved to pkg/ (through its package.json) + the .wasm
//   Worker:      build/ (shim.mjs, index.js, index_bg.wasm: gzip of each, summed)
//                against the JS Worker (bench/js-worker/) bundled with esbuild.
import { build } from "esbuild";
import { mkdtemp, mkdir, readFile, readdir, rm, stat, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { bundleJsWorker } from "./worker.mjs";
import { gzipBytes, root, version } from "./lib.mjs";

export const LIBRARIES = [
  { id: "vipps-login", label: "vipps-login (ours)", entry: "pkg/vipps_login.js", wasm: "pkg/vipps_login_bg.wasm" },
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

async function measureAll(nodePaths, log) {
  const libraries = [];
  for (const lib of LIBRARIES) {
    const wasm = lib.wasm ? await file(lib.wasm) : null;
    const plusWasm = (n) => n + (wasm?.gzip ?? 0);
    const published = await file(lib.entry);
    const minified = await bundle(join(root, lib.entry));
    const begin = await bundle(join(root, `bench/entries/${lib.id}.mjs`), { nodePaths });
    if (lib.wasm && !begin.inputs.some((p) => p === "pkg/vipps_login.js")) {
      throw new Error(`the begin-login entry did not resolve vipps-login to pkg/: ${begin.inputs}`);
    }
    const version_ = lib.wasm ? JSON.parse(await readFile(join(root, "pkg/package.json"), "utf8")).version : version(lib.pkg ?? lib.id);
    libraries.push({
      ...lib,
      version: version_,
      wasm,
      published: { js: published, total: plusWasm(published.gzip) },
      minified: { js: minified.gzip, total: plusWasm(minified.gzip) },
      beginLogin: { js: begin.gzip, total: plusWasm(begin.gzip), inputs: begin.inputs.length },
    });
    log(`sizes: ${lib.label}: published ${plusWasm(published.gzip)} B, minified ${plusWasm(minified.gzip)} B, begin login ${plusWasm(begin.gzip)} B (gzip -9)`);
  }

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
  return { libraries, worker };
}
