// Benchmark helper (not a test): loaded into `landfall serve` with
//   node bench/serve-migration.ts --node-options "--import <repo>/bench/memory-sampler.ts"
// it appends process.memoryUsage() every 0.25 s to /tmp/landfall-mem-<pid>.tsv (epoch ms, thread id — the hash worker samples its own
// isolate —, then MiB: rss, heapTotal, heapUsed,
// external, arrayBuffers), so a peak can be split into V8 heap, ArrayBuffers and the rest (native, other isolates).
import { appendFileSync } from "node:fs";
import { threadId } from "node:worker_threads";

const path = `/tmp/landfall-mem-${process.pid}.tsv`;
const MiB = 1 << 20;

setInterval(() => {
  const m = process.memoryUsage();
  const row = [Date.now(), threadId, m.rss, m.heapTotal, m.heapUsed, m.external, m.arrayBuffers].map((v, i) => (i < 2 ? v : (v / MiB).toFixed(1)));
  appendFileSync(path, `${row.join("\t")}\n`);
}, 250).unref();
