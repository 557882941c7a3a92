// The resource types the test API server serves, and where: landfall's CRDs, core Secrets/ConfigMaps,
// coordination.k8s.io Leases, KubeVirt VirtualMachines, CDI DataVolumes, Flux HelmReleases and Forklift Plans.
import { crdsFor } from "../../../src/api/crds.ts";
import { KINDS } from "../../../src/api/kinds.ts";

export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  kind: string;
  /** A status subresource: PUT of the object ignores status, PUT of /status changes only status. */
  statusSubresource: boolean;
}

export const apiVersionOf = (t: ResourceType): string => (t.group === "" ? t.version : `${t.group}/${t.version}`);

export function servedTypes(): ResourceType[] {
  return [
    { group: "", version: "v1", plural: "secrets", kind: "Secret", statusSubresource: false },
    { group: "", version: "v1", plural: "configmaps", kind: "ConfigMap", statusSubresource: false },
    { group: "coordination.k8s.io", version: "v1", plural: "leases", kind: "Lease", statusSubresource: false },
    { group: "kubevirt.io", version: "v1", plural: "virtualmachines", kind: "VirtualMachine", statusSubresource: true },
    { group: "cdi.kubevirt.io", version: "v1beta1", plural: "datavolumes", kind: "DataVolume", statusSubresource: true },
    { group: "helm.toolkit.fluxcd.io", version: "v2", plural: "helmreleases", kind: "HelmRelease", statusSubresource: true },
    { group: "forklift.konveyor.io", version: "v1beta1", plural: "plans", kind: "Plan", statusSubresource: true },
    ...crdsFor(KINDS).map((crd) => ({
      group: crd.spec.group,
      version: crd.spec.versions[0].name,
      plural: crd.spec.names.plural,
      kind: crd.spec.names.kind,
      statusSubresource: crd.spec.versions[0].subresources?.status !== undefined,
    })),
  ];
}
