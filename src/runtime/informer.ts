// Informer: list+watch one kind into a cache keyed `namespace/name` and tell handlers what changed.
// On a broken watch or 410 Gone it lists again (with backoff), diffing the fresh list against the cache so
// handlers see the deletes and updates they missed. Resync re-delivers every cached object periodically so
// level-triggered controllers re-check the world even when nothing in the store changed.
import { isApiError } from "../api/errors.ts";
import type { KubeObject } from "../api/meta.ts";
import type { ResourceStore, WatchEvent } from "../store/types.ts";
import { backoffDelay } from "./backoff.ts";
import { type Clock, realClock, type TimerHandle } from "./clock.ts";
import { keyOf } from "./keys.ts";
import { type Logger, silentLogger } from "./logger.ts";
import { partialMetadata } from "./partial-metadata.ts";

export interface InformerHandlers<T extends KubeObject = KubeObject> {
  onAdd?(obj: T): void;
  /** Also called on resync with old === new. */
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T): void;
}

export interface InformerOptions {
  store: ResourceStore;
  kind: string;
  namespace?: string;
  labelSelector?: string;
  /** Re-deliver every cached object this often; 0 disables. Default 5 min. */
  resyncMs?: number;
  logger?: Logger;
  clock?: Clock;
  /** Relist backoff after a failure: base and cap. Default 100 ms .. 30 s. */
  relistBackoff?: { baseMs: number; maxMs: number };
  /**
   * Cache and deliver only each object's identity and versions (partial-metadata.ts), e.g. for Secrets, whose
   * values must not sit decrypted in a long-lived cache; whoever needs the values reads them on demand.
   */
  metadataOnly?: boolean;
}

export const DEFAULT_RESYNC_MS = 5 * 60_000;

/** The values an object is filed under in one index (client-go's IndexFunc), e.g. the Provider keys it references. */
export type IndexFunc<T extends KubeObject = KubeObject> = (obj: T) => string[];

export class Informer<T extends KubeObject = KubeObject> {
  readonly kind: string;
  readonly #opts: InformerOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #cache = new Map<string, T>();
  readonly #handlers: InformerHandlers<T>[] = [];
  /** index name → (its function, value → cache keys filed under it), kept in step with the cache. */
  readonly #indexes = new Map<string, { fn: IndexFunc<T>; byValue: Map<string, Set<string>> }>();
  #synced = false;
  #syncWaiters: Array<() => void> = [];
  #abort: AbortController | undefined;
  #loop: Promise<void> | undefined;
  #resyncTimer: TimerHandle | undefined;
  #sleepTimer: TimerHandle | undefined;
  #wakeSleep: (() => void) | undefined;
  #failures = 0;
  /** Lists done so far (1 after the initial sync); exposed for tests and metrics. */
  lists = 0;

  constructor(opts: InformerOptions) {
    this.kind = opts.kind;
    this.#opts = opts;
    this.#clock = opts.clock ?? realClock;
    this.#log = (opts.logger ?? silentLogger).child({ informer: opts.kind });
  }

