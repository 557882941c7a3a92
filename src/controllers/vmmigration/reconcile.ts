// VMMigration reconcile: keeps one tracked job (runtime/jobs.ts) per unfinished migration. The job (runner.ts)
// does the long work and records progress in status; this layer starts it, retries transient errors with
// backoff from the last checkpoint, turns a permanent failure (decide.ts classifyFailure) into a terminal Failed
// with the reason that really happened, and on deletion cancels and
// cleans up partial target volumes.
import { ApiError } from "../../api/errors.ts";
import type { VMMigration } from "../../api/vmmigration.ts";
import type { ReconcileContext, ReconcileResult } from "../../runtime/controller.ts";
import { addFinalizer, removeFinalizer } from "../../runtime/finalizers.ts";
import type { ObjectKey } from "../../runtime/keys.ts";
import { patchObject } from "../../runtime/status.ts";
import type { ResourceStore } from "../../store/types.ts";
import { MIGRATION_FINALIZER } from "./plan.ts";
import type { MigrationRunner } from "./runner.ts";
import { classifyFailure } from "./decide.ts";
import { carriesDeletion, isTerminal, MAX_TRANSIENT_ATTEMPTS } from "./steps.ts";

export interface MigrationReconcilerDeps {
  store: ResourceStore;
  runner: MigrationRunner;
  baseRetryMs?: number;
}

export function vmMigrationReconciler(deps: MigrationReconcilerDeps) {
  const failures = new Map<string, { count: number; notBefore: number }>();

  return async function reconcile(key: ObjectKey, ctx: ReconcileContext<VMMigration>): Promise<ReconcileResult | undefined> {
    let m: VMMigration;
    try {
      m = await deps.store.get<VMMigration>("VMMigration", key.namespace, key.name);
    } catch (err) {
      if (err instanceof ApiError && err.reason === "NotFound") {
        // Gone without our finalizer running (e.g. removed by hand): forget any job record for it.
        ctx.job.cancel();
        ctx.job.clear();
        return undefined;
      }
      throw err;
    }
    const id = m.metadata.uid as string;
    const job = ctx.job.state();

    if (carriesDeletion(m)) {
      if (job && (job.phase === "Running" || job.phase === "Queued")) {
        ctx.job.cancel();
        return { requeueAfterMs: 200 };
      }
      ctx.job.clear();
      if ((m.metadata.finalizers ?? []).includes(MIGRATION_FINALIZER)) {
        if (!isTerminal(m)) {
          ctx.log.info("cancelled by deletion; cleaning up partial target volumes");
          ctx.events.record(m, "Warning", "Cancelled", "migration deleted before it finished; partial target volumes removed");
          await deps.runner.cleanup(m).catch((err) => ctx.log.warn(`cleanup: ${(err as Error).message}`));
        }
        await patchObject<VMMigration>(deps.store, "VMMigration", key.namespace, key.name, (o) => removeFinalizer(o, MIGRATION_FINALIZER));
      }
      failures.delete(id);
      return undefined;
    }
    if (isTerminal(m)) {
      ctx.job.clear();
      failures.delete(id);
      return undefined;
    }
    if (!(m.metadata.finalizers ?? []).includes(MIGRATION_FINALIZER)) {
      await patchObject<VMMigration>(deps.store, "VMMigration", key.namespace, key.name, (o) => addFinalizer(o, MIGRATION_FINALIZER));
      return undefined;
    }
    if (job && (job.phase === "Running" || job.phase === "Queued")) return undefined;
    if (job?.phase === "Failed" && !job.cancelled) {
      ctx.job.clear();
      const err = job.error;
      const failure = classifyFailure(err, m.status?.phase ?? "Pending");
      if (failure.permanent) {
        failures.delete(id);
        await deps.runner.fail(key.namespace, key.name, failure.reason, err.message);
        return undefined;
      }
      const count = (failures.get(id)?.count ?? 0) + 1;
      if (count >= MAX_TRANSIENT_ATTEMPTS) {
        failures.delete(id);
        await deps.runner.fail(key.namespace, key.name, failure.reason, `gave up after ${count} attempts in ${m.status?.phase ?? "Pending"}: ${err.message}`);
        return undefined;
      }
      const delay = (deps.baseRetryMs ?? 2_000) * 2 ** (count - 1);
      failures.set(id, { count, notBefore: Date.now() + delay });
      ctx.log.warn(`attempt ${count} failed; retrying from the last checkpoint in ${delay} ms: ${err.message}`);
      ctx.events.record(m, "Warning", "Retrying", `attempt ${count} failed: ${err.message}`);
    } else if (job) {
      ctx.job.clear();
    }
    const f = failures.get(id);
    if (f && f.notBefore > Date.now()) return { requeueAfterMs: f.notBefore - Date.now() };
    ctx.job.start((signal) => deps.runner.run(key.namespace, key.name, signal));
    return undefined;
  };
}
