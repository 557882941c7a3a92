// VMImport plan logic, pure: validate a plan against the source inventory and the target's storage pools, derive
// the VMMigrations it owns, start them with bounded concurrency (failFast: none after a failure), fold their status into the import's, and decide what cleanup may delete — only
// the import's own VMMigrations, never Providers, VirtualMachines or disks.
import { createHash } from "node:crypto";
import { type Conventions, keys, targetNameFor } from "../../api/conventions.ts";
import { API_VERSION, DNS1123_LABEL, type KubeObject } from "../../api/meta.ts";
import type { VMImport, VMImportPhase, VMImportSpec, VMImportStatus } from "../../api/vmimport.ts";
import type { VMMigration } from "../../api/vmmigration.ts";
import type { SourceVM } from "../../providers/contract.ts";
import { storageMapCauses } from "../../api/libvirt-pools.ts";
import type { ProviderSpec } from "../../api/provider.ts";

type PlanVM = VMImportSpec["vms"][number];
type StatusVM = NonNullable<VMImportStatus["vms"]>[number];

/** The source VM a plan entry names: by id (moref) when given, else by name. */
export function findSourceVM(entry: PlanVM, sourceVMs: SourceVM[]): SourceVM | undefined {
  if (entry.id) return sourceVMs.find((vm) => vm.id === entry.id);
  return sourceVMs.find((vm) => vm.name === entry.name);
}

/** The VirtualMachine name a plan entry gets: its targetName, else the source name made DNS-1123. */
export function targetNameOf(entry: PlanVM, source: SourceVM | undefined): string {
  return entry.targetName ?? targetNameFor(entry.name ?? source?.name ?? entry.id ?? "vm");
}

/**
 * Problems that stop a plan before anything is created, each naming the field and what to do. `existingNames` are
 * the VirtualMachines already in the target namespace (run it in Validating, before this import creates any).
 */
export function validatePlan(spec: VMImportSpec, sourceVMs: SourceVM[], existingNames: Iterable<string>, target?: { name: string; spec: ProviderSpec }): string[] {
  const problems: string[] = [];
  const existing = new Set(existingNames);
  const seenTargets = new Map<string, number>();
  const seenSources = new Map<string, number>();
  const networks = spec.networkMap ? new Set(spec.networkMap.map((m) => m.source)) : undefined;
  // A disk on a datastore the storageMap does not name lands in the target's default pool; a named pool must exist.
  if (target?.spec.type === "libvirt") {
    for (const cause of storageMapCauses("spec.storageMap", spec.storageMap, target.spec, target.name)) problems.push(cause.message);
  }
  spec.vms.forEach((entry, i) => {
    const field = `spec.vms[${i}]`;
    const source = findSourceVM(entry, sourceVMs);
    if (!source) {
      const by = entry.id ? `id "${entry.id}"` : `name "${entry.name}"`;
      problems.push(`${field}: no VM with ${by} on source provider "${spec.source.providerRef.name}"; check the inventory (landfall inventory ${spec.source.providerRef.name})`);
    } else {
      const first = seenSources.get(source.id);
      if (first !== undefined) problems.push(`${field}: VM "${source.name}" (${source.id}) is already listed at spec.vms[${first}]; list each VM once`);
      else seenSources.set(source.id, i);
      for (const nic of source.nics) {
        if (networks && !networks.has(nic.network)) {
          problems.push(`${field}: NIC ${nic.macAddress} of "${source.name}" is on network "${nic.network}", which spec.networkMap does not map; add {source: "${nic.network}", target: …}`);
        }
      }
    }
    const target = targetNameOf(entry, source);
    if (!new RegExp(DNS1123_LABEL).test(target) || target.length > 63) {
      problems.push(`${field}.targetName "${target}" is not a DNS-1123 label (lower-case letters, digits and '-', at most 63)`);
    }
    const dup = seenTargets.get(target);
    if (dup !== undefined) problems.push(`${field}: target name "${target}" is also used by spec.vms[${dup}]; set a distinct targetName`);
    else seenTargets.set(target, i);
    if (existing.has(target)) problems.push(`${field}: VirtualMachine "${target}" already exists in the target namespace; set another targetName or delete it`);
  });
  return problems;
}

