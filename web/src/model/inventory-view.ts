// The inventory browser's filtering and the per-VM facts it shows, pure.
import type { SourceInventoryDisk, SourceInventoryVM } from "../api/inventory.ts";

export interface InventoryFilter {
  /** Case-insensitive substring of the name or guest OS. */
  search: string;
  /** "" for every power state. */
  power: string;
}

export const filterInventory = (vms: readonly SourceInventoryVM[], f: InventoryFilter): SourceInventoryVM[] => {
  const q = f.search.trim().toLowerCase();
  return vms.filter((vm) => (!f.power || vm.powerState === f.power) && (!q || vm.name.toLowerCase().includes(q) || (vm.guestOS ?? "").toLowerCase().includes(q)));
};

/** The disk's format as the source names it: the top of its backing chain. */
export const diskFormatOf = (d: SourceInventoryDisk): string => d.chain?.[0]?.format ?? "—";

export const totalDiskBytes = (vm: SourceInventoryVM): number => (vm.disks ?? []).reduce((n, d) => n + d.capacityBytes, 0);
