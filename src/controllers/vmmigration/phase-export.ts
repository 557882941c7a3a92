// Exporting: intent first, then the effect, then its result. The power state before the migration, whether the
// migration powers the VM off, and the snapshot's name (from the migration's UID) are recorded before the source
// is touched; prepareExport is idempotent (a shut-down VM stays down, a snapshot of that name is reused), so a
// crash anywhere in here reruns to the same place without a second snapshot or a forgotten power-off.
import type { VMMigration } from "../../api/vmmigration.ts";
import { exportIntent, exportIntentRecorded, exportMode } from "./decide.ts";
import { sourceVMOf, type StepContext, withProviders } from "./step-context.ts";

export async function exportSource(ctx: StepContext, m: VMMigration): Promise<VMMigration> {
  await withProviders(ctx.deps, m, async ({ source }) => {
    const vm = await sourceVMOf(source, m);
    let current = m;
    if (!exportIntentRecorded(m)) {
      const intent = exportIntent(m, vm.powerState);
      current = await ctx.patch((s) => {
        s.source = { ...(s.source ?? {}), ...intent };
      });
    }
    const snapshotName = current.status?.source?.snapshotName;
    const session = await source.prepareExport(vm, { mode: exportMode(m), ...(snapshotName ? { snapshotName } : {}) });
    await ctx.patch((s) => {
      s.source = { ...(s.source ?? {}), ...(session.snapshotID ? { snapshotID: session.snapshotID } : {}), exportDisks: session.disks };
    });
  });
  return ctx.enter("Transferring", "copying disks");
}
