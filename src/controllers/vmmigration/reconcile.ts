// VMMigration reconcile: keeps exactly one tracked job per unfinished migration. The job (runner.ts) does the
// long work and records progress in status; this layer starts it, retries transient errors with backoff from the
// last checkpoint, turns MigrationFailure into a terminal Failed, and on deletion cancels and cleans up.
import { ApiError } from "../../api/errors.ts";
import type { VMMigration } from "../../api/vmmigration.ts";
import { addFinalizer, removeFinalizer } from "../../runtime/finalizers.ts";
import { patchObject } from "../../runtime/status.ts";
import type { ResourceStore } from "../../store/types.ts";
import { MIGRATION_FINALIZER } from "./plan.ts";
import type { MigrationRunner } from "./runner.ts";
import { carriesDeletion, isTerminal, MAX_TRANSIENT_ATTEMPTS, MigrationFailure } from "./steps.ts";

interface Job {
  abort: AbortController;
  done: Promise<void>;
}

export interface MigrationReconcilerDeps {
  store: ResourceStore;
  runner: MigrationRunner;
  log: (msg: string) => void;
  /** Ask the controller to reconcile this key again (after a job ends). */
  enqueue: (key: { namespace: string; name: string }, afterMs?: number) => void;
  baseRetryMs?: number;
}

export function vmMigrationReconciler(deps: MigrationReconcilerDeps) {
  const jobs = new Map<string, Job>();
  const failures = new Map<string, { count: number; notBefore: number }>();

  const reconcile = async (key: { namespace: string; name: string }): Promise<{ requeueAfterMs?: number } | undefined> => {
    let m: VMMigration;
    try {
      m = await deps.store.get<VMMigration>("VMMigration", key.namespace, key.name);
    } catch (err) {
      if (err instanceof ApiError && err.reason === "NotFound") return undefined;
      throw err;
    }
    const id = m.metadata.uid as string;
    const finalizers = m.metadata.finalizers ?? [];

    if (carriesDeletion(m)) {
      const job = jobs.get(id);
      if (job) {
        job.abort.abort(new Error("migration deleted"));
        await job.done;
      }
      if (finalizers.includes(MIGRATION_FINALIZER)) {
        const fresh = await deps.store.get<VMMigration>("VMMigration", key.namespace, key.name);
        if (!isTerminal(fresh)) {
          deps.log(`migration ${key.namespace}/${key.name}: Cancelled by deletion; cleaning up partial target volumes`);
          await deps.runner.cleanup(fresh).catch((err) => deps.log(`migration ${key.namespace}/${key.name}: cleanup: ${(err as Error).message}`));
        }
        await patchObject<VMMigration>(deps.store, "VMMigration", key.namespace, key.name, (o) => removeFinalizer(o, MIGRATION_FINALIZER));
      }
      failures.delete(id);
      return undefined;
    }
    if (isTerminal(m)) return undefined;
    if (!finalizers.includes(MIGRATION_FINALIZER)) {
      await patchObject<VMMigration>(deps.store, "VMMigration", key.namespace, key.name, (o) => addFinalizer(o, MIGRATION_FINALIZER));
      return undefined;
    }
    if (jobs.has(id)) return undefined;
    const f = failures.get(id);
    if (f && f.notBefore > Date.now()) return { requeueAfterMs: f.notBefore - Date.now() };

    const abort = new AbortController();
    const done = deps.runner
      .run(key.namespace, key.name, abort.signal)
      .then(() => failures.delete(id))
      .catch(async (err: unknown) => {
        if (abort.signal.aborted) return;
        if (err instanceof MigrationFailure) {
          failures.delete(id);
          await deps.runner.fail(key.namespace, key.name, err.reason, err.message);
          return;
        }
        const count = (failures.get(id)?.count ?? 0) + 1;
        const message = (err as Error).message ?? String(err);
        if (count >= MAX_TRANSIENT_ATTEMPTS) {
          failures.delete(id);
          await deps.runner.fail(key.namespace, key.name, "SourceUnavailable", `gave up after ${count} attempts: ${message}`);
          return;
        }
        const delay = (deps.baseRetryMs ?? 2_000) * 2 ** (count - 1);
        failures.set(id, { count, notBefore: Date.now() + delay });
        deps.log(`migration ${key.namespace}/${key.name}: attempt ${count} failed, retrying from the last checkpoint in ${delay} ms: ${message}`);
      })
      .catch((err) => deps.log(`migration ${key.namespace}/${key.name}: ${(err as Error).message}`))
      .finally(() => {
        jobs.delete(id);
        deps.enqueue(key, failures.get(id) ? Math.max(0, (failures.get(id)?.notBefore ?? 0) - Date.now()) : 0);
      });
    jobs.set(id, { abort, done: done.then(() => undefined) });
    return undefined;
  };

  /** Stops every running job (server shutdown): transfers keep their checkpoints and resume on restart. */
  const stop = async () => {
    for (const j of jobs.values()) j.abort.abort(new Error("server stopping"));
    await Promise.allSettled([...jobs.values()].map((j) => j.done));
  };
  return { reconcile, stop };
}
