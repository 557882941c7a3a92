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

  test("leases stay within the bound: past it they wait, first asked first served, and an abort leaves the queue", async () => {
    const pool = new ChunkBufferPool();
    pool.bound(2);
    const a = await pool.lease(4096);
    const b = await pool.lease(4096);
    const served: string[] = [];
    const c = pool.lease(4096).then((x) => {
      served.push("c");
      return x;
    });
    const stop = new AbortController();
    const d = pool.lease(4096, stop.signal);
    const e = pool.lease(4096).then((x) => {
      served.push("e");
      return x;
    });
    assert.equal(pool.waiting, 3);
    stop.abort(new Error("transfer stopped"));
    await assert.rejects(d, /transfer stopped/);
    assert.equal(pool.waiting, 2);
    pool.give(b);
    assert.equal((await c).buffer, b.buffer, "the first waiting lease gets the buffer given back");
    pool.give(a);
    assert.equal((await e).buffer, a.buffer);
    assert.deepEqual(served, ["c", "e"]);
    assert.equal(pool.allocated, 2, "never more than the bound");
  });

  test("a lease past the bound drops free buffers of another size to make room; take() is not bound", async () => {
    const pool = new ChunkBufferPool();
    pool.give(pool.take(8192));
    pool.give(pool.take(8192));
    pool.bound(1);
    const a = await pool.lease(4096);
    assert.equal(a.length, 4096);
    assert.equal(pool.allocated, 1, "both free 8 KiB buffers dropped for it");
    const b = pool.take(4096);
    assert.equal(pool.allocated, 2, "take() allocates past the bound");
    const waiting = pool.lease(8192);
    pool.give(b);
    assert.equal(pool.waiting, 1, "still at the bound: a's buffer is out");
    pool.give(a);
    assert.equal((await waiting).length, 8192);
    assert.equal(pool.allocated, 1);
  });

  test("tryLease hands a buffer only when one can be had at once within the bound and no lease waits", async () => {
    const pool = new ChunkBufferPool();
    pool.bound(2);
    const a = pool.tryLease(4096);
    assert.ok(a, "room in the bound");
    const b = pool.tryLease(4096);
    assert.ok(b);
    assert.equal(pool.tryLease(4096), undefined, "at the bound it does not wait");
    const waiting = pool.lease(4096);
    pool.give(a);
    assert.equal((await waiting).buffer, a.buffer, "the waiting lease was served first");
    pool.give(b);
    const other = pool.tryLease(8192);
    assert.equal(other?.length, 8192, "b, free, was dropped to make room for another size");
    assert.equal(pool.tryLease(8192), undefined, "the bound is full again");
    assert.equal(pool.allocated, 2);
  });

  test("buffers taken past the bound are forgotten when given back, and a lowered bound drops free ones: the window is the bound again", () => {
    const pool = new ChunkBufferPool();
    pool.bound(1);
    const taken = [pool.take(4096), pool.take(4096), pool.take(4096)];
    assert.equal(pool.allocated, 3, "take() is not bound");
    for (const t of taken) pool.give(t);
    assert.equal(pool.allocated, 1);
    pool.bound(3);
    const more = [pool.take(4096), pool.take(4096), pool.take(4096)];
    for (const t of more) pool.give(t);
    assert.equal(pool.allocated, 3);
    pool.bound(1);
    assert.equal(pool.allocated, 1, "free buffers past the lowered bound dropped");
  });
});
