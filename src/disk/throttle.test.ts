import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import { test } from "node:test";
import type { DiskReader } from "../providers/contract.ts";
import { throttledReader } from "./throttle.ts";

function memoryReader(size: number, piece: number): DiskReader {
  return {
    sizeBytes: size,
    async *readRange(offset, length) {
      for (let o = offset; o < offset + length; o += piece) yield new Uint8Array(Math.min(piece, offset + length - o));
    },
    close: async () => {},
  };
}

test("a throttled reader keeps the average rate at or under the limit and returns every byte", async () => {
  const reader = throttledReader(memoryReader(1 << 20, 64 << 10), 4 << 20); // 1 MiB at 4 MiB/s: at least ~250 ms
  const t0 = performance.now();
  let bytes = 0;
  for await (const chunk of reader.readRange(0, 1 << 20)) bytes += chunk.byteLength;
  const elapsed = performance.now() - t0;
  assert.equal(bytes, 1 << 20);
  assert.ok(elapsed >= 200, `read 1 MiB at a 4 MiB/s cap in ${elapsed.toFixed(0)} ms`);
});

test("aborting a throttled read rejects promptly", async () => {
  const reader = throttledReader(memoryReader(1 << 20, 64 << 10), 64 << 10); // 16 s for all of it
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error("stop")), 100);
  const t0 = performance.now();
  await assert.rejects(async () => {
    for await (const _ of reader.readRange(0, 1 << 20, ac.signal)) {
      // drain
    }
  }, /stop/);
  assert.ok(performance.now() - t0 < 2000);
});

test("waiting for the rate leaves no abort listener behind on the caller's signal", async () => {
  const reader = throttledReader(memoryReader(256 << 10, 16 << 10), 8 << 20); // 16 pieces, most of them wait
  const ac = new AbortController();
  let pieces = 0;
  for await (const _ of reader.readRange(0, 256 << 10, ac.signal)) pieces++;
  assert.equal(pieces, 16);
  assert.equal(getEventListeners(ac.signal, "abort").length, 0);
});

test("a reader that fills the caller's buffer keeps doing so through the throttle, in slices the rate admits", async () => {
  const requests: Array<[number, number]> = [];
  const inner: DiskReader = {
    ...memoryReader(1 << 20, 64 << 10),
    readRange: () => {
      throw new Error("streamed: the throttle dropped readInto");
    },
    async readInto(offset, into, _signal, onBytes) {
      requests.push([offset, into.length]);
      into.fill(offset / (128 << 10));
      onBytes?.(into.length);
    },
  };
  const reader = throttledReader(inner, 1 << 20); // 1 MiB/s: slices of 128 KiB, 512 KiB in at least ~375 ms
  const into = Buffer.alloc(512 << 10);
  const t0 = performance.now();
  let reported = 0;
  await reader.readInto?.(256 << 10, into, undefined, (n) => {
    reported += n;
  });
  const elapsed = performance.now() - t0;
  assert.deepEqual(requests, [0, 1, 2, 3].map((i) => [(256 << 10) + i * (128 << 10), 128 << 10]));
  assert.deepEqual([into[0], into[(128 << 10) + 1], into[into.length - 1]], [2, 3, 5], "each slice landed at its place");
  assert.equal(reported, 512 << 10);
  assert.ok(elapsed >= 300, `read 512 KiB at a 1 MiB/s cap in ${elapsed.toFixed(0)} ms`);
});
