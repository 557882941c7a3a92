// Memory must stay flat whatever the disk size: bounded by concurrency × chunkBytes, not by the disk.
// Its own file so it runs in its own process and no other test's garbage skews the RSS.
import assert from "node:assert/strict";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { syntheticDisk } from "./synthetic-disk.ts";
import { transferDisk } from "./transfer.ts";

const MiB = 1024 * 1024;
let dir: string | undefined;
after(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

test("a 256 MiB half-zero disk transfers with peak RSS growth under 64 MiB (4 × 8 MiB chunks)", async () => {
  dir = await mkdtemp(join(tmpdir(), "landfall-memory-"));
  const staging = join(dir, "disk.raw");
  // Warm up (code, crypto, buffers) so the baseline is the steady state, not a cold process.
  await transferDisk({ reader: syntheticDisk({ sizeBytes: 8 * MiB }), stagingPath: staging });

  const baseline = process.memoryUsage.rss();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  const sizeBytes = 256 * MiB;
  try {
    const result = await transferDisk({
      reader: syntheticDisk({ sizeBytes, seed: 9 }),
      stagingPath: staging,
      chunkBytes: 8 * MiB,
      concurrency: 4,
      progressIntervalMs: 0,
      onProgress: () => {
        peak = Math.max(peak, process.memoryUsage.rss());
      },
    });
    assert.equal(result.bytes, sizeBytes);
  } finally {
    clearInterval(sampler);
  }
  const growthMiB = (peak - baseline) / MiB;
  assert.ok(growthMiB < 64, `peak RSS grew by ${growthMiB.toFixed(1)} MiB while transferring ${sizeBytes / MiB} MiB`);
  // The file is as big as the disk while memory stayed small: the bound is not an artefact of a tiny disk.
  assert.equal((await stat(staging)).size, sizeBytes);
});
