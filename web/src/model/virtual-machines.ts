// What the dashboard shows about VirtualMachines: where the disk came from, provenance, adoption.
import type { ConfigMap, VirtualMachine } from "../api/generated.ts";
import { annotationValue, labelValue, objectKey } from "./objects.ts";

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

export interface AdoptionRecord {
  sourcePlan?: string;
  sourceType?: string;
  adoptedAt?: string;
  managementEndpoint?: string;
}

/** The tracking ConfigMap `vm-adopted-<vm>` in the VM's namespace, as a record (empty when absent). */
export function adoptionRecordFor(vm: VirtualMachine, configMaps: readonly ConfigMap[]): AdoptionRecord {
  const ns = vm.metadata.namespace ?? "default";
  const cm = configMaps.find((c) => c.metadata.name === `vm-adopted-${vm.metadata.name}` && (c.metadata.namespace ?? "default") === ns);
  const d = cm?.data ?? {};
  return { sourcePlan: d.sourcePlan, sourceType: d.sourceType, adoptedAt: d.adoptedAt, managementEndpoint: d.managementEndpoint };
}

export interface AdoptedRow {
  key: string;
  vm: VirtualMachine;
  /** The plan the VM came from: the original-plan label, else the ConfigMap's sourcePlan. */
  sourcePlan?: string;
  sourceType?: string;
  adoptedAt?: string;
}

export function adoptedRows(vms: readonly VirtualMachine[], configMaps: readonly ConfigMap[]): AdoptedRow[] {
  return vms.filter(isAdopted).map((vm) => {
    const record = adoptionRecordFor(vm, configMaps);
    return { key: objectKey(vm), vm, sourcePlan: labelValue(vm, "original-plan") ?? record.sourcePlan, sourceType: record.sourceType, adoptedAt: record.adoptedAt };
  });
}

export interface AdoptedFilter {
  /** `key=value` or `key` (any value); "" for none. */
  label: string;
  /** Substring of the source plan; "" for any. */
  plan: string;
  /** Exact source type (vmware, …); "" for any. */
  sourceType: string;
}

export function filterAdoptedRows(rows: readonly AdoptedRow[], f: AdoptedFilter): AdoptedRow[] {
  const [key, value] = f.label.trim().split("=", 2).map((s) => s.trim());
  return rows.filter((r) => {
    const labels = r.vm.metadata.labels ?? {};
    if (key && (value === undefined ? !(key in labels) : labels[key] !== value)) return false;
    if (f.plan.trim() && !(r.sourcePlan ?? "").includes(f.plan.trim())) return false;
    return !f.sourceType || r.sourceType === f.sourceType;
  });
}

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
