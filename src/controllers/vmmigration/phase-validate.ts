// Validating: providers Ready, the source VM exists and can be mapped, nothing on the target already holds the
// names or the identity this migration will use, and the pools have room. Records the disk plan (deterministic
// volume names derived from the migration's UID) and the source VM's identity.
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import type { VMMigration } from "../../api/vmmigration.ts";
import { aggregateProgress, planDisks, poolsNeeded, targetNamespace, targetVMName, unmappedNetworks } from "./plan.ts";
import { spaceShortfalls } from "./space.ts";
import { providerTenancyRefusal } from "../provider/tenancy-lookup.ts";
import { exists } from "./files.ts";
import { sourceVMOf, type StepContext, withProviders } from "./step-context.ts";
import { MigrationFailure } from "./steps.ts";
import { windowsConversionProblem } from "./guest-plan.ts";

export async function validate(ctx: StepContext, m: VMMigration): Promise<VMMigration> {
  const { deps } = ctx;
  // Before any Provider is contacted: its tenants may have changed since admission.
  const refused = await providerTenancyRefusal(deps.store, m);
  if (refused) throw new MigrationFailure("ProviderNotAllowed", refused.message);
  const vm = await withProviders(deps, m, async ({ source, target }) => {
    const [sh, th] = await Promise.all([source.check(), target.check()]);
    if (!sh.ready) throw new MigrationFailure("SourceUnavailable", `source provider "${m.spec.source.providerRef.name}" is not ready: ${sh.reason}: ${sh.message}`);
    if (!th.ready) throw new MigrationFailure("TargetUnavailable", `target provider "${m.spec.target.providerRef.name}" is not ready: ${th.reason}: ${th.message}`);
    // The target's default pool is ensured while the source answers (both sides wait on other processes); its
    // outcome is judged only after the source's, so a migration failing on both reports the source first.
    const [found, ensured] = await Promise.allSettled([sourceVMOf(source, m), target.ensureStorage()]);
    const vm = settled(found);
    const windows = windowsConversionProblem(m, vm.guestOS, await deps.virtioWin());
    if (windows) throw new MigrationFailure("WindowsDriversMissing", windows);
    if (vm.disks.length === 0) throw new MigrationFailure("NoDisks", `source VM "${vm.name}" has no disks to migrate`);
    if (m.spec.options?.mode === "warm" && !(source.setChangeTracking && source.queryChangedAreas)) {
      throw new MigrationFailure("NotSupported", `spec.options.mode "warm": source provider "${m.spec.source.providerRef.name}" (${source.type}) cannot track changed blocks; use mode cold or snapshot`);
    }
    await source.checkDisks?.(vm).catch((err) => {
      if ((err as { code?: string }).code === "NotSupported") throw new MigrationFailure("UnsupportedDisk", (err as Error).message);
      throw err;
    });
    const unmapped = unmappedNetworks(vm.nics, m.spec.target.networkMap);
    if (unmapped.length > 0) {
      throw new MigrationFailure("InvalidNetworkMap", `spec.target.networkMap has no entry for source network(s) ${unmapped.map((n) => `"${n}"`).join(", ")}; add {source, target} entries`);
    }
    const name = targetVMName(m);
    const tns = targetNamespace(m);
    // Independent lookups, started together; their failures are reported in this order.
    const [inStore, onTarget, pools] = await Promise.allSettled([
      deps.store.get<VirtualMachine>("VirtualMachine", tns, name).catch(() => undefined),
      vm.uuid ? target.getVM({ uuid: vm.uuid.toLowerCase() }) : undefined,
      // Each pool the storageMap sends a disk to; a pool the Provider does not declare fails here, naming those it does.
      Promise.all(
        poolsNeeded(m, vm)
          .filter((p): p is string => p !== undefined)
          .map((p) =>
            target.ensureStorage(p).catch((err: unknown) => {
              if ((err as { code?: string }).code === "InvalidArgument") throw new MigrationFailure("InvalidStorageMap", `spec.target.storageMap: ${(err as Error).message}`);
              throw err;
            }),
          ),
      ),
    ]);
    const existing = settled(inStore);
    if (existing && existing.metadata.annotations?.[`${deps.conventions.prefix}/migration`] !== m.metadata.name) {
      throw new MigrationFailure("TargetExists", `VirtualMachine "${tns}/${name}" already exists; set spec.target.vmName to another name or delete it`);
    }
    const sameMachine = settled(onTarget);
    if (sameMachine && !existing) {
      throw new MigrationFailure(
        "TargetExists",
        `the target already has a domain with the source VM's UUID ${vm.uuid} ("${sameMachine.name}"): "${vm.name}" was migrated there before; delete that copy or its VirtualMachine first — two machines with one identity must not run`,
      );
    }
    const storage = settled(ensured);
    const mapped = settled(pools);
    const storageOf = (p: string | undefined) => (p === undefined ? storage : (mapped.find((s) => s.pool === p) ?? storage));
    const disks = m.status?.disks?.length ? m.status.disks : planDisks(m, vm, storageOf);
    for (const d of disks) {
      if (d.state === "Pending" && (await exists(d.targetPath as string))) {
        throw new MigrationFailure("TargetExists", `target volume ${d.targetPath} already exists; remove it or choose another target name`);
      }
    }
    const short = spaceShortfalls(disks, storage, mapped);
    if (short.length > 0) throw new MigrationFailure("InsufficientSpace", short.join("; "));
    await ctx.patch((s) => {
      s.disks = disks;
      s.source = { ...(s.source ?? {}), vmID: vm.id, vmName: vm.name, uuid: vm.uuid };
      s.progress = aggregateProgress(disks);
      s.importID = disks[0].diskID;
      s.targetVMRef = { name, namespace: tns };
    });
    return vm;
  });
  return ctx.enter("Exporting", `preparing "${vm.name}" for export (${m.spec.options?.mode ?? "cold"})`);
}

/** The value of a settled promise, or its reason thrown. */
function settled<T>(result: PromiseSettledResult<T>): T {
  if (result.status === "rejected") throw result.reason;
  return result.value;
}
