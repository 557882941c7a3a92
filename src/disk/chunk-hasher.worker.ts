// The worker side of chunk-hasher.ts: per stream (one transfer) a running sha256 of the whole disk, and each
// chunk's own digest (the resume sidecar's, chunkDigest — the same function the rest of the pipeline uses; a
// constant for an all-zero chunk, so a mostly-empty disk is hashed once, not twice). Answers requests in order.
import { createHash, type Hash } from "node:crypto";
import { parentPort } from "node:worker_threads";
import type { HashReply, HashRequest } from "./chunk-hasher.ts";
import { chunkDigest } from "./chunk-digests.ts";

const port = parentPort;
if (!port) throw new Error("chunk-hasher.worker.ts runs only as a worker thread (new ChunkHasher())");
const running = new Map<number, Hash>();

function runningOf(stream: number): Hash {
  let hash = running.get(stream);
  if (!hash) {
    hash = createHash("sha256");
    running.set(stream, hash);
  }
  return hash;
}

// The digest of an all-zero chunk depends only on its length: one per length (the last chunk may be shorter).
const zeroDigests = new Map<number, Buffer>();

function zeroChunkDigest(length: number): Buffer {
  let digest = zeroDigests.get(length);
  if (!digest) {
    digest = chunkDigest(new Uint8Array(length));
    zeroDigests.set(length, digest);
  }
  return digest;
}

function answer(request: HashRequest): HashReply {
  switch (request.kind) {
    case "add": {
      runningOf(request.stream).update(request.view);
      return { kind: "add", digest: request.allZero ? zeroChunkDigest(request.view.length) : chunkDigest(request.view) };
    }
    case "check": {
      const matches = chunkDigest(request.view).equals(request.expected);
      if (matches) runningOf(request.stream).update(request.view);
      return { kind: "check", matches };
    }
    case "finish": {
      const hex = runningOf(request.stream).digest("hex");
      running.delete(request.stream);
      return { kind: "finish", hex };
    }
    case "drop":
      running.delete(request.stream);
      return { kind: "drop" };
  }
}

port.on("message", (request: HashRequest) => {
  try {
    port.postMessage(answer(request));
  } catch (error) {
    port.postMessage({ kind: "error", message: error instanceof Error ? error.message : String(error) } satisfies HashReply);
  }
});
