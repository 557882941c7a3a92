// Tracked jobs: long work (a disk transfer) runs outside reconcile so a worker is not held for minutes.
// Reconcile starts a job for its key, later reads its state and acts on it; the job itself writes its
// checkpoints to status (patchStatus), so a restarted process resumes from status instead of starting over.
// At most maxConcurrent jobs run at once (two cores); the rest wait in FIFO order. When a job settles, onSettled
// tells the controller to reconcile its key again.
import { type Logger, silentLogger } from "./logger.ts";

export type JobState =
  | { phase: "Queued" }
  | { phase: "Running"; startedAt: Date }
  | { phase: "Succeeded"; startedAt: Date; finishedAt: Date }
  | { phase: "Failed"; startedAt: Date; finishedAt: Date; error: Error; cancelled: boolean };

export type JobWork = (signal: AbortSignal) => Promise<void>;

export interface JobTrackerOptions {
  /** Jobs running at once. Default 2. */
  maxConcurrent?: number;
  onSettled?: (key: string) => void;
  logger?: Logger;
}

interface Job {
  state: JobState;
  work: JobWork;
  abort: AbortController;
  done?: Promise<void>;
}

export class JobTracker {
  readonly #jobs = new Map<string, Job>();
  readonly #waiting: string[] = [];
  readonly #max: number;
  readonly #onSettled: (key: string) => void;
  readonly #log: Logger;
  #running = 0;
  #stopped = false;

  constructor(opts: JobTrackerOptions = {}) {
    this.#max = Math.max(1, opts.maxConcurrent ?? 2);
    this.#onSettled = opts.onSettled ?? (() => {});
    this.#log = opts.logger ?? silentLogger;
  }

  /**
   * Starts (or queues) work for key. Returns false, doing nothing, when a job for key is queued or running; a
   * settled job's record is replaced (start again after a failure to retry).
   */
  start(key: string, work: JobWork): boolean {
    if (this.#stopped) return false;
    const existing = this.#jobs.get(key);
    if (existing && (existing.state.phase === "Queued" || existing.state.phase === "Running")) return false;
    this.#jobs.set(key, { state: { phase: "Queued" }, work, abort: new AbortController() });
    this.#waiting.push(key);
    this.#pump();
    return true;
  }

  state(key: string): JobState | undefined {
    return this.#jobs.get(key)?.state;
  }

  /** Asks the job to stop (its signal aborts); a queued job fails at once as cancelled. */
  cancel(key: string): void {
    const job = this.#jobs.get(key);
    if (!job) return;
    job.abort.abort();
    if (job.state.phase === "Queued") {
      const i = this.#waiting.indexOf(key);
      if (i >= 0) this.#waiting.splice(i, 1);
      const now = new Date();
      job.state = { phase: "Failed", startedAt: now, finishedAt: now, error: new Error(`job ${key} cancelled before it started`), cancelled: true };
      this.#onSettled(key);
    }
  }

  /** Forgets a settled job's outcome (after reconcile has recorded it in status). */
  clear(key: string): void {
    const job = this.#jobs.get(key);
    if (job && (job.state.phase === "Succeeded" || job.state.phase === "Failed")) this.#jobs.delete(key);
  }

  get running(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  /** Cancels every job and waits up to deadlineMs for running ones to return. True when all returned. */
  async stop(deadlineMs = 30_000): Promise<boolean> {
    this.#stopped = true;
    for (const key of [...this.#jobs.keys()]) this.cancel(key);
    const running = [...this.#jobs.values()].flatMap((j) => (j.done ? [j.done] : []));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), deadlineMs);
    });
    try {
      return await Promise.race([Promise.all(running).then(() => true), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  #pump(): void {
    while (this.#running < this.#max && this.#waiting.length > 0) {
      const key = this.#waiting.shift()!;
      const job = this.#jobs.get(key);
      if (job?.state.phase !== "Queued") continue;
      this.#running++;
      const startedAt = new Date();
      job.state = { phase: "Running", startedAt };
      job.done = (async () => {
        try {
          await job.work(job.abort.signal);
          job.state = { phase: "Succeeded", startedAt, finishedAt: new Date() };
        } catch (err) {
          const error = err instanceof Error ? err : new Error(String(err));
          job.state = { phase: "Failed", startedAt, finishedAt: new Date(), error, cancelled: job.abort.signal.aborted };
          this.#log.warn("job failed", { job: key, error });
        } finally {
          this.#running--;
        }
        this.#pump();
        try {
          this.#onSettled(key);
        } catch (err) {
          this.#log.error("job onSettled threw", { job: key, error: err });
        }
      })();
    }
  }
}
