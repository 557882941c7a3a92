// `make setup` warms Node's compile cache (scripts/warm-compile-cache.ts): afterwards neither the server nor the
// sha256 worker leaves a module to the TypeScript stripper, whose WebAssembly would stay in the process (~20 MiB of
// RSS). Node reports each module's cache lookup under NODE_DEBUG_NATIVE=COMPILE_CACHE; on an empty cache the same
// start reports misses, so the check can fail.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { LANDFALL_BIN, startServeProcess } from "../../src/compose/serve-process.ts";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const MISS = /no transpile cache for StrippedTypeScript (\S+)/g;
const HIT = /retrieving transpile cache for StrippedTypeScript \S+\.\.\.success/g;

/** The compile cache's report of a server started on `cache`, once it serves. */
async function serverStart(cache: string): Promise<string> {
  const srv = await startServeProcess({ env: { NODE_COMPILE_CACHE: cache, NODE_DEBUG_NATIVE: "COMPILE_CACHE" } });
  await srv.stop();
  return srv.output();
}

/** The compile cache's report of the sha256 worker's start on `cache`, up to its first answer. */
async function workerStart(cache: string, dir: string): Promise<string> {
  const script = join(dir, "start-hasher.mjs");
  await writeFile(script, `import { ChunkHasher } from ${JSON.stringify(join(root, "src/disk/chunk-hasher.ts"))}; const h = new ChunkHasher(); await h.finish(); await h.close();\n`);
  const { stderr } = await run(process.execPath, [script], { env: { ...process.env, NODE_COMPILE_CACHE: cache, NODE_DEBUG_NATIVE: "COMPILE_CACHE" }, timeout: 60_000 });
  return stderr;
}

/** The compile cache's report lines that are neither a hit nor a miss (a stale entry, a cache it could not open…), the first 20. */
function otherReports(output: string): string {
  return output
    .split("\n")
    .filter((line) => /cache/i.test(line) && !/\.\.\.success|no transpile cache/.test(line))
    .slice(0, 20)
    .join("\n");
}

test("after the warm-up, the server and the sha256 worker find every module in the compile cache", { timeout: 180_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "landfall-compile-cache-"));
  const cache = join(dir, "cache");
  try {
    const cold = await serverStart(cache);
    assert.ok([...cold.matchAll(MISS)].length > 100, "an empty cache: the server strips its modules itself");
    await rm(cache, { recursive: true, force: true });
    await run(LANDFALL_BIN, ["--help"], { env: { ...process.env, NODE_COMPILE_CACHE: cache, NODE_OPTIONS: `--import ${join(root, "scripts/warm-compile-cache.ts")}` }, timeout: 120_000 });
    const warm = await serverStart(cache);
    assert.deepEqual([...warm.matchAll(MISS)].map((m) => m[1]), [], "modules the warm-up left to the stripper");
    assert.ok([...warm.matchAll(HIT)].length > 100, `the server's modules came from the cache; its other cache reports:\n${otherReports(warm)}`);
    const worker = await workerStart(cache, dir);
    assert.deepEqual([...worker.matchAll(MISS)].map((m) => m[1]), [], "worker modules the warm-up left to the stripper");
    assert.ok([...worker.matchAll(HIT)].length > 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
