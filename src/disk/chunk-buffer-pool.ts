// The process's chunk buffers (SharedArrayBuffers the sha256 worker reads in place), reused across transfers.
//
// A transfer leases a buffer for each chunk it reads and gives it back as soon as nothing may still read or write it:
// its read settled, its staging write and its hash done (transfer.ts). Leases share one bound, set by the composition
// from `serve --max-transfers` (bound()): a lease past it waits, first come first served, for a buffer given back —
// so the transfers running at once share one window instead of holding one each, and the memory they take does not
// grow with the number of disks. Each transfer leases its chunks in disk order and finishes them in that order, so
// the oldest waiting lease always belongs to a transfer whose earlier chunks hold buffers that come back without
// waiting for anything else: no deadlock. A staging file's read-back (raw-chunks.ts) leases one buffer and takes a
// second, for reading ahead, only if tryLease() finds one at once: it never holds one while waiting for another.
// take() is not bound (a resumed transfer's local check): it never waits. The buffers stay allocated while the server
// is idle: that is the price of a peak that does not grow with the number of transfers (a new window per transfer
// waits for a major GC to be freed: four back-to-back transfers grew arrayBuffers 21 → 63 MiB, bench/RESULTS.md).

/** Buffers by byte size: free ones, every one handed out and not yet given back, and the leases waiting for one. */
export class ChunkBufferPool {
  readonly #free = new Map<number, SharedArrayBuffer[]>();
  readonly #leased = new Set<SharedArrayBuffer>();
  readonly #waiting: Array<{ bytes: number; hand: (memory: SharedArrayBuffer) => void }> = [];
  #allocated = 0;
  #bound = Number.POSITIVE_INFINITY;

  /**
   * At most `buffers` buffers allocated for lease() (take() may allocate beyond it; those are forgotten when given
   * back while the pool is past its bound, as are free buffers past a lowered bound); Infinity: no bound.
   */
  bound(buffers: number): void {
    if (buffers !== Number.POSITIVE_INFINITY && !(Number.isInteger(buffers) && buffers >= 1)) throw new Error(`chunk buffer bound ${buffers} must be an integer >= 1`);
    this.#bound = buffers;
    while (this.#allocated > this.#bound && this.#dropFreeBuffer()) {}
    this.#serveWaiting();
  }

  /** A whole buffer of `bytes` (zero-filled only when new), at once, bound or not; give it back with give(). */
  take(bytes: number): Buffer {
    return this.#handOut(this.#free.get(bytes)?.pop() ?? this.#allocate(bytes));
  }

  /**
   * A whole buffer of `bytes`, within the bound: a free one, or a new one while fewer than the bound exist (free
   * buffers of other sizes are dropped to make room); else, after every lease asked before it, the first one given
   * back. Rejects when `signal` aborts first.
   */
  lease(bytes: number, signal?: AbortSignal): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const waiter = {
        bytes,
        hand: (memory: SharedArrayBuffer) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(this.#handOut(memory));
        },
      };
      const onAbort = () => {
        this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(waiter);
      this.#serveWaiting();
    });
  }

  /**
   * A whole buffer of `bytes` within the bound if one can be had now without waiting — no lease is waiting, and a free
   * one exists or the bound leaves room — else undefined. For a reader that gains from a second buffer but must not
   * hold one while waiting for another (readRawChunks' read-ahead).
   */
  tryLease(bytes: number): Buffer | undefined {
    const memory = this.#waiting.length === 0 ? this.#withinBound(bytes) : undefined;
    return memory && this.#handOut(memory);
  }

  /**
   * Hands a buffer from take(), lease() or tryLease() back (any view over it). Giving back one that is not out —
   * twice, or from elsewhere — throws: it would be handed to two users at once.
   */
  give(buffer: Buffer): void {
    const memory = buffer.buffer;
    if (!(memory instanceof SharedArrayBuffer) || !this.#leased.delete(memory)) {
      throw new Error(`chunk buffer of ${memory.byteLength} bytes given back to the pool but not handed out by it (given back twice?)`);
    }
    if (this.#allocated > this.#bound) {
      // One of take()'s past the bound (or from before it was lowered): forgotten, so the window is the bound again.
      this.#allocated--;
    } else {
      const free = this.#free.get(memory.byteLength) ?? [];
      free.push(memory);
      this.#free.set(memory.byteLength, free);
    }
    this.#serveWaiting();
  }

  /** Buffers handed out and not given back. */
  get leased(): number {
    return this.#leased.size;
  }

  /** Buffers this pool ever allocated (its memory: they are kept). */
  get allocated(): number {
    return this.#allocated;
  }

  /** Buffers waiting in lease(). */
  get waiting(): number {
    return this.#waiting.length;
  }

  #handOut(memory: SharedArrayBuffer): Buffer {
    this.#leased.add(memory);
    return Buffer.from(memory);
  }

  #allocate(bytes: number): SharedArrayBuffer {
    this.#allocated++;
    return new SharedArrayBuffer(bytes);
  }

  /** Leases in the order they were asked, as far as free buffers and the bound allow. */
  #serveWaiting(): void {
    for (let waiter = this.#waiting[0]; waiter; waiter = this.#waiting[0]) {
      const memory = this.#withinBound(waiter.bytes);
      if (!memory) return;
      this.#waiting.shift();
      waiter.hand(memory);
    }
  }

  /** A free buffer of `bytes`, or a new one while the bound leaves room (dropping free ones of other sizes); else none. */
  #withinBound(bytes: number): SharedArrayBuffer | undefined {
    const free = this.#free.get(bytes)?.pop();
    if (free) return free;
    while (this.#allocated >= this.#bound && this.#dropFreeBuffer()) {}
    return this.#allocated < this.#bound ? this.#allocate(bytes) : undefined;
  }

  /** Forgets one free buffer (of any size), so that another may be allocated within the bound. */
  #dropFreeBuffer(): boolean {
    for (const free of this.#free.values()) {
      if (free.pop()) {
        this.#allocated--;
        return true;
      }
    }
    return false;
  }
}

/** The pool every transfer of the process uses. */
export const chunkBuffers = new ChunkBufferPool();
