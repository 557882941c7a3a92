// `landfall render forklift VMIMPORT`: the same batch import as Forklift (forklift.konveyor.io/v1beta1) objects, for
// clusters that run Forklift — Providers, NetworkMap, StorageMap, Plan and Migration — shaped like Cozystack's
// vm-import chart: the Plan carries the vm-import.cozystack.io/* annotations its adoption controller reads, and
// Providers are kept (`helm.sh/resource-policy: keep`) when the import is deleted so they can be reused.
import { type Conventions, keys, MANAGED_BY } from "../api/conventions.ts";
import type { Provider } from "../api/provider.ts";
import type { MapEntry } from "../api/vmmigration.ts";
import type { VMImport } from "../api/vmimport.ts";
import { type Manifest, type Rendered, trimName } from "./manifest.ts";

const FORKLIFT = "forklift.konveyor.io/v1beta1";
export const ADOPTION_ENABLED_ANNOTATION = "vm-import.cozystack.io/adoption-enabled";
export const TARGET_NAMESPACE_ANNOTATION = "vm-import.cozystack.io/target-namespace";
/** Forklift's provider for the cluster it runs in: type openshift with an empty URL. */
export const DESTINATION_PROVIDER = "host";

export interface ForkliftInput {
  vmImport: VMImport;
  source: Provider;
  conventions: Conventions;
  /** Namespace the VMs land in; default: the import's target namespace, else its own. */
  targetNamespace?: string;
}

/**
 * Cozystack's tenant rule: an import in a `tenant-*` namespace may only target its own namespace (a tenant must not
 * direct VMs or NICs into another tenant).
 */
export function confinedTargetNamespace(importNamespace: string, requested: string | undefined): string {
  const target = requested ?? importNamespace;
  if (importNamespace.startsWith("tenant-") && target !== importNamespace) {
    throw new Error(`VMImport in tenant namespace "${importNamespace}" may not target namespace "${target}"; tenants import into their own namespace only`);
  }
  return target;
}

export function renderForklift(input: ForkliftInput): Rendered {
  const { vmImport, source, conventions } = input;
  const name = vmImport.metadata.name;
  const namespace = vmImport.metadata.namespace ?? "default";
  const targetNamespace = confinedTargetNamespace(namespace, input.targetNamespace ?? vmImport.spec.target.namespace);
  if (source.spec.type !== "vsphere") {
    throw new Error(`Provider "${source.metadata.name}" has spec.type "${source.spec.type}"; Forklift manifests are rendered for vsphere sources only`);
  }
  if (!source.spec.endpoint) throw new Error(`Provider "${source.metadata.name}" has no spec.endpoint; Forklift needs the vCenter SDK URL`);
  if (!source.spec.credentialsRef) {
    throw new Error(`Provider "${source.metadata.name}" has no spec.credentialsRef; Forklift reads user, password and thumbprint from that Secret`);
  }
  const labels = { [MANAGED_BY]: conventions.manager, [keys(conventions).vmImport]: name };
  const meta = (objName: string, extra: Record<string, string> = {}) => ({
    name: objName,
    namespace,
    labels,
    ...(Object.keys(extra).length ? { annotations: extra } : {}),
  });
  const providers = { source: { name: source.metadata.name, namespace }, destination: { name: DESTINATION_PROVIDER, namespace } };
  const warnings: string[] = [];
  const keep = { "helm.sh/resource-policy": "keep" };

  const sourceProvider: Manifest = {
    apiVersion: FORKLIFT,
    kind: "Provider",
    metadata: meta(source.metadata.name, keep),
    spec: { type: "vsphere", url: source.spec.endpoint, secret: { name: source.spec.credentialsRef.name, namespace } },
  };
  const destinationProvider: Manifest = {
    apiVersion: FORKLIFT,
    kind: "Provider",
    metadata: meta(DESTINATION_PROVIDER, keep),
    spec: { type: "openshift", url: "", secret: {} },
  };
  if (!vmImport.spec.networkMap?.length) warnings.push("spec.networkMap is empty: Forklift refuses a Plan whose VMs have unmapped NICs");
  if (!vmImport.spec.storageMap?.length) warnings.push("spec.storageMap is empty: Forklift refuses a Plan whose VMs have unmapped disks");
  const networkMap: Manifest = {
    apiVersion: FORKLIFT,
    kind: "NetworkMap",
    metadata: meta(name),
    spec: { map: (vmImport.spec.networkMap ?? []).map((m) => ({ source: { name: m.source }, destination: networkDestination(m, namespace, targetNamespace) })), provider: providers },
  };
  const storageMap: Manifest = {
    apiVersion: FORKLIFT,
    kind: "StorageMap",
    metadata: meta(name),
    spec: { map: (vmImport.spec.storageMap ?? []).map((m) => ({ source: { name: m.source }, destination: { storageClass: m.target } })), provider: providers },
  };
  const powerOn = vmImport.spec.target.powerOn;
  const plan: Manifest = {
    apiVersion: FORKLIFT,
    kind: "Plan",
    metadata: meta(name, {
      [ADOPTION_ENABLED_ANNOTATION]: String(vmImport.spec.adoption?.enabled ?? true),
      [TARGET_NAMESPACE_ANNOTATION]: targetNamespace,
    }),
    spec: {
      provider: providers,
      map: { network: { name, namespace }, storage: { name, namespace } },
      targetNamespace,
      // Ids (morefs) where given: names repeat across folders, ids do not.
      vms: vmImport.spec.vms.map((v) => ({ ...(v.id ? { id: v.id } : { name: v.name }), ...(v.targetName ? { targetName: v.targetName } : {}) })),
      ...(powerOn === undefined ? {} : { targetPowerState: powerOn ? "on" : "off" }),
      type: "cold",
    },
  };
  if (vmImport.spec.options?.mode === "snapshot") warnings.push("options.mode snapshot has no Forklift equivalent; the Plan runs a cold migration");
  const migration: Manifest = {
    apiVersion: FORKLIFT,
    kind: "Migration",
    metadata: meta(trimName(name)),
    spec: { plan: { name, namespace } },
  };
  return { objects: [sourceProvider, destinationProvider, networkMap, storageMap, plan, migration], warnings };
}

/** `pod` (or landfall's `user`) → the pod network; `ignored`; `ns/name` or `name` → a Multus network. */
function networkDestination(m: MapEntry, importNamespace: string, targetNamespace: string): Record<string, string> {
  if (m.target === "pod" || m.target === "user") return { type: "pod" };
  if (m.target === "ignored") return { type: "ignored" };
  const slash = m.target.indexOf("/");
  if (slash < 0) return { type: "multus", namespace: targetNamespace, name: m.target };
  const namespace = m.target.slice(0, slash);
  if (importNamespace.startsWith("tenant-") && namespace !== importNamespace) {
    throw new Error(`spec.networkMap target "${m.target}": VMImport in tenant namespace "${importNamespace}" may not attach NICs to another namespace's network`);
  }
  return { type: "multus", namespace, name: m.target.slice(slash + 1) };
}
