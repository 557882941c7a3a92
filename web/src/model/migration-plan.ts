// The Migrate wizard's decisions, without a browser: maps pre-filled from the inventory, the checks the
// wizard makes before it lets the user create, and the VMMigration (one VM) or VMImport (several) it creates.
import type { SourceInventoryVM } from "../api/inventory.ts";

export interface MapEntry {
  source: string;
  target: string;
}

export interface MigrationPlanValues {
  namespace: string;
  /** Source Provider name (in `namespace`). */
  sourceProvider: string;
  targetProvider: string;
  /** One VM: the VMMigration's name and the target VM's name. Several: the VMImport's name. */
  name: string;
  /** Target VM name per source VM name (several VMs); one VM uses `name`. */
  targetNames: Record<string, string>;
  networkMap: MapEntry[];
  storageMap: MapEntry[];
  mode: "cold" | "snapshot" | "warm";
  /** Warm: time between precopies (e.g. 10m, 30s); empty: the server's default (10m). */
  precopyInterval: string;
  /** Warm: when to cut over, as a datetime-local input gives it (the browser's time zone); empty: cut over by hand later. */
  cutoverAt: string;
  diskFormat: "qcow2" | "raw";
  powerOn: boolean;
  verifyChecksums: boolean;
  /** Empty: no cap. */
  bandwidthMiBps: string;
}

/** Network/target pairs for every network the VMs use; `defaultTarget` is what a new entry maps to. */
export function prefillNetworkMap(vms: readonly SourceInventoryVM[], defaultTarget: string): MapEntry[] {
  return unique(vms.flatMap((vm) => (vm.nics ?? []).map((n) => n.network))).map((source) => ({ source, target: defaultTarget }));
}

/** Datastore/pool pairs for every datastore holding a disk of the VMs. */
export function prefillStorageMap(vms: readonly SourceInventoryVM[], defaultTarget: string): MapEntry[] {
  return unique(vms.flatMap((vm) => (vm.disks ?? []).map((d) => d.datastore))).map((source) => ({ source, target: defaultTarget }));
}

const unique = (xs: string[]): string[] => [...new Set(xs)].sort();

/** Lower-case DNS-1123 label, as the API requires of names. */
const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A name the API would accept, derived from a vSphere VM name ("Web 01_prod" → "web-01-prod"). */
export const suggestName = (vmName: string): string =>
  vmName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63) || "vm";

/** Problems per wizard field id (the same ids the API's causes are sorted to); empty when the plan can be created. */
export function planProblems(v: MigrationPlanValues, vms: readonly SourceInventoryVM[]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!v.targetProvider) out.targetProvider = "choose the libvirt Provider the VM is created on";
  if (!DNS1123.test(v.name) || v.name.length > 63) out.name = `"${v.name}" is not a valid name: use lower-case letters, digits and '-' (at most 63)`;
  if (vms.length > 1) {
    const bad = vms.filter((vm) => !DNS1123.test(v.targetNames[vm.name] ?? ""));
    if (bad.length) out.targetNames = `target names of ${bad.map((vm) => vm.name).join(", ")} are not valid names`;
  }
  const unmapped = prefillNetworkMap(vms, "").filter((e) => !v.networkMap.some((m) => m.source === e.source && m.target.trim() !== ""));
  if (unmapped.length) out.networkMap = `map every source network: ${unmapped.map((e) => e.source).join(", ")}`;
  const unmappedDs = prefillStorageMap(vms, "").filter((e) => !v.storageMap.some((m) => m.source === e.source && m.target.trim() !== ""));
  if (unmappedDs.length) out.storageMap = `map every datastore: ${unmappedDs.map((e) => e.source).join(", ")}`;
  if (v.mode === "warm") {
    if (vms.length > 1) out.mode = "warm migration moves one VM at a time: select a single VM, or choose cold or snapshot";
    if (v.precopyInterval.trim() !== "" && !/^[0-9]+(ms|s|m|h)$/.test(v.precopyInterval.trim())) out.precopyInterval = `"${v.precopyInterval}" is not a duration: write e.g. 10m, 30s or 1h`;
    if (v.cutoverAt.trim() !== "" && Number.isNaN(Date.parse(v.cutoverAt))) out.cutoverAt = `"${v.cutoverAt}" is not a date and time`;
  }
  if (v.bandwidthMiBps.trim() !== "" && !/^[1-9][0-9]*$/.test(v.bandwidthMiBps.trim())) out.bandwidthMiBps = `"${v.bandwidthMiBps}" is not a whole number of MiB/s`;
  return out;
}

