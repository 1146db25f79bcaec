// Serves the demo page: www/ at / and the wasm-pack build pkg/ at /pkg/.
//   node scripts/serve.mjs [--port N] [--issuer URL [--client-id ID]]
//   (default port 8080, loopback only; --issuer offers the local emulator on the page)
// Also imported by tests/browser/ as startServer().
import { createServer } from "node:http";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import sirv from "sirv";

const root = fileURLToPath(new URL("..", import.meta.url));
const wwwDir = `${root}www`;
const pkgDir = `${root}pkg`;

// `demoConfig` (optional): served as /demo-config.json (`null` without it), so the page
// can offer the local emulator ({ issuer, clientId }).
export async function startServer({ host = "127.0.0.1", port = 0, demoConfig = null } = {}) {
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
    const path = req.url.split("?")[0];
    if (path === "/demo-config.json") {
      res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-store" });
      res.end(JSON.stringify(demoConfig));
      return;
    }
    // No Worker behind this server: the page then shows only the package playground.
    if (path === "/api/config") {
      res.writeHead(200, { "Content-Type": "application/json", "Cache-Control": "no-store" });
      res.end("null");
      return;
    }
    // The redirect URI: the page itself reads the callback.
    if (path === "/callback") req.url = "/index.html";
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

function argValue(argv, name) {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
}

function parsePort(argv) {
  const value = argValue(argv, "--port");
  if (value === undefined) return 8080;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`Invalid --port ${value ?? ""}`.trim());
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
    const argv = process.argv.slice(2);
    const issuer = argValue(argv, "--issuer");
    const demoConfig = issuer ? { issuer, clientId: argValue(argv, "--client-id") ?? "demo-client" } : null;
    server = await startServer({ port: parsePort(argv), demoConfig });
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
