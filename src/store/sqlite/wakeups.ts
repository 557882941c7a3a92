// Wakes watchers when their kind changes. Watchers read events from the database themselves, so a writer
// only flips a promise: it never waits for, or buffers on behalf of, a slow watcher.
export class Wakeups {
  readonly #waiting = new Map<string, Set<() => void>>();
  #closed = false;

  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves at the next change of `kind`, when `signal` aborts, or when the store closes. */
  next(kind: string, signal?: AbortSignal): Promise<void> {
    if (this.#closed || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      let set = this.#waiting.get(kind);
      if (!set) {
        set = new Set();
        this.#waiting.set(kind, set);
      }
      const wake = () => {
        set.delete(wake);
        signal?.removeEventListener("abort", wake);
        resolve();
      };
      set.add(wake);
      signal?.addEventListener("abort", wake, { once: true });
    });
  }

  notify(kind: string): void {
    const set = this.#waiting.get(kind);
    if (!set) return;
    for (const wake of [...set]) wake();
  }

  close(): void {
    this.#closed = true;
    for (const kind of [...this.#waiting.keys()]) this.notify(kind);
  }
}
