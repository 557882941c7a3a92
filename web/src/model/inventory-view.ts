// The per-VM facts the inventory browser shows, pure (search and filters run on the server).
import type { SourceInventoryDisk, SourceInventoryVM } from "../api/inventory.ts";

/** The disk's format as the source names it: the top of its backing chain. */
export const diskFormatOf = (d: SourceInventoryDisk): string => d.chain?.[0]?.format ?? "—";

export const totalDiskBytes = (vm: SourceInventoryVM): number => (vm.disks ?? []).reduce((n, d) => n + d.capacityBytes, 0);
