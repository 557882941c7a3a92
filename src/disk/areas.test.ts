// Area arithmetic, and writeAreasInto against the real qemu-img: the changed ranges of a raw file written into a qcow2 in place.
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { imageSha256 } from "./checksum.ts";
import { areasByChunk, mergeAreas, sectorAligned } from "./areas.ts";
import { convertImage, writeAreasInto } from "./convert.ts";

const MiB = 1024 * 1024;
const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

test("mergeAreas sorts and joins overlapping and adjacent areas", () => {
  assert.deepEqual(
    mergeAreas([
      { start: 10, length: 5 },
      { start: 0, length: 4 },
      { start: 4, length: 2 },
      { start: 12, length: 10 },
      { start: 30, length: 0 },
    ]),
    [
      { start: 0, length: 6 },
      { start: 10, length: 12 },
    ],
  );
});

test("sectorAligned widens an area to whole sectors within the disk", () => {
  assert.deepEqual(sectorAligned({ start: 1000, length: 30 }, 4096), { start: 512, length: 1024 });
  assert.deepEqual(sectorAligned({ start: 4000, length: 200 }, 4100), { start: 3584, length: 516 });
});

test("writeAreasInto writes exactly the given ranges of the raw file into the qcow2, nothing else", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), "landfall-areas-into-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const bytes = randomBytes(8 * MiB);
  const raw = join(dir, "d, with comma.raw");
  const image = join(dir, "d.qcow2");
  await writeFile(raw, bytes);
  await convertImage({ src: raw, srcFormat: "raw", dest: image, destFormat: "qcow2" });

  // The raw file changes in three places (one of them zeroes); only two are handed over.
  const areas = [
    { start: MiB + 512, length: 3000 },
    { start: 5 * MiB, length: MiB },
  ];
  randomBytes(3000).copy(bytes, MiB + 512);
  bytes.fill(0, 5 * MiB, 6 * MiB);
  const expected = Buffer.from(bytes);
  randomBytes(100).copy(bytes, 7 * MiB);
  const fh = await open(raw, "r+");
  await fh.write(bytes, 0, bytes.length, 0);
  await fh.close();

  assert.equal(await writeAreasInto(raw, image, "qcow2", areas), 2);
  assert.equal(await imageSha256(image, "qcow2"), sha(expected), "the two ranges changed, the third did not");
  await assert.rejects(writeAreasInto(raw, image, "qcow3", areas), /destFormat "qcow3" is not a supported image format/);
});

test("areasByChunk clips to the disk, splits at chunk edges and joins what touches", () => {
  const of = areasByChunk([{ start: 9, length: 3 }, { start: 0, length: 4 }, { start: 4, length: 2 }, { start: 14, length: 100 }], 8, 16);
  assert.deepEqual([of(0), of(1), of(2)], [[{ start: 0, end: 6 }], [{ start: 1, end: 4 }, { start: 6, end: 8 }], []]);
  // Asked in any order, and an area spanning chunks is cut at each edge.
  const across = areasByChunk([{ start: 5, length: 20 }, { start: 30, length: 1 }], 8, 32);
  assert.deepEqual([3, 0, 2, 1].map(across), [[{ start: 0, end: 1 }, { start: 6, end: 7 }], [{ start: 5, end: 8 }], [{ start: 0, end: 8 }], [{ start: 0, end: 8 }]]);
  assert.deepEqual(areasByChunk([], 8, 16)(0), []);
});
