// Exporting: intent first, then the effect, then its result. The power state before the migration, whether the
// migration powers the VM off, and the snapshot's name (from the migration's UID) are recorded before the source
// is touched; prepareExport is idempotent (a shut-down VM stays down, a snapshot of that name is reused), so a
// crash anywhere in here reruns to the same place without a second snapshot or a forgotten power-off.
// Warm mode records whether the VM tracked changed blocks, turns tracking on and goes on to Precopying: its
// snapshots are the precopies' own (phase-precopy.ts).
import type { VMMigration } from "../../api/vmmigration.ts";
import { exportDiskRecord, exportIntent, exportIntentRecorded, exportMode } from "./decide.ts";
import { sourceVMOf, type StepContext, withProviders } from "./step-context.ts";
import { MigrationFailure } from "./steps.ts";

export async function exportSource(ctx: StepContext, m: VMMigration): Promise<VMMigration> {
  const mode = exportMode(m);
  await withProviders(ctx.deps, m, async ({ source }) => {
    const vm = await sourceVMOf(source, m);
    let current = m;
    if (!exportIntentRecorded(m)) {
      const intent = exportIntent(m, vm.powerState, vm.changeTrackingEnabled);
      current = await ctx.patch((s) => {
        s.source = { ...(s.source ?? {}), ...intent };
      });
    }
    if (mode === "warm") {
      if (!source.setChangeTracking) throw new MigrationFailure("NotSupported", `spec.options.mode "warm": source provider "${m.spec.source.providerRef.name}" cannot track changed blocks; use mode cold or snapshot`);
      await source.setChangeTracking(vm.id, true);
      return;
    }
    const snapshotName = current.status?.source?.snapshotName;
    const session = await source.prepareExport(vm, { mode, ...(snapshotName ? { snapshotName } : {}) });
    await ctx.patch((s) => {
      s.source = { ...(s.source ?? {}), ...(session.snapshotID ? { snapshotID: session.snapshotID } : {}), exportDisks: session.disks.map(exportDiskRecord) };
    });
  });
  if (mode === "warm") return ctx.enter("Precopying", "copying disks while the VM runs (precopy 0: full copy)");
  return ctx.enter("Transferring", "copying disks");
}
