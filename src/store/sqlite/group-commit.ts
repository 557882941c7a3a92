// Group commit: the writes requested during one turn of the event loop share one transaction, so one fsync
// makes them all durable. Each write still resolves only after the commit that holds it: a caller never learns
// of a write that a power loss could undo. With synchronous = FULL an fsync costs milliseconds, and committing
// each write alone made a reconcile of 10,000 objects take minutes; concurrent writers now share that cost.
import type { PlannedWrite, WriteRecord } from "./database.ts";

export type Planner<T> = (nextRevision: number) => { record?: WriteRecord; result: T };

interface Waiting<T> {
  plan: Planner<T>;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
}

/** Writes at most this many in one transaction, so one commit never holds the event loop for long. */
const MAX_BATCH = 500;

export class GroupCommit<T> {
  readonly #commit: (planners: Array<Planner<T>>) => Array<PlannedWrite<T>>;
  #waiting: Array<Waiting<T>> = [];
  #scheduled = false;

  /** `commit` runs planners in one transaction (StoreDatabase.transactAll and whatever follows a commit). */
  constructor(commit: (planners: Array<Planner<T>>) => Array<PlannedWrite<T>>) {
    this.#commit = commit;
  }

  submit(plan: Planner<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#waiting.push({ plan, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits everything waiting now (also called before the store closes). */
  flush(): void {
    this.#scheduled = false;
    while (this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, MAX_BATCH);
      let outcomes: Array<PlannedWrite<T>>;
      try {
        outcomes = this.#commit(batch.map((w) => w.plan));
      } catch (err) {
        for (const w of batch) w.reject(err);
        continue;
      }
      batch.forEach((w, i) => {
        const outcome = outcomes[i];
        if (outcome.ok) w.resolve(outcome.result);
        else w.reject(outcome.error);
      });
    }
  }
}
