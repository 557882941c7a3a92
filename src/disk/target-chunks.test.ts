// The warm target image's own chunk verification against the real qemu-img/qemu-nbd: what a precopy writes into
// the qcow2 is read back and checked against the staging file's source digests; only the chunks written since
// their last verification are read again; damage there is caught, a mark lost before a write costs one more check.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { DiskReader } from "../providers/contract.ts";
import { applyChangedAreas, verifyUnverified } from "./changed-areas.ts";
import { readVerifiedMarks, unverifiedChunks } from "./chunk-verified.ts";
import { convertImage, writeAreasInto } from "./convert.ts";
import { chunkRuns, markImageAreasWritten, verifyImageUnverified } from "./target-chunks.ts";
import { transferDisk } from "./transfer.ts";

const KiB = 1024;
const CHUNK = 256 * KiB;
const layout = { chunkBytes: CHUNK, sizeBytes: 8 * CHUNK };

function bufferDisk(bytes: Buffer): DiskReader {
  return {
    sizeBytes: bytes.length,
    async *readRange(offset: number, length: number) {
      yield Buffer.from(bytes.subarray(offset, offset + length));
    },
    close: async () => {},
  };
}

/** Overwrites 512 guest bytes of the qcow2 at `at` with a pattern, through qemu (the file's own bytes are not the guest's). */
const damage = (image: string, at: number) => execFileSync("qemu-io", ["-f", "qcow2", "-c", `write -P 0x5a ${at} 512`, image], { stdio: "ignore" });

test("chunkRuns joins consecutive chunks into byte ranges and clips the last chunk to the disk", () => {
  assert.deepEqual(chunkRuns([0, 1, 2, 5, 7], { chunkBytes: 100, sizeBytes: 750 }), [
    { start: 0, length: 300 },
    { start: 500, length: 100 },
    { start: 700, length: 50 },
  ]);
  assert.deepEqual(chunkRuns([], layout), []);
});

test("the target image is read back only where written since its last check; damage there is caught, a lost mark costs one more check", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "landfall-target-chunks-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const source = randomBytes(layout.sizeBytes);
  const disk = bufferDisk(source);
  const staging = join(dir, "d.raw");
  const image = join(dir, "d.qcow2");
  await transferDisk({ reader: disk, stagingPath: staging, chunkBytes: CHUNK });
  assert.deepEqual((await verifyUnverified(staging)).mismatched, []);
  await convertImage({ src: staging, srcFormat: "raw", dest: image, destFormat: "qcow2" });

  const first = await verifyImageUnverified(image, "qcow2", staging);
  assert.deepEqual(first, { checked: 8, mismatched: [] }, "precopy 0 reads the whole converted image back once");
  assert.equal((await verifyImageUnverified(image, "qcow2", staging)).checked, 0, "then nothing is unverified");

  // Precopy 1 rewrites part of chunk 2 (verified in precopy 0); the write into the image lands damaged.
  const areas = [{ start: 2 * CHUNK + 1000, length: 4 * KiB }];
  randomBytes(4 * KiB).copy(source, areas[0].start);
  await applyChangedAreas({ reader: disk, stagingPath: staging, areas });
  assert.deepEqual((await verifyUnverified(staging)).mismatched, []);
  await markImageAreasWritten(image, staging, areas);
  assert.deepEqual(unverifiedChunks(await readVerifiedMarks(image), layout, 8), [2], "chunk 2 is unverified before any byte of it is written");
  await writeAreasInto(staging, image, "qcow2", areas);
  damage(image, 2 * CHUNK + 1024);
  // Chunk 6 was verified and is not rewritten: damage at rest there is not what this check reads.
  damage(image, 6 * CHUNK);
  const second = await verifyImageUnverified(image, "qcow2", staging);
  assert.equal(second.checked, 1, "only the chunk written since its verification is read back");
  assert.deepEqual(second.mismatched, [{ start: 2 * CHUNK, length: CHUNK }], "the damaged write is caught");

  // Written again from the staging file: it passes and is marked verified.
  await writeAreasInto(staging, image, "qcow2", second.mismatched);
  assert.deepEqual(await verifyImageUnverified(image, "qcow2", staging), { checked: 1, mismatched: [] });
  assert.equal((await verifyImageUnverified(image, "qcow2", staging)).checked, 0);

  // A crash after the mark and before the write: the chunk is simply checked again (and still matches).
  await markImageAreasWritten(image, staging, [{ start: 4 * CHUNK, length: 1 }]);
  assert.deepEqual(await verifyImageUnverified(image, "qcow2", staging), { checked: 1, mismatched: [] });
});
