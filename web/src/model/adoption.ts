// Which VMs on a target provider can be adopted: those no landfall VirtualMachine owns yet.
import type { TargetInventoryVM } from "../api/inventory.ts";
import { prefixed } from "./objects.ts";

/** A domain landfall manages carries `<prefix>/owner-uid` (the VirtualMachine's UID) in its metadata. */
export const isAdoptable = (vm: TargetInventoryVM): boolean => prefixed(vm.labels, "owner-uid") === undefined;

export const adoptableVMs = (items: readonly TargetInventoryVM[]): TargetInventoryVM[] => items.filter(isAdoptable);
