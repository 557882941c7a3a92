import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ChunkBufferPool } from "./chunk-buffer-pool.ts";

describe("ChunkBufferPool", () => {
  test("a buffer out is never handed out again until given back; then it is reused, not reallocated", () => {
    const pool = new ChunkBufferPool();
    const a = pool.take(4096);
    const b = pool.take(4096);
    assert.notEqual(a.buffer, b.buffer);
    a.fill(1);
    b.fill(2);
    assert.ok(b.every((byte) => byte === 2), "writing one buffer changed another that is out");
    pool.give(a.subarray(0, 100)); // any view over it gives it back
    const c = pool.take(4096);
    assert.equal(c.buffer, a.buffer);
    assert.equal(c.length, 4096);
    assert.equal(pool.allocated, 2);
    assert.equal(pool.leased, 2);
  });

  test("sizes are kept apart", () => {
    const pool = new ChunkBufferPool();
    pool.give(pool.take(4096));
    assert.equal(pool.take(8192).length, 8192);
    assert.equal(pool.allocated, 2);
  });

  test("giving a buffer back twice, or one it did not hand out, throws instead of sharing it", () => {
    const pool = new ChunkBufferPool();
    const a = pool.take(4096);
    pool.give(a);
    assert.throws(() => pool.give(a), /given back to the pool but not handed out by it/);
    assert.throws(() => pool.give(Buffer.from(new SharedArrayBuffer(4096))), /not handed out by it/);
    assert.throws(() => pool.give(Buffer.alloc(4096)), /not handed out by it/);
    assert.equal(pool.leased, 0);
  });
});
