// Runs in the scratch Vite project: Vite's dev server (`dev`) or its preview of dist/
// (`preview`) on 127.0.0.1 and a free port. Prints {"url": ...} once listening; stops
// on SIGTERM. A vite.config.js in the project, when there is one, applies as well.
import { createServer, preview } from "vite";

const [mode] = process.argv.slice(2);
const listen = { host: "127.0.0.1", port: 0, strictPort: true };
let server;
if (mode === "dev") {
  server = await createServer({
    root: process.cwd(),
    logLevel: "warn",
    clearScreen: false,
    server: { ...listen, hmr: false, watch: null },
  });
  await server.listen();
} else if (mode === "preview") {
  server = await preview({ root: process.cwd(), logLevel: "warn", clearScreen: false, preview: listen });
} else {
  throw new Error("usage: node serve.mjs dev|preview");
}
const { port } = server.httpServer.address();
console.log(JSON.stringify({ url: `http://127.0.0.1:${port}/` }));
const stop = async () => {
  await server.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
