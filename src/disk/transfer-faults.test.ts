// Faults around a transfer that must never hang it or crash the process: a status write (checkpoint report)
// that fails or is slow, and a source that stops sending bytes.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { DiskReader } from "../providers/contract.ts";
import { readerSha256 } from "./checksum.ts";
import { SourceStalledError } from "./source-read.ts";
import { syntheticDisk } from "./synthetic-disk.ts";
import { transferDisk } from "./transfer.ts";

const MiB = 1024 * 1024;
let dir: string;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "landfall-faults-"));
  process.on("unhandledRejection", onUnhandled);
});
after(async () => {
  process.off("unhandledRejection", onUnhandled);
  await rm(dir, { recursive: true, force: true });
});

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("checkpoint reports", () => {
  test("a failing status write is retried, the transfer waiting for it at its next checkpoint; reports stay in order", async () => {
    const disk = syntheticDisk({ sizeBytes: 6 * MiB, seed: 41 });
    const calls: number[] = [];
    let failures = 0;
    const result = await transferDisk({
      reader: disk,
      stagingPath: join(dir, "retried.raw"),
      chunkBytes: MiB,
      progressIntervalMs: 0,
      retryBaseMs: 5,
      onProgress: async (p) => {
        calls.push(p.checkpointOffset);
        await tick();
        if (p.checkpointOffset === 3 * MiB && failures < 2) {
          failures++;
          throw new Error("status write failed: 409 Conflict");
        }
      },
    });
    assert.equal(result.sha256, await readerSha256(disk));
    assert.deepEqual(calls, [MiB, 2 * MiB, 3 * MiB, 3 * MiB, 3 * MiB, 4 * MiB, 5 * MiB, 6 * MiB]);
    await tick();
    assert.deepEqual(unhandled, []);
  });

  test("a checkpoint's fdatasync and status write run beside the reads, until the next one is due", async () => {
    // 48 chunks of at least 3 ms each: reads still to come after the first report starts, even when a loaded machine
    // makes that report's fdatasync slow (16 were once all read by then).
    const disk = syntheticDisk({ sizeBytes: 48 * MiB, seed: 44 });
    let reporting = 0;
    let readsWhileReporting = 0;
    const reader: DiskReader = {
      sizeBytes: disk.sizeBytes,
      async *readRange(offset, length, signal) {
        if (reporting > 0) readsWhileReporting++;
        await new Promise((resolve) => setTimeout(resolve, 3));
        yield* disk.readRange(offset, length, signal);
      },
      close: () => disk.close(),
    };
    const landed: number[] = [];
    let inFlight = 0;
    let peak = 0;
    const result = await transferDisk({
      reader,
      stagingPath: join(dir, "beside.raw"),
      chunkBytes: MiB,
      progressIntervalMs: 5,
      onProgress: async (p) => {
        peak = Math.max(peak, ++inFlight);
        reporting++;
        await new Promise((resolve) => setTimeout(resolve, 30));
        reporting--;
        inFlight--;
        landed.push(p.checkpointOffset);
      },
    });
    assert.equal(result.sha256, await readerSha256(disk));
    assert.ok(readsWhileReporting > 0, "the transfer waited for every status write before reading on");
    assert.equal(peak, 1, "one report at a time");
    assert.deepEqual(landed, [...landed].sort((a, b) => a - b), "in order");
    assert.equal(landed.at(-1), 48 * MiB);
  });

  test("a slow status write is awaited: never two reports at once, never out of order", async () => {
    const disk = syntheticDisk({ sizeBytes: 5 * MiB, seed: 42 });
    let inFlight = 0;
    let peak = 0;
    const landed: number[] = [];
    await transferDisk({
      reader: disk,
      stagingPath: join(dir, "slow-write.raw"),
      chunkBytes: MiB,
      progressIntervalMs: 0,
      onProgress: async (p) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        // Earlier reports take longer: unawaited writes would land out of order.
        await new Promise((resolve) => setTimeout(resolve, 40 - p.checkpointOffset / MiB / 8));
        landed.push(p.checkpointOffset);
        inFlight--;
      },
    });
    assert.equal(peak, 1);
    assert.deepEqual(landed, [MiB, 2 * MiB, 3 * MiB, 4 * MiB, 5 * MiB]);
  });

  test("a status write that keeps failing fails the transfer with the write's error, unhandled by nobody", async () => {
    const disk = syntheticDisk({ sizeBytes: 4 * MiB, seed: 43 });
    const writeError = new Error("status write failed: store is read-only");
    let attempts = 0;
    await assert.rejects(
      transferDisk({
        reader: disk,
        stagingPath: join(dir, "failed-write.raw"),
        chunkBytes: MiB,
        progressIntervalMs: 0,
        checkpointRetries: 3,
        retryBaseMs: 5,
        onProgress: async () => {
          attempts++;
          throw writeError;
        },
      }),
      (error) => error === writeError,
    );
    assert.equal(attempts, 4);
    await tick();
    assert.deepEqual(unhandled, []);
  });
});

