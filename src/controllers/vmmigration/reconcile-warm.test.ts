// A warm migration between precopies: the reconciler starts no job and asks the work queue to come back when
// the next precopy is due (requeueAfterMs); a spec.cutover that has passed starts the job at once.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { VMMigration } from "../../api/vmmigration.ts";
import type { ReconcileContext } from "../../runtime/controller.ts";
import { openSqliteStore, type SqliteStore } from "../../store/sqlite/index.ts";
import { MIGRATION_FINALIZER } from "./plan.ts";
import { vmMigrationReconciler } from "./reconcile.ts";
import type { MigrationRunner } from "./runner.ts";

describe("vmMigrationReconciler in warm mode", () => {
  let store: SqliteStore;
  before(async () => {
    store = await openSqliteStore({ path: ":memory:" });
  });
  after(async () => {
    await store.close();
  });

  it("requeues an idle warm migration for its next precopy and starts the cutover once spec.cutover has passed", async () => {
    const created = await store.create<VMMigration>({
      apiVersion: "landfall.dev/v1beta1",
      kind: "VMMigration",
      metadata: { name: "w", namespace: "default", finalizers: [MIGRATION_FINALIZER] },
      spec: { source: { providerRef: { name: "vc" }, vmName: "web01" }, target: { providerRef: { name: "kvm" } }, options: { mode: "warm", precopyInterval: "10m" } },
    } as VMMigration);
    const now = new Date().toISOString();
    await store.updateStatus<VMMigration>({
      ...created,
      status: { phase: "Precopying", precopies: [{ index: 0, snapshotName: "s0", startedAt: now, completedAt: now, bytes: 1, disks: [] }] },
    });
    const started: string[] = [];
    const ctx = {
      log: { info: () => undefined, warn: () => undefined },
      events: { record: () => undefined },
      job: { state: () => undefined, start: () => started.push("job"), cancel: () => undefined, clear: () => undefined },
    } as unknown as ReconcileContext<VMMigration>;
    const reconcile = vmMigrationReconciler({ store, runner: {} as MigrationRunner });

    const idle = await reconcile({ namespace: "default", name: "w" }, ctx);
    assert.deepEqual(started, [], "no job while nothing is due");
    assert.ok(idle?.requeueAfterMs !== undefined && idle.requeueAfterMs > 590_000 && idle.requeueAfterMs <= 600_000, `requeued for the next precopy: ${idle?.requeueAfterMs}`);

    const m = await store.get<VMMigration>("VMMigration", "default", "w");
    await store.update<VMMigration>({ ...m, spec: { ...m.spec, cutover: new Date(Date.now() - 1000).toISOString() } });
    const due = await reconcile({ namespace: "default", name: "w" }, ctx);
    assert.equal(due?.requeueAfterMs, undefined);
    assert.deepEqual(started, ["job"], "the cutover starts at once");
  });
});
