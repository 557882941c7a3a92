import assert from "node:assert/strict";
import { test } from "node:test";
import { dataExtents, zeroRange } from "./zero-blocks.ts";

test("an all-zero chunk has no data extents", () => {
  assert.deepEqual(dataExtents(new Uint8Array(256), 64), []);
});

test("finds data blocks, merges neighbours, keeps a short tail block", () => {
  const chunk = new Uint8Array(64 * 5 + 10);
  chunk[0] = 1; // block 0
  chunk[64 + 63] = 1; // block 1 (its last byte) → merged with block 0
  chunk[64 * 3] = 1; // block 3
  chunk[64 * 5 + 9] = 1; // 10-byte tail
  assert.deepEqual(dataExtents(chunk, 64), [
    { start: 0, end: 128 },
    { start: 192, end: 256 },
    { start: 320, end: 330 },
  ]);
});

test("works on a view into a larger buffer", () => {
  const backing = new Uint8Array(512).fill(7);
  const view = backing.subarray(128, 256);
  view.fill(0);
  view[70] = 9;
  assert.deepEqual(dataExtents(view, 64), [{ start: 64, end: 128 }]);
});

test("rejects a bad block size", () => {
  assert.throws(() => dataExtents(new Uint8Array(8), 0), /blockBytes 0/);
});

test("zeroRange zeros exactly [start, end) of a shared buffer, across the copy's 1 MiB steps", () => {
  const buffer = Buffer.from(new SharedArrayBuffer(3 * 1024 * 1024 + 100)).fill(7);
  zeroRange(buffer, 10, 2 * 1024 * 1024 + 50);
  assert.equal(buffer[9], 7);
  assert.equal(buffer.subarray(10, 2 * 1024 * 1024 + 50).every((b) => b === 0), true);
  assert.equal(buffer[2 * 1024 * 1024 + 50], 7);
  zeroRange(buffer, 5, 5);
  assert.equal(buffer[5], 7, "an empty range zeros nothing");
});