describe("a silent source", () => {
  /** Sends `before` bytes of the range, then nothing, ever — and ignores its abort signal. */
  function goesSilent(inner: DiskReader, atOffset: number, before: number): DiskReader {
    return {
      sizeBytes: inner.sizeBytes,
      async *readRange(offset, length, signal) {
        if (offset !== atOffset) return yield* inner.readRange(offset, length, signal);
        let sent = 0;
        for await (const piece of inner.readRange(offset, before, signal)) {
          sent += piece.length;
          yield piece;
        }
        assert.equal(sent, before);
        await new Promise(() => {});
      },
      close: async () => {},
    };
  }

  test("fails the attempt after the stall timeout with an error naming the offset, instead of hanging", async () => {
    const disk = syntheticDisk({ sizeBytes: 4 * MiB, seed: 44 });
    const started = performance.now();
    await assert.rejects(
      transferDisk({ reader: goesSilent(disk, 3 * MiB, 4096), stagingPath: join(dir, "stalled.raw"), chunkBytes: MiB, stallTimeoutMs: 150, retries: 1, retryBaseMs: 5 }),
      (error) => error instanceof SourceStalledError && /no bytes for 0.15 s while reading 1048576 bytes at offset 3145728 \(4096 received\)/.test(error.message),
    );
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 300 && elapsed < 3000, `two stalled attempts of 150 ms took ${elapsed} ms`);
    await tick();
    assert.deepEqual(unhandled, []);
  });

  test("a reader that fills the chunk itself (readInto) and goes silent ignoring its signal fails the same way", async () => {
    const disk = syntheticDisk({ sizeBytes: 4 * MiB, seed: 47 });
    const silentInto: DiskReader = {
      sizeBytes: disk.sizeBytes,
      readRange: (offset, length, signal) => disk.readRange(offset, length, signal),
      async readInto(offset, into, signal, onBytes) {
        let filled = 0;
        for await (const piece of disk.readRange(offset, into.length, signal)) {
          if (offset === 2 * MiB && filled + piece.length > 8192) break;
          into.set(piece, filled);
          filled += piece.length;
          onBytes?.(piece.length);
        }
        if (offset === 2 * MiB) await new Promise(() => {}); // silent, and deaf to the abort
      },
      close: async () => {},
    };
    const started = performance.now();
    await assert.rejects(
      transferDisk({ reader: silentInto, stagingPath: join(dir, "stalled-into.raw"), chunkBytes: MiB, stallTimeoutMs: 150, retries: 1, retryBaseMs: 5 }),
      (error) => error instanceof SourceStalledError && /while reading 1048576 bytes at offset 2097152/.test(error.message),
    );
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 300 && elapsed < 3000, `two stalled attempts of 150 ms took ${elapsed} ms`);
    await tick();
    assert.deepEqual(unhandled, []);
  });

  test("re-reading the source for verification (readerSha256) fails on a stall too, instead of hanging", async () => {
    const disk = syntheticDisk({ sizeBytes: 6 * MiB, seed: 46 });
    await assert.rejects(readerSha256(goesSilent(disk, 4 * MiB, 0), undefined, { stallTimeoutMs: 100 }), SourceStalledError);
    assert.equal(await readerSha256(goesSilent(disk, 7 * MiB, 0)), await readerSha256(disk), "a normal read is unaffected");
  });

  test("a slow source that keeps sending is not a stall (a heartbeat, not an overall timeout)", async () => {
    const disk = syntheticDisk({ sizeBytes: 2 * MiB, seed: 45, pieceBytes: 128 * 1024 });
    const slow: DiskReader = {
      sizeBytes: disk.sizeBytes,
      async *readRange(offset, length, signal) {
        for await (const piece of disk.readRange(offset, length, signal)) {
          await new Promise((resolve) => setTimeout(resolve, 40));
          yield piece;
        }
      },
      close: async () => {},
    };
    // Each 1 MiB read takes 8 × 40 ms = 320 ms, far over the 150 ms stall timeout, with no silence over 40 ms.
    const result = await transferDisk({ reader: slow, stagingPath: join(dir, "slow.raw"), chunkBytes: MiB, concurrency: 1, stallTimeoutMs: 150, retries: 0 });
    assert.equal(result.sha256, await readerSha256(disk));
  });
});
