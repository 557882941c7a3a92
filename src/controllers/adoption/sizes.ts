// Adopted VMs record the size of each disk as measured from its volume (status.disks[].sizeBytes), so rendering
// them for Cozystack never has to ask for one. Pure: the service measures, this writes the record.
import type { VirtualMachine } from "../../api/virtualmachine.ts";

/** The mirror VirtualMachine with status.disks listing every disk and, where measured, its size in bytes. */
export function withDiskSizes(vm: VirtualMachine, sizes: ReadonlyMap<string, number>): VirtualMachine {
  const all = [...(vm.spec.importedDisk ? [vm.spec.importedDisk] : []), ...(vm.spec.dataDisks ?? [])];
  const disks = all.flatMap((d) =>
    d.path ? [{ diskID: d.diskID, path: d.path, format: d.format ?? "qcow2", ...(sizes.has(d.path) ? { sizeBytes: sizes.get(d.path) } : {}) }] : [],
  );
  return { ...vm, status: { ...(vm.status ?? {}), disks } };
}

/** diskID → size for every disk whose size was recorded (boot disk first), for render. */
export function recordedDiskSizes(vm: VirtualMachine): Record<string, number> {
  const out: Record<string, number> = {};
  for (const d of vm.status?.disks ?? []) if (d.sizeBytes !== undefined && d.sizeBytes > 0) out[d.diskID] = d.sizeBytes;
  const boot = vm.spec.importedDisk;
  const bootSize = vm.status?.diskInfo?.virtualSizeBytes;
  if (boot && out[boot.diskID] === undefined && bootSize !== undefined && bootSize > 0) out[boot.diskID] = bootSize;
  return out;
}