  addEventHandler(handlers: InformerHandlers<T>): void {
    this.#handlers.push(handlers);
    // A handler added late still learns about what is cached already.
    if (this.#synced) for (const obj of this.#cache.values()) this.#dispatch("onAdd", handlers, obj);
  }

  /**
   * Files every cached object (now and as it changes) under the values fn returns, so dependents are found by
   * lookup (`byIndex`) instead of a scan of the cache. An index of the same name added again is kept as it is:
   * controllers sharing this informer register the one function of that name.
   */
  addIndex(name: string, fn: IndexFunc<T>): void {
    if (this.#indexes.has(name)) return;
    const index = { fn, byValue: new Map<string, Set<string>>() };
    this.#indexes.set(name, index);
    for (const [key, obj] of this.#cache) this.#file(index, key, obj);
  }

  /** Keys (`namespace/name`) of the cached objects filed under value in the named index. */
  byIndex(name: string, value: string): string[] {
    const index = this.#indexes.get(name);
    if (!index) throw new Error(`informer for ${this.kind} has no index "${name}"; add it with addIndex before looking up`);
    return [...(index.byValue.get(value) ?? [])];
  }

  /** Starts list+watch in the background. Idempotent. */
  start(): void {
    if (this.#loop) return;
    this.#abort = new AbortController();
    this.#loop = this.#run(this.#abort.signal);
    this.#scheduleResync();
  }

  /** Stops watching and timers; resolves when the background loop has ended. */
  async stop(): Promise<void> {
    this.#abort?.abort();
    this.#resyncTimer?.cancel();
    this.#resyncTimer = undefined;
    this.#wakeSleep?.();
    await this.#loop;
    this.#loop = undefined;
  }

  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves once the first list is in the cache; rejects after timeoutMs (default: never). */
  waitForSync(timeoutMs?: number): Promise<void> {
    if (this.#synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let timer: TimerHandle | undefined;
      const done = () => {
        timer?.cancel();
        resolve();
      };
      this.#syncWaiters.push(done);
      if (timeoutMs !== undefined) {
        timer = this.#clock.setTimer(() => {
          this.#syncWaiters = this.#syncWaiters.filter((w) => w !== done);
          reject(new Error(`informer for ${this.kind} did not sync within ${timeoutMs} ms: is the store reachable?`));
        }, timeoutMs);
      }
    });
  }

  /** The cached object for `namespace/name`. */
  get(key: string): T | undefined {
    return this.#cache.get(key);
  }

  list(): T[] {
    return [...this.#cache.values()];
  }

  keys(): string[] {
    return [...this.#cache.keys()];
  }

  async #run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const { baseMs, maxMs } = this.#opts.relistBackoff ?? { baseMs: 100, maxMs: 30_000 };
      let watchedFrom: number | undefined;
      let error: unknown;
      try {
        const rv = await this.#relist();
        watchedFrom = this.#clock.now();
        await this.#watch(rv, signal);
      } catch (err) {
        error = err;
      }
      if (signal.aborted) break;
      // A watch that ran for a while was healthy; one that ends at once, again and again, backs off.
      if (watchedFrom !== undefined && this.#clock.now() - watchedFrom >= 1000) this.#failures = 0;
      if (isApiError(error, "Gone") && this.#failures === 0) {
        // Expected when a watch falls behind compacted history: list again at once.
        this.#failures++;
        this.#log.info("watch resource version too old (410 Gone); listing again", { error });
        continue;
      }
      const delay = backoffDelay(this.#failures++, baseMs, maxMs);
      if (error === undefined) this.#log.info("watch ended; listing again", { retryInMs: delay });
      else this.#log.warn("list/watch failed; retrying", { error, retryInMs: delay });
      await this.#sleep(delay);
    }
  }

  /** Lists every page, replaces the cache and dispatches the differences. Returns the list's revision. */
  async #relist(): Promise<string> {
    const { store, kind, namespace, labelSelector } = this.#opts;
    const fresh = new Map<string, T>();
    let cont: string | undefined;
    let rv = "";
    do {
      const page = await store.list<T>(kind, { namespace, labelSelector, continue: cont });
      for (const obj of page.items) fresh.set(keyOf(obj), this.#kept(obj));
      // The first page's revision is the snapshot the continue tokens read from.
      if (!rv) rv = page.resourceVersion;
      cont = page.continue;
    } while (cont);
    if (this.#abort?.signal.aborted) return rv;
    for (const [key, old] of this.#cache) {
      if (!fresh.has(key)) {
        this.#forget(key, old);
        this.#emit("onDelete", old);
      }
    }
    for (const [key, obj] of fresh) {
      const old = this.#cache.get(key);
      this.#store(key, obj, old);
      if (!old) this.#emit("onAdd", obj);
      else if (old.metadata.resourceVersion !== obj.metadata.resourceVersion) this.#emit("onUpdate", old, obj);
    }
    this.lists++;
    this.#markSynced();
    return rv;
  }

  async #watch(fromRv: string, signal: AbortSignal): Promise<void> {
    const { store, kind, namespace, labelSelector } = this.#opts;
    const events: AsyncIterable<WatchEvent<T>> = store.watch<T>(kind, { namespace, labelSelector, resourceVersion: fromRv, signal });
    for await (const event of events) {
      if (signal.aborted) return;
      this.#apply(event);
    }
  }

  /** What the cache keeps of obj: all of it, or its metadata only. */
  #kept(obj: T): T {
    return this.#opts.metadataOnly ? (partialMetadata(obj) as T) : obj;
  }

  #apply(event: WatchEvent<T>): void {
    const obj = this.#kept(event.object);
    const key = keyOf(obj);
    const old = this.#cache.get(key);
    if (event.type === "DELETED") {
      if (old) this.#forget(key, old);
      this.#emit("onDelete", old ?? obj);
      return;
    }
    this.#store(key, obj, old);
    if (old) this.#emit("onUpdate", old, obj);
    else this.#emit("onAdd", obj);
  }

  #store(key: string, obj: T, old: T | undefined): void {
    if (old) for (const index of this.#indexes.values()) this.#unfile(index, key, old);
    this.#cache.set(key, obj);
    for (const index of this.#indexes.values()) this.#file(index, key, obj);
  }

  #forget(key: string, old: T): void {
    this.#cache.delete(key);
    for (const index of this.#indexes.values()) this.#unfile(index, key, old);
  }

  #file(index: { fn: IndexFunc<T>; byValue: Map<string, Set<string>> }, key: string, obj: T): void {
    for (const value of index.fn(obj)) {
      const keys = index.byValue.get(value);
      if (keys) keys.add(key);
      else index.byValue.set(value, new Set([key]));
    }
  }

  #unfile(index: { fn: IndexFunc<T>; byValue: Map<string, Set<string>> }, key: string, obj: T): void {
    for (const value of index.fn(obj)) {
      const keys = index.byValue.get(value);
      keys?.delete(key);
      if (keys?.size === 0) index.byValue.delete(value);
    }
  }

