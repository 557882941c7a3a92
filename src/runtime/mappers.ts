// Ready-made `watches` map functions: which primary keys to reconcile when a watched object changes.
import type { KubeObject } from "../api/meta.ts";
import { keyOf, type ObjectKey, parseKey } from "./keys.ts";

/** Looks up the primary kind's cache by one of its indexes: the `namespace/name` keys filed under value. */
export interface PrimaryIndex {
  byIndex(name: string, value: string): string[];
}

export type MapToKeys = (obj: KubeObject, primary: PrimaryIndex) => ObjectKey[];

/**
 * The primary objects filed under obj's own key (`namespace/name`) in the named index: the objects that refer
 * to obj, e.g. the VirtualMachines whose providerRef names a Provider (controller-runtime's Watches + an index).
 */
export function enqueueReferrers(index: string): MapToKeys {
  return (obj, primary) => primary.byIndex(index, keyOf(obj)).map(parseKey);
}

/**
 * Keys of the owners of kind `ownerKind` named in obj's ownerReferences (same namespace: owners are
 * namespaced like their objects). With controllerOnly, only the managing controller's reference counts.
 */
export function enqueueOwners(ownerKind: string, opts: { controllerOnly?: boolean } = {}): MapToKeys {
  return (obj) =>
    (obj.metadata.ownerReferences ?? [])
      .filter((r) => r.kind === ownerKind && (!opts.controllerOnly || r.controller === true))
      .map((r) => ({ namespace: obj.metadata.namespace ?? "default", name: r.name }));
}

/**
 * The key named by an annotation (or label) on obj, e.g. a migrated VirtualMachine's `<prefix>/migration`
 * annotation, for relations that deliberately carry no ownerReference. The value is a name in obj's
 * namespace, or `namespace/name`.
 */
export function enqueueByAnnotation(annotation: string, from: "annotations" | "labels" = "annotations"): MapToKeys {
  return (obj) => {
    const value = obj.metadata[from]?.[annotation];
    if (!value) return [];
    const slash = value.indexOf("/");
    if (slash > 0) return [{ namespace: value.slice(0, slash), name: value.slice(slash + 1) }];
    return [{ namespace: obj.metadata.namespace ?? "default", name: value }];
  };
}
