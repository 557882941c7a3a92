// Full Cozystack adoption in Kubernetes mode: hand an adopted KubeVirt VM to Cozystack's vm-instance Helm release
// without recreating or restarting it. Order matters: the existing VirtualMachine and DataVolumes first get the
// Helm ownership metadata (labels and annotations only — never spec, so KubeVirt neither recreates nor restarts
// anything), then the HelmRelease, whose values reference the existing volumes by dvName and keep the VM's name;
// Helm then finds objects it may own instead of refusing them. Each step is reported as it completes.
import type { ClusterObjects } from "../../providers/kubevirt/cluster-objects.ts";
import type { CozystackRendered, OwnershipPatch } from "../../render/cozystack.ts";
import type { Manifest } from "../../render/manifest.ts";

export type FullAdoptionStep = { type: "own"; patch: OwnershipPatch } | { type: "apply"; object: Manifest };

/** Pure: the ordered steps, or why full adoption cannot be carried out for this rendering. */
export function fullAdoptionSteps(vm: string, rendered: CozystackRendered): FullAdoptionStep[] {
  const toCreate = rendered.objects.filter((o) => o.kind === "VMDisk");
  if (toCreate.length > 0) {
    throw new Error(
      `VirtualMachine "${vm}" cannot be fully adopted in place: disk(s) ${toCreate.map((d) => d.metadata.name).join(", ")} are not DataVolumes in the cluster; full adoption only takes over existing volumes`,
    );
  }
  if (rendered.ownership.length === 0) throw new Error(`VirtualMachine "${vm}" is not a KubeVirt VM in the cluster; there is nothing for a Helm release to take over`);
  const release = rendered.objects.find((o) => o.kind === "HelmRelease");
  if (!release) throw new Error(`rendering VirtualMachine "${vm}" gave no HelmRelease; render with --format helmrelease`);
  return [...rendered.ownership.map((patch) => ({ type: "own" as const, patch })), { type: "apply" as const, object: release }];
}

export function describeStep(step: FullAdoptionStep, outcome?: string): string {
  if (step.type === "own") {
    const m = step.patch.metadata;
    return `Helm ownership (release ${m.annotations["meta.helm.sh/release-name"]}) on ${step.patch.kind} ${m.namespace}/${m.name}`;
  }
  return `${step.object.kind} ${step.object.metadata.namespace}/${step.object.metadata.name} ${outcome ?? "applied"}`;
}

/** Runs the steps in order, stopping at the first failure (later steps need the earlier ones). */
export async function executeFullAdoption(steps: FullAdoptionStep[], cluster: ClusterObjects, report: (line: string) => void): Promise<string[]> {
  const done: string[] = [];
  for (const step of steps) {
    let line: string;
    if (step.type === "own") {
      await cluster.mergeMetadata(step.patch);
      line = describeStep(step);
    } else {
      line = describeStep(step, await cluster.apply(step.object));
    }
    done.push(line);
    report(line);
  }
  return done;
}
