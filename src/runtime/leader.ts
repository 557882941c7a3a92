// Leader election. Embedded mode runs one process: AlwaysLeader. In Kubernetes several replicas run and one
// leads, through a coordination.k8s.io/v1 Lease (client-go's algorithm): the holder renews every retryPeriod;
// the others take over once they have seen the same lease record unchanged for leaseDuration on their own
// clock (never comparing clocks across machines); a leader that cannot renew for renewDeadline stops leading.
import { isApiError } from "../api/errors.ts";
import { type Logger, silentLogger } from "./logger.ts";
import { sleepUnlessAborted as sleep } from "./sleep.ts";

export interface Lease {
  apiVersion: "coordination.k8s.io/v1";
  kind: "Lease";
  metadata: { name: string; namespace: string; resourceVersion?: string };
  spec: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** What the elector needs from Kubernetes (or a fake): create throws AlreadyExists, update Conflict when stale. */
export interface LeaseClient {
  get(namespace: string, name: string): Promise<Lease | undefined>;
  create(lease: Lease): Promise<Lease>;
  update(lease: Lease): Promise<Lease>;
}

export interface LeaderElector {
  /**
   * Runs until stop(): calls onStartedLeading (with a signal aborted when leadership ends) on becoming leader,
   * onStoppedLeading when it ends. Resolves after stop().
   */
  run(onStartedLeading: (signal: AbortSignal) => void | Promise<void>, onStoppedLeading: () => void | Promise<void>): Promise<void>;
  stop(): Promise<void>;
  isLeader(): boolean;
}

/** Embedded mode: this process leads from the start until stop(). */
export class AlwaysLeader implements LeaderElector {
  readonly #abort = new AbortController();
  #leading = false;
  #done: Promise<void> | undefined;

  run(onStartedLeading: (signal: AbortSignal) => void | Promise<void>, onStoppedLeading: () => void | Promise<void>): Promise<void> {
    this.#done ??= (async () => {
      const stopped = new Promise<void>((resolve) => this.#abort.signal.addEventListener("abort", () => resolve(), { once: true }));
      this.#leading = true;
      await onStartedLeading(this.#abort.signal);
      await stopped;
      this.#leading = false;
      await onStoppedLeading();
    })();
    return this.#done;
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#done;
  }

  isLeader(): boolean {
    return this.#leading;
  }
}

export interface LeaseElectorOptions {
  client: LeaseClient;
  namespace: string;
  name: string;
  /** Unique per replica, e.g. the pod name. */
  identity: string;
  /** Default 15 s. */
  leaseDurationMs?: number;
  /** Default 10 s; must be below leaseDurationMs. */
  renewDeadlineMs?: number;
  /** Default 2 s. */
  retryPeriodMs?: number;
  /** On stop, hand the lease back so another replica takes over at once. Default true. */
  releaseOnStop?: boolean;
  logger?: Logger;
  now?: () => number;
}

/** What the elector saw last and when (its own clock). */
export interface Observation {
  record: string;
  at: number;
}

export type LeaseDecision = { action: "create" } | { action: "take"; transition: boolean } | { action: "wait"; holder: string };

/**
 * Pure: may `identity` write the lease now? It may when nobody holds it, it holds it already, or the holder's
 * record has not changed for leaseDurationMs as observed locally.
 */
export function decideLease(lease: Lease | undefined, observed: Observation | undefined, identity: string, now: number, leaseDurationMs: number): LeaseDecision {
  if (!lease) return { action: "create" };
  const holder = lease.spec.holderIdentity ?? "";
  if (holder === identity) return { action: "take", transition: false };
  if (holder === "") return { action: "take", transition: true };
  const stale = observed !== undefined && observed.record === leaseRecord(lease) && now - observed.at >= leaseDurationMs;
  return stale ? { action: "take", transition: true } : { action: "wait", holder };
}

/** The parts of a lease that change on every renewal: unchanged means the holder stopped renewing. */
export function leaseRecord(lease: Lease): string {
  const s = lease.spec;
  return `${s.holderIdentity ?? ""}|${s.renewTime ?? ""}|${s.leaseTransitions ?? 0}`;
}

export class LeaseElector implements LeaderElector {
  readonly #o: Required<Omit<LeaseElectorOptions, "logger">> & { logger: Logger };
  readonly #stop = new AbortController();
  #observed: Observation | undefined;
  #leading = false;
  #done: Promise<void> | undefined;

