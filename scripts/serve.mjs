// Serves the demo page: www/ at / and the wasm-pack build pkg/ at /pkg/.
//   node scripts/serve.mjs [--port N]     (default 8080, loopback only)
// Also imported by tests/browser/ as startServer().
import { createServer } from "node:http";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import sirv from "sirv";

const root = fileURLToPath(new URL("..", import.meta.url));
const wwwDir = `${root}www`;
const pkgDir = `${root}pkg`;

export async function startServer({ host = "127.0.0.1", port = 0 } = {}) {
  if (!existsSync(`${pkgDir}/vipps_login.js`)) {
    throw new Error("pkg/vipps_login.js is missing: run `make pkg` first");
  }
  const notFound = (req, res) => {
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
    res.end("Not found\n");
  };
  const options = {
    dev: true, // read from disk on every request, Cache-Control: no-store
    etag: false,
    onNoMatch: notFound,
    // mrmime already maps .wasm to application/wasm; make it explicit anyway, since
    // WebAssembly.instantiateStreaming refuses any other type.
    setHeaders(res, pathname) {
      if (pathname.endsWith(".wasm")) res.setHeader("Content-Type", "application/wasm");
    },
  };
  const www = sirv(wwwDir, options);
  const pkg = sirv(pkgDir, options);

  const server = createServer((req, res) => {
    if (req.url === "/pkg" || req.url.startsWith("/pkg/") || req.url.startsWith("/pkg?")) {
      req.url = req.url.slice(4) || "/";
      pkg(req, res, () => notFound(req, res));
    } else {
      www(req, res, () => notFound(req, res));
    }
  });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, resolve);
  });
  const { port: actual } = server.address();
  const url = `http://${host}:${actual}/`;
  const close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { url, close };
}

function parsePort(argv) {
  const i = argv.indexOf("--port");
  if (i === -1) return 8080;
  const port = Number(argv[i + 1]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`Invalid --port ${argv[i + 1] ?? ""}`.trim());
    process.exit(2);
  }
  return port;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  if (!existsSync(`${pkgDir}/vipps_login.js`)) {
    console.error("pkg/vipps_login.js is missing. Build the package first: make pkg");
    process.exit(1);
  }
  let server;
  try {
    server = await startServer({ port: parsePort(process.argv.slice(2)) });
  } catch (err) {
    console.error(`Could not start the demo server: ${err.message}`);
    process.exit(1);
  }
  console.log(`Demo: ${server.url}`);
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
