// A page of a Provider's inventory: the VMs in key order (name, then id/UUID), filtered by a search text and a
// power state, after the previous page's key. Pure; the route reads the list from the inventory cache.
import type { SourceVM, TargetVM } from "../../providers/contract.ts";
import { type KeyPage, pageAfterKey } from "../../server/key-pages.ts";
import type { ProviderInventory } from "./inventory.ts";

export interface InventoryQuery {
  /** Case-insensitive substring of the name or (sources) guest OS; "" for any. */
  search: string;
  /** A source's powerState or a target's state; "" for any. */
  power: string;
}

export const sourceVMKey = (vm: SourceVM): string => `${vm.name}\u0000${vm.id}`;
export const targetVMKey = (vm: TargetVM): string => `${vm.name}\u0000${vm.uuid}`;

const byKey =
  <T>(keyOf: (t: T) => string) =>
  (a: T, b: T): number => {
    const ka = keyOf(a);
    const kb = keyOf(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  };

/** The inventory in key order, the order pages are cut in. */
export function inKeyOrder(inv: ProviderInventory): ProviderInventory {
  return inv.kind === "SourceVMList" ? { kind: inv.kind, items: [...inv.items].sort(byKey(sourceVMKey)) } : { kind: inv.kind, items: [...inv.items].sort(byKey(targetVMKey)) };
}

const matchesSource = (vm: SourceVM, q: string, power: string): boolean =>
  (!power || vm.powerState === power) && (!q || vm.name.toLowerCase().includes(q) || (vm.guestOS ?? "").toLowerCase().includes(q));
const matchesTarget = (vm: TargetVM, q: string, power: string): boolean => (!power || vm.state === power) && (!q || vm.name.toLowerCase().includes(q));

export type InventoryPage = ({ kind: "SourceVMList" } & KeyPage<SourceVM>) | ({ kind: "TargetVMList" } & KeyPage<TargetVM>);

/** `sorted` must be inKeyOrder's result. */
export function inventoryPage(sorted: ProviderInventory, query: InventoryQuery, limit: number | undefined, token: string | undefined): InventoryPage {
  const q = query.search.trim().toLowerCase();
  if (sorted.kind === "SourceVMList") {
    return { kind: sorted.kind, ...pageAfterKey(sorted.items.filter((vm) => matchesSource(vm, q, query.power)), sourceVMKey, limit, token) };
  }
  return { kind: sorted.kind, ...pageAfterKey(sorted.items.filter((vm) => matchesTarget(vm, q, query.power)), targetVMKey, limit, token) };
}