  #markSynced(): void {
    if (this.#synced) return;
    this.#synced = true;
    const waiters = this.#syncWaiters;
    this.#syncWaiters = [];
    for (const w of waiters) w();
  }

  #scheduleResync(): void {
    const every = this.#opts.resyncMs ?? DEFAULT_RESYNC_MS;
    if (!(every > 0)) return;
    this.#resyncTimer = this.#clock.setTimer(() => {
      if (this.#abort?.signal.aborted) return;
      if (this.#synced) for (const obj of this.#cache.values()) this.#emit("onUpdate", obj, obj);
      this.#scheduleResync();
    }, every);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wakeSleep = resolve;
      this.#sleepTimer = this.#clock.setTimer(resolve, ms);
    }).finally(() => {
      this.#sleepTimer?.cancel();
      this.#wakeSleep = undefined;
    });
  }

  #emit(which: "onAdd" | "onDelete", obj: T): void;
  #emit(which: "onUpdate", oldObj: T, newObj: T): void;
  #emit(which: keyof InformerHandlers<T>, a: T, b?: T): void {
    for (const h of this.#handlers) this.#dispatch(which, h, a, b);
  }

  /** A throwing handler is logged and skipped: one bad handler must not stop the informer. */
  #dispatch(which: keyof InformerHandlers<T>, h: InformerHandlers<T>, a: T, b?: T): void {
    try {
      if (which === "onUpdate") h.onUpdate?.(a, b ?? a);
      else h[which]?.(a);
    } catch (err) {
      this.#log.error("event handler threw", { handler: which, key: keyOf(a), error: err });
    }
  }
}
