import assert from "node:assert/strict";
import { mkdtemp, open, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { DiskReader } from "../providers/contract.ts";
import { chunkDigestsPath, sealOf } from "./chunk-digests.ts";
import { openFileDiskReader } from "./file-reader.ts";
import { readerSha256 } from "./checksum.ts";
import { readerBytes, syntheticDisk } from "./synthetic-disk.ts";
import { type TransferCheckpoint, transferDisk } from "./transfer.ts";

const MiB = 1024 * 1024;
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "landfall-transfer-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Wraps a reader to observe (and slow down) its range reads. */
function observed(inner: DiskReader, hooks: { delayMs?: (offset: number) => number; onStart?: (offset: number, length: number) => void; onDone?: (offset: number) => void }): DiskReader {
  return {
    sizeBytes: inner.sizeBytes,
    async *readRange(offset, length, signal) {
      hooks.onStart?.(offset, length);
      const delay = hooks.delayMs?.(offset) ?? 0;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      yield* inner.readRange(offset, length, signal);
      hooks.onDone?.(offset);
    },
    close: () => inner.close(),
  };
}

describe("transferDisk", () => {
  test("hash equals sha256 of the content; staging file is the content, sparse", async () => {
    const disk = syntheticDisk({ sizeBytes: 24 * MiB + 12345, seed: 7 });
    const staging = join(dir, "basic.raw");
    const result = await transferDisk({ reader: disk, stagingPath: staging, chunkBytes: 4 * MiB, concurrency: 3 });

    assert.equal(result.sha256, await readerSha256(disk));
    assert.match(result.sha256, /^sha256:[0-9a-f]{64}$/);
    assert.equal(result.bytes, disk.sizeBytes);
    assert.ok(result.zeroBytes > 11 * MiB && result.zeroBytes < 13 * MiB, `zeroBytes ${result.zeroBytes} should be about half`);
    assert.ok((await readFile(staging)).equals(await readerBytes(disk)), "staging file differs from the source");

    const { size, blocks } = await stat(staging);
    assert.equal(size, disk.sizeBytes);
    const allocated = blocks * 512;
    assert.ok(allocated < size * 0.6, `allocated ${allocated} of ${size}: zero blocks were written, file is not sparse`);
    assert.ok(allocated > size * 0.4, `allocated ${allocated} of ${size}: data is missing`);
  });

  test("small runs of data cost their own blocks: 4 KiB every 64 KiB leaves 1/16 of the staging file allocated", async () => {
    const content = Buffer.alloc(8 * MiB);
    for (let at = 0; at < content.length; at += 64 * 1024) content.fill((at / 65536) % 255 + 1, at, at + 4096);
    const sourcePath = join(dir, "runs.raw");
    await writeFile(sourcePath, content);
    const reader = await openFileDiskReader(sourcePath);
    const staging = join(dir, "runs-staging.raw");
    try {
      await transferDisk({ reader, stagingPath: staging, chunkBytes: MiB });
    } finally {
      await reader.close();
    }
    assert.ok((await readFile(staging)).equals(content), "staging file differs from the source");
    const allocated = (await stat(staging)).blocks * 512;
    // 512 KiB of data; a 64 KiB zero-detection granularity would allocate all 8 MiB.
    assert.ok(allocated <= content.length / 16 + 64 * 1024, `allocated ${allocated} bytes for ${content.length / 16} bytes of data: zero blocks around the data were written`);
  });

  test("a file-backed source round-trips byte for byte", async () => {
    const content = Buffer.alloc(3 * MiB + 777);
    for (let i = 0; i < content.length; i += 4099) content[i] = (i % 251) + 1;
    const sourcePath = join(dir, "source.raw");
    await writeFile(sourcePath, content);
    const reader = await openFileDiskReader(sourcePath);
    const staging = join(dir, "from-file.raw");
    const result = await transferDisk({ reader, stagingPath: staging, chunkBytes: MiB });
    assert.equal(result.sha256, await readerSha256(reader));
    await reader.close();
    assert.ok((await readFile(staging)).equals(content));
  });

  test("ranges completing out of order are still hashed in disk order", async () => {
    const disk = syntheticDisk({ sizeBytes: 16 * MiB, seed: 3 });
    const completed: number[] = [];
    // Within each window of four chunks the first one is slowest: completion order is reversed.
    const reader = observed(disk, { delayMs: (offset) => 15 * (3 - ((offset / MiB) % 4)), onDone: (offset) => completed.push(offset) });
    const staging = join(dir, "ooo.raw");
    const result = await transferDisk({ reader, stagingPath: staging, chunkBytes: MiB, concurrency: 4 });

    const sorted = [...completed].sort((a, b) => a - b);
    assert.notDeepEqual(completed, sorted, "reads completed in order; the test did not exercise reordering");
    assert.equal(completed.length, 16);
    assert.equal(result.sha256, await readerSha256(disk));
    assert.ok((await readFile(staging)).equals(await readerBytes(disk)));
  });

  test("a chunk's buffer is not read into again before the worker has hashed it (many small chunks, instant reads)", async () => {
    // Instant reads and 4 KiB chunks keep every buffer of the window busy: a buffer released before its hash or
    // its write finished would be overwritten by a later chunk, and the hash or the file would differ.
    const disk = syntheticDisk({ sizeBytes: 4 * MiB + 4096, seed: 17, regionBytes: 12 * 1024 });
    const staging = join(dir, "reuse.raw");
    const result = await transferDisk({ reader: disk, stagingPath: staging, chunkBytes: 4096, concurrency: 4 });
    assert.equal(result.sha256, await readerSha256(disk));
    assert.ok((await readFile(staging)).equals(await readerBytes(disk)));
  });

  test("never has more than `concurrency` ranges open", async () => {
    const disk = syntheticDisk({ sizeBytes: 12 * MiB });
    let reading = 0;
    let peak = 0;
    const reader = observed(disk, {
      delayMs: () => 5,
      onStart: () => {
        reading++;
        peak = Math.max(peak, reading);
      },
      onDone: () => reading--,
    });
    await transferDisk({ reader, stagingPath: join(dir, "bounded.raw"), chunkBytes: MiB, concurrency: 3 });
    assert.equal(peak, 3);
  });

  test("abort, then resume from the last checkpoint: same hash and file, source read only from there", async () => {
    const disk = syntheticDisk({ sizeBytes: 20 * MiB + 4096, seed: 11 });
    const staging = join(dir, "resume.raw");
    const abort = new AbortController();
    const checkpoints: TransferCheckpoint[] = [];
    const first = transferDisk({
      reader: observed(disk, { delayMs: () => 2 }),
      stagingPath: staging,
      chunkBytes: MiB,
      concurrency: 2,
      progressIntervalMs: 0,
      signal: abort.signal,
      onProgress: (progress) => {
        checkpoints.push(progress);
        if (checkpoints.length === 5) abort.abort();
      },
    });
    await assert.rejects(first, { name: "AbortError" });
    const checkpoint = checkpoints[checkpoints.length - 1].checkpointOffset;
    assert.ok(checkpoint > 0 && checkpoint < disk.sizeBytes, `checkpoint ${checkpoint}`);
    assert.equal(checkpoint % MiB, 0, "checkpoints fall on chunk boundaries");

    // Whatever lies past the checkpoint is untrusted: plant garbage in a zero region there.
    const garbageAt = 15 * MiB + 100; // region 15 (odd) is zero in the source
    const handle = await open(staging, "r+");
    await handle.write(Buffer.from([0xde, 0xad, 0xbe, 0xef]), 0, 4, garbageAt);
    await handle.close();

    const requested: number[] = [];
    const progress: TransferCheckpoint[] = [];
    const result = await transferDisk({
      reader: observed(disk, { onStart: (offset) => requested.push(offset) }),
      stagingPath: staging,
      chunkBytes: MiB,
      resumeFrom: { offset: checkpoint },
      onProgress: (p) => {
        progress.push(p);
      },
    });
    assert.equal(result.sha256, await readerSha256(disk));
    assert.ok((await readFile(staging)).equals(await readerBytes(disk)), "resumed staging file differs from the source");
    assert.ok(Math.min(...requested) >= checkpoint, `resume re-read the source before the checkpoint: ${Math.min(...requested)}`);
    assert.equal(progress.at(-1)?.checkpointOffset, disk.sizeBytes);
    assert.equal(progress.at(-1)?.bytesDone, disk.sizeBytes);
  });

  test("resume refuses a staging file of the wrong size", async () => {
    const staging = join(dir, "wrong-size.raw");
    await writeFile(staging, Buffer.alloc(1000));
    await assert.rejects(
      transferDisk({ reader: syntheticDisk({ sizeBytes: MiB }), stagingPath: staging, resumeFrom: { offset: 0 } }),
      /is 1000 bytes, the source disk 1048576; start over/,
    );
  });

  test("a transient read error is retried; a short read fails naming the offset", async () => {
    const disk = syntheticDisk({ sizeBytes: 3 * MiB });
    let failed = false;
    const flaky: DiskReader = {
      sizeBytes: disk.sizeBytes,
      async *readRange(offset, length, signal) {
        if (offset === MiB && !failed) {
          failed = true;
          yield (await readerBytes(disk)).subarray(offset, offset + 100);
          throw new Error("ECONNRESET");
        }
        yield* disk.readRange(offset, length, signal);
      },
      close: async () => {},
    };
    const result = await transferDisk({ reader: flaky, stagingPath: join(dir, "flaky.raw"), chunkBytes: MiB });
    assert.ok(failed);
    assert.equal(result.sha256, await readerSha256(disk));

    const short: DiskReader = {
      sizeBytes: disk.sizeBytes,
      async *readRange(offset, length, signal) {
        yield* disk.readRange(offset, offset === 2 * MiB ? length - 1 : length, signal);
      },
      close: async () => {},
    };
    await assert.rejects(
      transferDisk({ reader: short, stagingPath: join(dir, "short.raw"), chunkBytes: MiB, retries: 0 }),
      /offset 2097152 ended after 1048575 of 1048576 bytes/,
    );
  });

  test("rejects a chunk size that is not a multiple of the zero block", async () => {
    await assert.rejects(transferDisk({ reader: syntheticDisk({ sizeBytes: MiB }), stagingPath: join(dir, "x.raw"), chunkBytes: 1000 }), /chunkBytes 1000/);
  });

  test("given the source's allocated areas, only they are read; the sha256 still covers every byte", async () => {
    // Data at 1 MiB..1.5 MiB, 6 MiB + 4 KiB (crossing a chunk edge at 8 MiB: 7.5..8.5 MiB) and the last 100 bytes.
    const size = 20 * MiB + 100;
    const content = Buffer.alloc(size);
    const areas = [
      { start: MiB, length: MiB / 2 },
      { start: 7.5 * MiB, length: MiB },
      { start: size - 100, length: 100 },
    ];
    for (const a of areas) content.fill(0xa5, a.start, a.start + a.length);
    const sourcePath = join(dir, "allocated-source.raw");
    await writeFile(sourcePath, content);
    const inner = await openFileDiskReader(sourcePath);
    const reads: Array<[number, number]> = [];
    const reader = observed(inner, { onStart: (offset, length) => reads.push([offset, length]) });
    const staging = join(dir, "allocated.raw");
    try {
      const result = await transferDisk({ reader, stagingPath: staging, chunkBytes: 4 * MiB, allocated: areas });
      assert.equal(result.sha256, await readerSha256(inner), "the sha256 is that of the whole disk");
      assert.equal(result.bytesRead, MiB / 2 + MiB + 100);
      assert.equal(result.zeroBytes, size - result.bytesRead);
    } finally {
      await inner.close();
    }
    // The area crossing the chunk edge is read as two pieces, one per chunk; nothing else is asked for.
    assert.deepEqual(reads.sort((a, b) => a[0] - b[0]), [[MiB, MiB / 2], [7.5 * MiB, MiB / 2], [8 * MiB, MiB / 2], [size - 100, 100]]);
    assert.ok((await readFile(staging)).equals(content), "staging file differs from the source");
  });

  test("with allocated areas, abort then resume: the resumed transfer reads only areas past the checkpoint, same hash, file and seal", async () => {
    const disk = syntheticDisk({ sizeBytes: 20 * MiB, seed: 13 });
    // The synthetic disk holds data in its even 1 MiB regions, zeros in the odd ones: what a thin disk's source reports.
    const allocated = Array.from({ length: 10 }, (_, i) => ({ start: 2 * i * MiB, length: MiB }));
    const staging = join(dir, "resume-allocated.raw");
    const abort = new AbortController();
    let checkpoint = 0;
    const first = transferDisk({
      reader: observed(disk, { delayMs: () => 2 }),
      stagingPath: staging,
      chunkBytes: MiB,
      concurrency: 2,
      allocated,
      progressIntervalMs: 0,
      signal: abort.signal,
      onProgress: (p) => {
        checkpoint = p.checkpointOffset;
        if (checkpoint >= 6 * MiB) abort.abort();
      },
    });
    await assert.rejects(first, { name: "AbortError" });
    assert.ok(checkpoint >= 6 * MiB && checkpoint < disk.sizeBytes, `checkpoint ${checkpoint}`);
    // Past the checkpoint nothing is trusted: garbage in a region the source reports unallocated is undone.
    const handle = await open(staging, "r+");
    await handle.write(Buffer.from([0xde, 0xad]), 0, 2, 15 * MiB + 100);
    await handle.close();

    const requested: Array<[number, number]> = [];
    const result = await transferDisk({
      reader: observed(disk, { onStart: (offset, length) => requested.push([offset, length]) }),
      stagingPath: staging,
      chunkBytes: MiB,
      allocated,
      resumeFrom: { offset: checkpoint },
    });
    assert.equal(result.sha256, await readerSha256(disk));
    assert.ok((await readFile(staging)).equals(await readerBytes(disk)), "resumed staging file differs from the source");
    assert.ok(requested.length > 0 && requested.every(([offset]) => offset >= checkpoint && (offset / MiB) % 2 === 0), `reads: ${JSON.stringify(requested)}`);
    const sidecar = await readFile(chunkDigestsPath(staging));
    assert.equal(sealOf(sidecar, { chunkBytes: MiB, sizeBytes: disk.sizeBytes }), result.sha256, "the resumed transfer seals its digests");
  });

  test("a source that misreports its allocation is trusted: the bytes it left out arrive as zeros (verifySource: reread is the check)", async () => {
    const disk = syntheticDisk({ sizeBytes: 8 * MiB, seed: 11 });
    const staging = join(dir, "misreported.raw");
    const result = await transferDisk({ reader: disk, stagingPath: staging, chunkBytes: 4 * MiB, allocated: [{ start: 0, length: 4 * MiB }] });
    const expected = Buffer.concat([(await readerBytes(disk)).subarray(0, 4 * MiB), Buffer.alloc(4 * MiB)]);
    assert.ok((await readFile(staging)).equals(expected));
    assert.notEqual(result.sha256, await readerSha256(disk), "reading every byte again tells the difference");
  });

  test("an empty disk gives the sha256 of nothing", async () => {
    const result = await transferDisk({ reader: syntheticDisk({ sizeBytes: 0 }), stagingPath: join(dir, "empty.raw") });
    assert.equal(result.sha256, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert.equal((await stat(join(dir, "empty.raw"))).size, 0);
  });
});
