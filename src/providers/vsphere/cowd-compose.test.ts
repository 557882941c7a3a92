import assert from "node:assert/strict";
import { test } from "node:test";
import { overlay, runsFromGrains } from "./cowd-compose.ts";

test("runsFromGrains coalesces grains adjacent both on the disk and in the file", () => {
  // grains 0,1 at file sectors 10,11 (one run); grain 3 at 12 (not adjacent on disk); grain 4 at 20 (not in file).
  assert.deepEqual(runsFromGrains([10, 11, 0, 12, 20], 0, 512), [
    { start: 0, end: 1024, fileOffset: 5120 },
    { start: 1536, end: 2048, fileOffset: 6144 },
    { start: 2048, end: 2560, fileOffset: 10240 },
  ]);
  assert.deepEqual(runsFromGrains([7], 4096, 512), [{ start: 4096 * 512, end: 4097 * 512, fileOffset: 3584 }]);
});

test("overlay: the upper layer wins where layers overlap; the lower one fills around it", () => {
  const top = [{ start: 100, end: 200, fileOffset: 0 }];
  const lower = [
    { start: 0, end: 150, fileOffset: 1000 },
    { start: 180, end: 300, fileOffset: 5000 },
  ];
  assert.deepEqual(overlay([top, lower]), [
    { start: 0, end: 100, fileOffset: 1000, layer: 1 },
    { start: 100, end: 200, fileOffset: 0, layer: 0 },
    { start: 200, end: 300, fileOffset: 5020, layer: 1 },
  ]);
  // A lower run wholly covered contributes nothing; one spanning two upper runs fills the gap between them.
  assert.deepEqual(overlay([[{ start: 0, end: 10, fileOffset: 0 }, { start: 20, end: 30, fileOffset: 10 }], [{ start: 2, end: 28, fileOffset: 100 }]]), [
    { start: 0, end: 10, fileOffset: 0, layer: 0 },
    { start: 10, end: 20, fileOffset: 108, layer: 1 },
    { start: 20, end: 30, fileOffset: 10, layer: 0 },
  ]);
});
