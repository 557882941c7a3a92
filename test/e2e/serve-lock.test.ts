// One writer per data dir, with real `bin/landfall serve` processes: a second server on the same data dir
// refuses to start and names the first one's URL; once the first is killed with SIGKILL (no cleanup of any
// kind runs), the kernel has dropped its lock and a new server starts.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { LANDFALL_BIN, type ServeProcess, startServeProcess } from "../../src/compose/serve-process.ts";

const servers: ServeProcess[] = [];
let dataDir: string | undefined;
after(async () => {
  for (const s of servers) await s.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function runToExit(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(LANDFALL_BIN, args, { stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
    let output = "";
    child.stdout.on("data", (d) => {
      output += String(d);
    });
    child.stderr.on("data", (d) => {
      output += String(d);
    });
    child.on("exit", (code) => resolve({ code, output }));
  });
}

test("a second serve on one data dir refuses naming the first; after the first is SIGKILLed a new one starts", async () => {
  dataDir = await mkdtemp(join(tmpdir(), "landfall-lock-e2e-"));
  const first = await startServeProcess({ dataDir });
  servers.push(first);

  const second = await runToExit(["serve", "--data-dir", dataDir, "--listen", "127.0.0.1:0"]);
  assert.notEqual(second.code, 0, `the second server should have refused: ${second.output}`);
  assert.match(second.output, new RegExp(`data directory ${dataDir} is in use by another landfall serve at ${first.url.replace(/[.]/g, "\\.")} \\(pid ${first.child.pid}`));
  assert.doesNotMatch(second.output, /serving at/);
  assert.equal((await fetch(`${first.url}/healthz`)).status, 200, "the first server is unaffected");

  const killed = new Promise((resolve) => first.child.once("exit", resolve));
  first.child.kill("SIGKILL");
  await killed;

  const third = await startServeProcess({ dataDir });
  servers.push(third);
  assert.equal((await fetch(`${third.url}/healthz`)).status, 200);
});
