// VMAction controller: runs each action once. A finished action (Succeeded/Failed) is never run again, so a
// re-applied manifest or a controller restart repeats nothing; to act again, create a new VMAction.
// Transient failures (provider unreachable, a conflicting writer) are retried with the runtime's backoff.
import { ApiError } from "../../api/errors.ts";
import type { VMAction, VMActionStatus } from "../../api/vmaction.ts";
import { patchStatus } from "../../runtime/status.ts";
import { executeVMAction, isPermanent, outcomeStatus, type VMActionDeps } from "./execute.ts";

export const isFinished = (a: VMAction): boolean => a.status?.phase === "Succeeded" || a.status?.phase === "Failed";

export function vmActionReconciler(deps: VMActionDeps & { log: (msg: string) => void }) {
  return async function reconcile(key: { namespace: string; name: string }): Promise<undefined> {
    const action = await deps.store.get<VMAction>("VMAction", key.namespace, key.name).catch((err: unknown) => {
      if (err instanceof ApiError && err.reason === "NotFound") return undefined;
      throw err;
    });
    if (!action || isFinished(action) || action.metadata.deletionTimestamp) return undefined;
    let result: Parameters<typeof outcomeStatus>[1];
    try {
      result = { outcome: await executeVMAction(deps, action) };
    } catch (err) {
      if (!isPermanent(err)) {
        await patchStatus<VMAction, VMActionStatus>(deps.store, "VMAction", key.namespace, key.name, (s) => {
          s.phase = "Pending";
          s.message = `will retry: ${(err as Error).message}`;
        });
        throw err;
      }
      result = { error: err };
    }
    deps.log(`vmaction ${key.namespace}/${key.name} (${action.spec.action}): ${"outcome" in result ? "succeeded" : `failed: ${result.error.message}`}`);
    const now = new Date().toISOString();
    await patchStatus<VMAction, VMActionStatus>(deps.store, "VMAction", key.namespace, key.name, (s) => Object.assign(s, outcomeStatus(s, result, now, action.metadata.generation)));
    return undefined;
  };
}
