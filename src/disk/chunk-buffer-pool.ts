// The process's chunk buffers (SharedArrayBuffers the sha256 worker reads in place), reused across transfers.
//
// A transfer takes its window's buffers here and gives each back only when nothing may still read or write it: its
// read settled, its staging write and its hash done (transfer.ts). A buffer given back is handed out again, so the
// process holds the buffers of its highest concurrent demand — (concurrency + 1) per running transfer, at most
// `serve --max-transfers` of them — instead of a new window per transfer whose memory waits for a major GC (four
// back-to-back transfers grew arrayBuffers 21 → 63 MiB, bench/RESULTS.md). They stay allocated while the server
// is idle: that is the price of a peak that does not grow with the number of transfers.

/** Buffers of one byte size: free ones, and every one handed out and not yet given back. */
export class ChunkBufferPool {
  readonly #free = new Map<number, SharedArrayBuffer[]>();
  readonly #leased = new Set<SharedArrayBuffer>();
  #allocated = 0;

  /** A whole buffer of `bytes` (zero-filled only when new); give it back with give(). */
  take(bytes: number): Buffer {
    const memory = this.#free.get(bytes)?.pop() ?? this.#allocate(bytes);
    this.#leased.add(memory);
    return Buffer.from(memory);
  }

  /**
   * Hands a buffer from take() back (any view over it). Giving back one that is not out — twice, or from elsewhere —
   * throws: it would be handed to two users at once.
   */
  give(buffer: Buffer): void {
    const memory = buffer.buffer;
    if (!(memory instanceof SharedArrayBuffer) || !this.#leased.delete(memory)) {
      throw new Error(`chunk buffer of ${memory.byteLength} bytes given back to the pool but not handed out by it (given back twice?)`);
    }
    const free = this.#free.get(memory.byteLength) ?? [];
    free.push(memory);
    this.#free.set(memory.byteLength, free);
  }

  /** Buffers handed out and not given back. */
  get leased(): number {
    return this.#leased.size;
  }

  /** Buffers this pool ever allocated (its memory: they are kept). */
  get allocated(): number {
    return this.#allocated;
  }

  #allocate(bytes: number): SharedArrayBuffer {
    this.#allocated++;
    return new SharedArrayBuffer(bytes);
  }
}

/** The pool every transfer of the process uses. */
export const chunkBuffers = new ChunkBufferPool();
