// `landfall render cozystack VM`: full adoption of a VM into Cozystack, either as the aggregated API's
// apps.cozystack.io/v1alpha1 VMInstance (+ a VMDisk for each disk that must be created), or, with
// --format helmrelease, as the design note's Flux HelmRelease of chart vm-instance with the same values.
//
// What the vm-disk schema allows (vm-import branch): a VMDisk *creates* a DataVolume `vm-disk-<name>` from
// source.image | http | upload | disk (another VMDisk) | pvc (clone of a PVC). None of these attaches an existing
// volume in place, so a disk that already exists is never rendered as a VMDisk (that would copy it); the VMInstance
// references it by name through `disks[].dvName` instead.
import { type Conventions, keys } from "../api/conventions.ts";
import { adoptionLabels } from "../controllers/adoption/decide.ts";
import { type Manifest, type Rendered, trimName } from "./manifest.ts";
import { type ValuesInput, vmInstanceValues } from "./vminstance-values.ts";

export interface CozystackInput extends ValuesInput {
  conventions: Conventions;
  /** Namespace of the Cozystack tenant; default: the VM's namespace. */
  namespace?: string;
  /** Original plan, recorded in the labels; default "manual". */
  plan?: string;
  /** For disks that must be created: an HTTP URL CDI can download the disk from; else the VMDisk waits for an upload. */
  diskURL?: (diskID: string) => string | undefined;
  storageClass?: string;
  /** --format helmrelease: Flux API version (the note wrote v2beta1; Flux ≥ 2.3 serves only v2). */
  helmReleaseAPIVersion?: "helm.toolkit.fluxcd.io/v2" | "helm.toolkit.fluxcd.io/v2beta1";
  helmRepository?: { name: string; namespace?: string };
}

export type CozystackFormat = "vminstance" | "helmrelease";

/**
 * Helm takes over an existing object only when it carries the release's ownership metadata; without it the
 * install fails ("exists and cannot be imported into the current release"). These partial objects — metadata
 * only — go onto the live KubeVirt VirtualMachine and its DataVolumes first (`kubectl apply --server-side`
 * merges just these fields; `landfall adopt --full` does it in this order).
 */
export interface OwnershipPatch {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> };
}

export interface CozystackRendered extends Rendered {
  ownership: OwnershipPatch[];
}

export function helmOwnership(release: string, namespace: string, targets: Array<{ apiVersion: string; kind: string; name: string }>): OwnershipPatch[] {
  return targets.map((t) => ({
    apiVersion: t.apiVersion,
    kind: t.kind,
    metadata: {
      name: t.name,
      namespace,
      labels: { "app.kubernetes.io/managed-by": "Helm" },
      annotations: { "meta.helm.sh/release-name": release, "meta.helm.sh/release-namespace": namespace },
    },
  }));
}

const APPS = "apps.cozystack.io/v1alpha1";
/** Cozystack's ApplicationDefinition for vm-instance prefixes every release with this. */
export const VM_INSTANCE_RELEASE_PREFIX = "vm-instance-";