/** Wizard field id → the API paths it edits, for sorting the server's field errors. */
export const PLAN_FIELDS = {
  name: ["metadata.name", "spec.target.vmName"],
  targetProvider: ["spec.target.providerRef"],
  targetNames: ["spec.vms"],
  networkMap: ["spec.target.networkMap", "spec.networkMap"],
  storageMap: ["spec.target.storageMap", "spec.storageMap"],
  bandwidthMiBps: ["spec.options.bandwidthMiBps"],
  mode: ["spec.options.mode"],
  precopyInterval: ["spec.options.precopyInterval"],
  cutoverAt: ["spec.cutover"],
} as const;

export interface PlannedObject {
  plural: "vmmigrations" | "vmimports";
  object: { apiVersion: string; kind: "VMMigration" | "VMImport"; metadata: { name: string; namespace: string }; spec: Record<string, unknown> };
}

/** One VM → a VMMigration; several → a VMImport of them (the import controller creates one VMMigration each). */
export function plannedObject(v: MigrationPlanValues, vms: readonly SourceInventoryVM[]): PlannedObject {
  const metadata = { name: v.name, namespace: v.namespace };
  const bandwidth = v.bandwidthMiBps.trim() ? Number(v.bandwidthMiBps.trim()) : undefined;
  const networkMap = v.networkMap.length ? v.networkMap : undefined;
  const storageMap = v.storageMap.length ? v.storageMap : undefined;
  if (vms.length === 1) {
    const warm = v.mode === "warm";
    const precopyInterval = warm && v.precopyInterval.trim() ? v.precopyInterval.trim() : undefined;
    const cutover = warm && v.cutoverAt.trim() ? new Date(v.cutoverAt).toISOString() : undefined;
    return {
      plural: "vmmigrations",
      object: {
        apiVersion: "landfall.dev/v1beta1",
        kind: "VMMigration",
        metadata,
        spec: {
          source: { providerRef: { name: v.sourceProvider }, vmName: vms[0].name },
          target: { providerRef: { name: v.targetProvider }, vmName: v.name, powerOn: v.powerOn, networkMap, storageMap },
          cutover,
          options: { mode: v.mode, precopyInterval, diskFormat: v.diskFormat, verifyChecksums: v.verifyChecksums, bandwidthMiBps: bandwidth },
        },
      },
    };
  }
  return {
    plural: "vmimports",
    object: {
      apiVersion: "landfall.dev/v1beta1",
      kind: "VMImport",
      metadata,
      spec: {
        source: { providerRef: { name: v.sourceProvider } },
        vms: vms.map((vm) => ({ name: vm.name, targetName: v.targetNames[vm.name] })),
        target: { providerRef: { name: v.targetProvider }, powerOn: v.powerOn },
        networkMap,
        storageMap,
        options: { mode: v.mode, diskFormat: v.diskFormat },
      },
    },
  };
}

/** A retry: a new VMMigration with the failed one's spec under the name the user chose (status and identity dropped). */
export const retryOf = (failed: { metadata: { namespace?: string }; spec: Record<string, unknown> }, name: string) => ({
  apiVersion: "landfall.dev/v1beta1",
  kind: "VMMigration",
  metadata: { name, namespace: failed.metadata.namespace ?? "default" },
  spec: failed.spec,
});
