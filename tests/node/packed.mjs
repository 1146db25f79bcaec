// The package as npm would install it: `npm pack` of pkg/ (only what package.json's
// `files` lets through), unpacked into <dir>/node_modules/vipps-login. Offline: npm pack
// reads pkg/ only. Shared by tests/node/ and tests/vite/.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const pkgDir = fileURLToPath(new URL("../../pkg/", import.meta.url));

/** A fresh temporary folder, removed by the returned `remove()`. */
export function scratchDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `npm pack` in pkg/ into `destination`; returns the tarball's path and file list. */
export function pack(destination) {
  const out = execFileSync("npm", ["pack", "--json", "--pack-destination", destination], {
    cwd: pkgDir,
    encoding: "utf8",
    timeout: 60_000,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const [info] = JSON.parse(out);
  return { tarball: join(destination, info.filename), files: info.files.map((f) => f.path).sort() };
}

/** Packs pkg/ and unpacks it as <dir>/node_modules/vipps-login. */
export function installPacked(dir) {
  const { tarball, files } = pack(dir);
  const target = join(dir, "node_modules", "vipps-login");
  mkdirSync(target, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", target, "--strip-components=1"], { timeout: 30_000 });
  return { tarball, files, target };
}
