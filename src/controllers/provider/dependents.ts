// Who depends on a Provider, and on a Provider's Secret: the index functions that file objects under the keys
// (`namespace/name`) they refer to, and the predicates that say which changes of a Provider or Secret are worth
// waking those dependents for. Pure; the runtime's informers keep the indexes and enqueue (runtime/controller.ts).
// Naming: an object "refers to" keys; a change "matters" or not.
import type { Condition, KubeObject } from "../../api/meta.ts";
import type { Provider } from "../../api/provider.ts";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import type { VMImport } from "../../api/vmimport.ts";
import type { VMMigration } from "../../api/vmmigration.ts";
import type { WatchSpec } from "../../runtime/controller.ts";
import { keyString } from "../../runtime/keys.ts";
import { enqueueReferrers } from "../../runtime/mappers.ts";
import { providerKey } from "./ref.ts";

/** Index of VirtualMachines, VMMigrations and VMImports by the Provider keys they refer to. */
export const PROVIDER_INDEX = "providerRefs";
/** Index of Providers by the Secret keys (credentials, kubeconfig) they refer to. */
export const SECRET_INDEX = "secretRefs";

const nsOf = (obj: KubeObject) => obj.metadata.namespace ?? "default";

export const vmRefersTo = (vm: VirtualMachine): string[] => [keyString(providerKey(vm.spec.providerRef, nsOf(vm)))];

export const migrationRefersTo = (m: VMMigration): string[] => unique([m.spec.source.providerRef, m.spec.target.providerRef].map((r) => keyString(providerKey(r, nsOf(m)))));

export const importRefersTo = (i: VMImport): string[] => unique([i.spec.source.providerRef, i.spec.target.providerRef].map((r) => keyString(providerKey(r, nsOf(i)))));

/** Secrets live in the Provider's own namespace (LocalObjectReference). */
export const providerRefersTo = (p: Provider): string[] =>
  unique([p.spec.credentialsRef?.name, p.spec.kubeconfigRef?.name].filter((n): n is string => Boolean(n)).map((name) => keyString({ namespace: nsOf(p), name })));

const readyOf = (p: KubeObject): Condition["status"] | undefined => (p.status as { conditions?: Condition[] } | undefined)?.conditions?.find((c) => c.type === "Ready")?.status;

/**
 * A Provider change matters to its dependents when its spec changed (generation), its deletion began, or its
 * Ready status flipped. Not its other status writes (an inventory count changes with every VM an import
 * creates), and not a resync (old === new).
 */
export function providerChangeMatters(oldP: KubeObject, newP: KubeObject): boolean {
  return providerSpecChanged(oldP, newP) || readyOf(oldP) !== readyOf(newP);
}

/**
 * A Provider change the Provider controller reconciles: its spec (generation) or its deletion. Not its status,
 * which that reconcile writes itself (a health flip or a new inventory count would reconcile it again, listing the
 * target's VMs once more); periodic checks are requeued.
 */
export function providerSpecChanged(oldP: KubeObject, newP: KubeObject): boolean {
  return oldP.metadata.generation !== newP.metadata.generation || Boolean(oldP.metadata.deletionTimestamp) !== Boolean(newP.metadata.deletionTimestamp);
}

/** A Secret change matters when it is a new version of it (its data may differ); a resync is not. */
export function secretChangeMatters(oldS: KubeObject, newS: KubeObject): boolean {
  return oldS.metadata.resourceVersion !== newS.metadata.resourceVersion;
}

/**
 * The Provider controller's watch of Secrets: a new version of a Secret a Provider refers to re-checks that
 * Provider at once. Metadata only: the cache never holds a Secret's values; the reconcile reads them.
 */
export const secretWatch: WatchSpec = { kind: "Secret", map: enqueueReferrers(SECRET_INDEX), changed: secretChangeMatters, metadataOnly: true };

function unique(values: string[]): string[] {
  return [...new Set(values)];
}