/**
 * Whether the plan must be (re)validated now: a new import, one interrupted while validating, or one that failed
 * validation and whose spec was edited since (generation moved past observedGeneration) — so fixing a rejected plan
 * in place retries it. An import that started migrations is never validated again.
 */
export function needsValidation(vmImport: VMImport): boolean {
  const status = vmImport.status;
  const phase = status?.phase;
  if (!phase || phase === "Pending" || phase === "Validating") return true;
  if (phase !== "Failed" || status?.vms?.some((v) => v.migration)) return false;
  return (vmImport.metadata.generation ?? 0) !== (status?.observedGeneration ?? 0);
}

/** `<import>-<targetName>`; when longer than 63, trimmed with a hash of the full name so names stay distinct. */
export function migrationName(importName: string, targetName: string): string {
  const full = `${importName}-${targetName}`;
  if (full.length <= 63) return full;
  const hash = createHash("sha256").update(full).digest("hex").slice(0, 8);
  return `${full.slice(0, 54).replace(/-+$/, "")}-${hash}`;
}

/** The VMMigrations a VMImport owns: one per VM, controlled by the import, carrying its maps and options. */
export function migrationsFor(vmImport: VMImport, sourceVMs: SourceVM[], conventions: Pick<Conventions, "prefix">): VMMigration[] {
  const spec = vmImport.spec;
  const namespace = vmImport.metadata.namespace ?? "default";
  const owner = {
    apiVersion: API_VERSION,
    kind: "VMImport",
    name: vmImport.metadata.name,
    uid: vmImport.metadata.uid ?? "",
    controller: true,
    blockOwnerDeletion: true,
  };
  return spec.vms.map((entry) => {
    const source = findSourceVM(entry, sourceVMs);
    const targetName = targetNameOf(entry, source);
    const options = {
      ...(spec.options?.diskFormat ? { diskFormat: spec.options.diskFormat } : {}),
      ...(spec.options?.mode ? { mode: spec.options.mode } : {}),
    };
    return {
      apiVersion: API_VERSION,
      kind: "VMMigration",
      metadata: {
        name: migrationName(vmImport.metadata.name, targetName),
        namespace,
        labels: { [keys(conventions).vmImport]: vmImport.metadata.name },
        ownerReferences: [owner],
      },
      spec: {
        // An id is the stable reference; names can repeat across folders.
        source: { providerRef: spec.source.providerRef, ...(entry.id ? { vmID: entry.id } : { vmName: entry.name }) },
        target: {
          providerRef: spec.target.providerRef,
          vmName: targetName,
          ...(spec.target.namespace ? { namespace: spec.target.namespace } : {}),
          ...(spec.target.powerOn !== undefined ? { powerOn: spec.target.powerOn } : {}),
          ...(spec.networkMap ? { networkMap: spec.networkMap } : {}),
          ...(spec.storageMap ? { storageMap: spec.storageMap } : {}),
        },
        ...(Object.keys(options).length ? { options } : {}),
      },
    };
  });
}

const TERMINAL = new Set(["Succeeded", "Failed"]);
/** A VM failFast kept from starting: final, neither succeeded nor failed. */
const SKIPPED = "Skipped";

/**
 * Names (status.vms[].name) of VMs to start now, in plan order, so that at most maxConcurrent migrations are
 * unfinished at once; with failFast, none once any VM failed.
 */
export function nextToStart(statusVMs: StatusVM[], maxConcurrent: number, failFast = false): string[] {
  if (failFast && statusVMs.some((v) => v.phase === "Failed")) return [];
  const running = statusVMs.filter((v) => v.migration && !TERMINAL.has(v.phase ?? "Pending")).length;
  const free = Math.max(0, maxConcurrent - running);
  return statusVMs
    .filter((v) => !v.migration)
    .slice(0, free)
    .map((v) => v.name);
}

/** True when the object is controlled by this VMImport (its uid in a controller ownerReference). */
export function ownedBy(obj: KubeObject, vmImport: VMImport): boolean {
  return (obj.metadata.ownerReferences ?? []).some((r) => r.kind === "VMImport" && r.controller === true && r.uid === vmImport.metadata.uid);
}

/**
 * The import's status from its VMMigrations: per-VM phase and bytes, counts, and the overall phase. Validating is
 * the controller's own phase while validatePlan runs; aggregate reports Pending until a migration exists.
 */
