// The transfer's two sha256 passes — the running hash of the whole disk and each chunk's digest for the resume
// sidecar — run in a worker thread, on the second core, instead of on the event loop that decrypts the source's
// TLS and writes the staging file (13 % of the server's samples in a 1 GiB migration, bench/RESULTS.md).
//
// No byte is copied: chunks live in SharedArrayBuffers and the worker reads them in place. The caller owns the
// discipline that keeps the hash of exactly the source's bytes: a chunk handed over is not written again until
// its reply has arrived (the transfer returns a buffer to its pool only then). Requests are answered in order,
// so each transfer's running hash covers its chunks in the order they were handed over. Concurrent transfers share
// one worker (an isolate is ~20 MiB of RSS), each with its own running hash.
import { Worker } from "node:worker_threads";

/**
 * One request to the worker, for one transfer's `stream`; `view` is a Uint8Array over a SharedArrayBuffer (shared,
 * not copied).
 */
export type HashRequest =
  /**
   * Add the chunk to the running hash and reply with its own digest. `allZero` (the caller found no non-zero
   * byte in it) lets the worker answer with the zero chunk's digest, a constant, instead of hashing it twice.
   */
  | { kind: "add"; stream: number; view: Uint8Array; allZero: boolean }
  /** Reply whether the chunk's digest is `expected`; add it to the running hash only when it is. */
  | { kind: "check"; stream: number; view: Uint8Array; expected: Uint8Array }
  /** Reply with the running hash's hex digest and forget the stream. */
  | { kind: "finish"; stream: number }
  /** Forget the stream (its transfer ended without finishing). */
  | { kind: "drop"; stream: number };

export type HashReply =
  | { kind: "add"; digest: Uint8Array }
  | { kind: "check"; matches: boolean }
  | { kind: "finish"; hex: string }
  | { kind: "drop" }
  | { kind: "error"; message: string };

/**
 * The worker's heap is bounded: it allocates only digests and its loaded modules (heapUsed ~11 MiB measured), so a
 * leak there fails the transfer with "reached memory limit" instead of growing the server. A small young generation,
 * like the server's own (bin/landfall). The limits do not make the isolate cheaper: it costs ~21 MiB of RSS with or
 * without them (bench/RESULTS.md); an old generation of 4 MiB is too small to load the module.
 */
const HASH_WORKER_LIMITS = { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16 };

/**
 * One worker for every transfer of the process: a V8 isolate costs ~20 MiB of RSS, so concurrent transfers share it
 * (each with its own running hash; their chunks are hashed in arrival order), and it stops when the last one closes.
 */
class HashWorker {
  readonly #worker: Worker;
  readonly #waiting: Array<{ resolve: (reply: HashReply) => void; reject: (error: Error) => void }> = [];
  #failure: Error | undefined;
  users = 0;
  #streams = 0;

  constructor() {
    this.#worker = new Worker(new URL("./chunk-hasher.worker.ts", import.meta.url), { resourceLimits: HASH_WORKER_LIMITS });
    this.#worker.on("message", (reply: HashReply) => {
      const waiter = this.#waiting.shift();
      if (reply.kind === "error") waiter?.reject(new Error(`sha256 worker: ${reply.message}`));
      else waiter?.resolve(reply);
    });
    this.#worker.on("error", (error) => this.#fail(new Error(`sha256 worker failed: ${error.message}`)));
    this.#worker.on("exit", (code) => this.#fail(new Error(`sha256 worker exited (code ${code}) with ${this.#waiting.length} requests unanswered`)));
  }

  newStream(): number {
    return this.#streams++;
  }

  ask(request: HashRequest): Promise<HashReply> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise<HashReply>((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#worker.postMessage(request);
    });
  }

  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#failure);
  }
}

let sharedWorker: HashWorker | undefined;

/** The sha256 passes of one transfer, on the process's hash worker. Close it when the transfer ends. */
export class ChunkHasher {
  readonly #host: HashWorker;
  readonly #stream: number;
  #closed = false;

  constructor() {
    sharedWorker ??= new HashWorker();
    this.#host = sharedWorker;
    this.#host.users++;
    this.#stream = this.#host.newStream();
  }

  /**
   * Adds `chunk` to the running hash; resolves with the chunk's own sha256 (32 bytes). Pass `allZero` only for a
   * chunk known to hold nothing but zeros (dataExtents found none): its digest is then not computed again.
   */
  async add(chunk: Buffer, allZero = false): Promise<Buffer> {
    const reply = await this.#ask({ kind: "add", stream: this.#stream, view: sharedView(chunk), allZero });
    if (reply.kind !== "add") throw new Error(`sha256 worker answered ${reply.kind} to add`);
    return Buffer.from(reply.digest);
  }

  /** Whether `chunk`'s sha256 is `expected`; only a matching chunk is added to the running hash. */
  async check(chunk: Buffer, expected: Buffer): Promise<boolean> {
    const reply = await this.#ask({ kind: "check", stream: this.#stream, view: sharedView(chunk), expected: new Uint8Array(expected) });
    if (reply.kind !== "check") throw new Error(`sha256 worker answered ${reply.kind} to check`);
    return reply.matches;
  }

  /** "sha256:<hex>" of every chunk added, in order. */
  async finish(): Promise<string> {
    const reply = await this.#ask({ kind: "finish", stream: this.#stream });
    if (reply.kind !== "finish") throw new Error(`sha256 worker answered ${reply.kind} to finish`);
    return `sha256:${reply.hex}`;
  }

  /** Ends this transfer's hashing; the last one to close stops the worker (its unanswered requests reject). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (--this.#host.users > 0) {
      await this.#host.ask({ kind: "drop", stream: this.#stream }).catch(() => {}); // a failed worker holds nothing
      return;
    }
    if (sharedWorker === this.#host) sharedWorker = undefined;
    await this.#host.terminate();
  }

  #ask(request: HashRequest): Promise<HashReply> {
    if (this.#closed) return Promise.reject(new Error(`sha256 stream ${this.#stream} is closed`));
    return this.#host.ask(request);
  }
}

function sharedView(chunk: Buffer): Uint8Array {
  if (!(chunk.buffer instanceof SharedArrayBuffer)) {
    throw new Error("a chunk for the sha256 worker must be backed by a SharedArrayBuffer (chunkBuffers.take, chunk-buffer-pool.ts); copying it would cost a third pass");
  }
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
}
