// The reconcile loop of one controller: informers feed keys into a rate-limited work queue; `workers` loops
// take keys one at a time (never the same key twice at once) and call reconcile. A reconcile that throws is
// logged with its key and retried with per-key backoff; success forgets the backoff and honours
// requeueAfterMs. Nothing a reconcile does can crash the process.
import type { Registry } from "prom-client";
import { isApiError } from "../api/errors.ts";
import type { KubeObject } from "../api/meta.ts";
import type { ResourceStore } from "../store/types.ts";
import type { BackoffOptions } from "./backoff.ts";
import type { Clock } from "./clock.ts";
import type { EventRecorder, EventSink } from "./events.ts";
import { type IndexFunc, Informer, type InformerHandlers } from "./informer.ts";
import { type JobState, JobTracker, type JobWork } from "./jobs.ts";
import { keyOf, keyString, type ObjectKey, parseKey } from "./keys.ts";
import { type Logger, silentLogger } from "./logger.ts";
import type { MapToKeys } from "./mappers.ts";
import { type ControllerMetrics, controllerMetrics } from "./metrics.ts";
import type { SharedInformers } from "./shared-informers.ts";
import { WorkQueue } from "./workqueue.ts";

const DEFAULT_WORKERS = 8;

export interface ReconcileResult {
  /** Reconcile this key again after this long (polling the world, e.g. a power state change). */
  requeueAfterMs?: number;
}

/** The tracked job of the key being reconciled. */
export interface KeyJob {
  state(): JobState | undefined;
  /** Starts work unless a job for this key is queued or running; returns whether it started. */
  start(work: JobWork): boolean;
  cancel(): void;
  /** Forgets a settled outcome once it is recorded in status. */
  clear(): void;
}

export interface ReconcileContext<T extends KubeObject = KubeObject> {
  controller: string;
  key: ObjectKey;
  store: ResourceStore;
  /** Bound to controller and key. */
  log: Logger;
  /** Aborted when the controller stops: long calls should give up and let the next start resume. */
  signal: AbortSignal;
  /** Failed attempts for this key since its last success (0 on a fresh key). */
  attempt: number;
  /** The object from the cache; undefined when it no longer exists. */
  cached: T | undefined;
  /** Cache of the primary kind or of a watched kind. */
  cache<U extends KubeObject = KubeObject>(kind: string): Pick<Informer<U>, "get" | "list" | "keys"> | undefined;
  events: EventSink;
  job: KeyJob;
}

/** Resolving to nothing means "done until something changes". */
export type Reconcile<T extends KubeObject = KubeObject> = (
  key: ObjectKey,
  ctx: ReconcileContext<T>,
) => Promise<ReconcileResult | undefined> | Promise<void>;

export interface WatchSpec {
  kind: string;
  /**
   * Primary keys to reconcile when an object of this kind is added, changed (old and new) or deleted; the
   * second argument looks dependents up in the primary kind's indexes (ControllerOptions.indexes).
   */
  map: MapToKeys;
  /**
   * Which updates matter (default: all, resyncs included). Adds and deletes always do. E.g. a Provider's
   * generation or Ready status, not every status write: a fleet's VMs must not all wake for an inventory count.
   */
  changed?: (oldObj: KubeObject, newObj: KubeObject) => boolean;
  /**
   * Watch through a metadata-only cache (name, namespace, uid, versions): map and changed see no more. For kinds
   * whose contents must not be cached, e.g. Secrets; the reconciler reads what it needs from the store.
   */
  metadataOnly?: boolean;
}

export interface ControllerOptions<T extends KubeObject = KubeObject> {
  name: string;
  kind: string;
  store: ResourceStore;
  reconcile: Reconcile<T>;
  /**
   * Which updates of the primary kind are reconciled (default: all, resyncs included); adds and deletes always
   * are. E.g. a Provider's spec, not the status its own reconcile writes. Periodic work is then requeueAfterMs's.
   */
  changed?: (oldObj: T, newObj: T) => boolean;
  /**
   * Concurrent reconciles (of different keys). Default 8: the writes of concurrent reconciles share the store's
   * commits (sqlite group commit), so a fleet's worth of status writes costs a fraction of the fsyncs.
   */
  workers?: number;
  /** Informer resync. Default 5 min. Ignored for shared informers (they have their own). */
  resyncMs?: number;
  watches?: WatchSpec[];
  /** Indexes kept on the primary kind's cache, for watches' map functions to find dependents by lookup. */
  indexes?: Record<string, IndexFunc<T>>;
  /** Registers reconcile duration/errors and queue depth on this registry. */
  metrics?: Registry;
  logger?: Logger;
  /** Watch the primary kind in one namespace only (own informer). */
  namespace?: string;
  labelSelector?: string;
  /** Use process-wide informers instead of owning them. */
  informers?: SharedInformers;
  events?: EventRecorder;
  /** Concurrent tracked jobs. Default 2. */
  maxConcurrentJobs?: number;
  backoff?: BackoffOptions;
  clock?: Clock;
  /** How long start() waits for caches to fill. Default 60 s. */
  syncTimeoutMs?: number;
}