  constructor(opts: LeaseElectorOptions) {
    this.#o = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      releaseOnStop: true,
      now: () => Date.now(),
      ...opts,
      logger: (opts.logger ?? silentLogger).child({ lease: `${opts.namespace}/${opts.name}`, identity: opts.identity }),
    };
    if (this.#o.renewDeadlineMs >= this.#o.leaseDurationMs) {
      throw new Error(`renewDeadlineMs ${this.#o.renewDeadlineMs} must be below leaseDurationMs ${this.#o.leaseDurationMs}`);
    }
  }

  isLeader(): boolean {
    return this.#leading;
  }

  run(onStartedLeading: (signal: AbortSignal) => void | Promise<void>, onStoppedLeading: () => void | Promise<void>): Promise<void> {
    this.#done ??= this.#loop(onStartedLeading, onStoppedLeading);
    return this.#done;
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#done;
  }

  async #loop(onStarted: (signal: AbortSignal) => void | Promise<void>, onStopped: () => void | Promise<void>): Promise<void> {
    const stop = this.#stop.signal;
    const { retryPeriodMs, renewDeadlineMs, logger, now } = this.#o;
    while (!stop.aborted) {
      // Acquire.
      while (!stop.aborted && !(await this.#tryAcquireOrRenew())) await sleep(retryPeriodMs, stop);
      if (stop.aborted) break;
      this.#leading = true;
      logger.info("became leader");
      const term = new AbortController();
      // Not awaited: onStartedLeading may run the controllers for the whole term while we keep renewing.
      void Promise.resolve()
        .then(() => onStarted(term.signal))
        .catch((err: unknown) => logger.error("onStartedLeading threw", { error: err }));
      // Renew until stopped or the renew deadline passes without a successful renewal.
      let lastRenew = now();
      while (!stop.aborted) {
        await sleep(retryPeriodMs, stop);
        if (stop.aborted) break;
        if (await this.#tryAcquireOrRenew()) lastRenew = now();
        else if (now() - lastRenew >= renewDeadlineMs) {
          logger.warn("could not renew the lease before the renew deadline; stopping leading", { renewDeadlineMs });
          break;
        }
      }
      this.#leading = false;
      term.abort();
      if (stop.aborted && this.#o.releaseOnStop) await this.#release();
      try {
        await onStopped();
      } catch (err) {
        logger.error("onStoppedLeading threw", { error: err });
      }
    }
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name, identity, leaseDurationMs, logger, now } = this.#o;
    try {
      const lease = await client.get(namespace, name);
      if (lease && (!this.#observed || this.#observed.record !== leaseRecord(lease))) {
        this.#observed = { record: leaseRecord(lease), at: now() };
      }
      const decision = decideLease(lease, this.#observed, identity, now(), leaseDurationMs);
      if (decision.action === "wait") return false;
      const time = new Date(now()).toISOString();
      const spec: Lease["spec"] = {
        holderIdentity: identity,
        leaseDurationSeconds: Math.max(1, Math.ceil(leaseDurationMs / 1000)),
        acquireTime: decision.action === "take" && !decision.transition ? (lease?.spec.acquireTime ?? time) : time,
        renewTime: time,
        leaseTransitions: (lease?.spec.leaseTransitions ?? 0) + (decision.action === "take" && decision.transition ? 1 : 0),
      };
      const written =
        decision.action === "create"
          ? await client.create({ apiVersion: "coordination.k8s.io/v1", kind: "Lease", metadata: { namespace, name }, spec })
          : await client.update({ ...lease!, spec });
      this.#observed = { record: leaseRecord(written), at: now() };
      return true;
    } catch (err) {
      // Losing a race (Conflict/AlreadyExists) is normal; anything else is worth a line.
      if (!isApiError(err, "Conflict") && !isApiError(err, "AlreadyExists")) logger.warn("lease get/update failed", { error: err });
      return false;
    }
  }

  async #release(): Promise<void> {
    const { client, namespace, name, identity, logger, now } = this.#o;
    try {
      const lease = await client.get(namespace, name);
      if (!lease || lease.spec.holderIdentity !== identity) return;
      await client.update({ ...lease, spec: { ...lease.spec, holderIdentity: "", renewTime: new Date(now()).toISOString() } });
      logger.info("released the lease");
    } catch (err) {
      logger.warn("could not release the lease; others take over after leaseDuration", { error: err });
    }
  }
}
