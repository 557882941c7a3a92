// Fills Node's compile cache with every module landfall runs, so that the first `landfall serve` after setup or an
// upgrade starts warm: a module missing from the cache is type-stripped by Node's TypeScript stripper, a
// WebAssembly module that then stays in the process — ~26 MiB of the server's RSS for its whole life, and ~22 MiB
// more in the sha256 worker's isolate during every transfer (bench/RESULTS.md). `make setup` runs it through
// bin/landfall, which sets the cache directory:
//   NODE_OPTIONS="--import ./scripts/warm-compile-cache.ts" bin/landfall --help
// Importing a module only defines it (the CLI's entry point, src/cli/main.ts, is the command bin/landfall runs).
import { glob } from "node:fs/promises";
import { flushCompileCache } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isMainThread } from "node:worker_threads";
import { ChunkHasher } from "../src/disk/chunk-hasher.ts";

// NODE_OPTIONS reaches worker threads too: the sha256 worker started below imports this script again.
if (isMainThread) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const skip = /(\.test|\.fixture|\.worker)\.ts$|^src\/cli\/main\.ts$/;
  let modules = 0;
  for await (const file of glob("src/**/*.ts", { cwd: root })) {
    if (skip.test(file)) continue;
    await import(pathToFileURL(`${root}${file}`).href);
    modules++;
  }
  // The sha256 worker (the one worker module) loads in its own isolate: start it as a transfer does and wait for its
  // answer — its modules are loaded then ("online" comes before).
  const hasher = new ChunkHasher();
  await hasher.finish();
  await hasher.close();
  flushCompileCache();
  console.error(`setup: compile cache warm (${modules} modules and the sha256 worker)`);
}