const noEvents: EventSink = { record: () => {} };

export class Controller<T extends KubeObject = KubeObject> {
  readonly name: string;
  readonly #opts: ControllerOptions<T>;
  readonly #log: Logger;
  readonly #queue: WorkQueue;
  readonly #jobs: JobTracker;
  readonly #metrics: ControllerMetrics | undefined;
  readonly #events: EventSink;
  readonly #abort = new AbortController();
  #primary: Informer<T> | undefined;
  readonly #caches = new Map<string, Informer>();
  readonly #owned: Informer[] = [];
  #workers: Promise<void>[] = [];
  #untrackQueue: (() => void) | undefined;
  #state: "new" | "started" | "stopped" = "new";

  constructor(opts: ControllerOptions<T>) {
    this.name = opts.name;
    this.#opts = opts;
    this.#log = (opts.logger ?? silentLogger).child({ controller: opts.name });
    this.#queue = new WorkQueue({ clock: opts.clock, backoff: opts.backoff });
    this.#jobs = new JobTracker({
      maxConcurrent: opts.maxConcurrentJobs,
      logger: this.#log,
      onSettled: (key) => this.#queue.add(key),
    });
    this.#metrics = opts.metrics ? controllerMetrics(opts.metrics) : undefined;
    this.#events = opts.events?.withSource(opts.name) ?? noEvents;
  }

  /** Fills the caches, then starts the workers. Rejects when the caches do not sync within syncTimeoutMs. */
  async start(): Promise<void> {
    if (this.#state !== "new") throw new Error(`controller ${this.name} was already started; create a new one`);
    this.#state = "started";
    const { kind, watches = [] } = this.#opts;
    this.#primary = this.#informer(kind, true) as unknown as Informer<T>;
    for (const [name, fn] of Object.entries(this.#opts.indexes ?? {})) this.#primary.addIndex(name, fn);
    this.#primary.addEventHandler(this.#primaryHandlers());
    for (const w of watches) {
      const informer = w.kind === kind && !w.metadataOnly ? this.#primary : this.#informer(w.kind, false, w.metadataOnly === true);
      informer.addEventHandler(this.#watchHandlers(w));
    }
    for (const informer of this.#caches.values()) informer.start();
    const timeout = this.#opts.syncTimeoutMs ?? 60_000;
    await Promise.all([...this.#caches.values()].map((i) => i.waitForSync(timeout)));
    this.#untrackQueue = this.#metrics?.trackQueue(this.name, () => this.#queue.length);
    const workers = Math.max(1, this.#opts.workers ?? DEFAULT_WORKERS);
    for (let i = 0; i < workers; i++) this.#workers.push(this.#worker());
    this.#log.info("controller started", { kind, workers });
  }

  /**
   * Stops handing out keys, aborts ctx.signal and cancels jobs, then waits up to deadlineMs for in-flight
   * reconciles and jobs. Resolves true when everything finished in time.
   */
  async stop(deadlineMs = 30_000): Promise<boolean> {
    if (this.#state === "stopped") return true;
    this.#state = "stopped";
    this.#queue.shutDown();
    this.#abort.abort();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), deadlineMs);
    });
    const finished = Promise.all([Promise.all(this.#workers), this.#jobs.stop(deadlineMs)]).then(([, jobs]) => jobs);
    const clean = await Promise.race([finished, deadline]);
    clearTimeout(timer);
    if (!clean) this.#log.warn("stop deadline passed with reconciles or jobs still running", { deadlineMs });
    await Promise.all(this.#owned.map((i) => i.stop()));
    this.#untrackQueue?.();
    this.#log.info("controller stopped", { clean });
    return clean;
  }

  /** Asks for key to be reconciled (now, or after afterMs), e.g. when something outside the store changed. */
  enqueue(key: ObjectKey, afterMs = 0): void {
    this.#queue.addAfter(keyString(key), afterMs);
  }

  /** Ready keys in the queue. */
  get queueDepth(): number {
    return this.#queue.length;
  }

  #informer(kind: string, primary: boolean, metadataOnly = false): Informer {
    const name = metadataOnly ? `${kind} (metadata)` : kind;
    const existing = this.#caches.get(name);
    if (existing) return existing;
    const { informers, store, resyncMs, clock } = this.#opts;
    let informer: Informer;
    if (informers) informer = informers.informerFor(kind, { metadataOnly });
    else {
      const scope = primary ? { namespace: this.#opts.namespace, labelSelector: this.#opts.labelSelector } : {};
      informer = new Informer({ store, kind, resyncMs, clock, logger: this.#log, metadataOnly, ...scope });
      this.#owned.push(informer);
    }
    this.#caches.set(name, informer);
    return informer;
  }

  #primaryHandlers(): InformerHandlers<T> {
    // A shared informer sees every namespace and label; keep to this controller's scope.
    const inScope = (obj: T) => !this.#opts.informers || !this.#opts.namespace || obj.metadata.namespace === this.#opts.namespace;
    const add = (obj: T) => {
      if (inScope(obj)) this.#queue.add(keyOf(obj));
    };
    const { changed } = this.#opts;
    return { onAdd: add, onUpdate: (old, obj) => (!changed || changed(old, obj) ? add(obj) : undefined), onDelete: add };
  }

  #watchHandlers(w: WatchSpec): InformerHandlers {
    const primary = { byIndex: (name: string, value: string) => this.#primary?.byIndex(name, value) ?? [] };
    const enqueue = (...objs: KubeObject[]) => {
      const keys = new Set<string>();
      for (const obj of objs) {
        try {
          for (const k of w.map(obj, primary)) keys.add(keyString(k));
        } catch (err) {
          this.#log.error("watch map threw", { watchKind: w.kind, object: keyOf(obj), error: err });
        }
      }
      for (const k of keys) this.#queue.add(k);
    };
    const update = (a: KubeObject, b: KubeObject) => {
      if (!w.changed || w.changed(a, b)) enqueue(a, b);
    };
    return { onAdd: (o) => enqueue(o), onUpdate: update, onDelete: (o) => enqueue(o) };
  }

  async #worker(): Promise<void> {
    for (;;) {
      const key = await this.#queue.get();
      if (key === undefined) return;
      try {
        await this.#reconcileKey(key);
      } finally {
        this.#queue.done(key);
      }
    }
  }

  async #reconcileKey(key: string): Promise<void> {
    const started = performance.now();
    const log = this.#log.child({ key });
    const controller = this.name;
    let result: ReconcileResult | undefined;
    try {
      const objectKey = parseKey(key);
      result = (await this.#opts.reconcile(objectKey, this.#context(key, objectKey, log))) ?? undefined;
    } catch (err) {
      this.#metrics?.reconcileErrors.inc({ controller });
      this.#metrics?.reconcileTotal.inc({ controller, result: "error" });
      const attempt = this.#queue.numRequeues(key) + 1;
      if (!this.#queue.shuttingDown) this.#queue.addRateLimited(key);
      // A Conflict only means someone wrote first: the retry re-reads. Everything else is worth an error line.
      if (isApiError(err, "Conflict")) log.info("reconcile conflict; retrying", { attempt, error: err });
      else log.error("reconcile failed; retrying with backoff", { attempt, error: err });
      return;
    } finally {
      this.#metrics?.reconcileDuration.observe({ controller }, (performance.now() - started) / 1000);
    }
    this.#queue.forget(key);
    const after = result?.requeueAfterMs;
    if (after !== undefined && after >= 0) {
      this.#queue.addAfter(key, after);
      this.#metrics?.reconcileTotal.inc({ controller, result: "requeue_after" });
    } else {
      this.#metrics?.reconcileTotal.inc({ controller, result: "success" });
    }
  }

  #context(key: string, objectKey: ObjectKey, log: Logger): ReconcileContext<T> {
    const jobs = this.#jobs;
    return {
      controller: this.name,
      key: objectKey,
      store: this.#opts.store,
      log,
      signal: this.#abort.signal,
      attempt: this.#queue.numRequeues(key),
      cached: this.#primary?.get(key),
      cache: <U extends KubeObject>(kind: string) => this.#caches.get(kind) as Informer<U> | undefined,
      events: this.#events,
      job: {
        state: () => jobs.state(key),
        start: (work) => jobs.start(key, work),
        cancel: () => jobs.cancel(key),
        clear: () => jobs.clear(key),
      },
    };
  }
}
