// `landfall render kubevirt VM`: a managed VirtualMachine as the KubeVirt and CDI manifests that would run it
// on a cluster — one DataVolume per disk and a kubevirt.io/v1 VirtualMachine with its provenance annotations.
import { type Conventions, keys } from "../api/conventions.ts";
import type { VirtualMachine } from "../api/virtualmachine.ts";
import type { TargetVMSpec } from "../providers/contract.ts";
import { type DiskSource, dataVolumeManifest, type KubeObjectManifest, virtualMachineManifest } from "../providers/kubevirt/manifests.ts";
import { recordedDiskSizes } from "../controllers/adoption/sizes.ts";
import { trimName } from "./manifest.ts";

export interface KubeVirtRenderInput {
  vm: VirtualMachine;
  conventions: Conventions;
  /** Namespace of the cluster objects; default: the VM's. */
  namespace?: string;
  storageClass?: string;
  /** Where each disk's bytes come from; default: an upload through the CDI upload proxy. */
  diskSource?: (diskID: string) => DiskSource;
}

export interface KubeVirtRendered {
  objects: KubeObjectManifest[];
  warnings: string[];
}

const GiB = 2 ** 30;

export function renderKubeVirt(input: KubeVirtRenderInput): KubeVirtRendered {
  const { vm, conventions } = input;
  const name = vm.metadata.name;
  const namespace = input.namespace ?? vm.metadata.namespace ?? "default";
  const boot = vm.spec.importedDisk;
  if (!boot) throw new Error(`VirtualMachine "${name}" has no spec.importedDisk; only VMs with imported disks can be rendered for KubeVirt (an imageRef VM has no disk of its own to carry over)`);
  const sizes = recordedDiskSizes(vm);
  const k = keys(conventions);
  const disks = [boot, ...(vm.spec.dataDisks ?? [])];
  const warnings: string[] = [];
  const dataVolumes = disks.map((d, i) => {
    const field = i === 0 ? "spec.importedDisk" : `spec.dataDisks[${i - 1}]`;
    const sizeBytes = Math.max(sizes[d.diskID] ?? 0, (d.sizeGiB ?? 0) * GiB);
    if (sizeBytes === 0) throw new Error(`VirtualMachine "${name}": the size of ${field} (disk "${d.diskID}") is unknown; set ${field}.sizeGiB`);
    const source = input.diskSource?.(d.diskID) ?? { type: "upload" as const };
    if (source.type === "upload") warnings.push(`DataVolume ${trimName(`${name}-${d.diskID}`)} waits for an upload (virtctl image-upload dv ${trimName(`${name}-${d.diskID}`)} --image-path=…)`);
    return dataVolumeManifest({
      name: trimName(d.diskID.startsWith(name) ? d.diskID : `${name}-${d.diskID}`),
      namespace,
      sizeBytes,
      source,
      ...(input.storageClass ? { storageClass: input.storageClass } : {}),
      annotations: { [k.importedDiskID]: d.diskID },
    });
  });
  const spec: TargetVMSpec = {
    name,
    ...(vm.spec.uuid ? { uuid: vm.spec.uuid } : {}),
    cpus: vm.spec.cpus ?? 1,
    memoryMiB: vm.spec.memoryMiB ?? 1024,
    firmware: vm.spec.firmware ?? "bios",
    disks: disks.map(() => ({ path: "", format: "raw", bus: vm.spec.diskBus ?? "virtio" })),
    nics: (vm.spec.networks ?? []).map((n) => ({ network: n.name, model: n.model ?? "virtio", ...(n.macAddress ? { macAddress: n.macAddress } : {}) })),
  };
  const provenance = Object.fromEntries(Object.entries(vm.metadata.annotations ?? {}).filter(([key]) => key.startsWith(`${conventions.prefix}/`)));
  const machine = virtualMachineManifest({
    spec,
    namespace,
    dataVolumes: dataVolumes.map((dv) => dv.metadata.name),
    runStrategy: vm.spec.powerState === "Off" ? "Halted" : "Always",
    annotations: provenance,
  });
  return { objects: [...dataVolumes, machine], warnings };
}
