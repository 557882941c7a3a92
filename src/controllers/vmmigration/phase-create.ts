// Creating: the VirtualMachine (looked up first: an earlier attempt may have created it), then wait for the
// VirtualMachine controller to define and start the domain (it finds a domain with the source's UUID instead of
// defining a second), then (warm) record the downtime, remove the precopy snapshots, put change tracking back and
// take the disks' sha256 from their staging files (staging-sha256.ts), then finish the export (remove the snapshot, restore power if asked) and record Succeeded.
// Every part is idempotent, so a crash just before Succeeded reruns it to the same end.
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import type { VMMigration } from "../../api/vmmigration.ts";
import { setCondition } from "../../runtime/conditions.ts";
import { sleepUnlessAborted } from "../../runtime/sleep.ts";
import { exportSessionOf } from "./decide.ts";
import { downtimeSeconds } from "./decide-warm.ts";
import { aggregateProgress, targetNamespace, targetVMName, virtualMachineFor } from "./plan.ts";
import { restoreWarmSource } from "./precopy.ts";
import { recordStagingSha256 } from "./staging-sha256.ts";
import { sourceVMOf, type StepContext, withProviders } from "./step-context.ts";
import { MigrationFailure } from "./steps.ts";

const nowISO = () => new Date().toISOString();

export async function create(ctx: StepContext, m: VMMigration): Promise<VMMigration> {
  const { deps } = ctx;
  const name = targetVMName(m);
  const ns = targetNamespace(m);
  const vm = await withProviders(deps, m, async ({ source, sourceType }) => {
    let vm = await deps.store.get<VirtualMachine>("VirtualMachine", ns, name).catch(() => undefined);
    if (!vm) {
      const sourceVM = await sourceVMOf(source, m);
      vm = await deps.store.create(virtualMachineFor({ migration: m, sourceVM, sourceProviderType: sourceType, disks: m.status?.disks ?? [], conventions: deps.conventions }));
    }
    return vm;
  });
  const ready = await waitReady(ctx, ns, name, vm);
  const downtime = downtimeSeconds(m, Date.now());
  // Warm: the downtime ends here (recorded first, so a rerun keeps it); then the source is put back and each
  // disk's sha256 taken from its staging file.
  const current =
    downtime === undefined
      ? m
      : await ctx.patch((s) => {
          s.downtimeSeconds ??= downtime;
        });
  await withProviders(deps, current, async ({ source, target }) => {
    const restored = await restoreWarmSource(ctx, source, current);
    await recordStagingSha256(ctx, restored, target);
    await source.finishExport(exportSessionOf(current), { restorePower: m.spec.options?.restoreSourcePower ?? false });
  });
  const message = `VirtualMachine ${ns}/${name} created from the imported disks (domain ${ready.status?.providerID})`;
  const done = await ctx.patch((s) => {
    s.phase = "Succeeded";
    s.phaseHistory = [...(s.phaseHistory ?? []), { phase: "Succeeded", enteredAt: nowISO() }];
    s.completedAt = nowISO();
    s.message = message;
    s.progress = aggregateProgress(s.disks ?? []);
    s.conditions = setCondition(s.conditions, { type: "Ready", status: "True", reason: "Succeeded", message });
  });
  ctx.log("Succeeded");
  deps.events?.record({ kind: "VMMigration", metadata: { name: ctx.name, namespace: ctx.ns } }, "Normal", "Succeeded", message);
  deps.onFinished?.(done);
  return done;
}

async function waitReady(ctx: StepContext, ns: string, name: string, first: VirtualMachine): Promise<VirtualMachine> {
  const deadline = Date.now() + (ctx.deps.createTimeoutMs ?? 300_000);
  let vm = first;
  for (;;) {
    ctx.signal.throwIfAborted();
    vm = await ctx.deps.store.get<VirtualMachine>("VirtualMachine", ns, name);
    const ready = vm.status?.conditions?.find((c) => c.type === "Ready");
    if (vm.status?.phase === "Failed") {
      throw new MigrationFailure("CreateFailed", `VirtualMachine "${ns}/${name}" failed: ${ready?.message ?? vm.status.message ?? "see its status"}`);
    }
    if (vm.status?.providerID && ready?.status === "True") return vm;
    if (Date.now() > deadline) throw new Error(`VirtualMachine "${ns}/${name}" is not Ready yet: ${ready?.message ?? "waiting for its controller"}`);
    await sleepUnlessAborted(100, ctx.signal); // an abort ends the wait; the loop then throws its reason
  }
}
