// Adoption must not bring disks under management that lie outside the target's storage (storagePoolPath plus the
// Provider's allowedStoragePaths), nor disks whose backing chain leaves it: the mirror VirtualMachine is created by
// the adoption itself, past the API's admission check, so the same confinement is judged here — before anything
// is written or read.
import { dirname } from "node:path";
import type { VirtualMachine } from "../../api/virtualmachine.ts";

/** Every disk path a VirtualMachine names, with the field that holds it and its format (qcow2 unless stated). */
export function virtualMachineDiskPaths(vm: VirtualMachine): Array<{ field: string; path: string; format: string }> {
  const out: Array<{ field: string; path: string; format: string }> = [];
  const d0 = vm.spec?.importedDisk;
  if (d0?.path) out.push({ field: "spec.importedDisk.path", path: d0.path, format: d0.format ?? "qcow2" });
  for (const [i, d] of (vm.spec?.dataDisks ?? []).entries()) if (d.path) out.push({ field: `spec.dataDisks[${i}].path`, path: d.path, format: d.format ?? "qcow2" });
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
 * Why the VM may not be adopted, naming each directory an administrator would have to allow and each file of a
 * backing chain that leaves the storage; undefined when every disk and chain lies inside. `outside` are the
 * resolved paths of the disks that fail confinement; `chains` the refusals of disks inside whose chain leaves.
 */
export function storageRefusal(ctx: StorageContext, outside: string[], chains: string[] = []): string | undefined {
  if (outside.length === 0 && chains.length === 0) return undefined;
  const where = ctx.roots.length ? ctx.roots.join(", ") : "no storagePoolPath set";
  const reasons: string[] = [];
  if (outside.length > 0) {
    const dirs = [...new Set(outside.map((p) => dirname(p)))];
    reasons.push(
      `its disk${outside.length > 1 ? "s" : ""} ${outside.map((p) => `"${p}"`).join(", ")} ` +
        `lie${outside.length > 1 ? "" : "s"} outside storage pool "${ctx.pool}" (${where}); add ${dirs.map((d) => `"${d}"`).join(", ")} ` +
        `to Provider "${ctx.provider}" spec.allowedStoragePaths (or move the disk into the pool) and adopt again`,
    );
  }
  reasons.push(...chains);
  return `VM "${ctx.vm}" was not adopted: ${reasons.join("; ")}`;
}
