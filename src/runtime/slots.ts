// A server-wide bound on concurrent work (disk transfers: `landfall serve --max-transfers N`). Holders take a
// slot with run(); the rest wait in FIFO order. A waiter whose signal aborts leaves the queue at once and
// rejects with the signal's reason, so a cancelled migration never holds or waits for a slot.

export class Slots {
  readonly #max: number;
  readonly #waiting: Array<{ grant: () => void }> = [];
  #held = 0;

  constructor(max: number) {
    if (!Number.isInteger(max) || max < 1) throw new Error(`slots: max ${max} must be a whole number of at least 1`);
    this.#max = max;
  }

  get max(): number {
    return this.#max;
  }

  get held(): number {
    return this.#held;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs fn once a slot is free and gives the slot back when fn settles. */
  async run<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    await this.#acquire(signal);
    try {
      return await fn();
    } finally {
      this.#release();
    }
  }

  #acquire(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.#held < this.#max) {
      this.#held++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal.removeEventListener("abort", onAbort);
          this.#held++;
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.#waiting.indexOf(waiter);
        if (i >= 0) this.#waiting.splice(i, 1);
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  #release(): void {
    this.#held--;
    this.#waiting.shift()?.grant();
  }
}
