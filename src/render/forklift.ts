// `landfall render forklift VMIMPORT`: the same batch import as Forklift (forklift.konveyor.io/v1beta1) objects, for
// clusters that run Forklift — Providers, NetworkMap, StorageMap, Plan and Migration — shaped like Cozystack's
// vm-import chart: the Plan carries the vm-import.cozystack.io/* annotations its adoption controller reads, and
// Providers are kept (`helm.sh/resource-policy: keep`) when the import is deleted so they can be reused.
import { type Conventions, keys, MANAGED_BY } from "../api/conventions.ts";
import type { Provider } from "../api/provider.ts";
import type { MapEntry } from "../api/vmmigration.ts";
import type { VMImport } from "../api/vmimport.ts";
import { type TenancyClaims, tenancyClaims, tenancyRefusal } from "../controllers/provider/tenancy.ts";
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
 * Provider tenancy (controllers/provider/tenancy.ts), the rule admission and the controllers apply: the source
 * Provider must be open to the import's namespace, its target namespace and the namespace of every network it
 * attaches NICs to — so an import cannot direct VMs or NICs into a tenant its Provider does not serve. The
 * destination is Forklift's own cluster, which has no landfall Provider to judge.
 */
function tenancyChecked(vmImport: VMImport, source: Provider, targetNamespace: string): void {
  const effective: VMImport = { ...vmImport, spec: { ...vmImport.spec, target: { ...vmImport.spec.target, namespace: targetNamespace } } };
  const claims = tenancyClaims(effective) as TenancyClaims;
  // `source` is the Provider the import's source reference was resolved to by the caller.
  const refusal = tenancyRefusal(claims, (u) => (u.field === "spec.source.providerRef" ? source : undefined));
  if (refusal) throw new Error(`VMImport "${vmImport.metadata.namespace ?? "default"}/${vmImport.metadata.name}": ${refusal.message}`);
}

export function renderForklift(input: ForkliftInput): Rendered {
  const { vmImport, source, conventions } = input;
  const name = vmImport.metadata.name;
  const namespace = vmImport.metadata.namespace ?? "default";
  const targetNamespace = input.targetNamespace ?? vmImport.spec.target.namespace ?? namespace;
  tenancyChecked(vmImport, source, targetNamespace);
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
    spec: { map: (vmImport.spec.networkMap ?? []).map((m) => ({ source: { name: m.source }, destination: networkDestination(m, targetNamespace) })), provider: providers },
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
function networkDestination(m: MapEntry, targetNamespace: string): Record<string, string> {
  if (m.target === "pod" || m.target === "user") return { type: "pod" };
  if (m.target === "ignored") return { type: "ignored" };
  const slash = m.target.indexOf("/");
  if (slash < 0) return { type: "multus", namespace: targetNamespace, name: m.target };
  return { type: "multus", namespace: m.target.slice(0, slash), name: m.target.slice(slash + 1) };
}
