// Adoption must not bring disks under management that lie outside the target's storage (storagePoolPath plus the
// Provider's allowedStoragePaths): the mirror VirtualMachine is created by the adoption itself, past the API's
// admission check, so the same confinement is judged here — before anything is written.
import { dirname } from "node:path";
import type { VirtualMachine } from "../../api/virtualmachine.ts";

/** Every disk path a mirror VirtualMachine writes, with the field that holds it. */
export function mirroredDiskPaths(vm: VirtualMachine): Array<{ field: string; path: string }> {
  const out: Array<{ field: string; path: string }> = [];
  if (vm.spec.importedDisk?.path) out.push({ field: "spec.importedDisk.path", path: vm.spec.importedDisk.path });
  for (const [i, d] of (vm.spec.dataDisks ?? []).entries()) if (d.path) out.push({ field: `spec.dataDisks[${i}].path`, path: d.path });
  return out;
}

export interface StorageContext {
  vm: string;
  provider: string;
  pool: string;
  /** storagePoolPath first, then allowedStoragePaths. */
  roots: string[];
}

/**
 * Why the VM may not be adopted, naming each directory an administrator would have to allow; undefined when every
 * disk lies inside. `outside` are the resolved paths of the disks that fail confinement.
 */
export function storageRefusal(ctx: StorageContext, outside: string[]): string | undefined {
  if (outside.length === 0) return undefined;
  const dirs = [...new Set(outside.map((p) => dirname(p)))];
  const where = ctx.roots.length ? ctx.roots.join(", ") : "no storagePoolPath set";
  return (
    `VM "${ctx.vm}" was not adopted: its disk${outside.length > 1 ? "s" : ""} ${outside.map((p) => `"${p}"`).join(", ")} ` +
    `lie${outside.length > 1 ? "" : "s"} outside storage pool "${ctx.pool}" (${where}); add ${dirs.map((d) => `"${d}"`).join(", ")} ` +
    `to Provider "${ctx.provider}" spec.allowedStoragePaths (or move the disk into the pool) and adopt again`
  );
}
