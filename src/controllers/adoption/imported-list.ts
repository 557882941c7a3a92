// Which VirtualMachines the Imported VMs list shows and in what order: those adopted under either label prefix
// (landfall.dev or cozystack.io — a VM adopted before the server's preset changed keeps its old prefix), each with
// its tracking record, filtered by plan and source type. Pure: the route (compose/imported-vms-route.ts) reads.
import type { ConfigMap } from "../../api/configmap.ts";
import { adoptionConfigMapName, keys, PRESETS } from "../../api/conventions.ts";
import type { KubeObject } from "../../api/meta.ts";

/** Every prefix a VM can be adopted under. */
export const ADOPTION_PREFIXES: readonly string[] = [...new Set(Object.values(PRESETS).map((p) => p.prefix))];

/** The label selectors, one per prefix, that together select adopted objects (one selector cannot say "either"). */
export const adoptedSelectors = (extra: string): string[] => ADOPTION_PREFIXES.map((prefix) => [`${keys({ prefix }).adopted}=true`, extra.trim()].filter(Boolean).join(","));

export const adoptionRecordSelectors = (): string[] => ADOPTION_PREFIXES.map((prefix) => `${keys({ prefix }).type}=adopted-vm`);

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

export interface ImportedVM<V extends KubeObject> {
  vm: V;
  record: ImportedRecord;
}

/** The list's order and continue key: (namespace, name), as the store orders its lists. */
export const importedKey = (o: KubeObject): string => `${o.metadata.namespace ?? ""}\u0000${o.metadata.name}`;

const adoptedPrefixOf = (vm: KubeObject): string | undefined => ADOPTION_PREFIXES.find((prefix) => vm.metadata.labels?.[keys({ prefix }).adopted] === "true");

/** The record of each adopted VM, keyed by importedKey of the VM it names. */
function recordsByVM(configMaps: readonly ConfigMap[]): Map<string, ImportedRecord> {
  const out = new Map<string, ImportedRecord>();
  for (const cm of configMaps) {
    const d = cm.data ?? {};
    if (!d.vmName || adoptionConfigMapName(d.vmName) !== cm.metadata.name) continue;
    out.set(importedKey({ apiVersion: "", kind: "", metadata: { name: d.vmName, namespace: cm.metadata.namespace } }), { sourcePlan: d.sourcePlan, sourceType: d.sourceType, adoptedAt: d.adoptedAt });
  }
  return out;
}

/** The plan a VM came from: its original-plan label, else the record's sourcePlan. */
function withPlan(vm: KubeObject, record: ImportedRecord): ImportedRecord {
  const prefix = adoptedPrefixOf(vm);
  const label = prefix ? vm.metadata.labels?.[keys({ prefix }).originalPlan] : undefined;
  return { ...record, sourcePlan: label ?? record.sourcePlan };
}

export interface ImportedSelection<V extends KubeObject> {
  /** Adopted VMs matching the filter, in importedKey order, each once. */
  rows: ImportedVM<V>[];
  /** Source types of every adopted VM before filtering (what a filter can choose from). */
  sourceTypes: string[];
}

export function selectImported<V extends KubeObject>(vms: readonly V[], configMaps: readonly ConfigMap[], filter: ImportedFilter): ImportedSelection<V> {
  const records = recordsByVM(configMaps);
  const unique = new Map<string, V>();
  for (const vm of vms) if (adoptedPrefixOf(vm)) unique.set(importedKey(vm), vm);
  const all = [...unique.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([key, vm]) => ({ vm, record: withPlan(vm, records.get(key) ?? {}) }));
  const plan = filter.plan.trim();
  const rows = all.filter((r) => (!plan || (r.record.sourcePlan ?? "").includes(plan)) && (!filter.sourceType || r.record.sourceType === filter.sourceType));
  const sourceTypes = [...new Set(all.map((r) => r.record.sourceType).filter((t): t is string => Boolean(t)))].sort();
  return { rows, sourceTypes };
}
