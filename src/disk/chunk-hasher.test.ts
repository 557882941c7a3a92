import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { chunkDigest } from "./chunk-digests.ts";
import { ChunkHasher } from "./chunk-hasher.ts";

function sharedChunkBuffer(bytes: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(bytes));
}

function shared(bytes: Buffer): Buffer {
  const buffer = sharedChunkBuffer(bytes.length);
  bytes.copy(buffer);
  return buffer;
}

describe("ChunkHasher (the transfer's sha256 worker)", () => {
  test("the running hash is of the chunks in the order handed over; each reply is that chunk's own digest", async () => {
    const chunks = [randomBytes(100_000), randomBytes(4096), randomBytes(1)];
    const hasher = new ChunkHasher();
    try {
      const digests = await Promise.all(chunks.map((chunk) => hasher.add(shared(chunk))));
      assert.deepEqual(digests, chunks.map(chunkDigest));
      assert.equal(await hasher.finish(), `sha256:${createHash("sha256").update(Buffer.concat(chunks)).digest("hex")}`);
    } finally {
      await hasher.close();
    }
  });

  test("an all-zero chunk gets the zero chunk's digest for its own length, and its zeros are in the running hash", async () => {
    const hasher = new ChunkHasher();
    try {
      const [full, short] = [sharedChunkBuffer(65_536), sharedChunkBuffer(4096)];
      assert.deepEqual(await hasher.add(full, true), chunkDigest(Buffer.alloc(65_536)));
      assert.deepEqual(await hasher.add(short, true), chunkDigest(Buffer.alloc(4096)));
      assert.deepEqual(await hasher.add(full, true), chunkDigest(Buffer.alloc(65_536)));
      assert.equal(await hasher.finish(), `sha256:${createHash("sha256").update(Buffer.alloc(65_536 * 2 + 4096)).digest("hex")}`);
    } finally {
      await hasher.close();
    }
  });

  test("check adds a chunk to the running hash only when its digest matches", async () => {
    const [a, b] = [randomBytes(8192), randomBytes(8192)];
    const hasher = new ChunkHasher();
    try {
      assert.equal(await hasher.check(shared(a), chunkDigest(b)), false);
      assert.equal(await hasher.check(shared(a), chunkDigest(a)), true);
      await hasher.add(shared(b));
      assert.equal(await hasher.finish(), `sha256:${createHash("sha256").update(a).update(b).digest("hex")}`);
    } finally {
      await hasher.close();
    }
  });

  test("concurrent transfers share the worker, each with its own running hash; one closing leaves the other working", async () => {
    const [a1, a2, b1, b2] = [randomBytes(70_000), randomBytes(5000), randomBytes(4096), randomBytes(123)];
    const a = new ChunkHasher();
    const b = new ChunkHasher();
    const c = new ChunkHasher();
    try {
      await Promise.all([a.add(shared(a1)), b.add(shared(b1)), c.add(shared(b2)), a.add(shared(a2)), b.add(shared(b2))]);
      await c.close();
      assert.equal(await a.finish(), `sha256:${createHash("sha256").update(a1).update(a2).digest("hex")}`);
      assert.equal(await b.finish(), `sha256:${createHash("sha256").update(b1).update(b2).digest("hex")}`);
      await assert.rejects(c.add(shared(b2)), /stream \d+ is closed/);
    } finally {
      await Promise.all([a.close(), b.close(), c.close()]);
    }
  });

  test("a chunk not in shared memory is refused (the worker would need a copy of it)", async () => {
    const hasher = new ChunkHasher();
    try {
      await assert.rejects(hasher.add(Buffer.alloc(4096)), /must be backed by a SharedArrayBuffer/);
    } finally {
      await hasher.close();
    }
  });

  test("the last transfer closing stops the worker: its unanswered requests and every later one reject instead of hanging", async () => {
    const hasher = new ChunkHasher();
    const big = sharedChunkBuffer(64 * 1024 * 1024);
    const pending = [hasher.add(big), hasher.add(big), hasher.finish()];
    // Observed before the worker stops, so no rejection goes unhandled while close() is awaited.
    const rejected = Promise.all(pending.map((request) => assert.rejects(request, /sha256 worker exited/)));
    await hasher.close();
    await rejected;
    await assert.rejects(hasher.add(sharedChunkBuffer(16)), /sha256 stream \d+ is closed/);
  });
});
