// ClusterObjects (full adoption) over client-node: metadata merged onto existing KubeVirt VirtualMachines and CDI
// DataVolumes with read-modify-write (resourceVersion-checked; spec is never sent changed), and the Flux
// HelmRelease created or updated.
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import { isApiError } from "../../api/errors.ts";
import { kubeCall, plainJson } from "../../api/kube-wire.ts";

/** Labels and annotations to merge onto an existing object (nothing else of it changes). */
export interface MetadataPatch {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels: Record<string, string>; annotations: Record<string, string> };
}

export interface ClusterObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

/** Cluster writes full adoption needs: merge metadata onto an existing object; create or update an object. */
export interface ClusterObjects {
  mergeMetadata(patch: MetadataPatch): Promise<void>;
  apply(object: ClusterObject): Promise<"created" | "updated">;
}

const PLURALS: Record<string, string> = { VirtualMachine: "virtualmachines", DataVolume: "datavolumes", HelmRelease: "helmreleases" };

interface Target {
  group: string;
  version: string;
  plural: string;
}

function targetOf(apiVersion: string, kind: string): Target {
  const plural = PLURALS[kind];
  const slash = apiVersion.indexOf("/");
  if (!plural || slash < 0) throw new Error(`full adoption does not write ${apiVersion} ${kind}; only ${Object.keys(PLURALS).join(", ")}`);
  return { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1), plural };
}

type Obj = { metadata: { name: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> } };

export function clusterObjects(kubeConfig: KubeConfig): ClusterObjects {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  return {
    async mergeMetadata(patch) {
      const t = targetOf(patch.apiVersion, patch.kind);
      const { name, namespace } = patch.metadata;
      const what = `${patch.kind} ${namespace}/${name}`;
      for (let attempt = 1; ; attempt++) {
        const current = plainJson(await kubeCall(`get ${what}`, () => api.getNamespacedCustomObject({ ...t, namespace, name }))) as Obj;
        const body = {
          ...current,
          metadata: {
            ...current.metadata,
            labels: { ...(current.metadata.labels ?? {}), ...patch.metadata.labels },
            annotations: { ...(current.metadata.annotations ?? {}), ...patch.metadata.annotations },
          },
        };
        try {
          await kubeCall(`update ${what}`, () => api.replaceNamespacedCustomObject({ ...t, namespace, name, body }));
          return;
        } catch (err) {
          if (!isApiError(err, "Conflict") || attempt >= 3) throw err;
        }
      }
    },

    async apply(object) {
      const t = targetOf(object.apiVersion, object.kind);
      const namespace = object.metadata.namespace ?? "default";
      const name = object.metadata.name;
      const what = `${object.kind} ${namespace}/${name}`;
      try {
        await kubeCall(`create ${what}`, () => api.createNamespacedCustomObject({ ...t, namespace, body: object }));
        return "created";
      } catch (err) {
        if (!isApiError(err, "AlreadyExists")) throw err;
      }
      const current = plainJson(await kubeCall(`get ${what}`, () => api.getNamespacedCustomObject({ ...t, namespace, name }))) as Obj;
      await kubeCall(`update ${what}`, () =>
        api.replaceNamespacedCustomObject({ ...t, namespace, name, body: { ...object, metadata: { ...object.metadata, resourceVersion: current.metadata.resourceVersion } } }),
      );
      return "updated";
    },
  };
}
