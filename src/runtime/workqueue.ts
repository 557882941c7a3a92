// The rate-limited work queue of one controller (client-go's workqueue semantics):
// - a key waiting in the queue is held once, however often it is added (dedup);
// - a key being processed is never handed to a second worker; added meanwhile, it is queued again at done();
// - delayed adds share one timer armed for the earliest due key; for one key the earliest due time wins;
// - addRateLimited backs off per key until forget().
import { type BackoffOptions, KeyBackoff } from "./backoff.ts";
import { type Clock, realClock, type TimerHandle } from "./clock.ts";

export interface WorkQueueOptions {
  clock?: Clock;
  backoff?: KeyBackoff | BackoffOptions;
}

export class WorkQueue {
  readonly #clock: Clock;
  readonly #backoff: KeyBackoff;
  /** Ready keys in FIFO order. */
  readonly #queue: string[] = [];
  /** Keys that need processing: queued, or re-added while processing. */
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  /** Delayed keys → due time (ms since epoch, clock time). */
  readonly #delayed = new Map<string, number>();
  #timer: TimerHandle | undefined;
  #timerDue = Number.POSITIVE_INFINITY;
  #waiters: Array<(key: string | undefined) => void> = [];
  #shuttingDown = false;

  constructor(opts: WorkQueueOptions = {}) {
    this.#clock = opts.clock ?? realClock;
    this.#backoff = opts.backoff instanceof KeyBackoff ? opts.backoff : new KeyBackoff(opts.backoff);
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#enqueue(key);
  }

  /** Adds key after ms; a key already waiting for an earlier time keeps that time. */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (!(ms > 0)) {
      this.add(key);
      return;
    }
    const due = this.#clock.now() + ms;
    const current = this.#delayed.get(key);
    if (current !== undefined && current <= due) return;
    this.#delayed.set(key, due);
    // A later key than the armed timer's changes nothing: no scan of every delayed key (10,000 requeues at
    // fleet size made each add a full pass).
    if (this.#timer && due >= this.#timerDue) return;
    this.#armTimer();
  }

  /** Adds key after its next backoff delay. */
  addRateLimited(key: string): void {
    this.addAfter(key, this.#backoff.when(key));
  }

  /** Clears key's failure history (call after a successful reconcile). */
  forget(key: string): void {
    this.#backoff.forget(key);
  }

  /** Failures since the last forget. */
  numRequeues(key: string): number {
    return this.#backoff.failures(key);
  }

  /**
   * The next key to process; undefined once the queue is shut down. The key stays "processing" until done(key).
   */
  get(): Promise<string | undefined> {
    const key = this.#take();
    if (key !== undefined || this.#shuttingDown) return Promise.resolve(key);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Marks key finished; if it was added while processing, it is queued again. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#enqueue(key);
  }

  /** Keys ready to be processed (the queue depth metric). */
  get length(): number {
    return this.#queue.length;
  }

  /** Keys waiting for their delay to pass. */
  get delayedCount(): number {
    return this.#delayed.size;
  }

  get processingCount(): number {
    return this.#processing.size;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** Stops handing out keys: waiting get() calls resolve undefined; delays are dropped. */
  shutDown(): void {
    this.#shuttingDown = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#delayed.clear();
    this.#queue.length = 0;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w(undefined);
  }

  #enqueue(key: string): void {
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#dirty.delete(key);
      this.#processing.add(key);
      waiter(key);
      return;
    }
    this.#queue.push(key);
  }

  #take(): string | undefined {
    const key = this.#queue.shift();
    if (key === undefined) return undefined;
    this.#dirty.delete(key);
    this.#processing.add(key);
    return key;
  }

  #armTimer(): void {
    let earliest = Number.POSITIVE_INFINITY;
    for (const due of this.#delayed.values()) earliest = Math.min(earliest, due);
    if (earliest === this.#timerDue && this.#timer) return;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#timerDue = earliest;
    if (earliest === Number.POSITIVE_INFINITY) return;
    this.#timer = this.#clock.setTimer(() => this.#fireDue(), earliest - this.#clock.now());
  }

  #fireDue(): void {
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
    const now = this.#clock.now();
    const due = [...this.#delayed].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1]);
    for (const [key] of due) {
      this.#delayed.delete(key);
      this.add(key);
    }
    this.#armTimer();
  }
}
