// Resume is source-true: the local prefix is checked chunk by chunk against the digests recorded as the bytes
// were read from the source, and whatever does not match (or has no digest) is read from the source again.
import assert from "node:assert/strict";
import { mkdtemp, open, readFile, rm, truncate, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { DiskReader } from "../providers/contract.ts";
import { readerSha256 } from "./checksum.ts";
import { chunkDigest, chunkDigestsPath, parseChunkDigests } from "./chunk-digests.ts";
import { readerBytes, syntheticDisk } from "./synthetic-disk.ts";
import { type TransferCheckpoint, transferDisk } from "./transfer.ts";

const MiB = 1024 * 1024;
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "landfall-resume-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Records the offsets the transfer asked the source for. */
function recording(inner: DiskReader, requested: number[]): DiskReader {
  return {
    sizeBytes: inner.sizeBytes,
    readRange(offset, length, signal) {
      requested.push(offset);
      return inner.readRange(offset, length, signal);
    },
    close: () => inner.close(),
  };
}

/** Transfers `disk` and aborts after the 6th checkpoint: returns the last checkpoint offset. */
async function interrupted(disk: DiskReader, staging: string): Promise<number> {
  const abort = new AbortController();
  const checkpoints: TransferCheckpoint[] = [];
  const first = transferDisk({
    reader: disk,
    stagingPath: staging,
    chunkBytes: MiB,
    concurrency: 1,
    progressIntervalMs: 0,
    signal: abort.signal,
    onProgress: (p) => {
      checkpoints.push(p);
      if (checkpoints.length === 6) abort.abort();
    },
  });
  await assert.rejects(first, { name: "AbortError" });
  const checkpoint = checkpoints.at(-1)?.checkpointOffset ?? 0;
  assert.equal(checkpoint, 6 * MiB);
  return checkpoint;
}

async function flipByte(path: string, at: number): Promise<void> {
  const file = await open(path, "r+");
  const byte = Buffer.alloc(1);
  await file.read(byte, 0, 1, at);
  byte[0] ^= 0xff;
  await file.write(byte, 0, 1, at);
  await file.close();
}

describe("resume against recorded chunk digests", () => {
  test("the sidecar holds the source digest of every chunk a reported checkpoint covers", async () => {
    const disk = syntheticDisk({ sizeBytes: 10 * MiB, seed: 31 });
    const staging = join(dir, "covered.raw");
    const checkpoint = await interrupted(disk, staging);
    const source = await readerBytes(disk);
    const digests = parseChunkDigests(await readFile(chunkDigestsPath(staging)), { chunkBytes: MiB, sizeBytes: disk.sizeBytes }, 100);
    assert.ok(digests.length >= checkpoint / MiB, `${digests.length} digests for a checkpoint at chunk ${checkpoint / MiB}`);
    for (let i = 0; i < checkpoint / MiB; i++) {
      assert.deepEqual(digests[i], chunkDigest(source.subarray(i * MiB, (i + 1) * MiB)), `digest of chunk ${i}`);
    }
  });

  test("a damaged byte in the staging prefix: that chunk is re-read from the source, the hash is the source's", async () => {
    const disk = syntheticDisk({ sizeBytes: 10 * MiB + 4096, seed: 32 });
    const staging = join(dir, "damaged.raw");
    const checkpoint = await interrupted(disk, staging);
    await flipByte(staging, 2 * MiB + 77); // region 2 is data
    // Garbage where the source has zeros (a hole in the prefix) must be repaired too.
    await flipByte(staging, 3 * MiB + 5000);

    const requested: number[] = [];
    const result = await transferDisk({ reader: recording(disk, requested), stagingPath: staging, chunkBytes: MiB, resumeFrom: { offset: checkpoint } });
    assert.equal(result.sha256, await readerSha256(disk));
    assert.ok((await readFile(staging)).equals(await readerBytes(disk)), "the repaired staging file differs from the source");
    assert.equal(result.rereadChunks, 2);
    assert.equal(result.verifiedChunks, checkpoint / MiB - 2);
    const beforeCheckpoint = requested.filter((offset) => offset < checkpoint).sort((a, b) => a - b);
    assert.deepEqual(beforeCheckpoint, [2 * MiB, 3 * MiB], "only the damaged chunks are read again from before the checkpoint");
  });

  test("a missing sidecar: the whole prefix is read from the source again", async () => {
    const disk = syntheticDisk({ sizeBytes: 9 * MiB, seed: 33 });
    const staging = join(dir, "no-sidecar.raw");
    const checkpoint = await interrupted(disk, staging);
    await flipByte(staging, 4 * MiB + 1); // damage a hash-over-local-bytes resume would have missed
    await unlink(chunkDigestsPath(staging));
    const result = await transferDisk({ reader: disk, stagingPath: staging, chunkBytes: MiB, resumeFrom: { offset: checkpoint } });
    assert.equal(result.sha256, await readerSha256(disk));
    assert.ok((await readFile(staging)).equals(await readerBytes(disk)));
    assert.equal(result.rereadChunks, checkpoint / MiB);
    assert.equal(result.verifiedChunks, 0);
  });

  test("a corrupt digest record: that chunk is read again; a corrupt header: every prefix chunk is", async () => {
    const disk = syntheticDisk({ sizeBytes: 9 * MiB, seed: 34 });
    const staging = join(dir, "corrupt-sidecar.raw");
    const checkpoint = await interrupted(disk, staging);
    await flipByte(chunkDigestsPath(staging), 32 + 32 * 1 + 3); // record of chunk 1
    const one = await transferDisk({ reader: disk, stagingPath: staging, chunkBytes: MiB, resumeFrom: { offset: checkpoint } });
    assert.equal(one.sha256, await readerSha256(disk));
    assert.equal(one.rereadChunks, 1);

    await flipByte(chunkDigestsPath(staging), 0); // magic
    const all = await transferDisk({ reader: disk, stagingPath: staging, chunkBytes: MiB, resumeFrom: { offset: checkpoint } });
    assert.equal(all.sha256, await readerSha256(disk));
    assert.equal(all.rereadChunks, checkpoint / MiB);
  });

  test("a torn sidecar (half a record at its end) loses only that record", async () => {
    const disk = syntheticDisk({ sizeBytes: 9 * MiB, seed: 35 });
    const staging = join(dir, "torn.raw");
    const checkpoint = await interrupted(disk, staging);
    await truncate(chunkDigestsPath(staging), 32 + 32 * (checkpoint / MiB - 1) + 16);
    const result = await transferDisk({ reader: disk, stagingPath: staging, chunkBytes: MiB, resumeFrom: { offset: checkpoint } });
    assert.equal(result.sha256, await readerSha256(disk));
    assert.equal(result.rereadChunks, 1);
    assert.equal(result.verifiedChunks, checkpoint / MiB - 1);
  });

  test("a sidecar written for another chunk size or another disk size is ignored: the prefix is re-read", async () => {
    const disk = syntheticDisk({ sizeBytes: 8 * MiB, seed: 36 });
    const staging = join(dir, "other-layout.raw");
    await transferDisk({ reader: disk, stagingPath: staging, chunkBytes: MiB });
    const otherChunk = await transferDisk({ reader: disk, stagingPath: staging, chunkBytes: 2 * MiB, resumeFrom: { offset: 4 * MiB } });
    assert.equal(otherChunk.sha256, await readerSha256(disk));
    assert.deepEqual([otherChunk.verifiedChunks, otherChunk.rereadChunks], [0, 2]);

    const bigger = syntheticDisk({ sizeBytes: 8 * MiB + 65536, seed: 36 });
    await transferDisk({ reader: disk, stagingPath: staging, chunkBytes: MiB });
    await truncate(staging, bigger.sizeBytes);
    const otherSize = await transferDisk({ reader: bigger, stagingPath: staging, chunkBytes: MiB, resumeFrom: { offset: 4 * MiB } });
    assert.equal(otherSize.sha256, await readerSha256(bigger));
    assert.deepEqual([otherSize.verifiedChunks, otherSize.rereadChunks], [0, 4]);
    assert.ok((await readFile(staging)).equals(await readerBytes(bigger)));
  });

  test("a sidecar that is not a sidecar at all is ignored", async () => {
    const disk = syntheticDisk({ sizeBytes: 4 * MiB, seed: 37 });
    const staging = join(dir, "garbage-sidecar.raw");
    await writeFile(staging, Buffer.alloc(disk.sizeBytes, 1));
    await writeFile(chunkDigestsPath(staging), "not a digest file\n");
    const result = await transferDisk({ reader: disk, stagingPath: staging, chunkBytes: MiB, resumeFrom: { offset: 2 * MiB } });
    assert.equal(result.sha256, await readerSha256(disk));
    assert.equal(result.rereadChunks, 2);
    assert.ok((await readFile(staging)).equals(await readerBytes(disk)));
  });

  test("resumeFrom must be a checkpoint the transfer could have reported", async () => {
    const disk = syntheticDisk({ sizeBytes: 4 * MiB });
    const staging = join(dir, "odd-offset.raw");
    await writeFile(staging, Buffer.alloc(disk.sizeBytes));
    await assert.rejects(transferDisk({ reader: disk, stagingPath: staging, chunkBytes: MiB, resumeFrom: { offset: MiB + 512 } }), /resumeFrom.offset 1049088 must be a reported checkpoint/);
  });
});
