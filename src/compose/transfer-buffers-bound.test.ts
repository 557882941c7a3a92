// The server bounds the chunk buffers its disk transfers lease to one window (chunk-buffer-pool.ts, transfer.ts
// transferBufferBound): started with --max-transfers 2, a lease past that window waits for one given back. The pool
// is process-wide, so this runs in its own file (its own process).
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { chunkBuffers } from "../disk/chunk-buffer-pool.ts";
import { transferBufferBound } from "../disk/transfer.ts";
import { startEmbedded } from "./embedded.ts";

test("the server's transfers share one window of chunk buffers: past it a lease waits", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "landfall-bound-"));
  const emb = await startEmbedded({ dataDir, listen: "127.0.0.1:0", kubeListen: "127.0.0.1:0", controllers: [], version: "test", maxTransfers: 2 });
  try {
    const bytes = 64 * 1024;
    const window = await Promise.all(Array.from({ length: transferBufferBound(2) }, () => chunkBuffers.lease(bytes)));
    const next = chunkBuffers.lease(bytes);
    assert.equal(chunkBuffers.waiting, 1, "a lease past the window did not wait: the server set no bound");
    chunkBuffers.give(window[0] as Buffer);
    assert.equal((await next).buffer, (window[0] as Buffer).buffer, "it gets the buffer given back");
    assert.equal(chunkBuffers.allocated, transferBufferBound(2));
  } finally {
    await emb.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});
