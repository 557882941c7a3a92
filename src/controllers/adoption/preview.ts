// The adoption preview (`POST …/providers/{name}/adopt?dryRun=All`): what adopting one VM would write — the
// labels on the VM, the tracking ConfigMap, the mirror VirtualMachine — and, for the Cozystack preset, the
// VMInstance/VMDisk manifests `landfall render cozystack` would print for it. Pure: the service decides, this
// only arranges the decision for a reader.
import type { ConfigMap } from "../../api/configmap.ts";
import { DEFAULT_CONVENTIONS, PRESETS } from "../../api/conventions.ts";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import type { TargetVM } from "../../providers/contract.ts";
import { renderCozystack } from "../../render/cozystack.ts";
import type { Manifest } from "../../render/manifest.ts";
import { volumesOfLiveKubeVirtVM } from "../../render/vminstance-values.ts";
import type { AdoptionDecision } from "./decide.ts";
import { recordedDiskSizes } from "./sizes.ts";

export interface AdoptionPreview {
  apiVersion: "landfall.dev/v1beta1";
  kind: "AdoptionPreview";
  vm: { name: string; uuid: string };
  decision: AdoptionDecision["decision"];
  reason: string;
  plan?: string;
  /** Labels written on the VM (libvirt: in the domain's metadata); null removes one. */
  labels: Record<string, string | null>;
  trackingRecord?: ConfigMap;
  virtualMachine?: VirtualMachine;
  /** `render cozystack` of the mirror VirtualMachine with the Cozystack preset; `error` when it cannot be rendered. */
  cozystack?: { objects: Manifest[]; warnings: string[] } | { error: string };
}

export function adoptionPreview(decision: AdoptionDecision, live: TargetVM, providerType: string): AdoptionPreview {
  const labels = Object.assign({}, ...decision.actions.flatMap((a) => (a.type === "set-labels" ? [a.labels] : []))) as Record<string, string | null>;
  const trackingRecord = decision.actions.find((a) => a.type === "create-configmap")?.configMap;
  const virtualMachine = decision.actions.find((a) => a.type === "create-virtualmachine")?.virtualMachine;
  return {
    apiVersion: "landfall.dev/v1beta1",
    kind: "AdoptionPreview",
    vm: { name: decision.name, uuid: decision.uuid },
    decision: decision.decision,
    reason: decision.reason,
    ...(decision.plan ? { plan: decision.plan } : {}),
    labels,
    ...(trackingRecord ? { trackingRecord } : {}),
    ...(virtualMachine ? { virtualMachine, cozystack: cozystackOf(virtualMachine, live, providerType, decision.plan) } : {}),
  };
}

function cozystackOf(vm: VirtualMachine, live: TargetVM, providerType: string, plan: string | undefined): AdoptionPreview["cozystack"] {
  try {
    const rendered = renderCozystack({
      vm,
      live,
      conventions: { ...DEFAULT_CONVENTIONS, ...PRESETS.cozystack },
      plan,
      ...(providerType === "kubevirt" ? { existingVolumes: volumesOfLiveKubeVirtVM(live) } : {}),
      diskSizes: recordedDiskSizes(vm),
    });
    return { objects: rendered.objects, warnings: rendered.warnings };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
