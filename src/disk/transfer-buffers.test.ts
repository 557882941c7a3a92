// The transfer's chunk buffers come from the process's pool (chunk-buffer-pool.ts): reused across transfers, never
// shared by two at once, all back when a transfer ends however it ends. Its own file: the pool is process-wide.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { DiskReader } from "../providers/contract.ts";
import { chunkBuffers } from "./chunk-buffer-pool.ts";
import { readerSha256 } from "./checksum.ts";
import { readerBytes, syntheticDisk } from "./synthetic-disk.ts";
import { DEFAULT_CONCURRENCY, transferBufferBound, transferDisk } from "./transfer.ts";

const MiB = 1024 * 1024;
const chunkBytes = MiB;
const concurrency = 3;
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "landfall-transfer-buffers-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Each range read waits a varying few milliseconds (so reads complete out of order), and can fail at one offset. */
function jittered(inner: DiskReader, seed: number, failAt?: number): DiskReader {
  return {
    sizeBytes: inner.sizeBytes,
    async *readRange(offset, length, signal) {
      await new Promise((resolve) => setTimeout(resolve, ((offset / chunkBytes) * 7 + seed * 3) % 11));
      if (offset === failAt) throw new Error(`injected source failure at ${offset}`);
      yield* inner.readRange(offset, length, signal);
    },
    close: () => inner.close(),
  };
}

describe("transfer chunk buffers", () => {
  test("back-to-back transfers reuse one window, given back after a success, a source failure and an abort", async () => {
    const disk = syntheticDisk({ sizeBytes: 12 * MiB, seed: 3 });
    const staging = join(dir, "serial.raw");
    const allocatedBefore = chunkBuffers.allocated;
    const result = await transferDisk({ reader: jittered(disk, 1), stagingPath: staging, chunkBytes, concurrency });
    assert.equal(result.sha256, await readerSha256(disk));
    const window = chunkBuffers.allocated - allocatedBefore;
    assert.ok(window >= 1 && window <= concurrency + 1, `one transfer allocated ${window} buffers, window is ${concurrency + 1}`);
    assert.equal(chunkBuffers.leased, 0);

    await assert.rejects(transferDisk({ reader: jittered(disk, 2, 5 * MiB), stagingPath: staging, chunkBytes, concurrency, retries: 0 }), /injected source failure/);
    assert.equal(chunkBuffers.leased, 0, "a failed transfer kept buffers out of the pool");

    const abort = new AbortController();
    const aborted = transferDisk({
      reader: jittered(disk, 3),
      stagingPath: staging,
      chunkBytes,
      concurrency,
      progressIntervalMs: 0,
      signal: abort.signal,
      onProgress: ({ checkpointOffset }) => {
        if (checkpointOffset >= 4 * MiB) abort.abort(new Error("stop here"));
      },
    });
    await assert.rejects(aborted, /stop here/);
    assert.equal(chunkBuffers.leased, 0, "an aborted transfer kept buffers out of the pool");
    assert.equal(chunkBuffers.allocated - allocatedBefore, window, "later transfers allocated buffers instead of reusing the pool's");
  });

  test("two transfers at once never share a buffer in use: each staging file and sha256 is its own source's", async () => {
    const disks = [syntheticDisk({ sizeBytes: 20 * MiB + 4096, seed: 11 }), syntheticDisk({ sizeBytes: 17 * MiB, seed: 12 })];
    const allocatedBefore = chunkBuffers.allocated;
    let peakLeased = 0;
    const sampler = setInterval(() => {
      peakLeased = Math.max(peakLeased, chunkBuffers.leased);
    }, 1);
    try {
      const results = await Promise.all(
        disks.map((disk, i) => transferDisk({ reader: jittered(disk, i), stagingPath: join(dir, `both-${i}.raw`), chunkBytes, concurrency })),
      );
      for (const [i, disk] of disks.entries()) {
        assert.equal(results[i]?.sha256, await readerSha256(disk), `transfer ${i}'s sha256`);
        assert.ok((await readFile(join(dir, `both-${i}.raw`))).equals(await readerBytes(disk)), `transfer ${i}'s staging file differs from its source`);
      }
    } finally {
      clearInterval(sampler);
    }
    assert.ok(peakLeased > concurrency + 1, `the two transfers overlapped (peak ${peakLeased} buffers out)`);
    assert.ok(chunkBuffers.leased === 0 && chunkBuffers.allocated <= 2 * (concurrency + 1), `pool holds ${chunkBuffers.allocated} buffers for 2 transfers`);
    assert.ok(chunkBuffers.allocated >= allocatedBefore);
  });

  test("transfers at once share the pool's bound: never more buffers out than it allows, and all finish, even at 1", async () => {
    const small = 512 * 1024; // its own size: the free 1 MiB buffers of the tests above make room and do not count
    const disks = [0, 1, 2].map((i) => syntheticDisk({ sizeBytes: 6 * MiB + i * 4096, seed: 21 + i }));
    try {
      for (const bound of [1, 2]) {
        chunkBuffers.bound(bound);
        let peakLeased = 0;
        let waited = 0;
        const sampler = setInterval(() => {
          peakLeased = Math.max(peakLeased, chunkBuffers.leased);
          waited = Math.max(waited, chunkBuffers.waiting);
        }, 1);
        try {
          const results = await Promise.all(
            disks.map((disk, i) => transferDisk({ reader: jittered(disk, i), stagingPath: join(dir, `bound-${i}.raw`), chunkBytes: small, concurrency })),
          );
          for (const [i, disk] of disks.entries()) assert.equal(results[i]?.sha256, await readerSha256(disk), `bound ${bound}, transfer ${i}'s sha256`);
        } finally {
          clearInterval(sampler);
        }
        assert.ok(peakLeased <= bound, `bound ${bound}: ${peakLeased} buffers out at once`);
        assert.ok(waited > 0, `bound ${bound}: no lease ever waited, so the bound was not tested`);
        assert.equal(chunkBuffers.leased, 0);
      }
    } finally {
      chunkBuffers.bound(Number.POSITIVE_INFINITY);
    }
  });

  test("the server's bound: one transfer's window whatever --max-transfers, and a buffer more than transfers when many run", () => {
    assert.equal(transferBufferBound(1), DEFAULT_CONCURRENCY + 1);
    assert.equal(transferBufferBound(2), DEFAULT_CONCURRENCY + 1, "the default two share one window");
    assert.equal(transferBufferBound(8), 9);
  });
});
