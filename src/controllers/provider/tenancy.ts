// Provider tenancy, the one rule every layer applies (admission, controllers, adoption, Forklift rendering): a
// Provider lists the namespaces that may use it in spec.tenants (empty or absent: every namespace), and an object
// may use a Provider only if the Provider is open to every namespace the object touches — its own, the namespace
// its VMs land in, and the namespace of any network it attaches NICs to. Pure: callers look the Providers up.
import type { KubeObject, ProviderReference } from "../../api/meta.ts";
import { providerKey } from "./ref.ts";
import type { Provider } from "../../api/provider.ts";
import type { VirtualMachine } from "../../api/virtualmachine.ts";
import type { VMImage } from "../../api/vmimage.ts";
import type { VMImport } from "../../api/vmimport.ts";
import type { MapEntry, VMMigration } from "../../api/vmmigration.ts";

/** A namespace an object touches, and the field that makes it touch it. */
export interface NamespaceUse {
  field: string;
  namespace: string;
}

/** A Provider an object references, by the field holding the reference. */
export interface ProviderUse {
  field: string;
  ref: ProviderReference;
  /** The namespace the Provider is looked up in: ref.namespace, else the referring object's. */
  namespace: string;
}

export interface TenancyClaims {
  namespaces: NamespaceUse[];
  providers: ProviderUse[];
}

/** A refusal: the field at fault and a message naming the Provider or namespace, why, and what to do. */
export interface TenancyRefusal {
  field: string;
  message: string;
}

/** A Provider with no spec.tenants (or an empty list) is open to every namespace. */
export function isOpenTo(provider: Provider, namespace: string): boolean {
  const tenants = provider.spec.tenants ?? [];
  return tenants.length === 0 || tenants.includes(namespace);
}

/** `ns/name` network targets (KubeVirt/Multus) name a namespace; plain names live in the target namespace. */
function networkNamespaces(field: string, entries: MapEntry[] | undefined): NamespaceUse[] {
  return (entries ?? []).flatMap((m, i) => {
    const slash = m.target.indexOf("/");
    return slash > 0 ? [{ field: `${field}[${i}].target`, namespace: m.target.slice(0, slash) }] : [];
  });
}

const use = (field: string, ref: ProviderReference, ns: string): ProviderUse => ({ field, ref, namespace: providerKey(ref, ns).namespace });

/** The namespaces and Providers an object touches; undefined for kinds that reference no Provider. */
export function tenancyClaims(obj: KubeObject): TenancyClaims | undefined {
  const ns = obj.metadata.namespace ?? "default";
  const own: NamespaceUse = { field: "metadata.namespace", namespace: ns };
  switch (obj.kind) {
    case "VMMigration": {
      const { spec } = obj as VMMigration;
      return {
        namespaces: [
          own,
          ...(spec.target.namespace ? [{ field: "spec.target.namespace", namespace: spec.target.namespace }] : []),
          ...networkNamespaces("spec.target.networkMap", spec.target.networkMap),
        ],
        providers: [use("spec.source.providerRef", spec.source.providerRef, ns), use("spec.target.providerRef", spec.target.providerRef, ns)],
      };
    }
    case "VMImport": {
      const { spec } = obj as VMImport;
      return {
        namespaces: [
          own,
          ...(spec.target.namespace ? [{ field: "spec.target.namespace", namespace: spec.target.namespace }] : []),
          ...networkNamespaces("spec.networkMap", spec.networkMap),
        ],
        providers: [use("spec.source.providerRef", spec.source.providerRef, ns), use("spec.target.providerRef", spec.target.providerRef, ns)],
      };
    }
    case "VirtualMachine":
      return { namespaces: [own], providers: [use("spec.providerRef", (obj as VirtualMachine).spec.providerRef, ns)] };
    case "VMImage":
      return { namespaces: [own], providers: [use("spec.providerRef", (obj as VMImage).spec.providerRef, ns)] };
    default:
      return undefined;
  }
}

const providerName = (u: ProviderUse): string => `${u.namespace}/${u.ref.name}`;

/**
 * The first Provider use the rule refuses, or undefined when every referenced Provider is open to every namespace
 * the object touches. `lookup` returns the Provider a use points at; unknown Providers are left to the controllers
 * (they report "not found").
 */
export function tenancyRefusal(claims: TenancyClaims, lookup: (use: ProviderUse) => Provider | undefined): TenancyRefusal | undefined {
  for (const u of claims.providers) {
    const provider = lookup(u);
    if (!provider) continue;
    for (const n of claims.namespaces) {
      if (isOpenTo(provider, n.namespace)) continue;
      const where = n.field === "metadata.namespace" ? `namespace "${n.namespace}"` : `namespace "${n.namespace}" (${n.field})`;
      return {
        field: u.field,
        message: `${u.field}: Provider "${providerName(u)}" is not open to ${where}: its spec.tenants lists ${(provider.spec.tenants ?? []).join(", ")}; use a Provider open to that namespace, or ask an admin to add "${n.namespace}" to spec.tenants of Provider "${providerName(u)}"`,
      };
    }
  }
  return undefined;
}
