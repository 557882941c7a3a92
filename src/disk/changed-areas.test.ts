import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { DiskReader } from "../providers/contract.ts";
import { applyChangedAreas, areasInChunk, checkImageChunks, touchedChunks, verifyUnverified } from "./changed-areas.ts";
import { chunkLayoutOf, chunkDigestsPath } from "./chunk-digests.ts";
import { readVerifiedMarks, unverifiedChunks } from "./chunk-verified.ts";
import { transferDisk } from "./transfer.ts";

const KiB = 1024;
const CHUNK = 256 * KiB;

/** A disk held in a buffer the test changes between copies; counts the bytes it serves. */
function bufferDisk(bytes: Buffer): DiskReader & { served: number } {
  const disk = {
    sizeBytes: bytes.length,
    served: 0,
    async *readRange(offset: number, length: number) {
      disk.served += length;
      yield Buffer.from(bytes.subarray(offset, offset + length));
    },
    close: async () => {},
  };
  return disk;
}

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

test("touchedChunks lists each chunk an area overlaps once", () => {
  const layout = { chunkBytes: 100, sizeBytes: 1000 };
  assert.deepEqual(touchedChunks([{ start: 50, length: 100 }, { start: 120, length: 5 }, { start: 999, length: 10 }], layout), [0, 1, 9]);
  assert.deepEqual(touchedChunks([{ start: 200, length: 100 }], layout), [2]);
});

test("areasInChunk clips the areas to one chunk", () => {
  const layout = { chunkBytes: 100, sizeBytes: 250 };
  assert.deepEqual(areasInChunk([{ start: 50, length: 100 }, { start: 240, length: 50 }], layout, 1), [{ start: 100, length: 50 }]);
  assert.deepEqual(areasInChunk([{ start: 50, length: 100 }, { start: 240, length: 50 }], layout, 2), [{ start: 240, length: 10 }]);
});

/** A full copy of `source` verified chunk by chunk, as precopy 0 leaves it. */
async function precopy0(dir: string, source: Buffer) {
  const disk = bufferDisk(source);
  const staging = join(dir, "d.raw");
  await transferDisk({ reader: disk, stagingPath: staging, chunkBytes: CHUNK });
  const first = await verifyUnverified(staging);
  assert.equal(first.checked, Math.ceil(source.length / CHUNK), "precopy 0 verifies every chunk once");
  assert.deepEqual(first.mismatched, []);
  return { disk, staging };
}

async function flip(path: string, at: number): Promise<void> {
  const fh = await open(path, "r+");
  const b = Buffer.alloc(1);
  await fh.read(b, 0, 1, at);
  await fh.write(Buffer.from([b[0] ^ 0xff]), 0, 1, at);
  await fh.close();
}

test("changed areas are read alone, only the chunks they touch are verified again, and the read-back proves the image", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "landfall-areas-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const source = randomBytes(8 * CHUNK + 4 * KiB);
  const { disk, staging } = await precopy0(dir, source);

  // The guest writes 3 areas; one spans two chunks.
  const areas = [
    { start: CHUNK - 4 * KiB, length: 8 * KiB },
    { start: 5 * CHUNK + 512, length: KiB },
    { start: 8 * CHUNK, length: 4 * KiB },
  ];
  for (const a of areas) randomBytes(a.length).copy(source, a.start);
  disk.served = 0;
  const applied = await applyChangedAreas({ reader: disk, stagingPath: staging, areas, signal: new AbortController().signal });
  assert.equal(applied.bytes, 13 * KiB);
  assert.equal(disk.served, 13 * KiB, "only the changed areas are read from the source");
  assert.equal(applied.chunks, 4);

  const pending = await verifyUnverified(staging);
  assert.equal(pending.checked, 4, "only the 4 chunks written since their verification are read back");
  assert.deepEqual(pending.mismatched, []);
  assert.equal((await verifyUnverified(staging)).checked, 0, "and then none");
  const image = await checkImageChunks(staging, "raw", staging);
  assert.deepEqual(image.mismatched, []);
  assert.equal(image.sha256, sha(source));
  assert.deepEqual(await readFile(staging), source);
});

