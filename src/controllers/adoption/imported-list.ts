// Which VirtualMachines the Imported VMs list shows and in what order: those adopted under either label prefix
// (landfall.dev or cozystack.io — a VM adopted before the server's preset changed keeps its old prefix), each with
// its tracking record, filtered by plan and source type. Pure: the route (compose/imported-vms-route.ts) reads
// the store and pages (server/merged-pages.ts).
import type { ConfigMap } from "../../api/configmap.ts";
import { adoptionConfigMapName, keys, PRESETS } from "../../api/conventions.ts";
import type { KubeObject } from "../../api/meta.ts";

/** Every prefix a VM can be adopted under. */
export const ADOPTION_PREFIXES: readonly string[] = [...new Set(Object.values(PRESETS).map((p) => p.prefix))];

/** The label selectors, one per prefix, that together select adopted objects (one selector cannot say "either"). */
export const adoptedSelectors = (extra: string): string[] => ADOPTION_PREFIXES.map((prefix) => [`${keys({ prefix }).adopted}=true`, extra.trim()].filter(Boolean).join(","));

/** What the tracking ConfigMap `vm-adopted-<vm>` says about an adoption. */
export interface ImportedRecord {
  sourcePlan?: string;
  sourceType?: string;
  adoptedAt?: string;
}

export interface ImportedFilter {
  /** Substring of the source plan; "" for any. */
  plan: string;
  /** Exact source type (vmware, …); "" for any. */
  sourceType: string;
}

/** The list's order and continue key: (namespace, name), as the store orders its lists. */
export const importedKey = (o: KubeObject): string => `${o.metadata.namespace ?? ""}\u0000${o.metadata.name}`;

const adoptedPrefixOf = (vm: KubeObject): string | undefined => ADOPTION_PREFIXES.find((prefix) => vm.metadata.labels?.[keys({ prefix }).adopted] === "true");

/** The tracking ConfigMap's record of `vm` (empty when there is none, or it names another VM). */
export function importedRecord(vm: KubeObject, configMap: ConfigMap | undefined): ImportedRecord {
  const d = configMap?.data ?? {};
  const record: ImportedRecord = d.vmName === vm.metadata.name ? { sourcePlan: d.sourcePlan, sourceType: d.sourceType, adoptedAt: d.adoptedAt } : {};
  // The plan a VM came from: its original-plan label, else the record's sourcePlan.
  const prefix = adoptedPrefixOf(vm);
  const label = prefix ? vm.metadata.labels?.[keys({ prefix }).originalPlan] : undefined;
  return { ...record, sourcePlan: label ?? record.sourcePlan };
}

/** Plan (substring) and source type (exact); the label selector is the store's. */
export const matchesImported = (record: ImportedRecord, filter: ImportedFilter): boolean =>
  (!filter.plan.trim() || (record.sourcePlan ?? "").includes(filter.plan.trim())) && (!filter.sourceType || record.sourceType === filter.sourceType);


/** Name of a VM's tracking ConfigMap. */
export const recordName = (vm: KubeObject): string => adoptionConfigMapName(vm.metadata.name);