export function aggregate(vmImport: VMImport, migrations: VMMigration[], sourceVMs: SourceVM[] = [], now?: string): VMImportStatus {
  const own = migrations.filter((m) => ownedBy(m, vmImport));
  const previous = vmImport.status ?? {};
  const vms: StatusVM[] = vmImport.spec.vms.map((entry) => {
    const source = findSourceVM(entry, sourceVMs);
    const targetName = targetNameOf(entry, source);
    const m = own.find((x) => x.spec.target.vmName === targetName);
    const before = previous.vms?.find((v) => v.targetName === targetName);
    const row: StatusVM = { name: entry.name ?? source?.name ?? entry.id ?? targetName, targetName };
    if (entry.id ?? source?.id) row.id = entry.id ?? source?.id;
    if (m) {
      row.migration = m.metadata.name;
      row.phase = m.status?.phase ?? "Pending";
      if (m.status?.progress) {
        row.bytesDone = m.status.progress.bytesDone;
        row.bytesTotal = m.status.progress.bytesTotal;
      }
      if (m.status?.message) row.message = m.status.message;
    } else if (before?.migration && TERMINAL.has(before.phase ?? "")) {
      // Its migration finished and was cleaned up (deleteMigrationsOnSuccess): the row keeps its outcome.
      Object.assign(row, before);
    } else {
      row.phase = "Pending";
    }
    if (before?.adopted !== undefined) row.adopted = before.adopted;
    return row;
  });
  const failed = vms.filter((v) => v.phase === "Failed").length;
  // failFast: once a VM failed, the ones never started never will be.
  if (failed > 0 && vmImport.spec.options?.failFast) {
    for (const v of vms) {
      if (v.migration) continue;
      v.phase = SKIPPED;
      v.message = "not started: options.failFast is set and another VM of this import failed";
    }
  }
  const succeeded = vms.filter((v) => v.phase === "Succeeded").length;
  const skipped = vms.filter((v) => v.phase === SKIPPED).length;
  const started = vms.filter((v) => v.migration).length;
  const pending = vms.filter((v) => v.phase === "Pending").length;
  const running = vms.length - succeeded - failed - skipped - pending;
  let phase: VMImportPhase;
  if (started === 0 && skipped === 0) phase = "Pending";
  else if (succeeded + failed + skipped < vms.length) phase = "Running";
  else if (failed === 0) phase = "Succeeded";
  else if (succeeded === 0) phase = "Failed";
  else phase = "PartiallySucceeded";
  const bytesDone = vms.reduce((n, v) => n + (v.bytesDone ?? 0), 0);
  const bytesTotal = vms.reduce((n, v) => n + (v.bytesTotal ?? 0), 0);
  const status: VMImportStatus = {
    ...previous,
    phase,
    vms,
    progress: { total: vms.length, succeeded, failed, running, pending, ...(skipped ? { skipped } : {}), bytesDone, bytesTotal },
  };
  if (now && started > 0 && !status.startedAt) status.startedAt = now;
  if (now && TERMINAL_IMPORT.has(phase) && !status.completedAt) status.completedAt = now;
  return status;
}

const TERMINAL_IMPORT = new Set<VMImportPhase>(["Succeeded", "PartiallySucceeded", "Failed"]);

export interface CleanupAction {
  type: "delete";
  kind: "VMMigration";
  namespace: string;
  name: string;
}

/**
 * What cleanup may delete: with cleanup.deleteMigrationsOnSuccess, the import's own succeeded VMMigrations. Any
 * other kind (Provider, VirtualMachine, disks, ConfigMap) and anything the import does not control is never touched.
 */
export function cleanupActions(vmImport: VMImport, objects: KubeObject[]): CleanupAction[] {
  if (!vmImport.spec.cleanup?.deleteMigrationsOnSuccess) return [];
  const namespace = vmImport.metadata.namespace ?? "default";
  return objects
    .filter((o) => o.kind === "VMMigration" && (o.metadata.namespace ?? "default") === namespace && ownedBy(o, vmImport))
    .filter((o) => (o as VMMigration).status?.phase === "Succeeded" && !o.metadata.deletionTimestamp)
    .map((o) => ({ type: "delete", kind: "VMMigration", namespace, name: o.metadata.name }));
}
