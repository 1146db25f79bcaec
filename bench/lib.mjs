// Shared pieces of `make bench` (bench/run.mjs): statistics, gzip, versions, the
// machine, workerd's CPU time from /proc.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../", import.meta.url));

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

/** The q-quantile (0..1) by the nearest-rank method. */
export function quantile(values, q) {
  const v = [...values].sort((a, b) => a - b);
  if (!v.length) return NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))];
}

export function gzipBytes(bytes) {
  return gzipSync(bytes, { level: 9 }).length;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Output of a command, or "unknown". */
export function sh(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}

/** The version of an installed npm package (from node_modules). */
export function version(pkg) {
  try {
    return JSON.parse(readFileSync(`${root}node_modules/${pkg}/package.json`, "utf8")).version;
  } catch {
    return "not installed";
  }
}

export const CLK_TCK = Number(sh("getconf", ["CLK_TCK"])) || 100;

/** pid → { comm, ppid, ticks (utime+stime) } of every process, from /proc/<pid>/stat. */
export function processTable() {
  const table = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const open = stat.indexOf("(");
    const close = stat.lastIndexOf(")");
    const rest = stat.slice(close + 2).split(" ");
    // After comm: state(0) ppid(1) ... utime(11) stime(12) (fields 14 and 15 of stat).
    table.set(Number(entry), {
      comm: stat.slice(open + 1, close),
      ppid: Number(rest[1]),
      ticks: Number(rest[11]) + Number(rest[12]),
    });
  }
  return table;
}

/** The workerd processes descended from this node process (miniflare spawns one). */
export function workerdPids() {
  const table = processTable();
  const ours = (pid) => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
      if (p === process.pid) return true;
      p = table.get(p)?.ppid ?? 0;
    }
    return false;
  };
  return [...table].filter(([pid, { comm }]) => comm === "workerd" && ours(pid)).map(([pid]) => pid);
}

/** CPU seconds (user + system, all threads) that process `pid` has used so far. */
export function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
}

export function machine() {
  return {
    nproc: sh("nproc", []),
    uname: sh("uname", ["-sr"]),
    cpu: (() => {
      try {
        const m = readFileSync("/proc/cpuinfo", "utf8").match(/^model name\s*:\s*(.+)$/m);
        return m ? m[1].trim() : "unknown";
      } catch {
        return "unknown";
      }
    })(),
    node: process.version,
    chromium: sh("/usr/bin/chromium", ["--version"]),
    rustc: sh("rustc", ["--version"]),
    wasmBindgen: sh("wasm-bindgen", ["--version"]),
    clkTck: CLK_TCK,
    commit: sh("git", ["-C", root, "rev-parse", "--short", "HEAD"]),
    dirty: sh("git", ["-C", root, "status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock"]) !== "",
  };
}

/** Bytes as KB (1024) with one decimal. */
export const kb = (n) => (n / 1024).toFixed(1);

/** The value after `--name` in the command line `argv`, else `fallback`. */
export function option(argv, name, fallback) {
  const i = argv.indexOf(name);
  if (i === -1) return fallback;
  const value = argv[i + 1];
  if (value === undefined || value.startsWith("--")) throw new Error(`${name} needs a value`);
  return value;
}

/** `text` (the value of option `name`) as an integer in 1..max, else an error. */
export function positiveInt(name, text, max) {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${name}: ${text} is not an integer in 1..${max}`);
  return n;
}

/** VmRSS of `pid` in bytes (/proc). */
export function rssBytes(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = status.match(/^VmRSS:\s+(\d+)\s+kB/m);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}
