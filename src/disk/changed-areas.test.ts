import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, open, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { DiskReader } from "../providers/contract.ts";
import { applyChangedAreas, touchedChunks, verifyChunks } from "./changed-areas.ts";
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

test("changed areas are read alone, chunk digests follow, and verification proves the result", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "landfall-areas-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const source = randomBytes(8 * CHUNK + 4 * KiB);
  const disk = bufferDisk(source);
  const staging = join(dir, "d.raw");
  await transferDisk({ reader: disk, stagingPath: staging, chunkBytes: CHUNK });

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

  const clean = await verifyChunks(staging);
  assert.deepEqual(clean.mismatched, []);
  assert.equal(clean.sha256, sha(source));
  assert.deepEqual(await readFile(staging), source);

  // A byte of the staging file damaged after the copy: its chunk, and only it, fails verification.
  const fh = await open(staging, "r+");
  await fh.write(Buffer.from([source[3 * CHUNK + 7] ^ 0xff]), 0, 1, 3 * CHUNK + 7);
  await fh.close();
  assert.deepEqual((await verifyChunks(staging)).mismatched, [{ start: 3 * CHUNK, length: CHUNK }]);
  // Re-reading that chunk from the source repairs it.
  await applyChangedAreas({ reader: disk, stagingPath: staging, areas: [{ start: 3 * CHUNK, length: CHUNK }], signal: new AbortController().signal });
  const repaired = await verifyChunks(staging);
  assert.deepEqual(repaired.mismatched, []);
  assert.equal(repaired.sha256, sha(source));
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
