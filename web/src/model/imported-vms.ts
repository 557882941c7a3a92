// The Imported VMs list as the server pages it (GET …/importedvms: the VMs and the tracking record of each)
// and how a VirtualMachine watch event changes the loaded pages under a filter.
import type { VirtualMachine } from "../api/generated.ts";
import { labelValue, PREFIXES } from "./objects.ts";
import { applyWatchEventToPages } from "./paged-list.ts";
import type { WatchEventType } from "./watch-events.ts";

/** What the tracking ConfigMap `vm-adopted-<vm>` says about an adoption. */
export interface AdoptionRecord {
  sourcePlan?: string;
  sourceType?: string;
  adoptedAt?: string;
}

export interface ImportedVMList {
  kind: "ImportedVMList";
  metadata: { resourceVersion: string; continue?: string };
  items: VirtualMachine[];
  /** Keyed "namespace/name". */
  records: Record<string, AdoptionRecord>;
}

export interface ImportedFilter {
  /** Kubernetes label selector, "" for none (the server and the watches apply it). */
  labelSelector: string;
  /** Substring of the source plan; "" for any. */
  plan: string;
  /** Exact source type (vmware, …); "" for any. */
  sourceType: string;
}

/** One label selector per adoption prefix: one selector cannot say "adopted under either". */
export const adoptedSelectors = (labelSelector: string): string[] => PREFIXES.map((p) => [`${p}/adopted=true`, labelSelector.trim()].filter(Boolean).join(","));

export const recordKey = (vm: VirtualMachine): string => `${vm.metadata.namespace ?? ""}/${vm.metadata.name}`;

export interface AdoptedRow {
  vm: VirtualMachine;
  /** The plan the VM came from: the original-plan label, else the record's sourcePlan. */
  sourcePlan?: string;
  sourceType?: string;
  adoptedAt?: string;
}

/** The record of `vm` in whichever loaded page holds it (a VM a watch event added has none yet). */
export function recordOf(pages: readonly ImportedVMList[], vm: VirtualMachine): AdoptionRecord {
  const key = recordKey(vm);
  for (const p of pages) if (p.records[key]) return p.records[key];
  return {};
}

export function adoptedRow(vm: VirtualMachine, record: AdoptionRecord): AdoptedRow {
  return { vm, sourcePlan: labelValue(vm, "original-plan") ?? record.sourcePlan, sourceType: record.sourceType, adoptedAt: record.adoptedAt };
}

/** Plan and source type, as the server filters (the label selector is the watches' own). */
const matches = (row: AdoptedRow, f: ImportedFilter): boolean => (!f.plan.trim() || (row.sourcePlan ?? "").includes(f.plan.trim())) && (!f.sourceType || row.sourceType === f.sourceType);

/** A VM that no longer matches the filter leaves the list, as if deleted. */
export function applyImportedEvent(pages: readonly ImportedVMList[], type: WatchEventType, vm: VirtualMachine, filter: ImportedFilter): ImportedVMList[] {
  const kept = type === "DELETED" || matches(adoptedRow(vm, recordOf(pages, vm)), filter);
  return applyWatchEventToPages(pages, kept ? type : "DELETED", vm);
}