export function renderCozystack(input: CozystackInput, format: CozystackFormat = "vminstance"): CozystackRendered {
  const { values, disksToCreate, warnings } = vmInstanceValues(input);
  const namespace = input.namespace ?? input.vm.metadata.namespace ?? "default";
  const labels = adoptionLabels(input.conventions, input.plan ?? "manual");
  const annotations = provenance(input);
  const vmdisks: Manifest[] = disksToCreate.map((d) => {
    const url = input.diskURL?.(d.diskID);
    if (!d.sizeBytes) {
      throw new Error(
        `disk "${d.diskID}" of VirtualMachine "${input.vm.metadata.name}" must be created as a VMDisk but its size is unknown: set sizeGiB on it (the chart would default to 5Gi)`,
      );
    }
    return {
      apiVersion: APPS,
      kind: "VMDisk",
      metadata: { name: d.name, namespace, labels },
      spec: {
        source: url ? { http: { url } } : { upload: {} },
        optical: false,
        storage: d.sizeBytes % 2 ** 30 === 0 ? `${d.sizeBytes / 2 ** 30}Gi` : d.sizeBytes,
        ...(input.storageClass ? { storageClass: input.storageClass } : {}),
      },
    };
  });
  for (const d of disksToCreate) {
    if (!input.diskURL?.(d.diskID)) warnings.push(`VMDisk ${d.name} waits for an upload of disk "${d.diskID}" (virtctl image-upload dv vm-disk-${d.name})`);
  }
  // The VM and its volumes exist in the cluster only when it lives on KubeVirt (its disks are DataVolumes).
  const existing = input.existingVolumes && Object.keys(input.existingVolumes).length > 0;
  const ownership = existing
    ? helmOwnership(releaseName(input), namespace, [
        { apiVersion: "kubevirt.io/v1", kind: "VirtualMachine", name: values.fullnameOverride },
        ...values.disks.flatMap((d) => (d.dvName ? [{ apiVersion: "cdi.kubevirt.io/v1beta1", kind: "DataVolume", name: d.dvName }] : [])),
      ])
    : [];
  if (format === "helmrelease") return { ownership, objects: [...vmdisks, helmRelease(input, namespace, labels, annotations, values)], warnings };
  const vmInstance: Manifest = {
    apiVersion: APPS,
    kind: "VMInstance",
    metadata: { name: input.vm.metadata.name, namespace, labels, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: { ...values },
  };
  return { ownership, objects: [...vmdisks, vmInstance], warnings };
}

/** The Helm release that renders the VM: Cozystack's VMInstance and the HelmRelease use the same one. */
function releaseName(input: CozystackInput): string {
  return trimName(`${VM_INSTANCE_RELEASE_PREFIX}${input.vm.metadata.name}`);
}

function helmRelease(
  input: CozystackInput,
  namespace: string,
  labels: Record<string, string>,
  annotations: Record<string, string>,
  values: object,
): Manifest {
  const release = releaseName(input);
  const repo = input.helmRepository ?? { name: "cozystack" };
  return {
    apiVersion: input.helmReleaseAPIVersion ?? "helm.toolkit.fluxcd.io/v2",
    kind: "HelmRelease",
    metadata: { name: release, namespace, labels, ...(Object.keys(annotations).length ? { annotations } : {}) },
    spec: {
      // Same release name as Cozystack's own VMInstance would get, so the VM's Helm ownership annotations match.
      releaseName: release,
      interval: "10m",
      chart: { spec: { chart: "vm-instance", sourceRef: { kind: "HelmRepository", name: repo.name, ...(repo.namespace ? { namespace: repo.namespace } : {}) } } },
      // Never recreate or remove the adopted VM: no waiting on readiness, no forced replacement, and no remediation
      // (Flux remediates a failed install by uninstalling, which would delete the VM it just adopted).
      install: { createNamespace: false, disableWait: true, remediation: { retries: 0 } },
      upgrade: { force: false, disableWait: true, remediation: { retries: 0, remediateLastFailure: false } },
      values,
    },
  };
}

/**
 * The VM's provenance annotations, re-keyed under the output's prefix (the VM was annotated under whatever prefix
 * the landfall server runs with), so Cozystack shows where the VM came from.
 */
function provenance(input: CozystackInput): Record<string, string> {
  const from = input.vm.metadata.annotations ?? {};
  const k = keys(input.conventions);
  const out: Record<string, string> = {};
  for (const key of [k.migratedFrom, k.migration, k.importedDiskID, k.diskChecksum]) {
    const suffix = key.slice(key.indexOf("/"));
    const found = Object.entries(from).find(([name]) => name.endsWith(suffix));
    if (found) out[key] = found[1];
  }
  return out;
}
