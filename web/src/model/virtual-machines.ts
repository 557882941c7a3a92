// What the dashboard shows about VirtualMachines: where the disk came from, provenance, adoption.
import type { VirtualMachine } from "../api/generated.ts";
import { annotationValue, labelValue } from "./objects.ts";

/** importedDisk.source (migration, clone, import, …) or the base image the VM was built from. */
export function diskSource(vm: VirtualMachine): string {
  if (vm.spec.importedDisk) return vm.spec.importedDisk.source ?? "manual";
  if (vm.spec.imageRef) return `image ${vm.spec.imageRef.name}`;
  return "—";
}

export interface Provenance {
  migratedFrom?: string;
  migration?: string;
  importedDiskID?: string;
  diskChecksum?: string;
}

export const provenanceOf = (vm: VirtualMachine): Provenance => ({
  migratedFrom: annotationValue(vm, "migrated-from"),
  migration: annotationValue(vm, "migration"),
  importedDiskID: annotationValue(vm, "imported-disk-id"),
  diskChecksum: annotationValue(vm, "disk-checksum"),
});

/** Adopted VMs carry `<prefix>/adopted=true` (landfall.dev or cozystack.io). */
export const isAdopted = (vm: VirtualMachine): boolean => labelValue(vm, "adopted") === "true";

/** Desired power: spec.powerState, defaulting to On as the controller does. */
export const desiredPower = (vm: VirtualMachine): "On" | "Off" => vm.spec.powerState ?? "On";

export interface GuestSummary {
  os?: string;
  hostname?: string;
  ipAddresses?: string;
  agent?: string;
}

/** status.guest as the details panel shows it: "Debian GNU/Linux 12 (bookworm)", addresses, the agent's state. */
export function guestSummary(vm: VirtualMachine): GuestSummary {
  const g = vm.status?.guest;
  if (!g) return {};
  const name = g.productName ?? [g.distro, g.version].filter(Boolean).join(" ");
  return {
    os: name || g.os,
    hostname: g.hostname,
    ipAddresses: g.ipAddresses?.length ? g.ipAddresses.join(", ") : undefined,
    agent: g.agentReachable ? "answering" : (g.message ?? "not answering yet"),
  };
}
