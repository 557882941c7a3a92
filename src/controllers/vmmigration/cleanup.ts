// Undoing an unfinished migration (terminal failure or deletion): remove what it created on the target — its
// volumes (found under their deterministic names, which Validating proved free) and its staging directory —
// unless a VirtualMachine already uses them, and put the source back (snapshot removed by name or id, power
// restored when the migration turned it off; a warm migration's precopy snapshots removed and change tracking
// put back as it was).
import { rm } from "node:fs/promises";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import type { VMMigration } from "../../api/vmmigration.ts";
import { exportMode, exportSessionOf, sourceTouched } from "./decide.ts";
import { staleSnapshots } from "./decide-warm.ts";
import { precopySession } from "./precopy.ts";
import { exists } from "./files.ts";
import { stagingDir, targetNamespace, targetVMName } from "./plan.ts";
import { type RunnerDeps, withProviders } from "./step-context.ts";

export async function cleanupMigration(deps: RunnerDeps, m: VMMigration): Promise<void> {
  if (m.status?.phase === "Succeeded") return;
  await withProviders(deps, m, async ({ source, target }) => {
    const storage = await target.ensureStorage().catch(() => undefined);
    const vmUsesDisks = await deps.store
      .get<VirtualMachine>("VirtualMachine", targetNamespace(m), targetVMName(m))
      .then((vm) => vm.metadata.annotations?.[`${deps.conventions.prefix}/migration`] === m.metadata.name)
      .catch(() => false);
    if (!vmUsesDisks) {
      for (const d of m.status?.disks ?? []) {
        if (d.state === "Pending" || !d.targetPath) continue;
        // Volumes that are not local files (KubeVirt DataVolumes) are looked up on the target.
        const present = target.describeVolume ? (await target.describeVolume(d.targetPath).catch(() => undefined)) !== undefined : await exists(d.targetPath);
        if (present) await target.deleteDisk(d.targetPath).catch(() => undefined);
      }
    }
    if (storage) await rm(stagingDir(storage.path, m), { recursive: true, force: true });
    if (exportMode(m) === "warm" && m.status?.source?.vmID) {
      for (const p of staleSnapshots(m)) await source.finishExport(precopySession(m, p), { restorePower: false });
      if (m.status.source.changeTrackingBefore === false) await source.setChangeTracking?.(m.status.source.vmID, false);
    }
    if (sourceTouched(m) && m.status?.source?.vmID) {
      const session = exportSessionOf(m);
      await source.finishExport(session, { restorePower: session.poweredOffByExport });
    }
  });
}
