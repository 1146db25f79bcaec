// The stack the load and memory benchmarks drive: the local Vipps emulator and the built
// Worker (one instance, goodVars as the tests use) in one workerd, both on 127.0.0.1.
import { freePort, goodVars, startEmulator, startWorkers } from "../tests/worker/harness.mjs";
import { workerdPids } from "./lib.mjs";

/**
 * Starts the stack (`users`: extra emulator users as TOML; `vars`: Worker settings on top
 * of goodVars), runs `body({ client, workerdPid, emulator, origin })` with a browser-like client
 * of the Worker and the pid of its workerd process, and stops the stack, whatever
 * happens. Answers what `body` answers.
 */
export async function withBenchStack({ users = "", vars = {} } = {}, body) {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const redirectUri = `${origin}/callback`;
  const emulator = await startEmulator(redirectUri, { users });
  let workers;
  try {
    if (!/^http:\/\/127\.0\.0\.1:\d+/.test(emulator.issuer)) throw new Error(`emulator not on 127.0.0.1: ${emulator.issuer}`);
    workers = await startWorkers(port, { bench: goodVars(emulator, redirectUri, vars) });
    if (!workers.url.startsWith(origin)) throw new Error(`workerd not on ${origin}: ${workers.url}`);
    const pids = workerdPids();
    if (pids.length !== 1) throw new Error(`expected one workerd child of pid ${process.pid}, found [${pids}]`);
    return await body({ client: await workers.client(), workerdPid: pids[0], emulator, origin });
  } finally {
    await workers?.mf.dispose();
    emulator.child.kill();
  }
}
