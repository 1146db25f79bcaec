#!/usr/bin/env node
// Run the test OpenID Provider (oidc-provider) until SIGTERM/SIGINT.
//
//   node tests/oidc/serve-provider.mjs --redirect-uri URI [--redirect-uri URI2 ...]
//                                      [--client-id ID] [--client-secret S] [--port N]
//
// stdout gets exactly one line once it is ready:
//   oidc-provider listening issuer=http://127.0.0.1:PORT
// Everything else (oidc-provider's "Unsupported runtime" warning, notices, errors) goes to stderr.

import { parseArgs } from "node:util";

// Anything oidc-provider (or a dependency) logs goes to stderr, so stdout stays one line.
for (const name of ["log", "info", "debug"]) console[name] = (...args) => console.error(...args);

const usage =
  "usage: node tests/oidc/serve-provider.mjs --redirect-uri URI [--client-id ID] [--client-secret S] [--port N]";

let values;
try {
  ({ values } = parseArgs({
    options: {
      "redirect-uri": { type: "string", multiple: true },
      "client-id": { type: "string" },
      "client-secret": { type: "string" },
      port: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  }));
} catch (err) {
  console.error(`${err.message}\n${usage}`);
  process.exit(2);
}
if (values.help) {
  console.error(usage);
  process.exit(0);
}
if (!values["redirect-uri"]?.length) {
  console.error(`--redirect-uri is required\n${usage}`);
  process.exit(2);
}

const { startProvider } = await import("./provider.mjs");

const options = { redirectUris: values["redirect-uri"] };
if (values["client-id"] !== undefined) options.clientId = values["client-id"];
if (values["client-secret"] !== undefined) options.clientSecret = values["client-secret"];
if (values.port !== undefined) options.port = Number(values.port);

// Signal handlers go in before anything else, so a signal that comes right after the ready
// line (or during start-up) still closes the server and exits 0.
let provider;
let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.error(`oidc-provider: ${signal}, closing`);
  await provider?.close();
  process.exit(0);
}
process.on("SIGTERM", () => stop("SIGTERM"));
process.on("SIGINT", () => stop("SIGINT"));

try {
  provider = await startProvider(options);
} catch (err) {
  console.error(`oidc-provider failed to start: ${err?.stack ?? err}`);
  process.exit(1);
}
if (stopping) {
  await provider.close();
  process.exit(0);
}

process.stdout.write(`oidc-provider listening issuer=${provider.issuer}\n`);