test("damage to a chunk written after its last verification is caught; damage at rest in a verified chunk only by the full read-back", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "landfall-areas-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const source = randomBytes(8 * CHUNK);
  const { disk, staging } = await precopy0(dir, source);

  // Chunk 2 was verified in precopy 0 and is rewritten by precopy 1; the write lands damaged.
  randomBytes(KiB).copy(source, 2 * CHUNK + 100);
  await applyChangedAreas({ reader: disk, stagingPath: staging, areas: [{ start: 2 * CHUNK + 100, length: KiB }], signal: new AbortController().signal });
  await flip(staging, 2 * CHUNK + 150);
  // Chunk 6 was verified in precopy 0 and never rewritten; it rots at rest.
  await flip(staging, 6 * CHUNK + 7);

  const pending = await verifyUnverified(staging);
  assert.deepEqual(pending.mismatched, [{ start: 2 * CHUNK, length: CHUNK }], "the rewritten chunk is checked again and fails");
  assert.equal(pending.checked, 1, "the chunk not written since its verification is not read again");
  const image = await checkImageChunks(staging, "raw", staging);
  assert.deepEqual(image.mismatched, [2, 6].map((i) => ({ start: i * CHUNK, length: CHUNK })), "the full read-back checks every chunk");

  // Re-reading the failed chunks from the source repairs them (the digest of a whole chunk comes from the source).
  await applyChangedAreas({ reader: disk, stagingPath: staging, areas: image.mismatched, signal: new AbortController().signal });
  assert.deepEqual((await verifyUnverified(staging)).mismatched, []);
  assert.equal((await checkImageChunks(staging, "raw", staging)).sha256, sha(source));
});

test("a chunk verified and then rewritten is unverified before any byte of it is written (a copy that dies mid-way)", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "landfall-areas-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const source = randomBytes(8 * CHUNK);
  const { staging } = await precopy0(dir, source);
  const dying: DiskReader = {
    sizeBytes: source.length,
    async *readRange(offset: number) {
      if (offset >= 4 * CHUNK) throw new Error("source connection lost");
      yield randomBytes(KiB);
    },
    close: async () => {},
  };
  const areas = [1, 4, 7].map((i) => ({ start: i * CHUNK, length: KiB }));
  await assert.rejects(applyChangedAreas({ reader: dying, stagingPath: staging, areas, signal: new AbortController().signal, retries: 0 }), /connection lost/);
  const layout = chunkLayoutOf(await readFile(chunkDigestsPath(staging)));
  assert.ok(layout);
  assert.deepEqual(unverifiedChunks(await readVerifiedMarks(staging), layout, 8), [1, 4, 7], "every chunk the copy was to touch is unverified, written or not");
});

test("a staging file without its chunk digests is refused with what to do", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "landfall-areas-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const disk = bufferDisk(randomBytes(CHUNK));
  await assert.rejects(
    applyChangedAreas({ reader: disk, stagingPath: join(dir, "none.raw"), areas: [{ start: 0, length: 512 }], signal: new AbortController().signal }),
    /chunk digests .*none\.raw\.digests .* are missing .*precopy 0/,
  );
});

test("a raw image is checked by its data extents: the sha256 of every byte, holes included, and a byte set in a hole caught", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "landfall-areas-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // Data in chunks 0 and 5 only: the staging file is sparse everywhere else.
  const source = Buffer.alloc(8 * CHUNK);
  randomBytes(CHUNK / 2).copy(source, 100);
  randomBytes(8 * KiB).copy(source, 5 * CHUNK + 4 * KiB);
  const { staging } = await precopy0(dir, source);
  const clean = await checkImageChunks(staging, "raw", staging);
  assert.deepEqual(clean.mismatched, []);
  assert.equal(clean.sha256, sha(source), "the worker's running hash covers the holes as zeros");

  await flip(staging, 3 * CHUNK + 9); // a byte set where the file had a hole
  const damaged = await checkImageChunks(staging, "raw", staging);
  assert.deepEqual(damaged.mismatched, [{ start: 3 * CHUNK, length: CHUNK }], "the chunk holding it fails its digest");
  assert.equal(damaged.sha256, sha(await readFile(staging)), "the sha256 is the file's own, the byte included");
  assert.notEqual(damaged.sha256, sha(source));
});
