// Per-key exponential backoff for failed reconciles: base·2^failures, capped, with a little jitter so keys
// that failed together do not retry in lockstep. Pure apart from the injected random source.

export interface BackoffOptions {
  /** First delay. Default 200 ms. */
  baseMs?: number;
  /** Ceiling. Default 5 min. */
  maxMs?: number;
  /** Fraction of the delay added at random, 0..jitter. Default 0.1. */
  jitter?: number;
  random?: () => number;
}

/** The delay before retry number `failures` (0 = first retry), without jitter. */
export function backoffDelay(failures: number, baseMs: number, maxMs: number): number {
  // 2^failures overflows to Infinity for large counts, which the cap absorbs.
  return Math.min(maxMs, baseMs * 2 ** failures);
}

export class KeyBackoff {
  readonly #failures = new Map<string, number>();
  readonly #base: number;
  readonly #max: number;
  readonly #jitter: number;
  readonly #random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.#base = opts.baseMs ?? 200;
    this.#max = opts.maxMs ?? 5 * 60_000;
    this.#jitter = opts.jitter ?? 0.1;
    this.#random = opts.random ?? Math.random;
    if (!(this.#base > 0) || !(this.#max >= this.#base)) {
      throw new Error(`backoff baseMs ${this.#base} / maxMs ${this.#max}: need 0 < baseMs <= maxMs`);
    }
  }

  /** Records a failure of key and returns how long to wait before retrying it. */
  when(key: string): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    const delay = backoffDelay(failures, this.#base, this.#max);
    return Math.min(this.#max, Math.round(delay * (1 + this.#jitter * this.#random())));
  }

  /** Failures recorded for key since the last forget. */
  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }
}
